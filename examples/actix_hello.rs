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
//! this session's visits.
//!
//! Environment:
//! * `PORT`: the port on 127.0.0.1 (default 3000).
//! * `SESSION_SECRET`: the secret (at least 32 bytes; `cookie-session keygen` prints one). When
//!   unset, a random secret is generated and sessions do not survive a restart.
//! * `SESSION_INSECURE_COOKIE=1`: drop the `Secure` attribute. The cookie is `Secure` by default,
//!   and browsers send `Secure` cookies to `http://localhost` anyway, so local development needs
//!   nothing. Set this only to serve plain HTTP to a browser on another host (for example a
//!   machine on your LAN); never in production, where the cookie would travel in clear text.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer, web};
use cookie_session::actix::{Session, SessionMiddleware};
use cookie_session::{ConfigError, CookieSessionFactory, Secret};

/// The session factory, configured from `SESSION_SECRET` and `SESSION_INSECURE_COOKIE`.
pub fn factory_from_env() -> Result<CookieSessionFactory, ConfigError> {
    let secret = match Secret::from_env("SESSION_SECRET") {
        Ok(secret) => secret,
        Err(ConfigError::MissingEnvVar { .. }) => {
            eprintln!(
                "warning: SESSION_SECRET is not set; using a fresh random secret, \
                 so sessions will not survive a restart"
            );
            Secret::generate()
        }
        Err(error) => return Err(error),
    };
    let insecure = std::env::var("SESSION_INSECURE_COOKIE").is_ok_and(|value| value == "1");
    if insecure {
        eprintln!(
            "warning: SESSION_INSECURE_COOKIE=1: the session cookie is sent without `Secure`, \
             in clear text over plain HTTP; use this only for development"
        );
    }
    CookieSessionFactory::builder(secret)
        .secure(!insecure)
        .build()
}

/// The application: the four routes, wrapped in the session middleware. Shared with the
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

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse().map_err(|_| {
            std::io::Error::other(format!("PORT must be a port number, not {port:?}"))
        })?,
        Err(_) => 3000,
    };
    // Built once, here: inside the `HttpServer::new` closure each worker would get its own key.
    let factory = factory_from_env().map_err(std::io::Error::other)?;
    let server = HttpServer::new(move || app(factory.clone())).bind(("127.0.0.1", port))?;
    for address in server.addrs() {
        eprintln!("listening on http://{address}");
    }
    server.run().await
}
