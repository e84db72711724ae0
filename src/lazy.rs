//! [`LazySession`]: the per-request handle every framework adapter is built on, and the contract
//! an adapter follows ([`AfterResponse`]).
//!
//! It holds the request's `Cookie` headers and decodes them on first use, at most once, so a
//! handler that never touches the session pays nothing for it.
//!
//! # The adapter contract
//!
//! Every adapter (and one you write for another framework) does the same three things:
//!
//! 1. Before the handler: make a [`LazySession`] from the request's `Cookie` header values with
//!    [`LazySession::new`] and hand clones of it to the handler (request extensions, a local
//!    cache, ...). Nothing is decoded yet.
//! 2. Let the handler run. It uses the session through its clone.
//! 3. After the handler: call [`LazySession::after_response`] with the [`ResponseFacts`] and do
//!    what the [`AfterResponse`] says: nothing, append the listed headers, or replace the response
//!    (an opaque 500 by default) because the session could not be written.
//!
//! What this gives every adapter alike:
//!
//! - **Bad cookies** (malformed, tampered, unknown key, expired) never fail the request: the
//!   handler sees a new session, and [`Session::load_error`] says why.
//! - **`Set-Cookie`** is appended (never replacing one the handler set) only when the session
//!   changed, was re-issued after `reissue_time`, verified under a verify-only key (rotation) or
//!   was invalidated. An untouched session sends nothing.
//! - **Error responses** (5xx) carry the cookie only with
//!   [`set_on_error`](crate::CookieSessionBuilder::set_on_error); the status decides, so a handler
//!   error that became a 500 counts.
//! - **A panicking handler commits nothing**, whatever `set_on_error` says: a handle dropped while
//!   its thread unwinds (the handler's own clone, when the framework or a layer catches the
//!   panic) marks the session abandoned, and it is never written. So does a panic inside
//!   [`LazySession::with`]. A handler that catches a panic itself while holding the session is
//!   treated the same way.
//! - **Caches**: with [`cache_headers`](crate::CookieSessionBuilder::cache_headers) on (the
//!   default), a response whose session was used gets `Vary: Cookie` appended, and one that
//!   carries the session's `Set-Cookie` gets `Cache-Control: private` unless the handler set its
//!   own `Cache-Control`, so a shared cache never stores or serves one user's cookie to another.
//! - **A session too large for a cookie** is never silently dropped: the core logs
//!   [`EncodeError::TooLarge`] with both sizes and the adapter replaces the response with an
//!   empty `500 Internal Server Error` without a session cookie; each adapter's
//!   `on_encode_error` hook chooses another response.
//! - **The extractor without the middleware** fails with a 500, logged at error level, and never
//!   panics; the rejection is each adapter's `MissingSessionMiddleware`.
//! - **Streaming bodies**: headers are decided when the handler returns its response; session
//!   changes made while a streamed body is produced are not written.
//! - **One clock read per request**: the session is loaded and finished with the same time, read
//!   on its first use (as Pyramid stamps a cookie with the time its request began).
//! - **One factory**: build the [`CookieSessionFactory`] once and clone it into the
//!   middleware; a factory per worker built with [`Secret::generate`](crate::Secret::generate)
//!   would give each worker its own key.
//! - [`LazySession::with`] holds the session lock while its closure runs: do not use the session
//!   from inside the closure, and do not hold anything across an `.await` there.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::EncodeError;
use crate::factory::CookieSessionFactory;
use crate::header::{SetCookie, cookie_values, value_text};
use crate::session::Session;
use crate::time::UnixTime;

/// A request's session, decoded lazily. Clones share the same session.
///
/// The shortcuts [`get`](Self::get), [`insert`](Self::insert), [`remove`](Self::remove) and
/// [`invalidate`](Self::invalidate) cover most handlers; everything else of [`Session`] (flash
/// messages, CSRF tokens, `is_new`, `load_error`, ...) is one [`with`](Self::with) away.
///
/// ```
/// use cookie_session::{AfterResponse, CookieSessionFactory, LazySession, ResponseFacts, Secret};
/// let factory = CookieSessionFactory::new(Secret::generate())?;
/// let ok = ResponseFacts { status: 200, has_cache_control: false };
///
/// // Request 1: no cookie; the handler writes.
/// let session = LazySession::new(factory.clone(), []);
/// session.insert("username", "john")?;
/// let AfterResponse::AppendHeaders(headers) = session.after_response(ok) else { panic!() };
/// let set_cookie = headers.set_cookie().expect("a changed session sends a cookie");
///
/// // Request 2: the browser sends it back; a handler that never looks decodes nothing.
/// let header = format!("session={}", set_cookie.value());
/// let untouched = LazySession::new(factory.clone(), [header.as_bytes()]);
/// assert!(!untouched.is_loaded());
/// assert!(matches!(untouched.after_response(ok), AfterResponse::Unchanged));
///
/// let session = LazySession::new(factory, [header.as_bytes()]);
/// assert_eq!(session.get::<String>("username")?.as_deref(), Some("john"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct LazySession {
    factory: CookieSessionFactory,
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Set when a handle is dropped while its thread unwinds from a panic: the handler did not
    /// finish, so whatever it changed may be half done.
    abandoned_by_panic: AtomicBool,
}

enum State {
    /// The request's `Cookie` headers as they came, joined with `;` (one allocation, and the
    /// same cookie pairs as the separate headers): not even parsed until the session is used.
    Pending(Vec<u8>),
    /// The session, and the time it was loaded at: the request's one clock read, also used to
    /// finish it (as Pyramid stamps a cookie with the time its request began).
    Loaded { session: Session, now: UnixTime },
}

/// What an adapter knows about the response when the handler is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseFacts {
    /// The HTTP status code.
    pub status: u16,
    /// Whether the response already has a `Cache-Control` header (the handler's own choice,
    /// which is never overridden).
    pub has_cache_control: bool,
}

/// What an adapter does to the response after the handler: the answer of
/// [`LazySession::after_response`]. See the [adapter contract](crate::LazySession#the-adapter-contract).
#[derive(Debug)]
pub enum AfterResponse {
    /// Send the response as it is (the session was not used, or must not be written).
    Unchanged,
    /// Append these headers to the response, keeping any it has of the same names.
    AppendHeaders(SessionHeaders),
    /// The session could not be written (already logged): send another response instead, an
    /// empty `500 Internal Server Error` unless the user chose one, without a session cookie.
    /// The handler's response assumed a saved session, so it is discarded.
    Replace(EncodeError),
}

/// The headers a used session adds to a response: any of `Set-Cookie`, `Vary: Cookie`,
/// `Cache-Control: private`. Every value is a valid header value.
#[derive(Debug)]
pub struct SessionHeaders {
    set_cookie: Option<SetCookie>,
    vary_cookie: bool,
    cache_control_private: bool,
}

/// `Vary: Cookie`, as [`SessionHeaders`] lists it.
const VARY_COOKIE: (&str, &str) = ("vary", "Cookie");
/// `Cache-Control: private`, as [`SessionHeaders`] lists it.
const CACHE_CONTROL_PRIVATE: (&str, &str) = ("cache-control", "private");
/// The name of the `Set-Cookie` header, as [`SessionHeaders`] lists it.
const SET_COOKIE: &str = "set-cookie";

impl SessionHeaders {
    /// The session cookie to set, if the session needs one.
    #[must_use]
    pub fn set_cookie(&self) -> Option<&SetCookie> {
        self.set_cookie.as_ref()
    }

    /// Each header as `(name, value)`, in the order to append them. Names are lowercase, as
    /// HTTP/2 and the `http` crate spell them.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let set_cookie = self
            .set_cookie
            .as_ref()
            .map(|cookie| (SET_COOKIE, cookie.as_str()));
        let vary = self.vary_cookie.then_some(VARY_COOKIE);
        let cache_control = self.cache_control_private.then_some(CACHE_CONTROL_PRIVATE);
        set_cookie.into_iter().chain(vary).chain(cache_control)
    }
}

type OneHeader = std::option::IntoIter<(&'static str, Cow<'static, str>)>;

/// The same headers as [`SessionHeaders::iter`], owned: the constant values are borrowed for
/// `'static` and the `Set-Cookie` value is the cookie's own `String`, so an adapter can hand each
/// to its framework without copying it.
///
/// ```
/// use std::borrow::Cow;
/// use cookie_session::{AfterResponse, CookieSessionFactory, LazySession, ResponseFacts, Secret};
/// let factory = CookieSessionFactory::new(Secret::generate())?;
/// let session = LazySession::new(factory, []);
/// session.insert("user", 7)?;
/// let ok = ResponseFacts { status: 200, has_cache_control: false };
/// let AfterResponse::AppendHeaders(headers) = session.after_response(ok) else { panic!() };
/// let owned: Vec<(&str, Cow<'static, str>)> = headers.into_iter().collect();
/// assert!(matches!(&owned[0], ("set-cookie", Cow::Owned(cookie)) if cookie.starts_with("session=")));
/// assert!(matches!(owned[1], ("vary", Cow::Borrowed("Cookie"))));
/// assert!(matches!(owned[2], ("cache-control", Cow::Borrowed("private"))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl IntoIterator for SessionHeaders {
    type Item = (&'static str, Cow<'static, str>);
    type IntoIter = std::iter::Chain<std::iter::Chain<OneHeader, OneHeader>, OneHeader>;

    fn into_iter(self) -> Self::IntoIter {
        let borrowed = |(name, value): (&'static str, &'static str)| (name, Cow::Borrowed(value));
        let set_cookie = self
            .set_cookie
            .map(|cookie| (SET_COOKIE, Cow::Owned(cookie.into_string())));
        let vary = self.vary_cookie.then_some(VARY_COOKIE).map(borrowed);
        let cache_control = self
            .cache_control_private
            .then_some(CACHE_CONTROL_PRIVATE)
            .map(borrowed);
        set_cookie.into_iter().chain(vary).chain(cache_control)
    }
}

impl std::fmt::Debug for LazySession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazySession")
            .field("loaded", &self.is_loaded())
            .finish_non_exhaustive()
    }
}

impl Drop for LazySession {
    fn drop(&mut self) {
        // The handler's clones are dropped while a panic unwinds through it (also in an async
        // handler: a future's locals are dropped as the panic leaves its `poll`), which is the
        // one signal every framework gives, whether or not it turns the panic into a 500.
        if std::thread::panicking() {
            self.shared
                .abandoned_by_panic
                .store(true, Ordering::Relaxed);
        }
    }
}

impl LazySession {
    /// A handle for one request, given the raw bytes of its `Cookie` headers, as framework
    /// header types hold them. The headers are copied as they are and not even parsed until the
    /// session is used; then only this factory's cookies are looked at (at most four), and bytes
    /// that are not UTF-8 elsewhere in a header do not hide the session cookie.
    ///
    /// ```
    /// # use cookie_session::{CookieSessionFactory, LazySession, Secret};
    /// # let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let headers: [&[u8]; 2] = [b"theme=dark", b"session=garbage; lang=\xff"];
    /// let session = LazySession::new(factory, headers);
    /// assert!(!session.is_loaded());
    /// assert_eq!(session.with(|s| s.load_error()).unwrap().code(), "malformed");
    /// # Ok::<(), cookie_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn new<'a>(
        factory: CookieSessionFactory,
        cookie_headers: impl IntoIterator<Item = &'a [u8]>,
    ) -> Self {
        let mut headers = Vec::new();
        for header in cookie_headers {
            if !headers.is_empty() {
                headers.push(b';');
            }
            headers.extend_from_slice(header);
        }
        Self {
            factory,
            shared: Arc::new(Shared {
                state: Mutex::new(State::Pending(headers)),
                abandoned_by_panic: AtomicBool::new(false),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means a handler panicked inside `with`; `after_response` refuses to
        // write such a session, and reading it is no worse than any other use after a panic.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the session, decoding the cookie first if this is the first use: for several
    /// steps under one lock, or for any [`Session`] method without a shortcut here.
    ///
    /// Do not use this handle, or any clone of it, from inside `f`: the lock is held, so the
    /// call would deadlock (or panic). Use the `&mut Session` that `f` is given instead.
    ///
    /// ```
    /// # use cookie_session::{CookieSessionFactory, LazySession, Secret};
    /// # let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let session = LazySession::new(factory, []);
    /// let visits = session.with(|s| -> Result<u32, serde_json::Error> {
    ///     let visits = s.get::<u32>("visits")?.unwrap_or(0) + 1;
    ///     s.insert("visits", visits)?; // not `session.insert(..)`: that would deadlock
    ///     Ok(visits)
    /// })?;
    /// assert_eq!(visits, 1);
    /// assert!(session.with(|s| s.is_new() && s.is_changed()));
    /// let token = session.with(|s| s.get_csrf_token());
    /// assert!(session.with(|s| s.check_csrf_token(&token)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        let mut state = self.lock();
        if let State::Pending(headers) = &*state {
            let now = self.factory.now();
            // Parsed as bytes: only our own cookie values are checked for UTF-8, never the
            // rest of the header (mostly other cookies).
            let candidates = cookie_values(headers, self.factory.cookie_name()).map(value_text);
            let session = self.factory.load_first_valid(candidates, now);
            *state = State::Loaded { session, now };
        }
        match &mut *state {
            State::Loaded { session, .. } => f(session),
            State::Pending(_) => unreachable!("loaded just above"),
        }
    }

    /// Whether the cookie has been decoded yet (the session was used in this request).
    #[must_use]
    pub fn is_loaded(&self) -> bool {
        matches!(&*self.lock(), State::Loaded { .. })
    }

    /// What the adapter must do to the response once the handler is done: see the
    /// [adapter contract](crate::LazySession#the-adapter-contract). Call it once per request.
    ///
    /// ```
    /// use cookie_session::{AfterResponse, CookieSessionFactory, LazySession, ResponseFacts, Secret};
    /// let factory = CookieSessionFactory::builder(Secret::generate())
    ///     .set_on_error(false)
    ///     .build()?;
    /// let facts = |status| ResponseFacts { status, has_cache_control: false };
    /// let session = LazySession::new(factory, []);
    /// assert!(matches!(session.after_response(facts(200)), AfterResponse::Unchanged));
    ///
    /// session.insert("user", 7)?;
    /// let AfterResponse::AppendHeaders(headers) = session.after_response(facts(500)) else {
    ///     panic!()
    /// };
    /// assert!(headers.set_cookie().is_none(), "a 5xx response, with `set_on_error` off");
    /// assert_eq!(headers.iter().collect::<Vec<_>>(), [("vary", "Cookie")]);
    ///
    /// let AfterResponse::AppendHeaders(headers) = session.after_response(facts(200)) else {
    ///     panic!()
    /// };
    /// let names: Vec<_> = headers.iter().map(|(name, _)| name).collect();
    /// assert_eq!(names, ["set-cookie", "vary", "cache-control"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn after_response(&self, response: ResponseFacts) -> AfterResponse {
        if self.shared.state.is_poisoned() || self.shared.abandoned_by_panic.load(Ordering::Relaxed)
        {
            tracing::error!("the handler panicked while holding the session; nothing is written");
            return AfterResponse::Unchanged;
        }
        let state = self.lock();
        let State::Loaded { session, now } = &*state else {
            return AfterResponse::Unchanged;
        };
        let set_cookie = match self
            .factory
            .finish_for_status(session, response.status, *now)
        {
            Ok(set_cookie) => set_cookie,
            // Already logged by the core.
            Err(error) => return AfterResponse::Replace(error),
        };
        let cache_headers = self.factory.cache_headers();
        let headers = SessionHeaders {
            vary_cookie: cache_headers,
            cache_control_private: cache_headers
                && set_cookie.is_some()
                && !response.has_cache_control,
            set_cookie,
        };
        if headers.iter().next().is_none() {
            return AfterResponse::Unchanged;
        }
        AfterResponse::AppendHeaders(headers)
    }

    /// The factory this session belongs to.
    #[must_use]
    pub fn factory(&self) -> &CookieSessionFactory {
        &self.factory
    }

    /// See [`Session::get`].
    ///
    /// # Errors
    /// When the stored JSON does not fit `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, serde_json::Error> {
        self.with(|s| s.get(key))
    }

    /// See [`Session::insert`].
    ///
    /// # Errors
    /// When `value` cannot be represented as JSON.
    pub fn insert<T: Serialize>(
        &self,
        key: impl Into<String>,
        value: T,
    ) -> Result<Option<Value>, serde_json::Error> {
        self.with(|s| s.insert(key, value))
    }

    /// See [`Session::remove`].
    pub fn remove(&self, key: &str) -> Option<Value> {
        self.with(|s| s.remove(key))
    }

    /// See [`Session::invalidate`].
    pub fn invalidate(&self) {
        self.with(Session::invalidate);
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyRing, Secret, UnixTime};

    const OK: ResponseFacts = ResponseFacts {
        status: 200,
        has_cache_control: false,
    };

    /// A cookie signed by a verify-only key bumps `fallback_verifications` each time it is
    /// decoded, which makes the number of decodes visible.
    fn rotated_setup() -> (CookieSessionFactory, String) {
        let (old, new) = (
            Secret::from_bytes(vec![1; 32]),
            Secret::from_bytes(vec![2; 32]),
        );
        let before = CookieSessionFactory::new(old.clone()).unwrap();
        let mut session = before.load(None, UnixTime::now());
        session.insert("user", "john").unwrap();
        let cookie = before.finish(&session, UnixTime::now()).unwrap().unwrap();
        let after = CookieSessionFactory::new(KeyRing::new(new).with_verify_only(old)).unwrap();
        (after, format!("session={}", cookie.value()))
    }

    #[test]
    fn decodes_at_most_once_and_only_when_used() {
        let (factory, header) = rotated_setup();
        let session = LazySession::new(factory.clone(), [header.as_bytes()]);
        let clone = session.clone();
        assert_eq!(factory.stats().fallback_verifications, 0);
        assert_eq!(
            session.get::<String>("user").unwrap().as_deref(),
            Some("john")
        );
        assert_eq!(
            clone.get::<String>("user").unwrap().as_deref(),
            Some("john")
        );
        session.with(|s| assert!(s.contains_key("user")));
        assert_eq!(
            factory.stats().fallback_verifications,
            1,
            "one decode for three uses"
        );

        let untouched = LazySession::new(factory.clone(), [header.as_bytes()]);
        assert!(matches!(
            untouched.after_response(OK),
            AfterResponse::Unchanged
        ));
        assert_eq!(
            factory.stats().fallback_verifications,
            1,
            "never used, never decoded"
        );
    }

    #[test]
    fn finds_our_cookie_among_others_and_tries_at_most_four() {
        let (factory, header) = rotated_setup();
        let others = format!("a=1; session=x; b=2; {header}");
        let session = LazySession::new(
            factory.clone(),
            [b"lang=\xff".as_slice(), others.as_bytes()],
        );
        assert_eq!(
            session.get::<String>("user").unwrap().as_deref(),
            Some("john")
        );

        let crowded = format!("{}{header}", "session=x; ".repeat(4));
        let session = LazySession::new(factory, [crowded.as_bytes()]);
        assert!(
            session.with(|s| s.is_new()),
            "the fifth candidate is not tried"
        );
    }

    #[test]
    fn a_value_that_is_not_utf8_is_malformed_and_does_not_hide_a_valid_duplicate() {
        let (factory, header) = rotated_setup();
        let session = LazySession::new(factory.clone(), [b"session=ab\xffcd".as_slice()]);
        assert_eq!(
            session.with(|s| s.load_error().map(|e| e.code())),
            Some("malformed")
        );

        let headers = [
            b"session=\xff\xfe; lang=\xe2\x82".as_slice(),
            header.as_bytes(),
        ];
        let session = LazySession::new(factory, headers);
        assert_eq!(
            session.get::<String>("user").unwrap().as_deref(),
            Some("john")
        );
    }

    #[test]
    fn separate_cookie_headers_never_merge_into_one_pair() {
        let (factory, header) = rotated_setup();
        // Joined without a separator, `session=x` and the valid cookie's `session=...` would
        // read as one value `xsession=...`; the headers stay separate pairs.
        let session = LazySession::new(
            factory.clone(),
            [b"session=x".as_slice(), b"".as_slice(), header.as_bytes()],
        );
        assert_eq!(
            session.get::<String>("user").unwrap().as_deref(),
            Some("john")
        );
        // And a header cut in the middle of a pair does not join its halves.
        let (name, value) = header.split_at(4);
        let split = LazySession::new(factory, [name.as_bytes(), value.as_bytes()]);
        assert!(split.with(|s| s.is_new()));
    }

    fn appended(session: &LazySession, facts: ResponseFacts) -> Vec<(String, String)> {
        match session.after_response(facts) {
            AfterResponse::Unchanged => Vec::new(),
            AfterResponse::AppendHeaders(headers) => headers
                .iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
            AfterResponse::Replace(error) => panic!("unexpected {error}"),
        }
    }

    fn names(headers: &[(String, String)]) -> Vec<&str> {
        headers.iter().map(|(name, _)| name.as_str()).collect()
    }

    #[test]
    fn a_handler_that_panics_after_a_change_writes_nothing() {
        let factory = CookieSessionFactory::builder(Secret::generate())
            .set_on_error(true)
            .build()
            .unwrap();
        let session = LazySession::new(factory, []);
        let handlers_clone = session.clone();
        let outcome = std::thread::spawn(move || {
            handlers_clone.insert("user", "half done").unwrap();
            panic!("the handler fails after changing the session");
        })
        .join();
        assert!(outcome.is_err());
        assert!(session.with(|s| s.is_changed()), "the change is there");
        assert!(matches!(
            session.after_response(ResponseFacts { status: 500, ..OK }),
            AfterResponse::Unchanged
        ));
        assert!(matches!(
            session.after_response(OK),
            AfterResponse::Unchanged
        ));
    }

    #[test]
    fn a_panic_inside_with_writes_nothing() {
        let factory = CookieSessionFactory::new(Secret::generate()).unwrap();
        let session = LazySession::new(factory, []);
        let handlers_clone = session.clone();
        let outcome = std::thread::spawn(move || {
            // The clone is moved into the closure's thread and dropped by it normally after
            // the caught panic: only the poisoned lock tells.
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                handlers_clone.with(|s| {
                    s.insert("user", "half done").unwrap();
                    panic!("mid-change");
                })
            }));
            caught.is_err()
        })
        .join();
        assert!(outcome.unwrap());
        assert!(matches!(
            session.after_response(OK),
            AfterResponse::Unchanged
        ));
    }

    #[test]
    fn a_used_session_varies_on_cookie_and_a_set_cookie_is_private() {
        let factory = CookieSessionFactory::new(Secret::generate()).unwrap();
        let read_only = LazySession::new(factory.clone(), []);
        let _ = read_only.get::<u32>("user").unwrap();
        assert_eq!(
            appended(&read_only, OK),
            [("vary".to_owned(), "Cookie".to_owned())]
        );

        let written = LazySession::new(factory.clone(), []);
        written.insert("user", 7).unwrap();
        let headers = appended(&written, OK);
        assert_eq!(names(&headers), ["set-cookie", "vary", "cache-control"]);
        assert_eq!(headers[2].1, "private");

        let own_cache_control = ResponseFacts {
            has_cache_control: true,
            ..OK
        };
        assert_eq!(
            names(&appended(&written, own_cache_control)),
            ["set-cookie", "vary"],
            "the handler's Cache-Control is kept"
        );

        let untouched = LazySession::new(factory, []);
        assert!(appended(&untouched, OK).is_empty());
    }

    #[test]
    fn cache_headers_can_be_turned_off() {
        let factory = CookieSessionFactory::builder(Secret::generate())
            .cache_headers(false)
            .build()
            .unwrap();
        let read_only = LazySession::new(factory.clone(), []);
        let _ = read_only.get::<u32>("user").unwrap();
        assert!(matches!(
            read_only.after_response(OK),
            AfterResponse::Unchanged
        ));
        let written = LazySession::new(factory, []);
        written.insert("user", 7).unwrap();
        assert_eq!(names(&appended(&written, OK)), ["set-cookie"]);
    }
}
