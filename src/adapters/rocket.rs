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
//! * **The guard without the fairing** fails with `500 Internal Server Error` and
//!   [`MissingSessionMiddleware`]. Take `Option<Session>` to run without sessions.
//! * **Error responses and panics.** The fairing also runs for catcher responses (a handler
//!   returning `Status::InternalServerError`, a failing guard, a panicking handler). A panic
//!   looks like any other 500 to a fairing; the session knows it apart because the handler's
//!   guard was dropped while unwinding, and writes nothing.
//! * **Attach the fairing once**, before any other fairing that uses the guard in its own
//!   `on_request`. It is a singleton: attaching a second one replaces the first, so a response
//!   never carries two session cookies.
//! * **Keys are the factory's**, not Rocket's `secret_key` (which only protects Rocket's private
//!   cookies). No `cookie::Key` appears in this API, so cookie crate versions cannot clash.
//! * **`Secure` by default.** Browsers send `Secure` cookies to `http://localhost`, but not to
//!   other plain-HTTP hosts; turn it off explicitly there with
//!   [`CookieSessionBuilder::secure`](crate::CookieSessionBuilder::secure)`(false)`.
//! * **Testing with `rocket::local`:** the fairing reads the raw `Cookie` header; when a request
//!   has none (the local client's `.cookie(..)` and tracked clients fill Rocket's jar instead), it
//!   falls back to the jar's cookie of the session's name.
//!
//! Everything else (bad cookies, `set_on_error`, cache headers, oversized sessions) is the same
//! in every adapter: see the [adapter contract](crate::LazySession#the-adapter-contract).

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::{Data, Request, Response};

pub use super::MissingSessionMiddleware;
use crate::error::EncodeError;
use crate::factory::CookieSessionFactory;
use crate::lazy::{AfterResponse, LazySession, ResponseFacts};

/// The name under which the fairing appears in Rocket's launch log.
const FAIRING_NAME: &str = "cookie-session";

/// The hook that answers a session too large for its cookie: see
/// [`SessionFairing::on_encode_error`].
pub type EncodeErrorHook =
    Arc<dyn Fn(&Request<'_>, &EncodeError) -> Response<'static> + Send + Sync>;

/// The request-local slot the fairing fills. A private type, so no other code can occupy the
/// cache entry; a `OnceLock` so that a guard that ran before the fairing (from an earlier
/// fairing) does not keep the session out for the rest of the request.
#[derive(Default)]
struct SessionInRequest(OnceLock<LazySession>);

fn request_session<'a>(req: &'a Request<'_>) -> &'a SessionInRequest {
    req.local_cache(SessionInRequest::default)
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
    on_encode_error: EncodeErrorHook,
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
    // One look-up of the header map (its keys are compared without case).
    let mut cookie_headers = req.headers().get("Cookie").peekable();
    if cookie_headers.peek().is_some() {
        return LazySession::new(factory.clone(), cookie_headers.map(str::as_bytes));
    }
    let name = factory.cookie_name();
    let jar_cookie = req
        .cookies()
        .get(name)
        .map(|cookie| format!("{name}={}", cookie.value()));
    LazySession::new(factory.clone(), jar_cookie.as_deref().map(str::as_bytes))
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
        let facts = ResponseFacts {
            status: res.status().code,
            // Walked rather than looked up: the map hashes a name byte by byte (SipHash over
            // `Uncased`), dearer than comparing the few names of a response.
            has_cache_control: res
                .headers()
                .iter()
                .any(|header| header.name().as_str().eq_ignore_ascii_case("Cache-Control")),
        };
        match session.after_response(facts) {
            AfterResponse::Unchanged => {}
            AfterResponse::AppendHeaders(headers) => {
                // Straight onto the response: the jar's changes were already taken (rocket#1863).
                // The values move in: the constant ones are `'static`, the cookie its own `String`.
                for (name, value) in headers {
                    res.adjoin_raw_header(name, value);
                }
            }
            AfterResponse::Replace(error) => *res = (self.on_encode_error)(req, &error),
        }
    }
}

super::session_newtype! {
    /// The request guard for the current request's session.
    ///
    /// It dereferences to [`LazySession`]: `get`, `insert`, `remove`, `invalidate`, and the
    /// whole [`Session`](crate::Session) API through [`with`](LazySession::with). Clones share
    /// the same session. The cookie is decoded on the first call, not when the guard is taken.
    ///
    /// Fails with `500 Internal Server Error` and [`MissingSessionMiddleware`] when no
    /// [`SessionFairing`] is attached.
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
    ///     if session.with(|s| s.check_csrf_token(&token)) { Status::Ok } else { Status::Forbidden }
    /// }
    /// # let _ = rocket::routes![logout, transfer];
    /// ```
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Session {
    type Error = MissingSessionMiddleware;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match request_session(req).0.get() {
            Some(session) => Outcome::Success(Self(session.clone())),
            None => {
                let path = req.uri().path().to_string();
                let missing = MissingSessionMiddleware::logged(&path);
                Outcome::Error((Status::InternalServerError, missing))
            }
        }
    }
}
