//! Cookie sessions in a Rocket 0.5 app: the seed program (`GET /` stores `username = "john"` and
//! greets them) plus a few routes to watch the session work.
//!
//! ```sh
//! export SESSION_SECRET="$(cargo run -q --features cli -- keygen)"   # optional, see below
//! cargo run --example rocket_hello --features rocket                  # PORT=8080 to move it
//!
//! curl -c jar -b jar http://localhost:3000/          # Hello, john!
//! curl -c jar -b jar http://localhost:3000/whoami    # john   (anonymous without the cookie)
//! curl -c jar -b jar http://localhost:3000/visits    # 1, then 2, 3, ...
//! curl -c jar -b jar -X POST http://localhost:3000/logout   # Goodbye!
//! ```
//!
//! - `GET /` — sets `username = "john"`, reads it back, answers `Hello, john!`.
//! - `GET /whoami` — reads only: the session's username, or `anonymous`.
//! - `POST /logout` — invalidates the session (the response carries an empty one).
//! - `GET /visits` — counts this session's visits and answers the number.
//! - `POST /login` — regenerates the session (a fresh session and CSRF token, as every login
//!   should, against session fixation) and sets `username = "john"`.
//! - `GET /fill?bytes=N`, `GET /fill-len` — store `N` bytes / answer how many are stored (the
//!   browser tests check the size limit with them).
//!
//! The server listens on `127.0.0.1:$PORT` only (default 3000). Other Rocket settings
//! (`ROCKET_LOG_LEVEL`, `ROCKET_WORKERS`, `Rocket.toml`) still apply. The session's settings come
//! from `SESSION_FORMAT`, `SESSION_SECRET`, `SESSION_COOKIE_NAME` and `SESSION_INSECURE_COOKIE`:
//! see `examples/shared/mod.rs`.

use std::net::Ipv4Addr;

use cookie_session::CookieSessionFactory;
use cookie_session::rocket::{Session, SessionFairing};
use rocket::http::Status;
use rocket::{Build, Rocket, get, post, routes};

mod shared;

/// `GET /`: the seed program.
#[get("/")]
fn hello(session: Session) -> Result<String, Status> {
    session
        .insert("username", "john")
        .map_err(|_| Status::InternalServerError)?;
    let username = username(&session);
    Ok(format!(
        "Hello, {}!",
        username.as_deref().unwrap_or("anonymous")
    ))
}

/// `GET /whoami`: reads the session without changing it.
#[get("/whoami")]
fn whoami(session: Session) -> String {
    username(&session).unwrap_or_else(|| "anonymous".to_owned())
}

/// `POST /logout`: ends the session.
#[post("/logout")]
fn logout(session: Session) -> &'static str {
    session.invalidate();
    "Goodbye!"
}

/// `GET /visits`: a per-session counter.
#[get("/visits")]
fn visits(session: Session) -> Result<String, Status> {
    // A value of another type (written by another app sharing the key) counts as no visits.
    let previous: u64 = session.get("visits").ok().flatten().unwrap_or(0);
    let visits = previous.saturating_add(1);
    session
        .insert("visits", visits)
        .map_err(|_| Status::InternalServerError)?;
    Ok(visits.to_string())
}

/// `POST /login`: a fresh session for the logged-in user (against session fixation).
#[post("/login")]
fn login(session: Session) -> Result<&'static str, Status> {
    session
        .with(|session| {
            session.regenerate();
            session.insert("username", "john")
        })
        .map_err(|_| Status::InternalServerError)?;
    Ok("Welcome, john!")
}

/// `GET /fill?bytes=N`: stores `N` bytes (a session too large for a cookie is a loud 500).
#[get("/fill?<bytes>")]
fn fill(session: Session, bytes: usize) -> Result<&'static str, Status> {
    let value = shared::fill_value(bytes).map_err(|_| Status::BadRequest)?;
    session
        .insert(shared::FILL_KEY, value)
        .map_err(|_| Status::InternalServerError)?;
    Ok("ok")
}

/// `GET /fill-len`: how many bytes `/fill` stored.
#[get("/fill-len")]
fn fill_len(session: Session) -> String {
    let value: Option<String> = session.get(shared::FILL_KEY).ok().flatten();
    value.map_or(0, |value| value.len()).to_string()
}

fn username(session: &Session) -> Option<String> {
    session.get::<String>("username").ok().flatten()
}

/// The example's routes with sessions from `factory`, on top of `base` (which carries the
/// configuration: address, port, logging). The end-to-end test serves exactly this.
pub fn app(base: Rocket<Build>, factory: CookieSessionFactory) -> Rocket<Build> {
    base.attach(SessionFairing::new(factory)).mount(
        "/",
        routes![hello, whoami, logout, visits, login, fill, fill_len],
    )
}

#[rocket::main]
async fn main() -> Result<(), shared::BoxError> {
    let port = shared::port_from_env()?;
    let factory = shared::factory_from_env()?;
    // Rocket's usual sources still configure the rest; address and port follow the contract.
    let figment = rocket::Config::figment()
        .merge(("address", Ipv4Addr::LOCALHOST))
        .merge(("port", port));
    let _ = app(rocket::custom(figment), factory).launch().await?;
    Ok(())
}
