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
//!
//! The server listens on `127.0.0.1:$PORT` only (default 3000). Other Rocket settings
//! (`ROCKET_LOG_LEVEL`, `ROCKET_WORKERS`, `Rocket.toml`) still apply.
//!
//! `SESSION_SECRET` holds the signing secret (at least 32 bytes). Without it the example makes a
//! random one and warns: sessions then do not survive a restart.
//!
//! The cookie is `Secure`. Browsers (and curl) send `Secure` cookies to `http://localhost`
//! anyway, so local testing works as it is. To reach the example over plain
//! HTTP under another host name (a tunnel or proxy without TLS), opt out explicitly with
//! `SESSION_INSECURE_COOKIE=1`; it prints a warning, and must never be used in production.

use std::error::Error;
use std::net::Ipv4Addr;

use cookie_session::rocket::{Session, SessionFairing};
use cookie_session::{ConfigError, CookieSessionFactory, Secret};
use rocket::http::Status;
use rocket::{Build, Rocket, get, post, routes};

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

fn username(session: &Session) -> Option<String> {
    session.get::<String>("username").ok().flatten()
}

/// The example's routes with sessions from `factory`, on top of `base` (which carries the
/// configuration: address, port, logging). The end-to-end test serves exactly this.
pub fn app(base: Rocket<Build>, factory: CookieSessionFactory) -> Rocket<Build> {
    base.attach(SessionFairing::new(factory))
        .mount("/", routes![hello, whoami, logout, visits])
}

/// The factory as the environment asks for it: `SESSION_SECRET`, `SESSION_INSECURE_COOKIE`.
fn factory_from_env() -> Result<CookieSessionFactory, ConfigError> {
    let secret = match Secret::from_env("SESSION_SECRET") {
        Ok(secret) => secret,
        Err(ConfigError::MissingEnvVar { .. }) => {
            eprintln!(
                "warning: SESSION_SECRET is not set; using a fresh random secret, \
                 so sessions will not survive a restart"
            );
            Secret::try_generate()?
        }
        Err(other) => return Err(other),
    };
    let insecure = std::env::var("SESSION_INSECURE_COOKIE").is_ok_and(|value| value == "1");
    if insecure {
        eprintln!(
            "warning: SESSION_INSECURE_COOKIE=1: the session cookie is sent without `Secure`, \
             so it travels in clear text over plain HTTP; never use this in production"
        );
    }
    CookieSessionFactory::builder(secret)
        .secure(!insecure)
        .build()
}

fn port_from_env() -> Result<u16, Box<dyn Error>> {
    match std::env::var("PORT") {
        Ok(port) => port
            .trim()
            .parse()
            .map_err(|_| format!("PORT must be a port number, not {port:?}").into()),
        Err(_) => Ok(3000),
    }
}

#[rocket::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let port = port_from_env()?;
    let factory = factory_from_env()?;
    // Rocket's usual sources still configure the rest; address and port follow the contract.
    let figment = rocket::Config::figment()
        .merge(("address", Ipv4Addr::LOCALHOST))
        .merge(("port", port));
    let _ = app(rocket::custom(figment), factory).launch().await?;
    Ok(())
}
