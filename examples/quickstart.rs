//! The whole cycle without a web framework: build a factory, load a session from (no) cookie,
//! write to it, print the `Set-Cookie` header, then load it back as the next request would.
//!
//! ```sh
//! SESSION_SECRET="$(cargo run -q --features cli -- keygen)" cargo run --example quickstart
//! ```

use cookie_session::{CookieSessionFactory, Secret, UnixTime};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = match Secret::from_env("SESSION_SECRET") {
        Ok(secret) => secret,
        Err(_) => {
            eprintln!(
                "warning: SESSION_SECRET is not set; using a fresh random secret, \
                 so these sessions will not survive a restart"
            );
            Secret::generate()
        }
    };
    let factory = CookieSessionFactory::new(secret)?;

    // Request 1: no cookie yet.
    let now = UnixTime::now();
    let mut session = factory.load(None, now);
    session.insert("username", "john")?;
    let set_cookie = factory
        .finish(&session, now)?
        .expect("a changed session is always written");
    println!("Set-Cookie: {set_cookie}");

    // Request 2: the browser sends the cookie back.
    let session = factory.load(Some(set_cookie.value()), UnixTime::now());
    let username: Option<String> = session.get("username")?;
    println!("Hello, {}!", username.as_deref().unwrap_or("anonymous"));
    Ok(())
}
