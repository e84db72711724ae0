//! The factory's builder. Every setter documents its default; [`CookieSessionBuilder::build`]
//! checks the whole configuration once and resolves it into the private settings the factory uses
//! on each request.

use std::sync::Arc;
use std::time::Duration;

use crate::error::ConfigError;
use crate::factory::CookieSessionFactory;
use crate::format::django::{DJANGO_SESSION_COOKIE_AGE, DJANGO_SESSION_COOKIE_NAME, DjangoHash};
use crate::format::{Format, PyramidHash};
use crate::header::{is_valid_attribute, is_valid_cookie_name};
use crate::keys::{KeyRing, Salt, check_secret_len};
use crate::time::{Clock, SystemClock};

/// The hook called when a cookie verifies under a verify-only key, with that key's index.
pub(crate) type FallbackKeyHook = Arc<dyn Fn(usize) + Send + Sync>;

/// The `SameSite` attribute of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Sent only on same-site requests.
    Strict,
    /// Sent on same-site requests and top-level cross-site navigations (the default).
    Lax,
    /// Sent on every request; browsers require `Secure` with it.
    None,
}

/// Default idle timeout: 20 minutes, as Pyramid.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1200);
/// Default reissue time: 2 minutes (one tenth of the default timeout).
pub const DEFAULT_REISSUE_TIME: Duration = Duration::from_secs(120);
/// Default limit on the size of the `Set-Cookie` header value: 4096 bytes, the size every
/// browser is required to store.
pub const DEFAULT_SIZE_LIMIT: usize = 4096;
/// The smallest size limit accepted.
pub const MIN_SIZE_LIMIT: usize = 256;
/// Flask's `PERMANENT_SESSION_LIFETIME` (31 days): the timeout of the `flask` preset.
const FLASK_PERMANENT_SESSION_LIFETIME: Duration = Duration::from_secs(2_678_400);
/// The reissue time of the `flask` preset: one day (see there why).
const FLASK_REISSUE_TIME: Duration = Duration::from_secs(86_400);
/// Default tolerance for native cookies stamped in the future (clock skew between servers).
pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// Builder for a [`CookieSessionFactory`], from
/// [`CookieSessionFactory::builder`].
///
/// The defaults are the safe ones.
///
/// # Deliberate differences from Pyramid
///
/// This is the one list; the README points here.
///
/// * `Secure` and `HttpOnly` are on by default (Pyramid: off).
/// * `reissue_time` is 120 s by default (Pyramid: 0, a new cookie on every read in a new
///   second), and a `reissue_time` not below `timeout` is a configuration error (Pyramid
///   accepts it, and read-only sessions then expire while in use). Set
///   `.reissue_time(Duration::ZERO)` to match a Pyramid app.
/// * Invalid attribute combinations (`SameSite=None` without `Secure`, bad names or paths) are
///   refused at start-up (Pyramid: a 500 on every write).
/// * The size limit (4096 bytes) applies to the whole `Set-Cookie` header value (Pyramid: 4064
///   characters of cookie value), and an oversized session is a typed error, answered with a 500
///   by the adapters, as in Pyramid.
/// * `Max-Age` is sent without the redundant `Expires`.
/// * `set_on_error` looks at the response status (5xx); Pyramid's `set_on_exception` looks at
///   whether an exception view produced the response (which includes a raised `HTTPFound`).
/// * When a request carries several cookies of our name, the first valid one wins (WebOb: the
///   last one, valid or not).
/// * Decoding is strict: the non-canonical spellings Pyramid tolerates (padding, `+`/`/`, junk
///   characters, numeric strings as timestamps, a list of pairs as state) are refused. Pyramid
///   never writes them.
/// * A validly signed cookie whose state is not an object is invalid (Pyramid: a 500).
/// * A new session that is only read never re-sends a cookie (Pyramid: it does when the read
///   falls in a later wall-clock second than the session's creation, during one long request).
///
/// ```
/// use std::time::Duration;
/// use cookie_session::{CookieSessionFactory, SameSite, Secret};
///
/// let factory = CookieSessionFactory::builder(Secret::generate())
///     .cookie_name("sid")
///     .same_site(SameSite::Strict)
///     .timeout(Duration::from_secs(3600))
///     .max_lifetime(Duration::from_secs(7 * 24 * 3600))
///     .build()?;
/// assert_eq!(factory.cookie_name(), "sid");
///
/// // Invalid combinations are typed errors, found at start-up.
/// let err = CookieSessionFactory::builder(Secret::generate())
///     .same_site(SameSite::None)
///     .secure(false)
///     .build()
///     .unwrap_err();
/// assert_eq!(err, cookie_session::ConfigError::SameSiteNoneWithoutSecure);
/// # Ok::<(), cookie_session::ConfigError>(())
/// ```
#[must_use = "a configuration does nothing until `build` is called"]
#[derive(Clone)]
pub struct CookieSessionBuilder {
    pub(crate) keys: KeyRing,
    pub(crate) format: Format,
    pub(crate) salt: Option<Salt>,
    pub(crate) cookie_name: String,
    pub(crate) path: Option<String>,
    pub(crate) domain: Option<String>,
    pub(crate) max_age: Option<Duration>,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: Option<SameSite>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) reissue_time: Option<Duration>,
    pub(crate) max_lifetime: Option<Duration>,
    pub(crate) max_clock_skew: Duration,
    pub(crate) set_on_error: bool,
    pub(crate) cache_headers: bool,
    pub(crate) size_limit: usize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) on_fallback_key: Option<FallbackKeyHook>,
    pub(crate) allow_short_secret: bool,
    pub(crate) accept_encrypted_cookies: bool,
}

impl std::fmt::Debug for CookieSessionBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieSessionBuilder")
            .field("keys", &self.keys)
            .field("format", &self.format)
            .field("salt", &self.salt)
            .field("cookie_name", &self.cookie_name)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("max_age", &self.max_age)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .field("same_site", &self.same_site)
            .field("timeout", &self.timeout)
            .field("reissue_time", &self.reissue_time)
            .field("max_lifetime", &self.max_lifetime)
            .field("max_clock_skew", &self.max_clock_skew)
            .field("set_on_error", &self.set_on_error)
            .field("cache_headers", &self.cache_headers)
            .field("size_limit", &self.size_limit)
            .field("accept_encrypted_cookies", &self.accept_encrypted_cookies)
            .field(
                "on_fallback_key",
                &self.on_fallback_key.as_ref().map(|_| "<hook>"),
            )
            .field("allow_short_secret", &self.allow_short_secret)
            .finish_non_exhaustive()
    }
}

impl CookieSessionBuilder {
    pub(crate) fn new(keys: KeyRing) -> Self {
        Self {
            keys,
            format: Format::default(),
            salt: None,
            cookie_name: "session".to_owned(),
            path: Some("/".to_owned()),
            domain: None,
            max_age: None,
            secure: true,
            http_only: true,
            same_site: Some(SameSite::Lax),
            timeout: Some(DEFAULT_TIMEOUT),
            reissue_time: Some(DEFAULT_REISSUE_TIME),
            max_lifetime: None,
            max_clock_skew: DEFAULT_MAX_CLOCK_SKEW,
            set_on_error: true,
            cache_headers: true,
            size_limit: DEFAULT_SIZE_LIMIT,
            clock: Arc::new(SystemClock),
            on_fallback_key: None,
            allow_short_secret: false,
            accept_encrypted_cookies: false,
        }
    }

    /// The wire format. Default: [`Format::Signed`], the native signed envelope.
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Shorthand for `.format(Format::Pyramid(hash))`: read and write Pyramid's cookies.
    /// Remember to set Pyramid's `timeout`, `reissue_time` and `cookie_name` too if they differ
    /// from the defaults here.
    pub fn pyramid(self, hash: PyramidHash) -> Self {
        self.format(Format::Pyramid(hash))
    }

    /// Read and write Flask 3.x's session cookies ([`Format::Flask`] with SHA-1), with Flask's
    /// defaults, so a Rust service and a Flask app can share one session. The secrets are the
    /// app's `SECRET_KEY` (the primary, the only one that signs) then its
    /// `SECRET_KEY_FALLBACKS` (verify-only; a cookie they verify is re-signed with the primary).
    ///
    /// What it sets, each the Flask default:
    ///
    /// * cookie name `"session"` (`SESSION_COOKIE_NAME`);
    /// * salt `"cookie-session"` ([`DEFAULT_FLASK_SALT`](crate::DEFAULT_FLASK_SALT)) unless
    ///   [`salt`](Self::salt) was or is called; an explicitly empty salt stays empty, as in
    ///   itsdangerous;
    /// * `timeout` 2 678 400 s (31 days, `PERMANENT_SESSION_LIFETIME`), the `max_age` Flask checks
    ///   on every session, permanent or not;
    /// * `reissue_time` one day (a choice, see below);
    /// * `max_lifetime` none (Flask has no absolute cap).
    ///
    /// The state is Flask's tagged JSON as stored (`{" t": [...]}` for a tuple, and so on; see
    /// [`flask`](crate::flask) for typed helpers). To use another hash (a subclassed
    /// `digest_method`), follow with `.format(Format::Flask(hash))`. A `timeout` of a day or
    /// less needs a shorter `reissue_time` too. Cookie attributes keep this crate's safe defaults
    /// (`Secure`, `HttpOnly`, `SameSite=Lax`, no `Max-Age`); Flask's are `HttpOnly` only.
    ///
    /// # What the session rules mean for a Flask cookie
    ///
    /// A Flask cookie carries one timestamp, the time it was signed. It is read as both
    /// `created` and `accessed`, and written from `accessed` (now after the session was used;
    /// the old stamp when the cookie is only re-sent for a key rotation, so a rotation never
    /// extends a session). So `timeout` is Flask's `max_age`, measured from the last signing in
    /// whole seconds: the cookie is expired when `int(now) - signed > timeout`, and one signed
    /// even a second in the future is refused ([`DecodeError::NotYetValid`](crate::DecodeError),
    /// Flask's "signature age < 0"). `max_lifetime` is measured from the same stamp, so it can
    /// only shorten `timeout`; a real cap on a session's age needs a value inside the session.
    ///
    /// # Re-signing on reads
    ///
    /// Flask re-signs a *permanent* session on every request (`SESSION_REFRESH_EACH_REQUEST`)
    /// and a non-permanent one only when it changes, yet expires both 31 days after the last
    /// signing. Here a session that is only read is re-signed once its cookie is more than a day
    /// old: active users keep a sliding 31-day window, as with Flask's permanent sessions, at
    /// one `Set-Cookie` a day rather than one per request. `.reissue_time(None)` gives Flask's
    /// non-permanent behaviour exactly; `.reissue_time(Duration::ZERO)` its permanent one (on
    /// reads; an untouched session is never re-sent). A cookie re-signed here is a cookie Flask
    /// accepts. Flask's `_permanent` flag is kept in the session as it is, but it does not
    /// set the cookie's `Max-Age` here: when the Flask app makes sessions permanent, set
    /// `.max_age(Duration::from_secs(2_678_400))` too.
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, DecodeError, KeyRing, Secret, UnixTime};
    /// let ring = KeyRing::new(Secret::from_text("the SECRET_KEY of the flask app"))
    ///     .with_verify_only(Secret::from_text("an older key in SECRET_KEY_FALLBACKS"));
    /// let factory = CookieSessionFactory::builder(ring).flask().build()?;
    /// assert_eq!(factory.cookie_name(), "session");
    ///
    /// let now = UnixTime::from_secs(1_769_904_000);
    /// let mut session = factory.load(None, now);
    /// session.insert("uid", "u-1001")?;
    /// let cookie = factory.finish(&session, now)?.unwrap();
    /// // Flask's spelling: base64url of sorted, compact JSON, a timestamp, an HMAC-SHA1.
    /// assert!(cookie.value().starts_with("eyJ1aWQiOiJ1LTEwMDEifQ.aX6XgA."));
    /// let session = factory.load(Some(cookie.value()), now);
    /// assert_eq!(session.get::<String>("uid")?.as_deref(), Some("u-1001"));
    ///
    /// // One character of the payload changed: the signature no longer verifies.
    /// let tampered = cookie.value().replacen("eyJ1aWQiOiJ1LTEwMDEi", "eyJ1aWQiOiJ1LTEwMDIi", 1);
    /// assert_eq!(factory.verify(&tampered, now).unwrap_err(), DecodeError::BadSignature);
    /// // Signed one second in the future: refused, as Flask does.
    /// let early = UnixTime::from_secs(1_769_903_999);
    /// assert_eq!(factory.verify(cookie.value(), early).unwrap_err(), DecodeError::NotYetValid);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flask(self) -> Self {
        self.format(Format::Flask(PyramidHash::Sha1))
            .cookie_name("session")
            .timeout(FLASK_PERMANENT_SESSION_LIFETIME)
            .reissue_time(FLASK_REISSUE_TIME)
            .max_lifetime(None)
    }

    /// Read and write Pyramid 1.x `UnencryptedCookieSessionFactoryConfig(secret)` cookies
    /// ([`Format::PyramidLegacy`]), with that factory's defaults:
    ///
    /// * cookie name `"session"`; no salt (setting one is a configuration error);
    /// * `timeout` 1200 s, measured as Pyramid does from `accessed` (`now - accessed > timeout`);
    /// * `reissue_time` 0, which that factory hard-codes: any read in a later second re-sends the
    ///   cookie with a fresh `accessed`, so the stamp Pyramid's timeout checks stays current;
    /// * `max_lifetime` none (Pyramid has no such cap).
    ///
    /// `created` is the float Pyramid stamped when the session began; `accessed` the whole
    /// second of the last write (or the float read back, when the cookie is only re-sent).
    /// The key ring is the secret then fallbacks, tried in turn (Pyramid 1.x has one secret; a
    /// cookie verified under a fallback is re-issued under the first). Text secrets become
    /// bytes by WebOb's rule (Latin-1, or UTF-8 when a character does not fit). A secret
    /// shorter than 16 bytes (such as `supersecretkey`) also needs
    /// [`allow_short_secret`](Self::allow_short_secret).
    ///
    /// The session holds what JSON can: a validly signed pickle with bytes, sets, datetimes or
    /// any object loads as a new session with [`DecodeError::Unsupported`](crate::DecodeError)
    /// (nothing is imported or called), and tuples are read as arrays and written back as lists.
    /// The cookie attributes keep this crate's safe defaults (`Secure`, `HttpOnly`,
    /// `SameSite=Lax`); Pyramid's were off, which changes nothing in the cookie's value.
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, DecodeError, Secret, UnixTime};
    /// let factory = CookieSessionFactory::builder(Secret::from_text("a pyramid 1.x secret"))
    ///     .pyramid_legacy()
    ///     .build()?;
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let mut session = factory.load(None, now);
    /// session.insert("username", "john")?;
    /// let cookie = factory.finish(&session, now)?.unwrap();
    /// assert!(cookie.as_str().starts_with("session="));
    /// let session = factory.load(Some(cookie.value()), now);
    /// assert_eq!(session.get::<String>("username")?.as_deref(), Some("john"));
    ///
    /// // One changed character in the signature: refused before the pickle is read.
    /// let mut tampered = cookie.value().to_owned();
    /// let first = if tampered.starts_with('0') { "1" } else { "0" };
    /// tampered.replace_range(..1, first);
    /// assert_eq!(factory.verify(&tampered, now).unwrap_err(), DecodeError::BadSignature);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pyramid_legacy(mut self) -> Self {
        self.salt = None;
        self.cookie_name = "session".to_owned();
        self.timeout = Some(DEFAULT_TIMEOUT);
        self.reissue_time = Some(Duration::ZERO);
        self.max_lifetime = None;
        self.format(Format::PyramidLegacy)
    }

    /// Read and write the cookies of Django's `signed_cookies` session backend
    /// (`SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"`), with Django's
    /// defaults, so that a Rust service and a Django app share their users' sessions. The key
    /// ring is Django's `SECRET_KEY` (as text, or raw bytes) then its `SECRET_KEY_FALLBACKS`:
    /// every key verifies, the first signs. Call it first, then override what your settings
    /// change.
    ///
    /// | setting | set to | Django's |
    /// |---|---|---|
    /// | format | [`Format::Django`]`(hash)` | `DjangoHash::Sha256` since Django 4.0 |
    /// | salt | `"django.contrib.sessions.backends.signed_cookies"` unless `.salt` is given | the backend's |
    /// | `cookie_name` | `"sessionid"` | `SESSION_COOKIE_NAME` |
    /// | `timeout` | 1 209 600 s, from the signing time | `SESSION_COOKIE_AGE` |
    /// | `max_age` | 1 209 600 s | the cookie's `Max-Age` |
    /// | `reissue_time` | `None` | `SESSION_SAVE_EVERY_REQUEST = False` |
    /// | `set_on_error` | `false` | no cookie on a 5xx response |
    ///
    /// What the session rules mean here: a Django cookie carries one timestamp, the time it was
    /// signed, which is read as both `created` and `accessed`. `timeout` is Django's `max_age`:
    /// a cookie is expired once `now - signed > timeout` (fractional `now`), and one stamped in
    /// the future is accepted, as in Django. A cookie is re-signed, with a new timestamp, when
    /// the session changed (Django's rule), or when it verified under a fallback key (rotation:
    /// then with its old timestamp if it was not read, so rotation never extends a session).
    /// `reissue_time` is `None` so that reads alone do not extend a session, as in Django; a
    /// Django app with `SESSION_SAVE_EVERY_REQUEST = True` matches `.reissue_time(Duration::ZERO)`
    /// (re-signed on reads in a new second). `max_lifetime` cannot be an absolute cap with this
    /// format: the creation time is not in the cookie, so it is measured from the last signing,
    /// like `timeout`. Left as this library's defaults, not Django's: `Secure` (on; Django's
    /// `SESSION_COOKIE_SECURE` is off, `.secure(false)` matches it), `HttpOnly`, `SameSite=Lax`
    /// and `Path=/` (the same as Django's).
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, DecodeError, DjangoHash, Secret, UnixTime};
    /// let factory = CookieSessionFactory::builder(Secret::from_text("django-insecure-0123456789abcdef"))
    ///     .django(DjangoHash::Sha256)
    ///     .build()?;
    /// let now = UnixTime::from_secs(1_772_323_200);
    /// let mut session = factory.load(None, now);
    /// session.insert("_auth_user_id", "1001")?;
    /// let cookie = factory.finish(&session, now)?.unwrap();
    /// assert!(cookie.as_str().starts_with("sessionid=eyJfYXV0aF91c2VyX2lkIjoiMTAwMSJ9:1vwUE4:"));
    ///
    /// let session = factory.load(Some(cookie.value()), now);
    /// assert_eq!(session.get::<String>("_auth_user_id")?.as_deref(), Some("1001"));
    ///
    /// let tampered = cookie.value().replacen("eyJ", "eyK", 1);
    /// assert_eq!(factory.verify(&tampered, now).unwrap_err(), DecodeError::BadSignature);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn django(self, hash: DjangoHash) -> Self {
        self.format(Format::Django(hash))
            .cookie_name(DJANGO_SESSION_COOKIE_NAME)
            .timeout(DJANGO_SESSION_COOKIE_AGE)
            .max_age(DJANGO_SESSION_COOKIE_AGE)
            .reissue_time(None)
            .set_on_error(false)
    }

    /// Shorthand for `.format(Format::Encrypted)`: the native envelope encrypted with
    /// XAES-256-GCM, so clients cannot read their session. Signed cookies made under the
    /// same key ring are still read, and re-issued encrypted. Needs the `encryption` feature.
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, Format, Secret};
    /// let factory = CookieSessionFactory::builder(Secret::generate()).encrypted().build()?;
    /// assert_eq!(factory.format(), Format::Encrypted);
    /// # Ok::<(), cookie_session::ConfigError>(())
    /// ```
    #[cfg(feature = "encryption")]
    pub fn encrypted(self) -> Self {
        self.format(Format::Encrypted)
    }

    /// Whether a factory writing signed cookies reads encrypted ones. Default: `false`.
    ///
    /// A factory re-issues what it reads in the suite it writes, so a signed factory reading an
    /// encrypted cookie would hand its hidden contents back to the browser readable. By default
    /// such a cookie is refused ([`DecodeError::SuiteNotAccepted`](crate::DecodeError)) and the
    /// user gets a new session. Turn this on only to roll back from encrypted to signed cookies
    /// whose sessions hold nothing their users may not read: the sessions then survive the
    /// rollback. Moving to encryption needs no opt-in: an encrypting factory always reads signed
    /// cookies and re-issues them encrypted. Without the `encryption` feature an encrypted cookie
    /// is an unknown suite, whatever this says.
    ///
    /// ```
    /// # #[cfg(feature = "encryption")] {
    /// use cookie_session::{CookieSessionFactory, DecodeError, Format, Secret, UnixTime};
    /// let (secret, now) = (Secret::generate(), UnixTime::from_secs(1_700_000_000));
    /// let encrypting = CookieSessionFactory::builder(secret.clone())
    ///     .format(Format::Encrypted)
    ///     .build()?;
    /// let mut session = encrypting.load(None, now);
    /// session.insert("role", "admin")?;
    /// let cookie = encrypting.finish(&session, now)?.unwrap();
    ///
    /// let signed = CookieSessionFactory::new(secret.clone())?;
    /// let refused = signed.verify(cookie.value(), now).unwrap_err();
    /// assert_eq!(refused, DecodeError::SuiteNotAccepted(0x03));
    /// let rolling_back = CookieSessionFactory::builder(secret)
    ///     .accept_encrypted_cookies(true)
    ///     .build()?;
    /// assert!(rolling_back.verify(cookie.value(), now).is_ok());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept_encrypted_cookies(mut self, accept: bool) -> Self {
        self.accept_encrypted_cookies = accept;
        self
    }

    /// The salt (Pyramid) or purpose (native format) mixed into every signature, so that two
    /// applications sharing a secret cannot accept each other's cookies. Default: empty for the
    /// native format, `"pyramid.session."` for the Pyramid format (Pyramid's default).
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, DecodeError, Secret, UnixTime};
    /// let secret = Secret::generate();
    /// let shop = CookieSessionFactory::builder(secret.clone()).salt("shop").build()?;
    /// let blog = CookieSessionFactory::builder(secret).salt("blog").build()?;
    /// let now = UnixTime::from_secs(1_700_000_000);
    ///
    /// let cookie = shop.encode_value(&Default::default(), now, now)?;
    /// assert!(shop.verify(&cookie, now).is_ok());
    /// assert_eq!(blog.verify(&cookie, now).unwrap_err(), DecodeError::BadSignature);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn salt(mut self, salt: impl Into<Salt>) -> Self {
        self.salt = Some(salt.into());
        self
    }

    /// The cookie's name. Default: `"session"`. The native format binds the name into the
    /// signature, so renaming the cookie ends existing sessions.
    ///
    /// **Prefer a `__Host-` name** (`"__Host-session"`) for a new deployment. Browsers accept
    /// such a cookie only from a secure origin, with `Path=/` and without `Domain`, so it is
    /// bound to exactly one host: a sibling subdomain (`evil.example.com`, a user's page on a
    /// shared domain) cannot plant, overwrite or shadow it, as it can a plain cookie by setting
    /// one for `.example.com` (cookie tossing: it plants a session of its own choosing, the
    /// first step of a session fixation). `__Secure-` only requires `Secure`. Both are checked
    /// at [`build`](Self::build): a prefixed name with the wrong attributes is a
    /// [`ConfigError::CookiePrefix`], not a cookie the browser silently drops. Keep a plain
    /// name only when a Python app that shares the cookie uses it.
    ///
    /// ```
    /// use cookie_session::{ConfigError, CookieSessionFactory, DecodeError, Secret, UnixTime};
    /// let secret = Secret::generate();
    /// let sid = CookieSessionFactory::builder(secret.clone()).cookie_name("sid").build()?;
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let mut session = sid.load(None, now);
    /// session.insert("user", 7)?;
    /// let cookie = sid.finish(&session, now)?.unwrap();
    /// assert!(cookie.as_str().starts_with("sid="));
    ///
    /// // The same secret under the default name does not accept it.
    /// let renamed = CookieSessionFactory::new(secret.clone())?;
    /// assert_eq!(renamed.verify(cookie.value(), now).unwrap_err(), DecodeError::BadSignature);
    ///
    /// // `__Host-` needs Secure, Path=/ and no Domain (the defaults give the first two).
    /// CookieSessionFactory::builder(secret.clone()).cookie_name("__Host-session").build()?;
    /// let shared = CookieSessionFactory::builder(secret)
    ///     .cookie_name("__Host-session")
    ///     .domain("example.com".to_owned())
    ///     .build();
    /// assert_eq!(
    ///     shared.unwrap_err(),
    ///     ConfigError::CookiePrefix { prefix: "__Host-", requirement: "no Domain" }
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// The cookie's `Path`. Default: `"/"`; `None` omits the attribute.
    pub fn path(mut self, path: impl Into<Option<String>>) -> Self {
        self.path = path.into();
        self
    }

    /// The cookie's `Domain`. Default: none (the cookie goes only to the host that set it).
    pub fn domain(mut self, domain: impl Into<Option<String>>) -> Self {
        self.domain = domain.into();
        self
    }

    /// The cookie's `Max-Age`, whole seconds. Default: none, a browser-session cookie. It slides
    /// with every re-issue. It does not limit the session on the server: that is `timeout`'s job.
    pub fn max_age(mut self, max_age: impl Into<Option<Duration>>) -> Self {
        self.max_age = max_age.into();
        self
    }

    /// The `Secure` attribute. Default: `true`. Browsers still send `Secure` cookies to
    /// `http://localhost`; turn it off only for plain-HTTP development on another host.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The `HttpOnly` attribute, which hides the cookie from scripts. Default: `true`.
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// The `SameSite` attribute. Default: [`SameSite::Lax`]; `None` (the Rust value, not
    /// [`SameSite::None`]) omits the attribute.
    pub fn same_site(mut self, same_site: impl Into<Option<SameSite>>) -> Self {
        self.same_site = same_site.into();
        self
    }

    /// Idle timeout, checked on the server against the signed `accessed` stamp: a session idle
    /// for longer loads as empty. Default: 1200 s (Pyramid's); `None` never expires.
    ///
    /// As in Pyramid the check is `now - accessed > timeout` on fractional seconds: a cookie is
    /// still valid exactly `timeout` after its stamp, and expired any time later.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cookie_session::{CookieSessionFactory, DecodeError, Secret, UnixTime};
    /// let factory = CookieSessionFactory::builder(Secret::generate())
    ///     .timeout(Duration::from_secs(600))
    ///     .build()?;
    /// let t0 = UnixTime::from_secs(1_700_000_000);
    /// let cookie = factory.encode_value(&Default::default(), t0, t0)?;
    ///
    /// assert!(factory.verify(&cookie, t0.plus(Duration::from_secs(600))).is_ok());
    /// let late = t0.plus(Duration::from_millis(600_500));
    /// assert_eq!(factory.verify(&cookie, late).unwrap_err(), DecodeError::Expired);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// How old a cookie must be before a mere read re-sends it with a fresh `accessed` stamp,
    /// so that active readers are not logged out by the timeout. Default: 120 s; `Some(0)` is
    /// Pyramid's default (re-send on every read in a new second); `None` never re-sends on reads.
    /// Must be shorter than `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cookie_session::{ConfigError, CookieSessionFactory, DEFAULT_TIMEOUT, Secret, UnixTime};
    /// let factory = CookieSessionFactory::builder(Secret::generate())
    ///     .reissue_time(Duration::from_secs(60))
    ///     .build()?;
    /// let t0 = UnixTime::from_secs(1_700_000_000);
    /// let cookie = factory.encode_value(&Default::default(), t0, t0)?;
    /// for (after, resent) in [(60, false), (61, true)] {
    ///     let now = t0.plus(Duration::from_secs(after));
    ///     let session = factory.load(Some(&cookie), now);
    ///     let _ = session.len(); // a read, no write
    ///     assert_eq!(factory.finish(&session, now)?.is_some(), resent);
    /// }
    ///
    /// let equal = CookieSessionFactory::builder(Secret::generate()).reissue_time(DEFAULT_TIMEOUT);
    /// assert!(matches!(equal.build(), Err(ConfigError::ReissueNotBelowTimeout { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reissue_time(mut self, reissue_time: impl Into<Option<Duration>>) -> Self {
        self.reissue_time = reissue_time.into();
        self
    }

    /// An absolute cap on a session's age, measured from `created`, whatever the activity.
    /// Default: none (as in Pyramid). A session past it loads as a new one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cookie_session::{CookieSessionFactory, DecodeError, Secret, UnixTime};
    /// let factory = CookieSessionFactory::builder(Secret::generate())
    ///     .max_lifetime(Duration::from_secs(3600))
    ///     .build()?;
    /// let created = UnixTime::from_secs(1_700_000_000);
    /// let at = |secs| created.plus(Duration::from_secs(secs));
    /// // Active all along: last issued ten seconds before the cap.
    /// let cookie = factory.encode_value(&Default::default(), created, at(3590))?;
    ///
    /// assert!(factory.verify(&cookie, at(3600)).is_ok());
    /// let session = factory.load(Some(&cookie), at(3601));
    /// assert!(session.is_new(), "unlike an idle expiry, the session starts over");
    /// assert_eq!(session.load_error(), Some(DecodeError::LifetimeExceeded));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_lifetime(mut self, max_lifetime: impl Into<Option<Duration>>) -> Self {
        self.max_lifetime = max_lifetime.into();
        self
    }

    /// How far in the future a native cookie's timestamps may be (clock skew between servers)
    /// before it is refused. Default: 60 s. Pyramid cookies are never refused for this, as in
    /// Pyramid.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cookie_session::{CookieSessionFactory, DecodeError, Secret, UnixTime};
    /// let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let stamp = UnixTime::from_secs(1_700_000_060);
    /// // Written by a server whose clock runs ahead.
    /// let cookie = factory.encode_value(&Default::default(), stamp, stamp)?;
    ///
    /// assert!(factory.verify(&cookie, UnixTime::from_secs(1_700_000_000)).is_ok());
    /// let too_early = factory.verify(&cookie, UnixTime::from_secs(1_699_999_999));
    /// assert_eq!(too_early.unwrap_err(), DecodeError::NotYetValid);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// Whether an error response (status 5xx) still carries the session cookie (Pyramid's
    /// `set_on_exception`). Default: `true`, as Pyramid. With `false`, what a failed request
    /// changed in the session is dropped and the browser keeps its previous cookie.
    ///
    /// The default stays `true` because a 5xx the handler returned is an answer it chose, after
    /// changes it may mean to keep (a failed-attempt counter, a flash message). The half-done
    /// case, a handler that panicked, never writes the session whatever this says (see the
    /// [adapter contract](crate::LazySession#the-adapter-contract)).
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, Secret, UnixTime};
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// for (set_on_error, sent) in [(true, true), (false, false)] {
    ///     let factory = CookieSessionFactory::builder(Secret::generate())
    ///         .set_on_error(set_on_error)
    ///         .build()?;
    ///     let mut session = factory.load(None, now);
    ///     session.insert("user", 7)?;
    ///     assert_eq!(factory.finish_for_status(&session, 500, now)?.is_some(), sent);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_on_error(mut self, set_on_error: bool) -> Self {
        self.set_on_error = set_on_error;
        self
    }

    /// Whether the adapters add cache headers: `Vary: Cookie` on a response whose session was
    /// used, and `Cache-Control: private` on one that carries the session's `Set-Cookie` unless
    /// the handler set its own `Cache-Control`, so that a shared cache never hands one user's
    /// session to another. Default: `true` (as Django and Flask do).
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, Secret};
    /// let factory = CookieSessionFactory::builder(Secret::generate())
    ///     .cache_headers(false) // e.g. a cache in front already keys on the cookie
    ///     .build()?;
    /// assert!(!factory.cache_headers());
    /// # Ok::<(), cookie_session::ConfigError>(())
    /// ```
    pub fn cache_headers(mut self, cache_headers: bool) -> Self {
        self.cache_headers = cache_headers;
        self
    }

    /// The largest `Set-Cookie` header value (name, value and attributes) that may be sent, in
    /// bytes. Default: 4096. A larger session is refused with
    /// [`EncodeError::TooLarge`](crate::EncodeError::TooLarge) instead of being dropped by the
    /// browser; incoming cookie values longer than this are rejected before they are decoded.
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, DecodeError, EncodeError, Secret, UnixTime};
    /// let factory = CookieSessionFactory::builder(Secret::generate())
    ///     .size_limit(4096)
    ///     .build()?;
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let mut session = factory.load(None, now);
    /// session.insert("notes", "x".repeat(5000))?;
    /// let error = factory.finish(&session, now).unwrap_err();
    /// assert!(matches!(error, EncodeError::TooLarge { size, limit: 4096 } if size > 5000));
    ///
    /// let oversized = "A".repeat(5000);
    /// let expected = DecodeError::TooLong { len: 5000, limit: 4096 };
    /// assert_eq!(factory.verify(&oversized, now).unwrap_err(), expected);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn size_limit(mut self, bytes: usize) -> Self {
        self.size_limit = bytes;
        self
    }

    /// The clock the adapters read the time from. Default: the system clock. Tests use a
    /// [`ManualClock`](crate::ManualClock).
    ///
    /// ```
    /// use std::time::Duration;
    /// use cookie_session::{CookieSessionFactory, DecodeError, LazySession, ManualClock};
    /// # use cookie_session::{Secret, UnixTime};
    /// let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
    /// let factory = CookieSessionFactory::builder(Secret::generate())
    ///     .clock(clock.clone())
    ///     .build()?;
    /// let mut session = factory.load(None, factory.now());
    /// session.insert("user", 7)?;
    /// let cookie = factory.finish(&session, factory.now())?.unwrap();
    ///
    /// clock.advance(Duration::from_secs(1201)); // past the default idle timeout
    /// let header = format!("session={}", cookie.value());
    /// let session = LazySession::new(factory, [header.as_bytes()]);
    /// assert_eq!(session.with(|s| s.load_error()), Some(DecodeError::Expired));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// A function called on every request whose cookie verified under a verify-only key (and
    /// was within its time limits), with that key's index in the ring (1 = the newest
    /// verify-only key): feed a metric with it to see when an old key can be retired. It runs on
    /// the request path, so keep it cheap. Default: none.
    /// [`CookieSessionFactory::stats`] counts the same events without a hook.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use cookie_session::{CookieSessionFactory, KeyRing, Secret, UnixTime};
    ///
    /// let (old, new) = (Secret::generate(), Secret::generate());
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let mut session = CookieSessionFactory::new(old.clone())?.load(None, now);
    /// session.insert("user", 7)?;
    /// let cookie = CookieSessionFactory::new(old.clone())?.finish(&session, now)?.unwrap();
    ///
    /// let old_key_uses = Arc::new(AtomicUsize::new(0));
    /// let counter = Arc::clone(&old_key_uses);
    /// let factory = CookieSessionFactory::builder(KeyRing::new(new).with_verify_only(old))
    ///     .on_fallback_key(move |key_index| {
    ///         assert_eq!(key_index, 1);
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .build()?;
    /// let _ = factory.load(Some(cookie.value()), now);
    /// assert_eq!(old_key_uses.load(Ordering::Relaxed), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_fallback_key(mut self, hook: impl Fn(usize) + Send + Sync + 'static) -> Self {
        self.on_fallback_key = Some(Arc::new(hook));
        self
    }

    /// Lets a format that shares cookies with a Python framework (Pyramid) use a secret shorter
    /// than 16 bytes, the length of an existing app's secret that cannot be changed yet. Default:
    /// off, and such a secret is a [`ConfigError::SecretTooShort`] (or, from a key file or
    /// variable, a [`ConfigError::KeySource`] naming its line) at build and on every reload.
    /// With it, the factory builds and logs a warning for each short secret: anyone holding one
    /// cookie can brute-force a short secret offline and then forge any session. The native
    /// formats keep their 32-byte floor whatever this says
    /// ([`Format::min_secret_len`](crate::Format::min_secret_len)).
    ///
    /// ```
    /// use cookie_session::{ConfigError, CookieSessionFactory, PyramidHash, Secret};
    /// let legacy = || CookieSessionFactory::builder(Secret::from_text("seekrit"));
    /// let refused = legacy().pyramid(PyramidHash::Sha512).build().unwrap_err();
    /// assert_eq!(refused, ConfigError::SecretTooShort { index: 0, len: 7, min: 16 });
    ///
    /// legacy().pyramid(PyramidHash::Sha512).allow_short_secret().build()?;
    /// // The native format never accepts it.
    /// assert!(legacy().allow_short_secret().build().is_err());
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn allow_short_secret(mut self) -> Self {
        self.allow_short_secret = true;
        self
    }

    /// Checks the configuration, derives the keys and builds the factory.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first problem found.
    pub fn build(self) -> Result<CookieSessionFactory, ConfigError> {
        if !is_valid_cookie_name(&self.cookie_name) {
            return Err(ConfigError::InvalidCookieName(self.cookie_name));
        }
        for (attribute, value) in [("path", &self.path), ("domain", &self.domain)] {
            if value.as_deref().is_some_and(|v| !is_valid_attribute(v)) {
                return Err(ConfigError::InvalidAttribute { attribute });
            }
        }
        if self.same_site == Some(SameSite::None) && !self.secure {
            return Err(ConfigError::SameSiteNoneWithoutSecure);
        }
        check_cookie_prefix(&self)?;
        check_secret_len(self.format, &self.keys, self.allow_short_secret)?;
        // A zero timeout with a zero reissue time is Pyramid's "expire on the next second" and
        // is allowed; any other reissue time at or above the timeout would expire read-only
        // sessions while they are in use.
        if let (Some(reissue), Some(timeout)) = (self.reissue_time, self.timeout)
            && reissue >= timeout
            && !(reissue.is_zero() && timeout.is_zero())
        {
            return Err(ConfigError::ReissueNotBelowTimeout {
                reissue: reissue.as_secs(),
                timeout: timeout.as_secs(),
            });
        }
        if self.size_limit < MIN_SIZE_LIMIT {
            return Err(ConfigError::SizeLimitTooSmall {
                limit: self.size_limit,
                min: MIN_SIZE_LIMIT,
            });
        }
        CookieSessionFactory::from_config(self)
    }
}

/// Browsers drop a `__Secure-` cookie without `Secure`, and a `__Host-` cookie without `Secure`,
/// without `Path=/` or with a `Domain`; they match the prefixes in any letter case.
fn check_cookie_prefix(config: &CookieSessionBuilder) -> Result<(), ConfigError> {
    let name = config.cookie_name.as_bytes();
    let has_prefix = |prefix: &str| {
        name.len() >= prefix.len() && name[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    let (prefix, host_only) = if has_prefix("__Host-") {
        ("__Host-", true)
    } else if has_prefix("__Secure-") {
        ("__Secure-", false)
    } else {
        return Ok(());
    };
    let missing = if !config.secure {
        "Secure"
    } else if host_only && config.path.as_deref() != Some("/") {
        "Path=/"
    } else if host_only && config.domain.is_some() {
        "no Domain"
    } else {
        return Ok(());
    };
    Err(ConfigError::CookiePrefix {
        prefix,
        requirement: missing,
    })
}

/// The cookie attributes after the value, rendered once with the `cookie` crate.
pub(crate) fn render_attributes(config: &CookieSessionBuilder) -> String {
    let mut template = cookie::Cookie::new(config.cookie_name.clone(), "");
    if let Some(path) = &config.path {
        template.set_path(path.clone());
    }
    if let Some(domain) = &config.domain {
        template.set_domain(domain.clone());
    }
    if let Some(max_age) = config.max_age {
        let secs = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        template.set_max_age(cookie::time::Duration::seconds(secs));
    }
    template.set_secure(config.secure);
    template.set_http_only(config.http_only);
    template.set_same_site(config.same_site.map(|s| match s {
        SameSite::Strict => cookie::SameSite::Strict,
        SameSite::Lax => cookie::SameSite::Lax,
        SameSite::None => cookie::SameSite::None,
    }));
    let rendered = template.to_string();
    // `name=` comes first; everything after it is the attribute list.
    rendered[config.cookie_name.len() + 1..].to_owned()
}
