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
//! - `GET /visits` counts this session's visits and answers the number;
//! - `POST /login` regenerates the session (as every login should: a fresh session and CSRF
//!   token, against session fixation), sets `username = "john"` and answers `Welcome, john!`;
//! - `GET /fill?bytes=N` stores `N` bytes under `fill` (a session too large for a cookie is a
//!   loud 500), and `GET /fill-len` answers how many are stored: the browser tests use them.
//!
//! Environment: `PORT`, `SESSION_FORMAT`, `SESSION_SECRET`, `SESSION_COOKIE_NAME`,
//! `SESSION_INSECURE_COOKIE`; see `examples/shared/mod.rs`.

use axum::Router;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::{get, post};
use cookie_session::CookieSessionFactory;
use cookie_session::axum::{Session, SessionLayer};

mod shared;

/// The application: its routes wrapped in the session layer.
pub fn app(factory: CookieSessionFactory) -> Router {
    Router::new()
        .route("/", get(hello))
        .route("/whoami", get(whoami))
        .route("/logout", post(logout))
        .route("/visits", get(visits))
        .route("/login", post(login))
        .route("/fill", get(fill))
        .route("/fill-len", get(fill_len))
        // Last, so it wraps every route above.
        .layer(SessionLayer::new(factory))
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

async fn login(session: Session) -> Result<&'static str, StatusCode> {
    session
        .with(|session| {
            session.regenerate();
            session.insert("username", "john")
        })
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok("Welcome, john!")
}

#[derive(serde::Deserialize)]
struct Fill {
    bytes: usize,
}

async fn fill(session: Session, Query(fill): Query<Fill>) -> Result<&'static str, StatusCode> {
    let value = shared::fill_value(fill.bytes).map_err(|_| StatusCode::BAD_REQUEST)?;
    session
        .insert(shared::FILL_KEY, value)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok("ok")
}

async fn fill_len(session: Session) -> String {
    let value: Option<String> = session.get(shared::FILL_KEY).ok().flatten();
    value.map_or(0, |value| value.len()).to_string()
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

async fn serve() -> Result<(), shared::BoxError> {
    let port = shared::port_from_env()?;
    let factory = shared::factory_from_env()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(factory)).await?;
    Ok(())
}
