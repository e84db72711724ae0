//! Rocket 0.5 adapter (feature `rocket`): a [`SessionFairing`] and a [`Session`] request guard.
//!
//! Attach the fairing, built from a [`CookieSessionFactory`], and take [`Session`] as a guard in
//! any handler. The fairing hands each request's `Cookie` header to a [`LazySession`] kept in the
//! request-local cache; the cookie is decoded the first time a handler uses the session, at most
//! once per request (also when routes forward and the guard runs again). After the response is
//! built, the fairing asks the core whether a `Set-Cookie` is needed (a change, a re-issue, a
//! rotation to the primary key, an invalidation) and appends it to the response. A request that
//! never touches its session costs a copy of its `Cookie` header, no decoding, and sends no
//! cookie.
//!
//! ```no_run
//! use cookie_session::rocket::{Session, SessionFairing};
//! use cookie_session::{CookieSessionFactory, Secret};
//! use rocket::get;
//!
//! #[get("/")]
//! fn hello(session: Session) -> String {
//!     // `insert` only fails for values that are not representable as JSON.
//!     let _ = session.insert("username", "john");
//!     let name: Option<String> = session.get("username").ok().flatten();
//!     format!("Hello, {}!", name.as_deref().unwrap_or("anonymous"))
//! }
//!
//! #[rocket::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let factory = CookieSessionFactory::new(Secret::from_env("SESSION_SECRET")?)?;
//!     let _ = rocket::build()
//!         .attach(SessionFairing::new(factory))
//!         .mount("/", rocket::routes![hello])
//!         .launch()
//!         .await?;
//!     Ok(())
//! }
//! ```
//!
//! # Behaviour worth knowing
//!
//! * **The cookie is written by the fairing, not through Rocket's `CookieJar`.** Cookies added to
//!   the jar from a response fairing are lost (Rocket takes the jar's changes before response
//!   fairings run, rocket#1863), and error catchers discard cookies that handlers added to the
//!   jar. The fairing appends its `Set-Cookie` header to the response directly, so the session
//!   survives both. Do not set the session cookie yourself.
//! * **Error responses.** The fairing also runs for catcher responses (a handler returning
//!   `Status::InternalServerError`, a failing guard, a panicking handler). Whether a 5xx response
//!   still carries the session cookie is the factory's `set_on_error` setting
//!   ([`CookieSessionConfig::set_on_error`](crate::CookieSessionConfig::set_on_error), default
//!   `true` as in Pyramid).
//! * **A session too large for a cookie** is never dropped silently: the core logs
//!   [`EncodeError::TooLarge`] with both sizes and the fairing replaces the response with an
//!   opaque `500 Internal Server Error` (empty body, no `Set-Cookie`). Choose another response
//!   with [`SessionFairing::on_encode_error`].
//! * **The guard without the fairing** fails with `500 Internal Server Error`; the reason
//!   ([`MissingFairing`]) is logged by this crate (`tracing`, error level) and by Rocket's
//!   guard-failure log line. It never panics. Take `Option<Session>` to run without sessions.
//! * **Attach the fairing once**, before any other fairing that uses the guard in its own
//!   `on_request`. It is a singleton: attaching a second one replaces the first, so a response
//!   never carries two session cookies.
//! * **Keys are the factory's**, not Rocket's `secret_key` (which only protects Rocket's private
//!   cookies). No `cookie::Key` appears in this API, so cookie crate versions cannot clash.
//! * **Streaming bodies:** the cookie is decided when the fairing runs, before the body is sent.
//!   Session changes made while a streamed body is being produced are lost.
//! * **`Secure` by default.** Browsers send `Secure` cookies to `http://localhost`, but not to
//!   other plain-HTTP hosts; turn it off explicitly there with
//!   [`CookieSessionConfig::secure`](crate::CookieSessionConfig::secure)`(false)`.
//! * **Testing with `rocket::local`:** the fairing reads the raw `Cookie` header; when a request
//!   has none (the local client's `.cookie(..)` and tracked clients fill Rocket's jar instead), it
//!   falls back to the jar's cookie of the session's name.

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::{Data, Request, Response};

use crate::error::EncodeError;
use crate::factory::CookieSessionFactory;
use crate::lazy::LazySession;

/// The name under which the fairing appears in Rocket's launch log.
const FAIRING_NAME: &str = "cookie-session";

type EncodeErrorHook = dyn Fn(&Request<'_>, &EncodeError) -> Response<'static> + Send + Sync;

/// The request-local slot the fairing fills. A private type, so no other code can occupy the
/// cache entry; a `OnceLock` so that a guard that ran before the fairing (from an earlier
/// fairing) does not keep the session out for the rest of the request.
#[derive(Default)]
struct RequestSession(OnceLock<LazySession>);

fn request_session<'a>(req: &'a Request<'_>) -> &'a RequestSession {
    req.local_cache(RequestSession::default)
}

/// The fairing that loads and writes the session cookie. Build it from a
/// [`CookieSessionFactory`] and attach it to the `Rocket` instance.
///
/// ```
/// use cookie_session::rocket::{Session, SessionFairing};
/// use cookie_session::{CookieSessionFactory, Secret};
/// use rocket::local::blocking::Client;
///
/// #[rocket::get("/visits")]
/// fn visits(session: Session) -> String {
///     let visits = session.get::<u64>("visits").ok().flatten().unwrap_or(0) + 1;
///     let _ = session.insert("visits", visits);
///     visits.to_string()
/// }
///
/// let factory = CookieSessionFactory::new(Secret::generate())?;
/// let rocket = rocket::build()
///     .attach(SessionFairing::new(factory))
///     .mount("/", rocket::routes![visits]);
/// let client = Client::tracked(rocket)?; // keeps cookies between requests
/// assert_eq!(client.get("/visits").dispatch().into_string().as_deref(), Some("1"));
/// assert_eq!(client.get("/visits").dispatch().into_string().as_deref(), Some("2"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SessionFairing {
    factory: CookieSessionFactory,
    on_encode_error: Arc<EncodeErrorHook>,
}

impl std::fmt::Debug for SessionFairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionFairing")
            .field("factory", &self.factory)
            .finish_non_exhaustive()
    }
}

impl SessionFairing {
    /// A fairing for sessions made by `factory`, answering an opaque 500 when a session is too
    /// large for its cookie.
    #[must_use]
    pub fn new(factory: CookieSessionFactory) -> Self {
        Self {
            factory,
            on_encode_error: Arc::new(opaque_internal_error),
        }
    }

    /// Replaces the response sent when the session cannot be written (for example
    /// [`EncodeError::TooLarge`], which the core has already logged with both sizes). The
    /// default is an empty `500 Internal Server Error`. Whatever `hook` returns is sent as it is,
    /// without a session cookie: the response the handler built assumed a session that was not
    /// saved, so it is discarded.
    ///
    /// ```
    /// use std::io::Cursor;
    /// use cookie_session::rocket::SessionFairing;
    /// use cookie_session::{CookieSessionFactory, Secret};
    /// use rocket::http::{ContentType, Status};
    /// use rocket::Response;
    ///
    /// let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let fairing = SessionFairing::new(factory).on_encode_error(|_request, _error| {
    ///     const BODY: &str = "Your session is full. Please remove something from your cart.";
    ///     Response::build()
    ///         .status(Status::InternalServerError)
    ///         .header(ContentType::Plain)
    ///         .sized_body(BODY.len(), Cursor::new(BODY))
    ///         .finalize()
    /// });
    /// # let _ = fairing;
    /// # Ok::<(), cookie_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn on_encode_error(
        mut self,
        hook: impl Fn(&Request<'_>, &EncodeError) -> Response<'static> + Send + Sync + 'static,
    ) -> Self {
        self.on_encode_error = Arc::new(hook);
        self
    }

    /// The factory this fairing uses.
    #[must_use]
    pub fn factory(&self) -> &CookieSessionFactory {
        &self.factory
    }
}

/// The default answer to a session that cannot be written: a bare 500, saying nothing about why.
fn opaque_internal_error(_: &Request<'_>, _: &EncodeError) -> Response<'static> {
    Response::build()
        .status(Status::InternalServerError)
        .sized_body(0, Cursor::new(""))
        .finalize()
}

/// The request's session handle, from its `Cookie` headers or, when it has none, the jar's cookie
/// of our name (Rocket's local test client puts cookies into the jar without writing a header).
/// Rocket itself drops `Cookie` headers that are not UTF-8.
fn lazy_session(req: &Request<'_>, factory: &CookieSessionFactory) -> LazySession {
    let headers = req.headers();
    if headers.contains("Cookie") {
        return LazySession::from_cookie_headers(
            factory.clone(),
            headers.get("Cookie").map(str::as_bytes),
        );
    }
    let name = factory.cookie_name();
    let jar_cookie = req
        .cookies()
        .get(name)
        .map(|cookie| format!("{name}={}", cookie.value()));
    LazySession::from_cookie_headers(factory.clone(), jar_cookie.as_deref().map(str::as_bytes))
}

#[rocket::async_trait]
impl Fairing for SessionFairing {
    fn info(&self) -> Info {
        Info {
            name: FAIRING_NAME,
            kind: Kind::Request | Kind::Response | Kind::Singleton,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _data: &mut Data<'_>) {
        let slot = request_session(req);
        slot.0.get_or_init(|| lazy_session(req, &self.factory));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Some(session) = request_session(req).0.get() else {
            return;
        };
        match session.finish(res.status().code) {
            Ok(None) => {}
            Ok(Some(set_cookie)) => {
                // Straight onto the response: the jar's changes were already taken (rocket#1863).
                res.adjoin_raw_header("Set-Cookie", String::from(set_cookie.as_str()));
            }
            Err(error) => *res = (self.on_encode_error)(req, &error),
        }
    }
}

/// The request guard for the current request's session.
///
/// It dereferences to [`LazySession`], so it has all of its methods (`get`, `insert`, `remove`,
/// `invalidate`, `flash`, `pop_flash`, `get_csrf_token`, `check_csrf_token`, `is_new`,
/// `load_error`, ...). Clones share the same session. The cookie is decoded on the first call,
/// not when the guard is taken.
///
/// Fails with `500 Internal Server Error` and [`MissingFairing`] when no [`SessionFairing`] is
/// attached.
///
/// ```
/// use cookie_session::rocket::Session;
/// use rocket::http::Status;
///
/// #[rocket::post("/logout")]
/// fn logout(session: Session) -> &'static str {
///     session.invalidate();
///     "Goodbye!"
/// }
///
/// #[rocket::post("/transfer", data = "<token>")]
/// fn transfer(session: Session, token: String) -> Status {
///     if session.check_csrf_token(&token) { Status::Ok } else { Status::Forbidden }
/// }
/// # let _ = rocket::routes![logout, transfer];
/// ```
#[derive(Debug, Clone)]
pub struct Session(LazySession);

impl Session {
    /// The underlying per-request handle.
    #[must_use]
    pub fn into_inner(self) -> LazySession {
        self.0
    }
}

impl std::ops::Deref for Session {
    type Target = LazySession;

    fn deref(&self) -> &LazySession {
        &self.0
    }
}

/// Why the [`Session`] guard failed: the [`SessionFairing`] is not attached to this `Rocket`
/// instance (or is attached after a fairing that asked for the session in its `on_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the cookie-session fairing is not attached: add `.attach(SessionFairing::new(factory))` \
     to the Rocket instance to use the `Session` guard"
)]
pub struct MissingFairing;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Session {
    type Error = MissingFairing;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match request_session(req).0.get() {
            Some(session) => Outcome::Success(Self(session.clone())),
            None => {
                tracing::error!(
                    path = %req.uri().path(),
                    "{MissingFairing}; answering 500 Internal Server Error"
                );
                Outcome::Error((Status::InternalServerError, MissingFairing))
            }
        }
    }
}
