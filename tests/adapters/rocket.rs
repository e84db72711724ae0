//! The rocket harness (the real app, driven through `rocket::local::blocking::Client`) and the
//! rocket-only tests.

use std::io::Cursor;

use cookie_session::rocket::{Session, SessionFairing};
use cookie_session::{CookieSessionFactory, EncodeError, Secret};
use rocket::config::LogLevel;
use rocket::http::{CookieJar, Header, Status};
use rocket::local::blocking::{Client, LocalResponse};
use rocket::{Build, Request as RocketRequest, Responder, Response, Rocket, get, post, routes};

use crate::contract::{self, Harness, Reply, Request};

#[get("/login")]
fn login(session: Session) -> &'static str {
    session.insert("username", "john").unwrap();
    "ok"
}

#[get("/whoami")]
fn whoami(session: Session) -> String {
    session
        .get::<String>("username")
        .ok()
        .flatten()
        .unwrap_or_else(|| "anonymous".to_owned())
}

#[get("/status")]
fn status(session: Session) -> String {
    session.with(|s| {
        let error = s.load_error().map_or("none", |e| e.code());
        format!("new={} error={error}", s.is_new())
    })
}

#[post("/logout")]
fn logout(session: Session) -> &'static str {
    session.invalidate();
    "bye"
}

#[post("/flash", data = "<body>")]
fn flash(session: Session, body: String) -> &'static str {
    session.with(|s| s.flash("", body, false)).unwrap();
    "flashed"
}

#[get("/flash/pop")]
fn pop_flash(session: Session) -> String {
    let messages: Vec<String> = session
        .with(|s| s.pop_flash(""))
        .iter()
        .map(|m| m.as_str().unwrap_or("?").to_owned())
        .collect();
    messages.join(",")
}

#[get("/csrf/new")]
fn new_csrf(session: Session) -> String {
    session.with(|s| s.new_csrf_token())
}

#[post("/csrf/check", data = "<token>")]
fn check_csrf(session: Session, token: String) -> (Status, &'static str) {
    if session.with(|s| s.check_csrf_token(&token)) {
        (Status::Ok, "valid")
    } else {
        (Status::Forbidden, "invalid")
    }
}

#[get("/fail")]
fn fail(session: Session) -> (Status, &'static str) {
    session.insert("attempted", true).unwrap();
    (Status::InternalServerError, "boom")
}

/// Rocket catches the panic itself and answers with its 500 catcher.
#[get("/panic")]
fn panic(session: Session) -> &'static str {
    session.insert("attempted", true).unwrap();
    panic!("the handler fails half-way")
}

/// Also sets an unrelated jar cookie, which must not leak into the 500 replacing this response
/// (the contract's oversized-session scenario checks that no `Set-Cookie` at all is sent).
#[get("/big")]
fn big(session: Session, jar: &CookieJar<'_>) -> &'static str {
    session.insert("blob", "x".repeat(5000)).unwrap();
    jar.add(("theme", "dark"));
    "stored a lot"
}

#[get("/lazy")]
fn lazy(session: Session) -> String {
    format!("loaded={}", session.is_loaded())
}

#[get("/plain")]
fn plain() -> &'static str {
    "no session here"
}

/// A body with one header of the handler's own.
#[derive(Responder)]
struct WithHeader {
    body: &'static str,
    header: Header<'static>,
}

#[get("/own-cookie")]
fn own_cookie(session: Session) -> WithHeader {
    session.insert("n", 1).unwrap();
    WithHeader {
        body: "two cookies",
        header: Header::new("Set-Cookie", "theme=dark; Path=/"),
    }
}

#[get("/own-cache")]
fn own_cache(session: Session) -> WithHeader {
    session.insert("n", 1).unwrap();
    WithHeader {
        body: "own cache-control",
        header: Header::new("Cache-Control", "no-store"),
    }
}

#[get("/own-vary")]
fn own_vary(session: Session) -> WithHeader {
    let _ = session.get::<u32>("n");
    WithHeader {
        body: "own vary",
        header: Header::new("Vary", "Accept-Encoding"),
    }
}

/// Two guards in one handler see the same session.
#[get("/two-guards")]
fn two_guards(first: Session, second: Session) -> String {
    first.insert("name", "shared").unwrap();
    second.get::<String>("name").unwrap().unwrap_or_default()
}

fn all_routes() -> Vec<rocket::Route> {
    routes![
        login, whoami, status, logout, flash, pop_flash, new_csrf, check_csrf, fail, panic, big,
        lazy, plain, own_cookie, own_cache, own_vary, two_guards
    ]
}

fn quiet_rocket() -> Rocket<Build> {
    rocket::custom(rocket::Config {
        log_level: LogLevel::Off,
        ..rocket::Config::debug_default()
    })
    .mount("/", all_routes())
}

fn too_large_as_507(_: &RocketRequest<'_>, error: &EncodeError) -> Response<'static> {
    let (status, body) = match error {
        EncodeError::TooLarge { size, limit } => {
            (Status::InsufficientStorage, format!("{size} > {limit}"))
        }
        _ => (Status::InternalServerError, String::new()),
    };
    Response::build()
        .status(status)
        .sized_body(body.len(), Cursor::new(body))
        .finalize()
}

pub struct RocketApp(Client);

impl RocketApp {
    fn new(rocket: Rocket<Build>) -> Self {
        Self(Client::untracked(rocket).expect("a valid rocket"))
    }
}

impl Harness for RocketApp {
    fn app(factory: CookieSessionFactory) -> Self {
        Self::new(quiet_rocket().attach(SessionFairing::new(factory)))
    }

    fn app_with_encode_error_hook(factory: CookieSessionFactory) -> Self {
        let fairing = SessionFairing::new(factory).on_encode_error(too_large_as_507);
        Self::new(quiet_rocket().attach(fairing))
    }

    fn app_without_middleware() -> Self {
        Self::new(quiet_rocket())
    }

    fn send(&self, request: Request) -> Reply {
        let mut local = match request.method {
            "GET" => self.0.get(request.path),
            "POST" => self.0.post(request.path),
            other => panic!("method {other} not used in these tests"),
        };
        for cookie in request.cookies {
            local = local.header(Header::new("Cookie", cookie));
        }
        reply(local.body(request.body).dispatch())
    }
}

fn reply(response: LocalResponse<'_>) -> Reply {
    let status = response.status().code;
    let headers = response
        .headers()
        .iter()
        .map(|header| {
            (
                header.name().as_str().to_ascii_lowercase(),
                header.value().to_owned(),
            )
        })
        .collect();
    Reply {
        status,
        headers,
        body: response.into_string().unwrap_or_default(),
    }
}

contract::contract_tests!(RocketApp);

#[test]
fn guards_in_one_request_share_the_session() {
    let factory = CookieSessionFactory::new(Secret::generate()).unwrap();
    let reply = RocketApp::app(factory.clone()).get("/two-guards", None);
    assert_eq!(reply.body, "shared");
    let verified = factory
        .verify(&reply.session_value(), factory.now())
        .unwrap();
    assert_eq!(verified.state.get("name"), Some(&"shared".into()));
}

#[test]
fn attaching_twice_sends_one_cookie() {
    let factory = CookieSessionFactory::new(Secret::generate()).unwrap();
    let app = RocketApp::new(
        quiet_rocket()
            .attach(SessionFairing::new(factory.clone()))
            .attach(SessionFairing::new(factory)),
    );
    let reply = app.get("/login", None);
    assert_eq!(reply.set_cookies().len(), 1, "{reply:?}");
}

/// A tracked client keeps cookies in Rocket's jar and sends no `Cookie` header; the fairing
/// reads the jar then.
#[test]
fn tracked_local_client_keeps_the_session() {
    let factory = CookieSessionFactory::new(Secret::generate()).unwrap();
    let client = Client::tracked(quiet_rocket().attach(SessionFairing::new(factory))).unwrap();
    assert_eq!(client.get("/login").dispatch().status(), Status::Ok);
    assert_eq!(
        client.get("/whoami").dispatch().into_string().as_deref(),
        Some("john")
    );
}

/// Rocket's hook is also given the request.
#[test]
fn encode_error_hook_sees_the_request() {
    let factory = CookieSessionFactory::new(Secret::generate()).unwrap();
    let fairing = SessionFairing::new(factory).on_encode_error(|request, error| {
        let body = format!("{} failed: {error}", request.uri().path());
        Response::build()
            .status(Status::InsufficientStorage)
            .sized_body(body.len(), Cursor::new(body))
            .finalize()
    });
    let big = RocketApp::new(quiet_rocket().attach(fairing)).get("/big", None);
    assert_eq!(big.status, 507);
    assert!(big.body.starts_with("/big failed: "), "{big:?}");
    assert!(
        big.body.ends_with("over the limit of 4096 bytes"),
        "{big:?}"
    );
}
