//! Pyramid-style, stateless cookie sessions.
//!
//! The whole session — a JSON object plus its `created` and `accessed` times — lives in one
//! cookie that is signed with HMAC-SHA256 (or, with the `encryption` feature, encrypted). Nothing
//! is stored on the server, so any number of processes can serve a user as long as they share the
//! key ring.
//!
//! # A tour
//!
//! ## One secret, three lines
//!
//! ```
//! use cookie_session::{CookieSessionFactory, Secret, UnixTime};
//!
//! let factory = CookieSessionFactory::new(Secret::generate())?;
//! let mut session = factory.load(None, UnixTime::now());
//! session.insert("username", "john")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! In a web service the framework adapters do the loading and finishing for you (features
//! `axum`, `actix-web`, `rocket`). Without one, the cycle is: [`CookieSessionFactory::load`]
//! the request's cookie, use the [`Session`], then [`CookieSessionFactory::finish`] it into a
//! `Set-Cookie` header value — or nothing, when the request did not need one.
//!
//! ```
//! use cookie_session::{CookieSessionFactory, Secret, UnixTime};
//!
//! let factory = CookieSessionFactory::new(Secret::generate())?;
//! let now = UnixTime::from_secs(1_700_000_000);
//! let mut session = factory.load(None, now);
//! session.insert("visits", 1)?;
//! let set_cookie = factory.finish(&session, now)?.expect("changed, so a cookie is sent");
//!
//! let session = factory.load(Some(set_cookie.value()), now);
//! assert_eq!(session.get::<u32>("visits")?, Some(1));
//! assert!(factory.finish(&session, now)?.is_none(), "only read: nothing to send");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## What a session knows
//!
//! Typed access through serde ([`Session::get`], [`Session::insert`], [`Session::remove`]) or
//! the whole state ([`Session::state`], a [`SessionState`]); flash queues ([`Session::flash`],
//! [`Session::pop_flash`]) and a CSRF token ([`Session::get_csrf_token`],
//! [`Session::check_csrf_token`]) under the same keys Pyramid uses.
//!
//! A request pays for the keys it reads, not for the whole session: a load validates the whole
//! payload but keeps each value as the JSON text it came as, `get::<T>` deserializes straight
//! from that text, and a write copies untouched values back byte for byte (so a session written
//! by a Python app and re-issued here keeps the app's exact spelling).
//!
//! At login, and at every change of privilege, call [`Session::regenerate`]: a fresh state
//! (keep what you name with [`Session::regenerate_keeping`]), new timestamps and a new CSRF
//! token, so a session planted before login never becomes the logged-in one.
//!
//! A bad cookie never fails a request: the handler gets a new session and
//! [`Session::load_error`] says why ([`DecodeError`]).
//!
//! ## Timeouts and re-issue
//!
//! `timeout` (idle, default 20 minutes) is enforced on the signed `accessed` stamp, so a stolen
//! cookie stops working after that much inactivity. Reads re-send the cookie once it is older than
//! `reissue_time` (default 2 minutes), so active users stay logged in. An optional
//! `max_lifetime` caps a session's age whatever the activity. See [`CookieSessionBuilder`].
//!
//! ## Rotating secrets
//!
//! A [`KeyRing`] has one primary secret, which signs, and verify-only secrets, which are still
//! accepted. A cookie that verified with a verify-only secret is re-issued under the primary on
//! the same response:
//!
//! ```
//! use cookie_session::{CookieSessionFactory, KeyRing, Secret, UnixTime};
//! let (old, new) = (Secret::generate(), Secret::generate());
//! let now = UnixTime::from_secs(1_700_000_000);
//!
//! let before = CookieSessionFactory::new(old.clone())?;
//! let mut session = before.load(None, now);
//! session.insert("user", 7)?;
//! let cookie = before.finish(&session, now)?.unwrap();
//!
//! let after = CookieSessionFactory::new(KeyRing::new(new).with_verify_only(old))?;
//! let session = after.load(Some(cookie.value()), now);
//! assert_eq!(session.get::<u32>("user")?, Some(7));
//! assert!(after.finish(&session, now)?.is_some(), "re-issued under the new key");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Operators usually keep the ring in a file (one secret per line, newest first) and rotate it
//! under a running service: [`KeyRing::from_file`], [`CookieSessionFactory::reload_keys_from_file`]
//! and [`CookieSessionFactory::watch_key_file`]. [`CookieSessionFactory::stats`] counts the
//! cookies still arriving under old keys, so you know when one can be retired.
//!
//! ## Encrypted cookies
//!
//! A signed cookie can be read by its holder (it is base64 of JSON). With the `encryption`
//! feature, `Format::Encrypted` seals the state with XAES-256-GCM instead; the same ring
//! reads both kinds, so a deployment switches without logging anybody out:
//!
//! ```
//! # #[cfg(feature = "encryption")] {
//! use cookie_session::{CookieSessionFactory, Format, Secret, UnixTime};
//! let factory = CookieSessionFactory::builder(Secret::generate())
//!     .format(Format::Encrypted)
//!     .build()?;
//! let now = UnixTime::from_secs(1_700_000_000);
//! let mut session = factory.load(None, now);
//! session.insert("card_last4", "4242")?;
//! let cookie = factory.finish(&session, now)?.unwrap();
//! assert!(!cookie.value().contains("4242"));
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Sharing sessions with a Python app
//!
//! A Rust service and a Python app behind the same domain can share their users' sessions while
//! routes move over one by one: each builder preset reads and writes one framework's cookies,
//! with that framework's defaults (cookie name, salt, lifetime), and takes the app's secret as
//! the framework does (the primary, then its fallbacks):
//!
//! | Python app | preset | format |
//! |---|---|---|
//! | Pyramid 2.x `SignedCookieSessionFactory` | [`.pyramid(hash)`](CookieSessionBuilder::pyramid) | [`Format::Pyramid`], byte for byte |
//! | Pyramid 1.x `UnencryptedCookieSessionFactoryConfig` | [`.pyramid_legacy()`](CookieSessionBuilder::pyramid_legacy) | [`Format::PyramidLegacy`], pickles read by a data-only parser |
//! | Flask 3.x sessions | [`.flask()`](CookieSessionBuilder::flask) | [`Format::Flask`], tagged JSON as stored |
//! | Django 4.1+ `signed_cookies` | [`.django(hash)`](CookieSessionBuilder::django) | [`Format::Django`] |
//!
//! ```
//! use std::time::Duration;
//! use cookie_session::{CookieSessionFactory, KeyRing, Secret, UnixTime};
//!
//! // SECRET_KEY, then SECRET_KEY_FALLBACKS: every key verifies, the first signs.
//! let ring = KeyRing::new(Secret::from_text("the Flask app's SECRET_KEY"))
//!     .with_verify_only(Secret::from_text("the previous SECRET_KEY"));
//! let factory = CookieSessionFactory::builder(ring).flask().build()?;
//!
//! let now = UnixTime::from_secs(1_700_000_000);
//! let mut session = factory.load(None, now);
//! session.insert("username", "john")?;
//! let cookie = factory.finish(&session, now)?.unwrap();
//! assert!(cookie.as_str().starts_with("session="), "Flask's cookie name");
//! let session = factory.load(Some(cookie.value()), now.plus(Duration::from_secs(60)));
//! assert_eq!(session.get::<String>("username")?.as_deref(), Some("john"));
//!
//! let tampered = cookie.value().replacen('e', "f", 1);
//! let session = factory.load(Some(&tampered), now);
//! assert!(session.is_new() && session.load_error().is_some(), "a tampered cookie: new session");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! An existing app's secret may be short (a migration format refuses a secret under 16 bytes
//! unless the builder says [`allow_short_secret`](CookieSessionBuilder::allow_short_secret)). The
//! README has a "Migrating from …" section per framework: the Python settings and the Rust
//! builder lines side by side, and what is not supported, with why.
//!
//! ## Cookie attributes
//!
//! The defaults are the safe ones: `Secure`, `HttpOnly`, `SameSite=Lax`. For a new service, name
//! the cookie `__Host-session` ([`cookie_name`](CookieSessionBuilder::cookie_name)): browsers
//! accept it only over HTTPS, with `Path=/` and without `Domain`, so a sibling subdomain can
//! neither plant nor shadow it; `build()` checks the prefixes' rules.
//!
//! ## In a web framework
//!
//! The adapters (`axum`, `actix`, `rocket` modules, behind features of the same names) decode the
//! cookie on the handler's first use of the session and append the `Set-Cookie` after it. Each
//! offers the same names: a `Session` extractor, a `MissingSessionMiddleware` rejection and an
//! `EncodeErrorHook`, next to the framework's own middleware type. They are thin glue around
//! [`LazySession`], which is also what to use for a framework without an adapter: its
//! [adapter contract](LazySession#the-adapter-contract) says what they all do.
//!
//! ## Features
//!
//! | feature      | what it adds                                                  |
//! |--------------|---------------------------------------------------------------|
//! | `encryption` | the encrypted native suites (XAES-256-GCM, XChaCha20-Poly1305) |
//! | `axum`       | `cookie_session::axum`: a tower layer and an extractor    |
//! | `actix-web`  | `cookie_session::actix`: a middleware and an extractor    |
//! | `rocket`     | `cookie_session::rocket`: a fairing and a request guard   |
//! | `cli`        | the `cookie-session` command-line tool                    |

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod adapters;
mod config;
mod error;
mod factory;
mod format;
mod header;
mod keys;
mod lazy;
mod session;
mod state;
mod time;

pub use config::{
    CookieSessionBuilder, DEFAULT_MAX_CLOCK_SKEW, DEFAULT_REISSUE_TIME, DEFAULT_SIZE_LIMIT,
    DEFAULT_TIMEOUT, MIN_SIZE_LIMIT, SameSite,
};
pub use error::{ConfigError, DecodeError, EncodeError};
pub use factory::{CookieSessionFactory, KeyFileWatcher, RotationStats, VerifiedCookie};
pub use format::django::{
    DJANGO_SESSION_COOKIE_AGE, DJANGO_SESSION_COOKIE_NAME, DJANGO_SESSION_SALT, DjangoHash,
    UnknownDjangoHash,
};
pub use format::flask::DEFAULT_FLASK_SALT;
pub use format::flask::tags as flask;
pub use format::native::MIN_SECRET_LEN;
pub use format::pyramid::DEFAULT_PYRAMID_SALT;
pub use format::{Format, PyramidHash, UnknownHash};
pub use header::SetCookie;
pub use keys::{GENERATED_SECRET_LEN, KeyRing, Salt, Secret, SecretText};
pub use lazy::{AfterResponse, LazySession, ResponseFacts, SessionHeaders};
pub use session::{CSRF_TOKEN_KEY, FLASH_KEY_PREFIX, Session};
pub use state::{SessionState, StateValue};
pub use time::{Clock, ManualClock, SystemClock, UnixTime};

#[cfg(feature = "actix-web")]
pub use adapters::actix;
#[cfg(feature = "axum")]
pub use adapters::axum;
#[cfg(feature = "rocket")]
pub use adapters::rocket;
