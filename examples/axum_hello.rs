//! Cookie sessions in an axum service.
//!
//! ```sh
//! export SESSION_SECRET="$(cargo run -q --features cli -- keygen)"   # optional, see below
//! cargo run --example axum_hello --features axum
//! # listening on http://127.0.0.1:3000
//! curl -c jar -b jar http://127.0.0.1:3000/          # Hello, john!
//! curl -c jar -b jar http://127.0.0.1:3000/whoami    # john
//! curl -c jar -b jar http://127.0.0.1:3000/visits    # 1, then 2, 3, ...
//! curl -c jar -b jar -X POST http://127.0.0.1:3000/logout
//! ```
//!
//! Routes:
//! - `GET /` sets `username = "john"` in the session, reads it back and answers `Hello, john!`;
//! - `GET /whoami` only reads: the session's username, or `anonymous`;
//! - `POST /logout` invalidates the session and answers `Goodbye!`;
//! - `GET /visits` counts this session's visits and answers the number.
//!
//! Environment:
//! - `PORT`: the port on 127.0.0.1 (default 3000).
//! - `SESSION_SECRET`: the signing secret, at least 32 bytes. When unset, a random one is made
//!   and sessions do not survive a restart (a warning says so).
//! - `SESSION_INSECURE_COOKIE=1`: drop the cookie's `Secure` attribute. Browsers send `Secure`
//!   cookies to `http://localhost` anyway, so this is only needed to try the example over plain
//!   HTTP from another host (e.g. through a port forward or a VM's address). Never in production.
//!   curl's cookie jar ignores `Secure` for `127.0.0.1`, so the commands above work without it.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use cookie_session::axum::{Session, SessionLayer};
use cookie_session::{CookieSessionFactory, Secret};

/// The application: its routes wrapped in the session layer.
pub fn app(factory: CookieSessionFactory) -> Router {
    Router::new()
        .route("/", get(hello))
        .route("/whoami", get(whoami))
        .route("/logout", post(logout))
        .route("/visits", get(visits))
        // Last, so it wraps every route above.
        .layer(SessionLayer::new(factory))
}

/// The factory configured from the environment (see the module docs).
pub fn factory_from_env() -> Result<CookieSessionFactory, cookie_session::ConfigError> {
    let secret = match Secret::from_env("SESSION_SECRET") {
        Ok(secret) => secret,
        Err(_) => {
            eprintln!(
                "warning: SESSION_SECRET is not set; using a fresh random secret, \
                 so sessions will not survive a restart"
            );
            Secret::generate()
        }
    };
    let insecure = std::env::var("SESSION_INSECURE_COOKIE").is_ok_and(|value| value == "1");
    if insecure {
        eprintln!(
            "warning: SESSION_INSECURE_COOKIE=1: the session cookie is sent without `Secure`, \
             also over plain HTTP; do not use this in production"
        );
    }
    CookieSessionFactory::builder(secret)
        .secure(!insecure)
        .build()
}

async fn hello(session: Session) -> Result<String, StatusCode> {
    session
        .insert("username", "john")
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let username: Option<String> = session
        .get("username")
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(format!(
        "Hello, {}!",
        username.as_deref().unwrap_or("anonymous")
    ))
}

async fn whoami(session: Session) -> String {
    // A value of another type (another app sharing the cookie) counts as no username.
    let username: Option<String> = session.get("username").ok().flatten();
    username.unwrap_or_else(|| "anonymous".to_owned())
}

async fn logout(session: Session) -> &'static str {
    session.invalidate();
    "Goodbye!"
}

async fn visits(session: Session) -> Result<String, StatusCode> {
    let previous: u64 = session.get("visits").ok().flatten().unwrap_or(0);
    let count = previous.saturating_add(1);
    session
        .insert("visits", count)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(count.to_string())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match serve().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| format!("PORT must be a port number, not {port:?}"))?,
        Err(_) => 3000,
    };
    let factory = factory_from_env()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(factory)).await?;
    Ok(())
}
