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
//! Typed access through serde ([`Session::get`], [`Session::insert`], [`Session::remove`]) or the
//! raw JSON map ([`Session::state`]); flash queues ([`Session::flash`],
//! [`Session::pop_flash`]) and a CSRF token ([`Session::get_csrf_token`],
//! [`Session::check_csrf_token`]) under the same keys Pyramid uses.
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
//! ## Sharing sessions with Pyramid
//!
//! [`Format::Pyramid`] reads and writes Pyramid's `SignedCookieSessionFactory` cookies byte for
//! byte, so a Python and a Rust service can serve the same users during a migration. Give it the
//! Pyramid app's secret, salt, hash and timeouts:
//!
//! ```
//! use std::time::Duration;
//! use cookie_session::{CookieSessionFactory, PyramidHash, Secret};
//! let factory = CookieSessionFactory::builder(Secret::from_text("the Pyramid app's secret"))
//!     .pyramid(PyramidHash::Sha512)
//!     .reissue_time(Duration::ZERO) // Pyramid's default
//!     .build()?;
//! # let _ = factory;
//! # Ok::<(), cookie_session::ConfigError>(())
//! ```
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
