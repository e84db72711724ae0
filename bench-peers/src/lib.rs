//! The applications measured side by side: the same read+write route (`GET /visits`: read a
//! counter from the session, write it back incremented, answer the number) on each framework,
//! with cookie-session, with the framework's own session crate, and with no session at all.
//!
//! Used by the `peer-server` binary (the load tests' baselines and peers, see
//! `scripts/loadtest.sh`), the `adapter-ops` binary (instruction counts of one request through
//! each framework, see `scripts/callgrind.sh`) and the in-process benchmark `benches/e2e.rs`.
//!
//! The fair pairs: each framework's `plain` and `cookie_session` are the same program (same
//! route, same handler shape, same `String` body built from a `u64`), differing only in the
//! session layer and the handler's session read and write. The contract examples are not used as
//! the with-session side, because they have more routes and read their configuration from the
//! environment.

use std::net::Ipv4Addr;

use cookie_session::{CookieSessionFactory, Secret};

/// One fixed 64-byte secret for every variant: ours derives its keys from it, the `cookie`
/// crate's `Key` takes it as it is.
pub const MASTER: [u8; 64] = [0x5a; 64];

/// Our factory as the examples build it (every default: signed, `Secure`, `HttpOnly`, `Lax`).
pub fn factory() -> CookieSessionFactory {
    CookieSessionFactory::new(Secret::from_bytes(MASTER.to_vec())).expect("a 64-byte secret")
}

/// The variants `peer-server` can serve.
pub const VARIANTS: &[&str] = &[
    "axum-plain",
    "axum-codec",
    "axum-cookie-session",
    "axum-tower-sessions-memory",
    "axum-tower-sessions-cookie",
    "actix-plain",
    "actix-codec",
    "actix-cookie-session",
    "actix-session-cookie",
    "actix-session-cookie-private",
    "rocket-plain",
    "rocket-codec",
    "rocket-cookie-session",
];

/// The codec's own part of a `/visits` request, for the `codec` servers: the session cookie's
/// value taken from a `Cookie` header of the form `session=<value>` (what the load tests send) with
/// no parsing beyond that prefix, then load (one clock read), read and write the counter, and
/// finish, the `Set-Cookie` value discarded. In a server (cold caches, the kernel's work between
/// requests) it measures what the codec costs there, so that the with-session server's extra cost
/// can be split into codec and adapter in the same run.
pub fn codec_visits(cookie_header: Option<&[u8]>) -> String {
    static FACTORY: std::sync::OnceLock<CookieSessionFactory> = std::sync::OnceLock::new();
    let factory = FACTORY.get_or_init(factory);
    let value = cookie_header
        .and_then(|header| header.strip_prefix(b"session="))
        .and_then(|value| std::str::from_utf8(value).ok());
    let now = factory.now();
    let mut session = factory.load(value, now);
    let previous: u64 = session.get("visits").ok().flatten().unwrap_or(0);
    let count = previous.saturating_add(1);
    let _ = session.insert("visits", count);
    let _ = std::hint::black_box(factory.finish(&session, now));
    count.to_string()
}

/// The visit count the no-session handlers answer: what a request with no previous visit would
/// count, computed and formatted as the session handlers do (`previous + 1`, then `to_string`).
pub fn count_without_session() -> String {
    let previous: u64 = std::hint::black_box(0);
    previous.saturating_add(1).to_string()
}

pub mod axum_apps {
    //! axum 0.8 routers.
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::get;

    /// No session: the same route and body as [`cookie_session`], without the layer.
    pub fn plain() -> Router {
        async fn visits() -> Result<String, StatusCode> {
            Ok(super::count_without_session())
        }
        Router::new().route("/visits", get(visits))
    }

    /// No session layer; the handler runs the codec on the request's cookie (see
    /// [`codec_visits`](super::codec_visits)).
    pub fn codec() -> Router {
        async fn visits(headers: axum::http::HeaderMap) -> Result<String, StatusCode> {
            let cookie = headers.get(axum::http::header::COOKIE);
            Ok(super::codec_visits(cookie.map(|value| value.as_bytes())))
        }
        Router::new().route("/visits", get(visits))
    }

    /// cookie-session's axum layer.
    pub fn cookie_session() -> Router {
        use cookie_session::axum::{Session, SessionLayer};
        async fn visits(session: Session) -> Result<String, StatusCode> {
            let previous: u64 = session.get("visits").ok().flatten().unwrap_or(0);
            let count = previous.saturating_add(1);
            session
                .insert("visits", count)
                .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
            Ok(count.to_string())
        }
        Router::new()
            .route("/visits", get(visits))
            .layer(SessionLayer::new(super::factory()))
    }

    /// tower-sessions 0.15 with its in-memory store: the cookie carries only an id, the state
    /// lives in the process.
    pub fn tower_sessions_memory() -> Router {
        use tower_sessions::{MemoryStore, Session, SessionManagerLayer};
        async fn visits(session: Session) -> Result<String, StatusCode> {
            let previous: u64 = session.get("visits").await.ok().flatten().unwrap_or(0);
            session
                .insert("visits", previous + 1)
                .await
                .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
            Ok((previous + 1).to_string())
        }
        Router::new()
            .route("/visits", get(visits))
            .layer(SessionManagerLayer::new(MemoryStore::default()))
    }

    /// tower-sessions-cookie-store 0.5 (built on tower-sessions-core 0.14: there is none for
    /// 0.15): the whole record in a signed cookie.
    pub fn tower_sessions_cookie() -> Router {
        use tower_sessions_cookie_store::{CookieSessionManagerLayer, Key, Session};
        async fn visits(session: Session) -> Result<String, StatusCode> {
            let previous: u64 = session.get("visits").await.ok().flatten().unwrap_or(0);
            session
                .insert("visits", previous + 1)
                .await
                .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
            Ok((previous + 1).to_string())
        }
        Router::new()
            .route("/visits", get(visits))
            .layer(CookieSessionManagerLayer::signed(Key::from(&super::MASTER)))
    }
}

pub mod actix_apps {
    //! actix-web 4 service configurations (each wrapped in its middleware by the caller's `App`).
    /// No session: the same handler shape and body as [`cookie_session`].
    pub async fn plain() -> actix_web::Result<String> {
        Ok(super::count_without_session())
    }

    /// No session middleware; the handler runs the codec on the request's cookie (see
    /// [`codec_visits`](super::codec_visits)).
    pub async fn codec(request: actix_web::HttpRequest) -> actix_web::Result<String> {
        let cookie = request.headers().get(actix_web::http::header::COOKIE);
        Ok(super::codec_visits(cookie.map(|value| value.as_bytes())))
    }

    /// cookie-session's actix extractor (the app must be wrapped in
    /// `cookie_session::actix::SessionMiddleware`).
    pub async fn cookie_session(
        session: cookie_session::actix::Session,
    ) -> actix_web::Result<String> {
        let previous: u64 = session.get("visits").ok().flatten().unwrap_or(0);
        let count = previous.saturating_add(1);
        session.insert("visits", count)?;
        Ok(count.to_string())
    }

    /// actix-session's extractor (the app must be wrapped in `actix_session::SessionMiddleware`).
    pub async fn actix_session(session: actix_session::Session) -> actix_web::Result<String> {
        let previous: u64 = session.get("visits").ok().flatten().unwrap_or(0);
        session.insert("visits", previous + 1)?;
        Ok((previous + 1).to_string())
    }

    /// actix-session 0.11 with its cookie store: signed (HMAC-SHA256, comparable to our default)
    /// or private (AES-256-GCM, actix-session's default).
    pub fn actix_session_middleware(
        private: bool,
    ) -> actix_session::SessionMiddleware<actix_session::storage::CookieSessionStore> {
        use actix_session::config::CookieContentSecurity;
        let security = if private {
            CookieContentSecurity::Private
        } else {
            CookieContentSecurity::Signed
        };
        actix_session::SessionMiddleware::builder(
            actix_session::storage::CookieSessionStore::default(),
            actix_web::cookie::Key::from(&super::MASTER),
        )
        .cookie_content_security(security)
        .cookie_name("session".to_owned())
        .build()
    }
}

pub mod rocket_apps {
    //! rocket 0.5.
    use rocket::http::Status;
    use rocket::{Build, Rocket, get, routes};

    #[get("/visits")]
    fn plain_visits() -> Result<String, Status> {
        Ok(super::count_without_session())
    }

    /// The request's first `Cookie` header, for the codec route.
    struct CookieHeader(Option<String>);

    #[rocket::async_trait]
    impl<'r> rocket::request::FromRequest<'r> for CookieHeader {
        type Error = std::convert::Infallible;

        async fn from_request(
            req: &'r rocket::Request<'_>,
        ) -> rocket::request::Outcome<Self, Self::Error> {
            let cookie = req.headers().get_one("Cookie").map(str::to_owned);
            rocket::request::Outcome::Success(Self(cookie))
        }
    }

    #[get("/visits")]
    fn codec_visits(cookie: CookieHeader) -> Result<String, Status> {
        Ok(super::codec_visits(cookie.0.as_deref().map(str::as_bytes)))
    }

    #[get("/visits")]
    fn session_visits(session: cookie_session::rocket::Session) -> Result<String, Status> {
        let previous: u64 = session.get("visits").ok().flatten().unwrap_or(0);
        let count = previous.saturating_add(1);
        session
            .insert("visits", count)
            .map_err(|_| Status::InternalServerError)?;
        Ok(count.to_string())
    }

    fn configured(port: u16) -> Rocket<Build> {
        let figment = rocket::Config::figment()
            .merge(("address", super::Ipv4Addr::LOCALHOST))
            .merge(("port", port))
            .merge(("log_level", "off"));
        rocket::custom(figment)
    }

    /// No session, on 127.0.0.1:`port`, logging off: the same route and body as
    /// [`cookie_session`].
    pub fn plain(port: u16) -> Rocket<Build> {
        configured(port).mount("/", routes![plain_visits])
    }

    /// No fairing; the handler runs the codec on the request's cookie (see
    /// [`codec_visits`](super::codec_visits)), on 127.0.0.1:`port`, logging off.
    pub fn codec(port: u16) -> Rocket<Build> {
        configured(port).mount("/", routes![codec_visits])
    }

    /// cookie-session's fairing and guard, on 127.0.0.1:`port`, logging off.
    pub fn cookie_session(port: u16) -> Rocket<Build> {
        configured(port)
            .attach(cookie_session::rocket::SessionFairing::new(super::factory()))
            .mount("/", routes![session_visits])
    }
}
