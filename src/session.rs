//! The session of one request: a JSON object with Pyramid's timestamps and dirty tracking.
//!
//! Reads ("accesses") and writes ("mutations") are told apart the way Pyramid tells them apart,
//! because that decides whether the response carries a `Set-Cookie`:
//!
//! * a mutation always re-sends the cookie;
//! * an access re-sends it only when the cookie is older than `reissue_time`, so active readers
//!   are not logged out by the idle `timeout`;
//! * an untouched session sends nothing.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::DecodeError;
use crate::keys::KeyStamp;
use crate::state::SessionState;
use crate::time::UnixTime;

mod csrf;
mod flash;

pub use csrf::CSRF_TOKEN_KEY;
pub use flash::FLASH_KEY_PREFIX;

/// A session: the state map, its `created` and `accessed` times, and what happened to it during
/// this request.
///
/// Sessions come from [`CookieSessionFactory::load`](crate::CookieSessionFactory::load) and go
/// back through [`CookieSessionFactory::finish`](crate::CookieSessionFactory::finish).
///
/// ```
/// use cookie_session::{CookieSessionFactory, Secret, UnixTime};
/// let factory = CookieSessionFactory::new(Secret::generate())?;
/// let now = UnixTime::from_secs(1_700_000_000);
/// let mut session = factory.load(None, now);
/// assert!(session.is_new());
/// session.insert("user_id", 42)?;
/// assert_eq!(session.get::<u32>("user_id")?, Some(42));
/// assert!(session.is_changed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `Debug` shows the state's keys, not its values: a session may hold a CSRF token or personal
/// data, and debug output ends up in logs.
pub struct Session {
    state: SessionState,
    created: f64,
    /// The `accessed` stamp the cookie carried, or the load time for a new session.
    accessed: f64,
    /// The request's time, by the factory's clock: "now" for `regenerate`.
    loaded_at: f64,
    load_error: Option<DecodeError>,
    /// Which key of the ring verified the cookie; `None` for a new session.
    key_index: Option<usize>,
    /// The key that verified the cookie, to check at `finish` that it is still in the ring.
    verified_by: Option<KeyStamp>,
    /// Whether the cookie is re-sent even when nothing changes (decided at load).
    resend: Resend,
    /// Set by every access and mutation in this request (an atomic so that `&self` reads can set
    /// it and the session stays `Sync`).
    touched: AtomicBool,
    /// What the handler did to the state.
    edit: Edit,
}

/// When a loaded cookie is re-sent although nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resend {
    Never,
    /// Read after `reissue_time`: re-sent with a fresh `accessed`, if the handler reads it.
    IfRead,
    /// Verified under a verify-only key or in the other native suite: re-issued under the
    /// primary key in the configured suite.
    Always,
}

/// What the handler did to the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Untouched,
    Changed,
    /// Changed, and [`Session::invalidate`] was called.
    Invalidated,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("keys", &self.state.keys().collect::<Vec<_>>())
            .field("created", &self.created)
            .field("accessed", &self.accessed)
            .field("is_new", &self.is_new())
            .field("load_error", &self.load_error)
            .field("key_index", &self.key_index)
            .field("changed", &self.is_changed())
            .field("invalidated", &self.is_invalidated())
            .finish_non_exhaustive()
    }
}

impl Clone for Session {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            created: self.created,
            accessed: self.accessed,
            loaded_at: self.loaded_at,
            load_error: self.load_error,
            key_index: self.key_index,
            verified_by: self.verified_by,
            resend: self.resend,
            touched: AtomicBool::new(self.was_touched()),
            edit: self.edit,
        }
    }
}

/// A session as the factory loads it from the request's cookie (or makes it new).
pub(crate) struct Loaded {
    pub(crate) state: SessionState,
    pub(crate) created: f64,
    pub(crate) accessed: f64,
    pub(crate) loaded_at: f64,
    pub(crate) load_error: Option<DecodeError>,
    pub(crate) key_index: Option<usize>,
    pub(crate) verified_by: Option<KeyStamp>,
    pub(crate) resend: Resend,
}

impl Session {
    pub(crate) fn from_loaded(loaded: Loaded) -> Self {
        Self {
            state: loaded.state,
            created: loaded.created,
            accessed: loaded.accessed,
            loaded_at: loaded.loaded_at,
            load_error: loaded.load_error,
            key_index: loaded.key_index,
            verified_by: loaded.verified_by,
            resend: loaded.resend,
            touched: AtomicBool::new(false),
            edit: Edit::Untouched,
        }
    }

    fn touch(&self) {
        self.touched.store(true, Ordering::Relaxed);
    }

    fn mutate(&mut self) -> &mut SessionState {
        self.touch();
        self.mark_changed();
        &mut self.state
    }

    // ----- typed access -------------------------------------------------------------------

    /// The value under `key`, deserialized as `T`. An access.
    ///
    /// # Errors
    /// When the stored JSON does not fit `T`.
    ///
    /// ```
    /// # let mut session = cookie_session::Session::default();
    /// session.insert("roles", ["admin", "editor"])?;
    /// let roles: Option<Vec<String>> = session.get("roles")?;
    /// assert_eq!(roles.unwrap(), ["admin", "editor"]);
    /// assert!(session.get::<u64>("roles").is_err());
    /// assert_eq!(session.get::<u64>("missing")?, None);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, serde_json::Error> {
        self.touch();
        self.state.get(key)
    }

    /// The JSON value under `key` as a tree. An access. The first call for a value read from
    /// the cookie parses it (once); [`get`](Self::get) deserializes straight from the cookie's
    /// text instead.
    #[must_use]
    pub fn get_value(&self, key: &str) -> Option<&Value> {
        self.touch();
        self.state.get_value(key)
    }

    /// Stores `value` under `key` and returns the previous value. A mutation.
    ///
    /// # Errors
    /// When `value` cannot be represented as JSON (for example a map with non-string keys);
    /// the session is then unchanged.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// # let mut session = cookie_session::Session::default();
    /// assert_eq!(session.insert("user", 7)?, None);
    /// assert_eq!(session.insert("user", 8)?, Some(7.into()));
    ///
    /// let by_pair = BTreeMap::from([((1, 2), "a")]); // tuple keys are not JSON object keys
    /// assert!(session.insert("grid", by_pair).is_err());
    /// assert!(!session.contains_key("grid"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn insert<T: Serialize>(
        &mut self,
        key: impl Into<String>,
        value: T,
    ) -> Result<Option<Value>, serde_json::Error> {
        let value = serde_json::to_value(value)?;
        Ok(self.insert_value(key, value))
    }

    /// Stores a raw JSON value under `key` and returns the previous one. A mutation.
    pub fn insert_value(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        self.mutate().insert_value(key, value)
    }

    /// Removes `key` and returns its value. A mutation even when the key is absent (as in
    /// Pyramid, where `pop` always marks the session changed).
    ///
    /// ```
    /// # use cookie_session::{CookieSessionFactory, Secret, UnixTime};
    /// # let factory = CookieSessionFactory::new(Secret::generate())?;
    /// # let now = UnixTime::from_secs(1_700_000_000);
    /// let mut session = factory.load(None, now);
    /// assert_eq!(session.remove("user"), None);
    /// assert!(session.is_changed(), "a mutation even though nothing was there");
    /// assert!(factory.finish(&session, now)?.is_some());
    ///
    /// session.insert("user", 7)?;
    /// assert_eq!(session.remove("user"), Some(7.into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.mutate().remove(key)
    }

    /// Removes every key. A mutation.
    pub fn clear(&mut self) {
        self.mutate().clear();
    }

    /// Whether `key` is present. An access.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.touch();
        self.state.contains_key(key)
    }

    /// Number of keys. An access.
    #[must_use]
    pub fn len(&self) -> usize {
        self.touch();
        self.state.len()
    }

    /// Whether the session holds no keys. An access.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.touch();
        self.state.is_empty()
    }

    /// The whole state: its keys and values (raw JSON text for values read from the cookie; see
    /// [`SessionState`] for what each of its methods costs). An access.
    #[must_use]
    pub fn state(&self) -> &SessionState {
        self.touch();
        &self.state
    }

    /// The whole state, mutably. A mutation: the session is marked changed when this is called,
    /// whatever is done with the reference.
    ///
    /// ```
    /// # let mut session = cookie_session::Session::default();
    /// let _ = session.state_mut();
    /// assert!(session.is_changed(), "borrowing is enough");
    ///
    /// session.insert("_f_", ["Saved!"])?;
    /// session.insert("user", 7)?;
    /// // Bulk edits the typed methods do not offer:
    /// session.state_mut().retain(|key| !key.starts_with('_'));
    /// assert_eq!(session.state().keys().collect::<Vec<_>>(), ["user"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn state_mut(&mut self) -> &mut SessionState {
        self.mutate()
    }

    // ----- lifecycle ----------------------------------------------------------------------

    /// Clears the state, as Pyramid's `invalidate()`: the next response carries a cookie with an
    /// empty state (and the same `created`). Keys inserted afterwards in the same request are kept.
    /// At login and other changes of privilege, use [`Session::regenerate`] instead, which also
    /// resets `created` and replaces the CSRF token.
    ///
    /// ```
    /// use std::time::Duration;
    /// # use cookie_session::{CookieSessionFactory, Secret, UnixTime};
    /// # let factory = CookieSessionFactory::new(Secret::generate())?;
    /// # let t0 = UnixTime::from_secs(1_700_000_000);
    /// # let mut session = factory.load(None, t0);
    /// # session.insert("user", 7)?;
    /// # let cookie = factory.finish(&session, t0)?.unwrap();
    /// let now = t0.plus(Duration::from_secs(60));
    /// let mut session = factory.load(Some(cookie.value()), now);
    /// session.invalidate();
    /// assert!(session.is_empty() && session.is_invalidated());
    /// session.insert("flash", "Logged out")?; // kept
    ///
    /// let cookie = factory.finish(&session, now)?.expect("still sent");
    /// let session = factory.load(Some(cookie.value()), now);
    /// assert_eq!(session.get::<u32>("user")?, None);
    /// assert!(session.contains_key("flash"));
    /// assert_eq!(session.created(), t0, "`created` is carried over");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn invalidate(&mut self) {
        self.clear();
        self.edit = Edit::Invalidated;
    }

    /// Starts a fresh session in place: drops the whole state, resets `created` and `accessed`
    /// to now (the request's time), issues a new CSRF token, and marks the session changed so
    /// that the response carries a new cookie. [`Session::regenerate_keeping`] keeps chosen keys.
    ///
    /// **Call it at login and at every change of privilege** (logout, sudo mode, a role change).
    /// Whatever the session held before, possibly planted by an attacker (a session fixed
    /// through a cookie set from a sibling subdomain, or a CSRF token learnt before login), does
    /// not carry over into the authenticated session, and the new `created` starts the
    /// `max_lifetime` of the login afresh. Unlike [`Session::invalidate`] (Pyramid's), which
    /// keeps `created` and leaves no CSRF token. A stateless session cannot revoke the cookies
    /// issued before: see SECURITY.md for server-side revocation.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cookie_session::{CookieSessionFactory, Secret, UnixTime};
    /// let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let t0 = UnixTime::from_secs(1_700_000_000);
    /// let mut before = factory.load(None, t0);
    /// let planted = before.get_csrf_token();
    /// let cookie = factory.finish(&before, t0)?.unwrap();
    ///
    /// // The login request, a minute later.
    /// let now = t0.plus(Duration::from_secs(60));
    /// let mut session = factory.load(Some(cookie.value()), now);
    /// session.regenerate();
    /// session.insert("user_id", 42)?;
    /// assert!(!session.check_csrf_token(&planted), "the old token is gone");
    /// assert_eq!(session.created(), now);
    ///
    /// let cookie = factory.finish(&session, now)?.expect("a new cookie");
    /// let session = factory.load(Some(cookie.value()), now);
    /// assert_eq!(session.created(), now);
    /// assert!(!session.check_csrf_token(&planted));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn regenerate(&mut self) {
        self.regenerate_keeping(&[]);
    }

    /// [`Session::regenerate`], keeping the values under `keep` (a shopping cart, a language
    /// choice: what the user may take from an anonymous session into a logged-in one). The CSRF
    /// token is always replaced, even if listed.
    ///
    /// ```
    /// # let mut session = cookie_session::Session::default();
    /// session.insert("cart", ["book"])?;
    /// session.insert("user_id", 7)?;
    /// session.regenerate_keeping(&["cart"]);
    /// assert_eq!(session.get::<Vec<String>>("cart")?.unwrap(), ["book"]);
    /// assert_eq!(session.get::<u32>("user_id")?, None);
    /// assert!(session.is_changed());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn regenerate_keeping(&mut self, keep: &[&str]) {
        self.mutate()
            .retain(|key| key != CSRF_TOKEN_KEY && keep.contains(&key));
        self.created = self.loaded_at;
        self.accessed = self.loaded_at;
        self.new_csrf_token();
    }

    /// Marks the session as changed without reading or writing it, so the cookie is re-sent
    /// (Pyramid's `session.changed()`). The re-sent cookie keeps its `accessed` stamp, so this
    /// does not extend the idle timeout; a read or a write does. Mutations through this API
    /// (including [`Session::state_mut`]) already mark the session changed.
    ///
    /// ```
    /// # let mut session = cookie_session::Session::default();
    /// assert!(!session.is_changed());
    /// session.mark_changed();
    /// assert!(session.is_changed());
    /// ```
    #[doc(alias = "changed")]
    pub fn mark_changed(&mut self) {
        if self.edit == Edit::Untouched {
            self.edit = Edit::Changed;
        }
    }

    /// Whether a mutation happened (or [`Session::mark_changed`] was called) in this request.
    #[must_use]
    pub fn is_changed(&self) -> bool {
        self.edit != Edit::Untouched
    }

    /// Whether [`Session::invalidate`] was called in this request.
    #[must_use]
    pub fn is_invalidated(&self) -> bool {
        self.edit == Edit::Invalidated
    }

    /// True when the request had no usable cookie (none, or one that failed to verify). As in
    /// Pyramid, a cookie that verified but expired gives an empty session that is *not* new.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cookie_session::{CookieSessionFactory, DecodeError, Secret, UnixTime};
    /// let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let t0 = UnixTime::from_secs(1_700_000_000);
    /// let cookie = factory.encode_value(&Default::default(), t0, t0)?;
    /// assert!(factory.load(None, t0).is_new());
    /// assert!(factory.load(Some("garbage"), t0).is_new());
    ///
    /// // Idle past the default 1200 s timeout: empty, but not new, and keeps its timestamps.
    /// let session = factory.load(Some(&cookie), t0.plus(Duration::from_secs(1201)));
    /// assert!(!session.is_new());
    /// assert_eq!(session.load_error(), Some(DecodeError::Expired));
    /// assert_eq!(session.created(), t0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.key_index.is_none()
    }

    /// Why the request's cookie was not used, if it was not: `None` for a valid cookie or no
    /// cookie at all.
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, DecodeError, Secret, UnixTime};
    /// let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let cookie = factory.encode_value(&Default::default(), now, now)?;
    /// assert_eq!(factory.load(Some(&cookie), now).load_error(), None);
    ///
    /// // A cookie signed by another deployment's key:
    /// let other = CookieSessionFactory::new(Secret::generate())?;
    /// let foreign = other.encode_value(&Default::default(), now, now)?;
    /// let error = factory.load(Some(&foreign), now).load_error().unwrap();
    /// assert_eq!(error, DecodeError::UnknownKey);
    /// assert!(!error.is_time_based());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn load_error(&self) -> Option<DecodeError> {
        self.load_error
    }

    /// Which key of the ring verified the cookie (0 = primary), if one did.
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, KeyRing, Secret, UnixTime};
    /// let (old, new) = (Secret::generate(), Secret::generate());
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let before = CookieSessionFactory::new(old.clone())?;
    /// let old_cookie = before.encode_value(&Default::default(), now, now)?;
    ///
    /// let after = CookieSessionFactory::new(KeyRing::new(new).with_verify_only(old))?;
    /// let new_cookie = after.encode_value(&Default::default(), now, now)?;
    /// assert_eq!(after.load(None, now).key_index(), None);
    /// assert_eq!(after.load(Some(&new_cookie), now).key_index(), Some(0));
    /// assert_eq!(after.load(Some(&old_cookie), now).key_index(), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn key_index(&self) -> Option<usize> {
        self.key_index
    }

    /// When the session was first created.
    #[must_use]
    pub fn created(&self) -> UnixTime {
        UnixTime::from_secs_f64(self.created).unwrap_or(UnixTime::from_secs(0))
    }

    /// When the cookie was last issued (its `accessed` stamp), or the load time for a new session.
    #[must_use]
    pub fn accessed(&self) -> UnixTime {
        UnixTime::from_secs_f64(self.accessed).unwrap_or(UnixTime::from_secs(0))
    }

    /// The state without counting as an access (for writing the cookie).
    pub(crate) fn state_unaccessed(&self) -> &SessionState {
        &self.state
    }

    pub(crate) fn created_secs(&self) -> f64 {
        self.created
    }

    pub(crate) fn accessed_secs(&self) -> f64 {
        self.accessed
    }

    pub(crate) fn verified_by(&self) -> Option<KeyStamp> {
        self.verified_by
    }

    /// Whether the handler read or wrote the session in this request.
    pub(crate) fn was_touched(&self) -> bool {
        self.touched.load(Ordering::Relaxed)
    }

    /// Whether the response must carry the cookie, and why.
    pub(crate) fn write_reason(&self) -> Option<WriteReason> {
        match (self.edit, self.resend) {
            (Edit::Changed | Edit::Invalidated, _) => Some(WriteReason::Changed),
            (Edit::Untouched, Resend::Always) => Some(WriteReason::Rotation),
            (Edit::Untouched, Resend::IfRead) if self.was_touched() => Some(WriteReason::Reissue),
            (Edit::Untouched, _) => None,
        }
    }
}

/// A new, empty session created now, with no cookie behind it: for unit tests of code that takes
/// a `Session`. Real sessions come from the factory.
impl Default for Session {
    fn default() -> Self {
        let now = UnixTime::now().as_secs_f64();
        Self::from_loaded(Loaded {
            state: SessionState::new(),
            created: now,
            accessed: now,
            loaded_at: now,
            load_error: None,
            key_index: None,
            verified_by: None,
            resend: Resend::Never,
        })
    }
}

/// Why a session is written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteReason {
    Changed,
    Rotation,
    Reissue,
}
