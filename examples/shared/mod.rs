//! What the three example servers share: their configuration from the environment, and the
//! routes' logic beyond the framework glue.
//!
//! Environment:
//! - `PORT`: the port on 127.0.0.1 (default 3000).
//! - `SESSION_FORMAT`: `native` (default), `pyramid`, `flask`, `django` or `pyramid-legacy`: the
//!   wire format, with that framework's defaults (cookie name included: Django's is
//!   `sessionid`), so the example shares users with a Python app on the same host.
//! - `SESSION_SECRET`: for `native`, the signing secret, at least 32 bytes; when unset, a random
//!   one is made and sessions do not survive a restart (a warning says so). For the Python
//!   formats, the app's `SECRET_KEY` (or factory secret) as text, however short: the example
//!   opts in to short secrets for them and warns.
//! - `SESSION_COOKIE_NAME`: another cookie name, e.g. `__Host-session` (recommended for a new
//!   service: a sibling subdomain can neither plant nor shadow it).
//! - `SESSION_INSECURE_COOKIE=1`: drop the cookie's `Secure` attribute. Browsers send `Secure`
//!   cookies to `http://localhost` and `http://127.0.0.1` anyway, so this is only needed to try
//!   the example over plain HTTP from another host. Never in production.

#![allow(dead_code)] // Each example uses the part it needs.

use std::error::Error;

use cookie_session::{CookieSessionFactory, DjangoHash, PyramidHash, Secret};

/// Any error, as the examples report it.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The key the `/fill` route writes.
pub const FILL_KEY: &str = "fill";

/// The largest `/fill` the examples accept: more than any cookie can hold, so the size limit is
/// what refuses a large session (with the loud 500), not the route.
pub const MAX_FILL: usize = 64 * 1024;

/// The port from `PORT` (default 3000).
pub fn port_from_env() -> Result<u16, BoxError> {
    match std::env::var("PORT") {
        Ok(port) => port
            .trim()
            .parse()
            .map_err(|_| "PORT must be a port number".into()),
        Err(_) => Ok(3000),
    }
}

/// The session factory the environment asks for (see the module docs).
pub fn factory_from_env() -> Result<CookieSessionFactory, BoxError> {
    let format = std::env::var("SESSION_FORMAT").unwrap_or_else(|_| "native".to_owned());
    let secret_text = std::env::var("SESSION_SECRET").ok();
    let secret = match &secret_text {
        // As text: the native format needs 32 bytes of it, the Python formats take the app's
        // secret as it is.
        Some(text) => Secret::from_text(text),
        None => {
            eprintln!(
                "warning: SESSION_SECRET is not set; using a fresh random secret, so sessions \
                 will not survive a restart (nor be shared with a Python app)"
            );
            Secret::try_generate()?
        }
    };
    let builder = CookieSessionFactory::builder(secret);
    let builder = match format.as_str() {
        "native" => builder,
        "pyramid" => builder.pyramid(PyramidHash::default()),
        "flask" => builder.flask(),
        "django" => builder.django(DjangoHash::default()),
        "pyramid-legacy" => builder.pyramid_legacy(),
        _ => {
            return Err(
                "SESSION_FORMAT must be native, pyramid, flask, django or pyramid-legacy".into(),
            );
        }
    };
    let builder = match secret_text {
        Some(text) if format != "native" => {
            if text.len() < 16 {
                eprintln!(
                    "warning: SESSION_SECRET is only {} bytes long; accepted for compatibility \
                     with the Python app, but a short secret can be brute-forced",
                    text.len()
                );
            }
            builder.allow_short_secret()
        }
        _ => builder,
    };
    let builder = match std::env::var("SESSION_COOKIE_NAME") {
        Ok(name) => builder.cookie_name(name),
        Err(_) => builder,
    };
    let insecure = std::env::var("SESSION_INSECURE_COOKIE").is_ok_and(|value| value == "1");
    if insecure {
        eprintln!(
            "warning: SESSION_INSECURE_COOKIE=1: the session cookie is sent without `Secure`, \
             so it travels in clear text over plain HTTP; never use this in production"
        );
    }
    Ok(builder.secure(!insecure).build()?)
}

/// The value `/fill?bytes=N` stores: `N` bytes of text, or an error for an absurd `N`.
pub fn fill_value(bytes: usize) -> Result<String, &'static str> {
    if bytes > MAX_FILL {
        return Err("bytes is too large");
    }
    Ok("x".repeat(bytes))
}
