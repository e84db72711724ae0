//! The seed program on actix-web 4: cookie sessions with `cookie_session::actix`.
//!
//! ```sh
//! export SESSION_SECRET="$(cargo run -q --features cli -- keygen)"
//! PORT=3000 cargo run --example actix_hello --features actix-web
//!
//! curl -i -c jar -b jar http://127.0.0.1:3000/          # Hello, john!  (sets the cookie)
//! curl -b jar http://127.0.0.1:3000/whoami              # john
//! curl -c jar -b jar http://127.0.0.1:3000/visits       # 1, then 2, 3, ...
//! curl -i -c jar -b jar -X POST http://127.0.0.1:3000/logout   # Goodbye!
//! ```
//!
//! Routes: `GET /` stores `username = "john"` and reads it back; `GET /whoami` only reads
//! (`anonymous` without a session); `POST /logout` invalidates the session; `GET /visits` counts
//! this session's visits; `POST /login` regenerates the session (against session fixation) and
//! sets `username = "john"`; `GET /fill?bytes=N` and `GET /fill-len` store and measure a large
//! value (the browser tests check the size limit with them).
//!
//! Environment: `PORT`, `SESSION_FORMAT`, `SESSION_SECRET`, `SESSION_COOKIE_NAME`,
//! `SESSION_INSECURE_COOKIE`; see `examples/shared/mod.rs`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer, web};
use cookie_session::CookieSessionFactory;
use cookie_session::actix::{Session, SessionMiddleware};

mod shared;

/// The application: its routes, wrapped in the session middleware. Shared with the
/// end-to-end test, so the test serves exactly this.
pub fn app(
    factory: CookieSessionFactory,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(SessionMiddleware::new(factory))
        .route("/", web::get().to(index))
        .route("/whoami", web::get().to(whoami))
        .route("/logout", web::post().to(logout))
        .route("/visits", web::get().to(visits))
        .route("/login", web::post().to(login))
        .route("/fill", web::get().to(fill))
        .route("/fill-len", web::get().to(fill_len))
}

async fn index(session: Session) -> actix_web::Result<String> {
    session.insert("username", "john")?;
    let username: Option<String> = session.get("username")?;
    Ok(format!(
        "Hello, {}!",
        username.as_deref().unwrap_or("anonymous")
    ))
}

async fn whoami(session: Session) -> String {
    // A value of another type (written by some other app) reads as no user.
    let username = session.get::<String>("username").ok().flatten();
    username.unwrap_or_else(|| "anonymous".to_owned())
}

async fn logout(session: Session) -> &'static str {
    session.invalidate();
    "Goodbye!"
}

async fn visits(session: Session) -> actix_web::Result<String> {
    let visits = session
        .get::<u64>("visits")
        .ok()
        .flatten()
        .unwrap_or(0)
        .saturating_add(1);
    session.insert("visits", visits)?;
    Ok(visits.to_string())
}

async fn login(session: Session) -> actix_web::Result<&'static str> {
    session.with(|session| {
        session.regenerate();
        session.insert("username", "john")
    })?;
    Ok("Welcome, john!")
}

#[derive(serde::Deserialize)]
struct Fill {
    bytes: usize,
}

async fn fill(session: Session, fill: web::Query<Fill>) -> actix_web::Result<&'static str> {
    let value = shared::fill_value(fill.bytes).map_err(actix_web::error::ErrorBadRequest)?;
    session.insert(shared::FILL_KEY, value)?;
    Ok("ok")
}

async fn fill_len(session: Session) -> String {
    let value: Option<String> = session.get(shared::FILL_KEY).ok().flatten();
    value.map_or(0, |value| value.len()).to_string()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port = shared::port_from_env().map_err(std::io::Error::other)?;
    // Built once, here: inside the `HttpServer::new` closure each worker would get its own key.
    let factory = shared::factory_from_env().map_err(std::io::Error::other)?;
    let server = HttpServer::new(move || app(factory.clone())).bind(("127.0.0.1", port))?;
    for address in server.addrs() {
        eprintln!("listening on http://{address}");
    }
    server.run().await
}
