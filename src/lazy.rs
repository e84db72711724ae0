//! [`LazySession`]: the per-request handle the framework adapters share.
//!
//! It holds the request's `Cookie` header and decodes it on first use, at most once, so a handler
//! that never touches the session pays nothing for it. After the handler, the adapter calls
//! [`LazySession::finish`] and appends the `Set-Cookie` it returns. Writing a new adapter for
//! another framework takes the same three steps.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{DecodeError, EncodeError};
use crate::factory::CookieSessionFactory;
use crate::header::{SetCookie, cookie_values};
use crate::session::Session;

/// A request's session, decoded lazily. Clones share the same session.
///
/// ```
/// use cookie_session::{CookieSessionFactory, LazySession, Secret};
/// let factory = CookieSessionFactory::new(Secret::generate())?;
///
/// // Request 1: no cookie; the handler writes.
/// let session = LazySession::new(factory.clone(), Vec::new());
/// session.insert("username", "john")?;
/// let set_cookie = session.finish(200)?.expect("a changed session sends a cookie");
///
/// // Request 2: the browser sends it back; a handler that never looks decodes nothing.
/// let header = format!("session={}", set_cookie.value());
/// let untouched = LazySession::new(factory.clone(), vec![header.clone()]);
/// assert!(!untouched.is_loaded());
/// assert!(untouched.finish(200)?.is_none());
///
/// let session = LazySession::new(factory, vec![header]);
/// assert_eq!(session.get::<String>("username")?.as_deref(), Some("john"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct LazySession {
    factory: CookieSessionFactory,
    state: Arc<Mutex<State>>,
}

enum State {
    /// The request's `Cookie` headers as they came: not even parsed until the session is used.
    Pending(Vec<Vec<u8>>),
    Loaded(Session),
}

impl std::fmt::Debug for LazySession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazySession")
            .field("loaded", &self.is_loaded())
            .finish_non_exhaustive()
    }
}

impl LazySession {
    /// A handle for one request, given the values of its `Cookie` headers.
    #[must_use]
    pub fn new(factory: CookieSessionFactory, cookie_headers: Vec<String>) -> Self {
        let headers = cookie_headers.into_iter().map(String::into_bytes).collect();
        Self::pending(factory, headers)
    }

    fn pending(factory: CookieSessionFactory, headers: Vec<Vec<u8>>) -> Self {
        Self {
            factory,
            state: Arc::new(Mutex::new(State::Pending(headers))),
        }
    }

    /// A handle for one request, given the raw bytes of its `Cookie` headers, as framework
    /// header types hold them. The headers are copied as they are and not even parsed until the
    /// session is used; then only this factory's cookies are looked at (at most four), and bytes
    /// that are not UTF-8 elsewhere in a header do not hide the session cookie.
    ///
    /// ```
    /// # use cookie_session::{CookieSessionFactory, LazySession, Secret};
    /// # let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let headers: [&[u8]; 2] = [b"theme=dark", b"session=garbage; lang=\xff"];
    /// let session = LazySession::from_cookie_headers(factory, headers);
    /// assert!(!session.is_loaded());
    /// assert_eq!(session.load_error().unwrap().code(), "malformed");
    /// # Ok::<(), cookie_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn from_cookie_headers<'a>(
        factory: CookieSessionFactory,
        cookie_headers: impl IntoIterator<Item = &'a [u8]>,
    ) -> Self {
        let headers = cookie_headers.into_iter().map(<[u8]>::to_vec).collect();
        Self::pending(factory, headers)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in another handler thread cannot leave a `Session` half-updated in a way that
        // matters more than losing the request, so a poisoned lock is simply taken over.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the session, decoding the cookie first if this is the first use: for several
    /// steps under one lock, or for [`Session`] methods this handle does not forward.
    ///
    /// Do not use this handle, or any clone of it, from inside `f`: the lock is held, so the
    /// call would deadlock (or panic). Use the `&mut Session` that `f` is given instead.
    ///
    /// ```
    /// # use cookie_session::{CookieSessionFactory, LazySession, Secret};
    /// # let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let session = LazySession::new(factory, Vec::new());
    /// let visits = session.with(|s| -> Result<u32, serde_json::Error> {
    ///     let visits = s.get::<u32>("visits")?.unwrap_or(0) + 1;
    ///     s.insert("visits", visits)?; // not `session.insert(..)`: that would deadlock
    ///     Ok(visits)
    /// })?;
    /// assert_eq!(visits, 1);
    /// assert!(session.with(|s| s.is_new() && s.is_changed()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        let mut state = self.lock();
        if let State::Pending(headers) = &*state {
            let now = self.factory.now();
            let name = self.factory.cookie_name();
            let headers: Vec<_> = headers.iter().map(|h| String::from_utf8_lossy(h)).collect();
            let candidates = headers
                .iter()
                .flat_map(|header| cookie_values(header, name));
            let session = self.factory.load_first_valid(candidates, now);
            *state = State::Loaded(session);
        }
        match &mut *state {
            State::Loaded(session) => f(session),
            State::Pending(_) => unreachable!("loaded just above"),
        }
    }

    /// Whether the cookie has been decoded yet (the session was used in this request).
    #[must_use]
    pub fn is_loaded(&self) -> bool {
        matches!(&*self.lock(), State::Loaded(_))
    }

    /// The `Set-Cookie` for a response with HTTP status `status`, if the session needs one.
    /// Nothing for a session that was never used.
    ///
    /// # Errors
    /// [`EncodeError::TooLarge`] (already logged at error level with both sizes): the adapter
    /// should answer 500 rather than send a response whose session was silently lost.
    ///
    /// A session left behind by a handler that panicked while using it sends nothing.
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, LazySession, Secret};
    /// let factory = CookieSessionFactory::builder(Secret::generate())
    ///     .set_on_error(false)
    ///     .build()?;
    /// let session = LazySession::new(factory, Vec::new());
    /// assert!(session.finish(200)?.is_none(), "never used: nothing to send");
    ///
    /// session.insert("user", 7)?;
    /// assert!(session.finish(500)?.is_none(), "a 5xx response, with `set_on_error` off");
    /// assert!(session.finish(200)?.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish(&self, status: u16) -> Result<Option<SetCookie>, EncodeError> {
        if self.state.is_poisoned() {
            // A handler panicked while changing the session: its changes may be half made, so
            // none of them are sent.
            tracing::error!("a handler panicked while using the session; no cookie is sent");
            return Ok(None);
        }
        match &*self.lock() {
            State::Pending(_) => Ok(None),
            State::Loaded(session) => {
                self.factory
                    .finish_for_status(session, status, self.factory.now())
            }
        }
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

    /// See [`Session::mark_changed`].
    pub fn mark_changed(&self) {
        self.with(Session::mark_changed);
    }

    /// See [`Session::flash`].
    ///
    /// # Errors
    /// When `message` cannot be represented as JSON.
    pub fn flash<T: Serialize>(
        &self,
        queue: &str,
        message: T,
        allow_duplicate: bool,
    ) -> Result<(), serde_json::Error> {
        self.with(|s| s.flash(queue, message, allow_duplicate))
    }

    /// See [`Session::peek_flash`] (returns a copy).
    #[must_use]
    pub fn peek_flash(&self, queue: &str) -> Vec<Value> {
        self.with(|s| s.peek_flash(queue).to_vec())
    }

    /// See [`Session::pop_flash`].
    pub fn pop_flash(&self, queue: &str) -> Vec<Value> {
        self.with(|s| s.pop_flash(queue))
    }

    /// See [`Session::get_csrf_token`].
    pub fn get_csrf_token(&self) -> String {
        self.with(Session::get_csrf_token)
    }

    /// See [`Session::new_csrf_token`].
    pub fn new_csrf_token(&self) -> String {
        self.with(Session::new_csrf_token)
    }

    /// See [`Session::check_csrf_token`].
    #[must_use]
    pub fn check_csrf_token(&self, supplied: &str) -> bool {
        self.with(|s| s.check_csrf_token(supplied))
    }

    /// See [`Session::is_new`].
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.with(|s| s.is_new())
    }

    /// See [`Session::load_error`].
    #[must_use]
    pub fn load_error(&self) -> Option<DecodeError> {
        self.with(|s| s.load_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyRing, Secret, UnixTime};

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
        let session = LazySession::new(factory.clone(), vec![header.clone()]);
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

        let untouched = LazySession::new(factory.clone(), vec![header]);
        assert!(untouched.finish(200).unwrap().is_none());
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
        let session = LazySession::from_cookie_headers(
            factory.clone(),
            [b"lang=\xff".as_slice(), others.as_bytes()],
        );
        assert_eq!(
            session.get::<String>("user").unwrap().as_deref(),
            Some("john")
        );

        let crowded = format!("{}{header}", "session=x; ".repeat(4));
        let session = LazySession::from_cookie_headers(factory, [crowded.as_bytes()]);
        assert!(session.is_new(), "the fifth candidate is not tried");
    }
}
