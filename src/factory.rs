//! [`CookieSessionFactory`]: turns a request's cookie into a [`Session`] and a finished session
//! into a `Set-Cookie` header (or nothing).
//!
//! The session rules live here, the same for every wire format: the idle `timeout`, the absolute
//! lifetime, clock skew, `reissue_time`, rotation to the primary key, and the size limit.
//!
//! Key rotation is observable ([`CookieSessionFactory::stats`], the builder's
//! `on_fallback_key` hook, a `tracing` event) and the ring can be swapped while requests run
//! ([`CookieSessionFactory::replace_keys`], [`CookieSessionFactory::reload_keys_from_file`],
//! [`CookieSessionFactory::watch_key_file`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;
use serde_json::{Map, Value};

use crate::config::{CookieSessionBuilder, FallbackKeyHook, render_attributes};
use crate::error::{ConfigError, DecodeError, EncodeError};
use crate::format::{Codec, Decoded, Format, FutureStamps, Stamp, ValueOut};
use crate::header::{MAX_CANDIDATES, SetCookie, cookie_values, value_text};
use crate::keys::{
    KeyFingerprint, KeyRing, KeyStamp, Salt, check_secret_len, parse_key_file, read_key_file,
};
use crate::session::{Loaded, Resend, Session, WriteReason};
use crate::state::SessionState;
use crate::time::{Clock, UnixTime};

/// Creates sessions from cookies and cookies from sessions. Cheap to clone (one `Arc`), shared
/// by every request and thread.
///
/// ```
/// use cookie_session::{CookieSessionFactory, Secret, UnixTime};
///
/// let factory = CookieSessionFactory::new(Secret::generate())?;
/// let now = UnixTime::from_secs(1_700_000_000);
///
/// // First request: no cookie, a new session; writing to it produces a Set-Cookie.
/// let mut session = factory.load(None, now);
/// session.insert("username", "john")?;
/// let set_cookie = factory.finish(&session, now)?.unwrap();
///
/// // Next request: the browser sends the value back.
/// let session = factory.load(Some(set_cookie.value()), now);
/// assert_eq!(session.get::<String>("username")?.as_deref(), Some("john"));
/// // Only read, within the reissue time: nothing to send.
/// assert!(factory.finish(&session, now)?.is_none());
///
/// // A tampered cookie gives a new session and says why.
/// let mut tampered = set_cookie.value().to_owned();
/// tampered.insert(10, 'A');
/// let session = factory.load(Some(&tampered), now);
/// assert!(session.is_new());
/// assert!(session.load_error().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct CookieSessionFactory {
    inner: Arc<Inner>,
}

struct Inner {
    keys: ArcSwap<Keys>,
    format: Format,
    allow_short_secret: bool,
    salt: Option<Salt>,
    cookie_name: String,
    attributes: String,
    timeout: Option<f64>,
    reissue_time: Option<f64>,
    max_lifetime: Option<f64>,
    max_clock_skew: f64,
    set_on_error: bool,
    cache_headers: bool,
    size_limit: usize,
    clock: Arc<dyn Clock>,
    on_fallback_key: Option<FallbackKeyHook>,
    accept_encrypted_cookies: bool,
    fallback_verifications: AtomicU64,
    reissued_for_rotation: AtomicU64,
    /// Successful `replace_keys` calls.
    replacements: AtomicU64,
    writes_refused_for_removed_key: AtomicU64,
}

/// The next ring generation. Unique across all factories of the process, so that equal
/// generations always mean the same ring, even for a session finished by another factory.
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(0);

/// One key ring as the factory uses it: the codec with its derived keys, its generation, and
/// the fingerprint of each of its secrets (same order), to recognise a key in a later ring.
struct Keys {
    codec: Codec,
    generation: u64,
    fingerprints: Vec<KeyFingerprint>,
}

impl Keys {
    fn new(codec: Codec, ring: &KeyRing) -> Self {
        Self {
            codec,
            generation: NEXT_GENERATION.fetch_add(1, Ordering::Relaxed),
            fingerprints: ring.secrets().iter().map(|s| s.fingerprint()).collect(),
        }
    }

    /// Which key of this ring (by position) verified a cookie.
    fn stamp(&self, key_index: usize) -> Option<KeyStamp> {
        self.fingerprints
            .get(key_index)
            .map(|&fingerprint| KeyStamp {
                generation: self.generation,
                fingerprint,
            })
    }

    /// Whether the key of `stamp` is in this ring, as primary or verify-only.
    fn holds(&self, stamp: KeyStamp) -> bool {
        stamp.generation == self.generation || self.fingerprints.contains(&stamp.fingerprint)
    }
}

impl std::fmt::Debug for CookieSessionFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = &self.inner;
        f.debug_struct("CookieSessionFactory")
            .field("format", &inner.format)
            .field("cookie_name", &inner.cookie_name)
            .field("attributes", &inner.attributes)
            .field("timeout", &inner.timeout)
            .field("reissue_time", &inner.reissue_time)
            .field("max_lifetime", &inner.max_lifetime)
            .field("set_on_error", &inner.set_on_error)
            .field("size_limit", &inner.size_limit)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Counters of key-rotation activity since the factory was built, from
/// [`CookieSessionFactory::stats`]. They only grow (also across
/// [`replace_keys`](CookieSessionFactory::replace_keys)); export them as counters and watch their
/// rate.
///
/// After promoting a new primary key, `fallback_verifications` keeps rising while users still
/// send cookies made with the old key, each of which is then re-issued under the new one. Once
/// the idle `timeout` (or `max_lifetime`, without an idle timeout) plus the clock skew has passed
/// since the promotion, no live session depends on the old key any more and it can be removed
/// from the ring; this counter confirms it. See `docs/rotating-secrets.md`.
///
/// ```
/// use cookie_session::{CookieSessionFactory, KeyRing, Secret, UnixTime};
/// let (old, new) = (Secret::generate(), Secret::generate());
/// let now = UnixTime::from_secs(1_700_000_000);
/// let factory = CookieSessionFactory::new(old.clone())?;
/// let mut session = factory.load(None, now);
/// session.insert("user", 7)?;
/// let cookie = factory.finish(&session, now)?.unwrap();
///
/// factory.replace_keys(KeyRing::new(new).with_verify_only(old))?;
/// let session = factory.load(Some(cookie.value()), now);
/// factory.finish(&session, now)?.expect("re-issued under the new primary");
/// let stats = factory.stats();
/// assert_eq!(stats.fallback_verifications, 1);
/// assert_eq!(stats.reissued_for_rotation, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RotationStats {
    /// Cookies accepted (verified, and within their time limits) under a verify-only key of the
    /// ring rather than the primary.
    pub fallback_verifications: u64,
    /// `Set-Cookie` headers sent only to move an unchanged session to the primary key or to the
    /// configured suite (signed or encrypted). Sessions that changed are written anyway, under
    /// the primary key, and are not counted here.
    pub reissued_for_rotation: u64,
    /// Key rings swapped in by [`replace_keys`](CookieSessionFactory::replace_keys) and the
    /// reloads (failed reloads are not counted): confirms that a rotation reached this process.
    pub key_ring_replacements: u64,
    /// Sessions that were not written at all because the key that verified their cookie was
    /// removed from the ring while their request ran (see
    /// [`replace_keys`](CookieSessionFactory::replace_keys)).
    pub writes_refused_for_removed_key: u64,
}

/// A background thread that reloads a factory's key ring when its key file changes, from
/// [`CookieSessionFactory::watch_key_file`]. Dropping it (or calling
/// [`stop`](KeyFileWatcher::stop)) stops the thread and waits for it.
#[derive(Debug)]
#[must_use = "dropping the watcher stops it"]
pub struct KeyFileWatcher {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl KeyFileWatcher {
    /// Stops watching and waits for the thread to end (at most one reload already under way).
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        // Dropping the sender wakes the thread at once.
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // A panic in the thread has already been reported by the panic hook.
            let _ = thread.join();
        }
    }
}

impl Drop for KeyFileWatcher {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// A cookie that verified and is within its time limits, as [`CookieSessionFactory::verify`]
/// returns it.
/// `Debug` shows the state's keys, not its values.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct VerifiedCookie {
    /// The session state.
    pub state: Map<String, Value>,
    /// When the session was created.
    pub created: UnixTime,
    /// When the cookie was last issued.
    pub accessed: UnixTime,
    /// Which key of the ring verified it (0 = primary).
    pub key_index: usize,
}

impl std::fmt::Debug for VerifiedCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedCookie")
            .field("keys", &self.state.keys().collect::<Vec<_>>())
            .field("created", &self.created)
            .field("accessed", &self.accessed)
            .field("key_index", &self.key_index)
            .finish()
    }
}

impl CookieSessionFactory {
    /// A builder with the safe defaults, signing with `keys` (a [`KeyRing`] or a single
    /// [`Secret`](crate::Secret)).
    pub fn builder(keys: impl Into<KeyRing>) -> CookieSessionBuilder {
        CookieSessionBuilder::new(keys.into())
    }

    /// A factory with every default and one secret.
    ///
    /// # Errors
    /// [`ConfigError::SecretTooShort`] for a secret under 32 bytes.
    pub fn new(keys: impl Into<KeyRing>) -> Result<Self, ConfigError> {
        Self::builder(keys).build()
    }

    /// Called by [`CookieSessionBuilder::build`], which has already checked the secrets' length.
    pub(crate) fn from_config(config: CookieSessionBuilder) -> Result<Self, ConfigError> {
        let codec = Codec::build(
            config.format,
            &config.keys,
            config.salt.as_ref(),
            &config.cookie_name,
            config.accept_encrypted_cookies,
        )?;
        let attributes = render_attributes(&config);
        let secs = |d: std::time::Duration| d.as_secs_f64();
        Ok(Self {
            inner: Arc::new(Inner {
                keys: ArcSwap::from_pointee(Keys::new(codec, &config.keys)),
                format: config.format,
                allow_short_secret: config.allow_short_secret,
                salt: config.salt,
                cookie_name: config.cookie_name,
                attributes,
                timeout: config.timeout.map(secs),
                reissue_time: config.reissue_time.map(secs),
                max_lifetime: config.max_lifetime.map(secs),
                max_clock_skew: secs(config.max_clock_skew),
                set_on_error: config.set_on_error,
                cache_headers: config.cache_headers,
                size_limit: config.size_limit,
                clock: config.clock,
                on_fallback_key: config.on_fallback_key,
                accept_encrypted_cookies: config.accept_encrypted_cookies,
                fallback_verifications: AtomicU64::new(0),
                reissued_for_rotation: AtomicU64::new(0),
                replacements: AtomicU64::new(0),
                writes_refused_for_removed_key: AtomicU64::new(0),
            }),
        })
    }

    /// The cookie's name.
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        &self.inner.cookie_name
    }

    /// The wire format.
    #[must_use]
    pub fn format(&self) -> Format {
        self.inner.format
    }

    /// The current time from the configured clock.
    #[must_use]
    pub fn now(&self) -> UnixTime {
        self.inner.clock.now()
    }

    /// Whether responses with a 5xx status still carry the cookie.
    #[must_use]
    pub fn set_on_error(&self) -> bool {
        self.inner.set_on_error
    }

    /// Whether the adapters add `Vary: Cookie` and `Cache-Control: private` (see
    /// [`CookieSessionBuilder::cache_headers`](crate::CookieSessionBuilder::cache_headers)).
    #[must_use]
    pub fn cache_headers(&self) -> bool {
        self.inner.cache_headers
    }

    /// Swaps in a new key ring without a restart; requests that start afterwards load with the
    /// new ring. On error the old ring stays in use.
    ///
    /// Requests already running keep the session they loaded, and at
    /// [`finish`](Self::finish) it is written with the ring current *then*, under its primary
    /// key, but only if the key that verified the request's cookie is still in that ring (as
    /// primary or verify-only). If that key was removed meanwhile, nothing is written: no
    /// `Set-Cookie` (the response goes out without one), a `tracing` warning, and the
    /// [`RotationStats::writes_refused_for_removed_key`] counter. So a removed key (a
    /// compromised one) stops working at once, also for a forged cookie held open in a slow
    /// request: its session is never re-signed under the new primary. The browser keeps its
    /// old cookie, which the new ring refuses (`unknown_key`), and its next request starts a
    /// new session. An invalidating cookie is not sent instead, because it could overwrite a
    /// newer, valid cookie that a concurrent request of the same user has just set.
    /// A key that is only demoted to verify-only keeps working, and its sessions are re-issued
    /// under the new primary as usual. Sessions without a cookie are written under the new
    /// primary.
    ///
    /// # Errors
    /// Whatever building the keys for this format reports, e.g. a secret shorter than the
    /// format's floor ([`Format::min_secret_len`], with the builder's
    /// [`allow_short_secret`](CookieSessionBuilder::allow_short_secret)).
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, KeyRing, Secret, UnixTime};
    /// let (old, new) = (Secret::generate(), Secret::generate());
    /// let factory = CookieSessionFactory::new(old.clone())?;
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let mut session = factory.load(None, now);
    /// session.insert("n", 1)?;
    /// let cookie = factory.finish(&session, now)?.unwrap();
    ///
    /// // Promote a new key; the old one still verifies, and its cookies are re-issued.
    /// factory.replace_keys(KeyRing::new(new).with_verify_only(old))?;
    /// let session = factory.load(Some(cookie.value()), now);
    /// assert_eq!(session.key_index(), Some(1));
    /// assert!(factory.finish(&session, now)?.is_some());
    ///
    /// // A request still running under the old key when that key is removed writes nothing.
    /// let mut running = factory.load(Some(cookie.value()), now);
    /// running.insert("n", 2)?;
    /// factory.replace_keys(KeyRing::new(Secret::generate()))?;
    /// assert!(factory.finish(&running, now)?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replace_keys(&self, keys: impl Into<KeyRing>) -> Result<(), ConfigError> {
        let keys = keys.into();
        let inner = &self.inner;
        check_secret_len(inner.format, &keys, inner.allow_short_secret)?;
        let codec = Codec::build(
            inner.format,
            &keys,
            inner.salt.as_ref(),
            &inner.cookie_name,
            inner.accept_encrypted_cookies,
        )?;
        inner.keys.store(Arc::new(Keys::new(codec, &keys)));
        inner.replacements.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Reads a key file (see [`KeyRing::from_file`] for its format) and swaps it in, as
    /// [`replace_keys`](Self::replace_keys) does: for secrets mounted from a secret store and
    /// rotated under a running service. The minimum secret length is the format's
    /// ([`Format::min_secret_len`]): 32 bytes for the native formats, 16 for Pyramid's unless the
    /// builder allowed short secrets.
    ///
    /// A file rewritten in place (`cp`, a shell's `>`) can be read while it is being written, so
    /// a reload only takes a file that looks finished: its **last line ends with a line break**
    /// (a cut-off line never becomes a secret), and it **reads the same twice**, 50 ms apart
    /// (a writer still at work is not caught half-way). Otherwise the reload fails and the
    /// current ring stays. Replacing the file by a rename (what secret stores do) is still the
    /// safe way to write it; these checks are the safety net. The call blocks for those 50 ms.
    ///
    /// On failure the current ring stays in use, a `tracing` warning says why (never with a
    /// secret), and the error is returned.
    ///
    /// # Errors
    /// [`ConfigError::KeySource`] naming the file (and line) for a file that cannot be read or
    /// parsed, that changed between the two reads, or whose last line has no line break; any
    /// error of [`replace_keys`](Self::replace_keys).
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, KeyRing, Secret};
    /// let path = std::env::temp_dir().join(format!("doc-keys-{}.txt", std::process::id()));
    /// let (new, old) = (Secret::generate(), Secret::generate());
    /// let factory = CookieSessionFactory::new(old.clone())?;
    ///
    /// std::fs::write(&path, format!("{}\n{}\n", &*new.to_base64url(), &*old.to_base64url()))?;
    /// factory.reload_keys_from_file(&path)?;
    ///
    /// std::fs::write(&path, "# half-written\n")?;
    /// assert!(factory.reload_keys_from_file(&path).is_err(), "the previous ring stays");
    /// // A last line without its line break may be cut off: not loaded.
    /// std::fs::write(&path, &*new.to_base64url())?;
    /// assert!(factory.reload_keys_from_file(&path).is_err());
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reload_keys_from_file(&self, path: impl AsRef<Path>) -> Result<(), ConfigError> {
        let path = path.as_ref();
        let result = read_key_file(path)
            .and_then(|bytes| {
                confirm_finished(path, &bytes, || std::thread::sleep(KEY_FILE_SETTLE_TIME))?;
                Ok(bytes)
            })
            .and_then(|bytes| self.reload_keys_from_bytes(path, &bytes));
        if let Err(error) = &result {
            warn_reload_failed(path, error);
        }
        result
    }

    /// Parses a key file's contents and swaps the ring in.
    fn reload_keys_from_bytes(&self, path: &Path, bytes: &[u8]) -> Result<(), ConfigError> {
        let ring = parse_key_file(bytes, &path.display().to_string())?;
        let keys = ring.len();
        self.replace_keys(ring)?;
        tracing::info!(path = %path.display(), keys, "key ring reloaded");
        Ok(())
    }

    /// Starts a thread that checks the key file every `interval` and, when its contents changed,
    /// reloads it as [`reload_keys_from_file`](Self::reload_keys_from_file) does, with the same
    /// checks that the file is finished (last line ended, the same contents 50 ms later). A file
    /// still being written is tried again at the next change; a bad file is reported once and
    /// the current ring kept, until the file changes again. The contents at start are taken as
    /// already loaded. Contents are compared, not modification times, so two writes within one
    /// second are not missed.
    ///
    /// The watcher keeps the factory alive; drop it or call [`KeyFileWatcher::stop`] to stop.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cookie_session::{CookieSessionFactory, KeyRing};
    /// let path = std::env::temp_dir().join(format!("doc-watch-{}.txt", std::process::id()));
    /// std::fs::write(&path, "a first secret of at least thirty-two bytes\n")?;
    /// let factory = CookieSessionFactory::new(KeyRing::from_file(&path)?)?;
    /// let watcher = factory.watch_key_file(&path, Duration::from_secs(10));
    /// // ... serve requests; rotate the file from the secret store ...
    /// watcher.stop();
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_key_file(&self, path: impl Into<PathBuf>, interval: Duration) -> KeyFileWatcher {
        let path = path.into();
        let factory = self.clone();
        let (stop, stopped) = mpsc::channel::<()>();
        // Taken before the thread starts, so that a change made right after this call is seen.
        let mut seen = file_fingerprint(&path);
        let thread = std::thread::Builder::new()
            .name("cookie-session-keys".to_owned())
            .spawn(move || {
                // Anything but a timeout means the watcher was stopped or dropped.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    let bytes = read_key_file(&path);
                    let current = bytes.as_ref().ok().map(|b| fingerprint(b));
                    if current == seen {
                        continue;
                    }
                    seen = current;
                    let settle = || {
                        // Woken early only to stop.
                        let _ = stopped.recv_timeout(KEY_FILE_SETTLE_TIME);
                    };
                    let result = bytes.and_then(|b| {
                        confirm_finished(&path, &b, settle)?;
                        factory.reload_keys_from_bytes(&path, &b)
                    });
                    match &result {
                        // A writer at work: its next write changes the contents again.
                        Err(error) if is_still_changing(error) => tracing::debug!(
                            path = %path.display(),
                            "key file still being written; reload deferred"
                        ),
                        Err(error) => warn_reload_failed(&path, error),
                        Ok(()) => {}
                    }
                }
            });
        match thread {
            Ok(thread) => KeyFileWatcher {
                stop: Some(stop),
                thread: Some(thread),
            },
            Err(error) => {
                tracing::error!(%error, "cannot start the key file watcher thread");
                KeyFileWatcher {
                    stop: None,
                    thread: None,
                }
            }
        }
    }

    /// Counters of fallback-key verifications and rotation re-issues since the factory was
    /// built: what tells an operator when an old key can be retired. See [`RotationStats`].
    ///
    /// Only [`load`](Self::load) (and so the adapters) counts; [`verify`](Self::verify) does not.
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, KeyRing, Secret, UnixTime};
    /// let (old, new) = (Secret::generate(), Secret::generate());
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let before = CookieSessionFactory::new(old.clone())?;
    /// let cookie = before.encode_value(&Default::default(), now, now)?;
    ///
    /// let factory = CookieSessionFactory::new(KeyRing::new(new).with_verify_only(old))?;
    /// factory.verify(&cookie, now)?;
    /// assert_eq!(factory.stats().fallback_verifications, 0);
    /// let _ = factory.load(Some(&cookie), now);
    /// assert_eq!(factory.stats().fallback_verifications, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn stats(&self) -> RotationStats {
        RotationStats {
            fallback_verifications: self.inner.fallback_verifications.load(Ordering::Relaxed),
            reissued_for_rotation: self.inner.reissued_for_rotation.load(Ordering::Relaxed),
            key_ring_replacements: self.inner.replacements.load(Ordering::Relaxed),
            writes_refused_for_removed_key: self
                .inner
                .writes_refused_for_removed_key
                .load(Ordering::Relaxed),
        }
    }

    /// Verifies one cookie value and applies the time rules, without making a session: what the
    /// CLI's `decode` prints.
    ///
    /// # Errors
    /// Why the cookie is not usable.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cookie_session::{CookieSessionFactory, DecodeError, Secret, UnixTime};
    /// let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let state = serde_json::json!({"user": 7}).as_object().cloned().unwrap();
    /// let value = factory.encode_value(&state, now, now)?;
    /// let cookie = factory.verify(&value, now)?;
    /// assert_eq!((cookie.state, cookie.key_index), (state, 0));
    ///
    /// let mut tampered = value.clone(); // one character changed: the signature fails
    /// tampered.replace_range(40..41, if &value[40..41] == "A" { "B" } else { "A" });
    /// assert_eq!(factory.verify(&tampered, now).unwrap_err(), DecodeError::BadSignature);
    ///
    /// let later = now.plus(Duration::from_secs(1201)); // idle past the default 1200 s
    /// assert_eq!(factory.verify(&value, later).unwrap_err(), DecodeError::Expired);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify(&self, value: &str, now: UnixTime) -> Result<VerifiedCookie, DecodeError> {
        let keys = self.inner.keys.load();
        let decoded = self.decode_checked(&keys, value, now).map_err(|(e, _)| e)?;
        Ok(VerifiedCookie {
            created: UnixTime::from_secs_f64(decoded.created).unwrap_or(UnixTime::from_secs(0)),
            accessed: UnixTime::from_secs_f64(decoded.accessed).unwrap_or(UnixTime::from_secs(0)),
            state: decoded.state.to_map(),
            key_index: decoded.key_index,
        })
    }

    /// Verifies and applies the time rules. An expired cookie still returns what it decoded,
    /// because an expired session keeps its timestamps (as in Pyramid).
    fn decode_checked(
        &self,
        keys: &Keys,
        value: &str,
        now: UnixTime,
    ) -> Result<Decoded, (DecodeError, Option<Box<Decoded>>)> {
        let inner = &self.inner;
        if value.len() > inner.size_limit {
            return Err((
                DecodeError::TooLong {
                    len: value.len(),
                    limit: inner.size_limit,
                },
                None,
            ));
        }
        let codec = &keys.codec;
        let decoded = codec.decode(value).map_err(|e| (e, None))?;
        let rules = codec.clock_rules();
        let now = if rules.whole_second_now {
            now.whole_secs() as f64
        } else {
            now.as_secs_f64()
        };
        let newest = decoded.created.max(decoded.accessed);
        let too_new = match rules.future_stamps {
            FutureStamps::Accept => false,
            FutureStamps::RefuseBeyondSkew => newest > now + inner.max_clock_skew,
            FutureStamps::Refuse => newest > now,
        };
        if too_new {
            return Err((DecodeError::NotYetValid, None));
        }
        if inner
            .max_lifetime
            .is_some_and(|cap| now - decoded.created > cap)
        {
            return Err((DecodeError::LifetimeExceeded, None));
        }
        if inner
            .timeout
            .is_some_and(|timeout| now - decoded.accessed > timeout)
        {
            return Err((DecodeError::Expired, Some(Box::new(decoded))));
        }
        Ok(decoded)
    }

    /// The session for a request whose cookie value (if any) is `cookie_value`.
    ///
    /// Never fails: a missing or bad cookie gives a new session, with the reason in
    /// [`Session::load_error`] and a `tracing` event at debug level.
    ///
    /// ```
    /// # use cookie_session::{CookieSessionFactory, Secret, UnixTime};
    /// # let factory = CookieSessionFactory::new(Secret::generate())?;
    /// # let now = UnixTime::from_secs(1_700_000_000);
    /// # let mut session = factory.load(None, now);
    /// # session.insert("user", 7)?;
    /// # let cookie = factory.finish(&session, now)?.unwrap();
    /// let session = factory.load(Some(cookie.value()), now);
    /// assert!(!session.is_new() && session.load_error().is_none());
    /// assert_eq!(session.get::<u32>("user")?, Some(7));
    ///
    /// let session = factory.load(Some("garbage"), now);
    /// assert!(session.is_new() && session.is_empty());
    /// assert_eq!(session.load_error().map(|e| e.code()), Some("malformed"));
    ///
    /// // No cookie at all is not an error.
    /// assert_eq!(factory.load(None, now).load_error(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn load(&self, cookie_value: Option<&str>, now: UnixTime) -> Session {
        match cookie_value {
            None => self.new_session(now, None),
            Some(value) => self
                .load_value(value, now)
                .unwrap_or_else(|e| self.new_session(now, Some(e))),
        }
    }

    /// The session for a request, from its `Cookie` header(s): finds this factory's cookie among
    /// the others. When a browser sends several cookies of the same name (set for different paths
    /// or domains), the first valid one wins, then the first expired one (which gives an empty
    /// session, as one cookie would); at most four are tried. (WebOb takes the last one: a browser
    /// sends the cookie of the most specific path first.)
    ///
    /// ```
    /// # use cookie_session::{CookieSessionFactory, Secret, UnixTime};
    /// # let factory = CookieSessionFactory::new(Secret::generate())?;
    /// # let now = UnixTime::from_secs(1_700_000_000);
    /// let session = factory.load_from_cookie_headers(["theme=dark; session=garbage"], now);
    /// assert!(session.is_new());
    /// assert_eq!(session.load_error().unwrap().code(), "malformed");
    /// # Ok::<(), cookie_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn load_from_cookie_headers<'a>(
        &self,
        headers: impl IntoIterator<Item = &'a str>,
        now: UnixTime,
    ) -> Session {
        let name = self.cookie_name();
        let candidates = headers
            .into_iter()
            .flat_map(|header| cookie_values(header.as_bytes(), name).map(value_text));
        self.load_first_valid(candidates, now)
    }

    /// The session from the first valid of the candidate values (at most [`MAX_CANDIDATES`]
    /// are tried), else from the first expired one, else a new session with the first error.
    pub(crate) fn load_first_valid<'a>(
        &self,
        candidates: impl IntoIterator<Item = &'a str>,
        now: UnixTime,
    ) -> Session {
        let mut first_error = None;
        // An expired cookie is only used when no other cookie of the name is valid: a stale
        // cookie left at another path must not hide the live one.
        let mut first_expired = None;
        for value in candidates.into_iter().take(MAX_CANDIDATES) {
            match self.load_value(value, now) {
                Ok(session) if session.load_error().is_none() => return session,
                Ok(expired) => {
                    first_expired.get_or_insert(expired);
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        first_expired.unwrap_or_else(|| self.new_session(now, first_error))
    }

    /// A session from one cookie value, or why there is none. An expired cookie still makes a
    /// session: empty, not new, with the old timestamps (Pyramid's rule).
    fn load_value(&self, value: &str, now: UnixTime) -> Result<Session, DecodeError> {
        let keys = self.inner.keys.load();
        let (decoded, load_error) = match self.decode_checked(&keys, value, now) {
            Ok(decoded) => (decoded, None),
            Err((DecodeError::Expired, Some(decoded))) => {
                let mut decoded = *decoded;
                decoded.state.clear();
                tracing::debug!(reason = "expired", "session cookie expired");
                (decoded, Some(DecodeError::Expired))
            }
            Err((error, _)) => {
                tracing::debug!(reason = error.code(), detail = %error, "session cookie rejected");
                return Err(error);
            }
        };
        let fallback_key = decoded.key_index > 0 && load_error.is_none();
        let rotate = fallback_key || (decoded.other_suite && load_error.is_none());
        if rotate {
            tracing::debug!(
                key_index = decoded.key_index,
                other_suite = decoded.other_suite,
                "session cookie verified with a verify-only key or in the other suite; \
                 re-issuing under the primary key in the configured suite"
            );
        }
        if fallback_key {
            let inner = &self.inner;
            inner.fallback_verifications.fetch_add(1, Ordering::Relaxed);
            if let Some(hook) = &inner.on_fallback_key {
                hook(decoded.key_index);
            }
        }
        let resend = if rotate {
            Resend::Always
        } else if self.reissue_due(decoded.accessed, now) {
            Resend::IfRead
        } else {
            Resend::Never
        };
        Ok(Session::from_loaded(Loaded {
            state: decoded.state,
            created: decoded.created,
            accessed: decoded.accessed,
            loaded_at: now.as_secs_f64(),
            load_error,
            key_index: Some(decoded.key_index),
            verified_by: keys.stamp(decoded.key_index),
            resend,
        }))
    }

    fn new_session(&self, now: UnixTime, load_error: Option<DecodeError>) -> Session {
        let now_secs = now.as_secs_f64();
        // A new session has nothing to re-send: it is written only if the handler changes it.
        Session::from_loaded(Loaded {
            state: SessionState::new(),
            created: now_secs,
            accessed: now_secs,
            loaded_at: now_secs,
            load_error,
            key_index: None,
            verified_by: None,
            resend: Resend::Never,
        })
    }

    /// Pyramid's rule: `int(now) - accessed > reissue_time`.
    fn reissue_due(&self, accessed: f64, now: UnixTime) -> bool {
        self.inner
            .reissue_time
            .is_some_and(|reissue| now.whole_secs() as f64 - accessed > reissue)
    }

    /// The `Set-Cookie` this session needs at the end of the request, if any.
    ///
    /// A cookie is written when the session changed, when it verified under a verify-only key
    /// (rotation), or when it was read after `reissue_time`. Otherwise `Ok(None)`: an untouched
    /// session costs nothing. Also `Ok(None)`, with a warning, when the key that verified the
    /// request's cookie was removed from the ring while the request ran
    /// ([`replace_keys`](Self::replace_keys) says why).
    ///
    /// ```
    /// use std::time::Duration;
    /// # use cookie_session::{CookieSessionFactory, Secret, UnixTime};
    /// # let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let mut session = factory.load(None, now);
    /// session.insert("user", 7)?;
    /// let cookie = factory.finish(&session, now)?.expect("changed: a cookie");
    ///
    /// let session = factory.load(Some(cookie.value()), now);
    /// assert!(factory.finish(&session, now)?.is_none(), "untouched: nothing");
    ///
    /// // Read once the cookie is older than `reissue_time` (default 120 s): re-sent.
    /// let later = now.plus(Duration::from_secs(121));
    /// let session = factory.load(Some(cookie.value()), later);
    /// assert_eq!(session.get::<u32>("user")?, Some(7));
    /// assert!(factory.finish(&session, later)?.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`EncodeError::TooLarge`] when the header would exceed the size limit: never a cookie that
    /// the browser would silently drop. Every error is also logged here (`tracing`, error
    /// level, with both sizes for `TooLarge`), so callers need not log it again.
    pub fn finish(
        &self,
        session: &Session,
        now: UnixTime,
    ) -> Result<Option<SetCookie>, EncodeError> {
        let Some(reason) = session.write_reason() else {
            return Ok(None);
        };
        let inner = &self.inner;
        let keys = inner.keys.load();
        if let Some(stamp) = session.verified_by()
            && !keys.holds(stamp)
        {
            inner
                .writes_refused_for_removed_key
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                loaded_under_generation = stamp.generation,
                current_generation = keys.generation,
                "the key that verified this session's cookie was removed from the key ring \
                 during the request; the session is not written"
            );
            return Ok(None);
        }
        let accessed = if session.was_touched() {
            Stamp::Whole(now.whole_secs())
        } else {
            Stamp::Exact(session.accessed_secs())
        };
        // `name=value; attributes` in one buffer sized once: the format writes the value
        // straight after `name=`.
        let mut out = ValueOut::new(Some(&inner.cookie_name), inner.attributes.len());
        keys.codec
            .encode_into(
                session.state_unaccessed(),
                session.created_secs(),
                accessed,
                &mut out,
            )
            .inspect_err(|error| tracing::error!(%error, "session cookie could not be written"))?;
        let (header, value_start) = out.into_parts();
        let set_cookie = SetCookie::with_attributes(header, value_start, &inner.attributes);
        if set_cookie.len() > inner.size_limit {
            let error = EncodeError::TooLarge {
                size: set_cookie.len(),
                limit: inner.size_limit,
            };
            tracing::error!(
                size = set_cookie.len(),
                limit = inner.size_limit,
                "session cookie too large; not sent"
            );
            return Err(error);
        }
        if reason == WriteReason::Rotation {
            inner.reissued_for_rotation.fetch_add(1, Ordering::Relaxed);
        }
        tracing::trace!(?reason, "session cookie issued");
        Ok(Some(set_cookie))
    }

    /// [`finish`](Self::finish) for a response with HTTP status `status`: with `set_on_error`
    /// off, a 5xx response gets no cookie.
    ///
    /// # Errors
    /// As [`finish`](Self::finish).
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, Secret, UnixTime};
    /// let factory = CookieSessionFactory::builder(Secret::generate())
    ///     .set_on_error(false)
    ///     .build()?;
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let mut session = factory.load(None, now);
    /// session.insert("user", 7)?;
    /// assert!(factory.finish_for_status(&session, 500, now)?.is_none());
    /// assert!(factory.finish_for_status(&session, 303, now)?.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish_for_status(
        &self,
        session: &Session,
        status: u16,
        now: UnixTime,
    ) -> Result<Option<SetCookie>, EncodeError> {
        if status >= 500 && !self.inner.set_on_error {
            return Ok(None);
        }
        self.finish(session, now)
    }

    /// Seals `state` into a cookie value with the primary key, with explicit timestamps: what
    /// the CLI's `encode` prints. `accessed` is written as whole seconds, and so is `created` in
    /// the native formats (the Pyramid format keeps its fraction).
    ///
    /// # Errors
    /// [`EncodeError::TooLarge`] when the resulting `Set-Cookie` would exceed the size limit.
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, Secret, UnixTime};
    /// let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let state = serde_json::json!({"user": 7}).as_object().unwrap().clone();
    /// let created = UnixTime::from_secs(1_700_000_000);
    /// let accessed = UnixTime::from_secs_f64(1_700_000_100.75).unwrap();
    ///
    /// let value = factory.encode_value(&state, created, accessed)?;
    /// let cookie = factory.verify(&value, accessed)?;
    /// assert_eq!(cookie.state, state);
    /// assert_eq!(cookie.created, created);
    /// assert_eq!(cookie.accessed, UnixTime::from_secs(1_700_000_100));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode_value(
        &self,
        state: &Map<String, Value>,
        created: UnixTime,
        accessed: UnixTime,
    ) -> Result<String, EncodeError> {
        let inner = &self.inner;
        let value = inner.keys.load().codec.encode(
            &SessionState::from(state.clone()),
            created.as_secs_f64(),
            Stamp::Whole(accessed.whole_secs()),
        )?;
        let size = inner.cookie_name.len() + 1 + value.len() + inner.attributes.len();
        if size > inner.size_limit {
            return Err(EncodeError::TooLarge {
                size,
                limit: inner.size_limit,
            });
        }
        Ok(value)
    }
}

/// A digest of a key file's contents, to notice changes without keeping the secrets around.
fn fingerprint(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

fn file_fingerprint(path: &Path) -> Option<[u8; 32]> {
    read_key_file(path).ok().map(|bytes| fingerprint(&bytes))
}

/// How long a reloaded key file must stay unchanged to be taken as finished.
const KEY_FILE_SETTLE_TIME: Duration = Duration::from_millis(50);

/// The problem reported for a key file that changed between two reads.
const STILL_CHANGING: &str =
    "the file changed while it was read (still being written?); the current keys stay";

/// Checks that a key file whose contents are `first` looks finished: the last line ends with a
/// line break, and after `wait` the file still holds exactly `first`.
fn confirm_finished(path: &Path, first: &[u8], wait: impl FnOnce()) -> Result<(), ConfigError> {
    let problem = |problem: &str| ConfigError::KeySource {
        source_name: path.display().to_string(),
        problem: problem.to_owned(),
    };
    wait();
    let second = read_key_file(path)?;
    // Not secret-dependent timing that anyone outside can observe: both are our own reads.
    if *second != *first {
        return Err(problem(STILL_CHANGING));
    }
    // Checked once the file is still, so that a writer at work is not reported as an error.
    if first.last().is_some_and(|&last| last != b'\n') {
        return Err(problem(
            "the last line has no line break, so it may be cut off (half written?); end every \
             line with one; the current keys stay",
        ));
    }
    Ok(())
}

fn is_still_changing(error: &ConfigError) -> bool {
    matches!(error, ConfigError::KeySource { problem, .. } if problem == STILL_CHANGING)
}

/// The one warning for a failed reload. `ConfigError`s never contain a secret.
fn warn_reload_failed(path: &Path, error: &ConfigError) {
    tracing::warn!(
        path = %path.display(),
        %error,
        "key ring reload failed; keeping the current keys"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key file in a fresh directory, removed on drop.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, contents: &[u8]) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "cookie-session-factory-{}-{name}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("keys.txt");
            std::fs::write(&path, contents).unwrap();
            Self(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(self.0.parent().unwrap());
        }
    }

    fn problem(result: Result<(), ConfigError>) -> String {
        match result {
            Err(ConfigError::KeySource { problem, .. }) => problem,
            other => panic!("expected a KeySource error, got {other:?}"),
        }
    }

    const FULL: &[u8] = b"a complete secret line, thirty-two bytes or more\n";

    #[test]
    fn a_file_that_changes_between_the_two_reads_is_not_taken() {
        let file = TempFile::new("changing", &FULL[..20]);
        // The writer goes on between the reads.
        let result = confirm_finished(&file.0, &FULL[..20], || {
            std::fs::write(&file.0, &FULL[..30]).unwrap();
        });
        assert_eq!(problem(result), STILL_CHANGING);
        assert!(is_still_changing(
            &confirm_finished(&file.0, FULL, || {}).unwrap_err()
        ));
    }

    #[test]
    fn a_still_file_is_taken_only_with_its_last_line_ended() {
        let file = TempFile::new("still", FULL);
        assert_eq!(confirm_finished(&file.0, FULL, || {}), Ok(()));
        let cut = &FULL[..FULL.len() - 1];
        std::fs::write(&file.0, cut).unwrap();
        let problem = problem(confirm_finished(&file.0, cut, || {}));
        assert!(
            problem.starts_with("the last line has no line break"),
            "{problem}"
        );
        // An empty file is left to the parser ("no secret found").
        std::fs::write(&file.0, b"").unwrap();
        assert_eq!(confirm_finished(&file.0, b"", || {}), Ok(()));
    }
}
