//! Wire formats: how a session becomes a cookie value and back.
//!
//! * [`Format::Signed`]: the native envelope, HMAC-SHA256 (the default).
//! * `Format::Encrypted` (feature `encryption`): the native envelope, XAES-256-GCM;
//!   `Format::EncryptedXChaCha` for XChaCha20-Poly1305 (machines without AES instructions).
//! * [`Format::Pyramid`]: byte-compatible with Pyramid's `SignedCookieSessionFactory`.
//! * [`Format::Flask`]: Flask 3.x's session cookie (itsdangerous `URLSafeTimedSerializer`).
//! * [`Format::PyramidLegacy`]: Pyramid 1.x's pickle cookies, read by a data-only parser.
//! * [`Format::Django`]: byte-compatible with Django's `signed_cookies` session backend.
//!
//! Each format only turns (state, timestamps) into a value and back, verifying before it parses.
//! The session rules (timeout, reissue, lifetime) live in the factory and are the same for all.

pub(crate) mod base64url;
pub(crate) mod compress;
pub(crate) mod django;
pub(crate) mod flask;
pub(crate) mod native;
pub(crate) mod pickle;
pub(crate) mod pyjson;
pub(crate) mod pyramid;
pub(crate) mod pyramid_legacy;

use std::fmt;
use std::str::FromStr;

use crate::error::{ConfigError, DecodeError, EncodeError};
use crate::keys::{KeyRing, Salt};
use crate::state::SessionState;
use django::DjangoHash;

/// Which wire format a factory reads and writes.
///
/// ```
/// use cookie_session::{Format, PyramidHash};
/// assert_eq!(Format::default(), Format::Signed);
/// let pyramid = Format::Pyramid(PyramidHash::Sha512);
/// assert_eq!(pyramid.to_string(), "pyramid (sha512)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Format {
    /// The native envelope, signed with HMAC-SHA256 (suite `0x01`). Readable by the client
    /// (it is base64 of JSON), but not forgeable. The default.
    #[default]
    Signed,
    /// The native envelope, encrypted and authenticated with XAES-256-GCM (suite `0x03`): the
    /// client can neither read nor forge the session. Needs the `encryption` feature.
    ///
    /// XAES-256-GCM is AES-256-GCM under a key derived per cookie from a random 192-bit nonce,
    /// so random nonces are safe for any realistic number of cookies, at the speed of the CPU's
    /// AES instructions. On a machine without them, [`Format::EncryptedXChaCha`] is faster; an
    /// encrypting factory reads both suites whichever it writes.
    ///
    /// An encrypting factory also reads signed cookies under the same key ring and re-issues them
    /// encrypted, so a deployment can switch to encryption without logging anyone out. The
    /// reverse is refused by default: a signed factory that read an encrypted cookie would
    /// re-issue its contents readable
    /// ([`accept_encrypted_cookies`](crate::CookieSessionBuilder::accept_encrypted_cookies)).
    ///
    /// The `created` and `accessed` stamps stay readable (they are authenticated, not
    /// encrypted), and the cookie's length follows the state's. The state is never compressed:
    /// compressing secrets together with values an attacker can influence, then encrypting,
    /// turns the cookie's length into an oracle for the secrets (the CRIME and BREACH attacks).
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, Format, Secret, UnixTime};
    /// let factory = CookieSessionFactory::builder(Secret::generate())
    ///     .format(Format::Encrypted)
    ///     .build()?;
    /// assert_eq!(factory.format().to_string(), "native encrypted");
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let mut session = factory.load(None, now);
    /// session.insert("username", "john")?;
    /// let cookie = factory.finish(&session, now)?.unwrap();
    /// let session = factory.load(Some(cookie.value()), now);
    /// assert_eq!(session.get::<String>("username")?.as_deref(), Some("john"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "encryption")]
    Encrypted,
    /// The native envelope, encrypted and authenticated with XChaCha20-Poly1305 (suite `0x02`),
    /// for machines without AES instructions; otherwise as [`Format::Encrypted`], whose cookies
    /// it reads (and the other way round). Needs the `encryption` feature.
    ///
    /// ```
    /// use cookie_session::{CookieSessionFactory, Format, Secret, UnixTime};
    /// let secret = Secret::generate();
    /// let build = |format| {
    ///     CookieSessionFactory::builder(secret.clone()).format(format).build()
    /// };
    /// let (xchacha, xaes) = (build(Format::EncryptedXChaCha)?, build(Format::Encrypted)?);
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let mut session = xchacha.load(None, now);
    /// session.insert("n", 1)?;
    /// let cookie = xchacha.finish(&session, now)?.unwrap();
    /// assert_eq!(xaes.load(Some(cookie.value()), now).get::<u8>("n")?, Some(1));
    /// assert!(xaes.load(Some("AAAA"), now).load_error().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "encryption")]
    EncryptedXChaCha,
    /// Pyramid's `SignedCookieSessionFactory` format with the given HMAC hash
    /// (Pyramid's default is SHA-512).
    Pyramid(PyramidHash),
    /// Flask 3.x's session cookie (`SecureCookieSessionInterface`: itsdangerous
    /// `URLSafeTimedSerializer`, `hmac` key derivation) with the given HMAC hash (Flask's is
    /// SHA-1). Set it with [`CookieSessionBuilder::flask`](crate::CookieSessionBuilder::flask),
    /// which also sets Flask's defaults.
    ///
    /// ```
    /// use cookie_session::{Format, PyramidHash};
    /// assert_eq!(Format::Flask(PyramidHash::Sha1).to_string(), "flask (sha1)");
    /// ```
    Flask(PyramidHash),
    /// Pyramid 1.x `UnencryptedCookieSessionFactoryConfig` cookies: HMAC-SHA1 in hex, then
    /// base64 of a pickle, read by a data-only parser (plain data only: anything else is
    /// [`DecodeError::Unsupported`](crate::DecodeError::Unsupported)). No salt. See
    /// [`CookieSessionBuilder::pyramid_legacy`](crate::CookieSessionBuilder::pyramid_legacy).
    PyramidLegacy,
    /// Django's `signed_cookies` session backend (`django.core.signing`) with the given hash
    /// (Django's default is SHA-256). See the builder's `.django(hash)` for its defaults.
    Django(DjangoHash),
}

/// The shortest secret a non-native format accepts unless the builder opted in with
/// [`allow_short_secret`](crate::CookieSessionBuilder::allow_short_secret): 16 bytes.
const MIN_COMPAT_SECRET_LEN: usize = 16;

impl Format {
    /// The shortest master secret this format accepts, in bytes: the one floor checked when a
    /// factory is built and on every key reload.
    ///
    /// The native formats need [`MIN_SECRET_LEN`](crate::MIN_SECRET_LEN) (32) bytes, always:
    /// HKDF needs that much key material. The formats that share cookies with a Python
    /// framework need 16 bytes, or any non-empty secret when `allow_short` is set (the builder's
    /// [`allow_short_secret`](crate::CookieSessionBuilder::allow_short_secret), for an existing
    /// app whose secret is shorter; a short secret can be brute-forced from one cookie).
    ///
    /// ```
    /// use cookie_session::{Format, PyramidHash};
    /// assert_eq!(Format::Signed.min_secret_len(false), 32);
    /// assert_eq!(Format::Signed.min_secret_len(true), 32, "native: no opt-out");
    /// let pyramid = Format::Pyramid(PyramidHash::Sha512);
    /// assert_eq!(pyramid.min_secret_len(false), 16);
    /// assert_eq!(pyramid.min_secret_len(true), 1);
    /// ```
    #[must_use]
    pub fn min_secret_len(self, allow_short: bool) -> usize {
        match self {
            Self::Signed => native::MIN_SECRET_LEN,
            #[cfg(feature = "encryption")]
            Self::Encrypted | Self::EncryptedXChaCha => native::MIN_SECRET_LEN,
            // Every other format shares cookies with a Python framework.
            _ if allow_short => 1,
            _ => MIN_COMPAT_SECRET_LEN,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Signed => f.write_str("native signed"),
            #[cfg(feature = "encryption")]
            Self::Encrypted => f.write_str("native encrypted"),
            #[cfg(feature = "encryption")]
            Self::EncryptedXChaCha => f.write_str("native encrypted (xchacha20-poly1305)"),
            Self::Pyramid(hash) => write!(f, "pyramid ({hash})"),
            Self::Flask(hash) => write!(f, "flask ({hash})"),
            Self::PyramidLegacy => f.write_str("pyramid-legacy (Pyramid 1.x pickle)"),
            Self::Django(hash) => write!(f, "django ({hash})"),
        }
    }
}

/// The HMAC hash of a Pyramid cookie (Pyramid's `hashalg`).
///
/// ```
/// use cookie_session::PyramidHash;
/// assert_eq!("sha256".parse::<PyramidHash>(), Ok(PyramidHash::Sha256));
/// assert_eq!(PyramidHash::default(), PyramidHash::Sha512);
/// assert!("sha3_256".parse::<PyramidHash>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PyramidHash {
    /// MD5 (16-byte signature). Only for reading old deployments; HMAC-MD5 is still unforgeable
    /// in practice, but prefer SHA-2.
    Md5,
    /// SHA-1 (20 bytes).
    Sha1,
    /// SHA-224 (28 bytes).
    Sha224,
    /// SHA-256 (32 bytes).
    Sha256,
    /// SHA-384 (48 bytes).
    Sha384,
    /// SHA-512 (64 bytes), Pyramid's default.
    #[default]
    Sha512,
}

impl PyramidHash {
    /// Pyramid's (hashlib's) name for the algorithm.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// Length of the signature in bytes.
    #[must_use]
    pub fn digest_len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

impl fmt::Display for PyramidHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`PyramidHash`] from an unknown name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported hash {0:?}: expected md5, sha1, sha224, sha256, sha384 or sha512")]
pub struct UnknownHash(pub String);

impl FromStr for PyramidHash {
    type Err = UnknownHash;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "md5" => Self::Md5,
            "sha1" => Self::Sha1,
            "sha224" => Self::Sha224,
            "sha256" => Self::Sha256,
            "sha384" => Self::Sha384,
            "sha512" => Self::Sha512,
            _ => return Err(UnknownHash(name.to_owned())),
        })
    }
}

/// What a format recovered from a cookie whose signature verified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decoded {
    pub(crate) state: SessionState,
    pub(crate) created: f64,
    pub(crate) accessed: f64,
    /// Position in the key ring of the key that verified the cookie.
    pub(crate) key_index: usize,
    /// The cookie is in a suite other than the one this codec writes (signed read by an
    /// encrypted factory, or the reverse): re-issue it in the configured one.
    pub(crate) other_suite: bool,
}

/// The `accessed` stamp to write. Pyramid writes `int(now)` after any access, but the float it
/// read when a session is only re-sent (`changed()` without access), and the vectors pin both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stamp {
    Whole(i64),
    Exact(f64),
}

impl Stamp {
    /// Whole seconds, clamped to the range of an unsigned header field.
    pub(crate) fn whole_secs(self) -> u64 {
        match self {
            Self::Whole(secs) => secs.max(0) as u64,
            Self::Exact(secs) => secs.max(0.0).floor() as u64,
        }
    }
}

/// What the factory asks of every wire format, once its keys are prepared.
///
/// A format only turns (state, timestamps) into a cookie value and back, verifying before it
/// parses; the session rules live in the factory. A new format is a new module that implements
/// this trait, plus one arm in [`Codec::build`]: no other format changes.
pub(crate) trait WireFormat: Send + Sync {
    /// Verifies a cookie value, then parses it. No time rules: those are the factory's.
    fn decode(&self, value: &str) -> Result<Decoded, DecodeError>;

    /// Seals a session into a cookie value with the primary key, appended to `out`.
    fn encode_into(
        &self,
        state: &SessionState,
        created: f64,
        accessed: Stamp,
        out: &mut ValueOut<'_>,
    ) -> Result<(), EncodeError>;

    /// Seals a session into a cookie value of its own.
    fn encode(
        &self,
        state: &SessionState,
        created: f64,
        accessed: Stamp,
    ) -> Result<String, EncodeError> {
        let mut out = ValueOut::new(None, 0);
        self.encode_into(state, created, accessed, &mut out)?;
        Ok(out.into_parts().0)
    }

    /// How the factory judges this format's timestamps.
    fn clock_rules(&self) -> ClockRules;
}

/// Where a format writes a cookie value: after the `Set-Cookie` header's `name=` (when there is
/// one), keeping room for `room_after` more bytes (the attributes), so that the whole header is
/// allocated once, at its final size, and the value is never copied out of it.
pub(crate) struct ValueOut<'a> {
    cookie_name: Option<&'a str>,
    room_after: usize,
    text: String,
}

impl<'a> ValueOut<'a> {
    /// An empty output; nothing is allocated before the format knows the value's length.
    pub(crate) fn new(cookie_name: Option<&'a str>, room_after: usize) -> Self {
        Self {
            cookie_name,
            room_after,
            text: String::new(),
        }
    }

    /// Where the value starts: after `name=`, or at 0.
    fn value_start(&self) -> usize {
        self.cookie_name.map_or(0, |name| name.len() + 1)
    }

    /// Makes room for `len` more bytes of value (and the room after it). The first call
    /// allocates the whole header and writes `name=`.
    pub(crate) fn reserve(&mut self, len: usize) {
        if self.text.capacity() == 0 {
            self.text = String::with_capacity(self.value_start() + len + self.room_after);
            if let Some(name) = self.cookie_name {
                self.text.push_str(name);
                self.text.push('=');
            }
        } else {
            self.text.reserve(len + self.room_after);
        }
    }

    /// Appends text to the value.
    pub(crate) fn push_str(&mut self, text: &str) {
        self.reserve(text.len());
        self.text.push_str(text);
    }

    /// Appends `bytes` as unpadded base64url, encoded straight into the header.
    pub(crate) fn push_base64(&mut self, bytes: &[u8]) {
        self.reserve(base64url::encoded_len(bytes.len()));
        base64url::encode_into(bytes, &mut self.text);
    }

    /// The text written (`name=value`, or the value alone) and where the value starts.
    pub(crate) fn into_parts(mut self) -> (String, usize) {
        self.reserve(0);
        let start = self.value_start();
        (self.text, start)
    }
}

/// How the factory judges a format's timestamps. A port must accept what its framework accepts
/// and refuse what it refuses, so these follow each framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClockRules {
    /// What a cookie stamped later than now gets.
    pub(crate) future_stamps: FutureStamps,
    /// Ages are measured from `now` truncated to whole seconds (itsdangerous' `int(time.time())`)
    /// rather than from the exact time.
    pub(crate) whole_second_now: bool,
}

/// What a cookie stamped later than now gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FutureStamps {
    /// Accepted (Pyramid and Django have no such rule).
    Accept,
    /// Refused when beyond the factory's configured clock skew (the native envelope).
    RefuseBeyondSkew,
    /// Refused, whatever the skew (Flask: a negative signature age is an error).
    Refuse,
}

/// A format with its keys derived: ready to decode and encode.
pub(crate) struct Codec(Box<dyn WireFormat>);

impl Codec {
    pub(crate) fn build(
        format: Format,
        ring: &KeyRing,
        salt: Option<&Salt>,
        cookie_name: &str,
        accept_encrypted: bool,
    ) -> Result<Self, ConfigError> {
        ring.check_duplicates()?;
        let codec: Box<dyn WireFormat> = match format {
            Format::Signed => Box::new(native::NativeCodec::new::<native::Signed>(
                ring,
                salt,
                cookie_name,
                accept_encrypted,
            )?),
            #[cfg(feature = "encryption")]
            Format::Encrypted => Box::new(native::NativeCodec::new::<native::Xaes>(
                ring,
                salt,
                cookie_name,
                accept_encrypted,
            )?),
            #[cfg(feature = "encryption")]
            Format::EncryptedXChaCha => Box::new(native::NativeCodec::new::<native::XChaCha>(
                ring,
                salt,
                cookie_name,
                accept_encrypted,
            )?),
            Format::Pyramid(hash) => Box::new(pyramid::PyramidCodec::new(ring, salt, hash)),
            Format::Flask(hash) => Box::new(flask::FlaskCodec::new(ring, salt, hash)),
            Format::PyramidLegacy => Box::new(pyramid_legacy::PyramidLegacyCodec::new(ring, salt)?),
            Format::Django(hash) => Box::new(django::DjangoCodec::new(ring, salt, hash)),
        };
        Ok(Self(codec))
    }

    /// Verifies and parses a cookie value. No time rules: those are the factory's.
    pub(crate) fn decode(&self, value: &str) -> Result<Decoded, DecodeError> {
        self.0.decode(value)
    }

    /// Seals a session into a cookie value with the primary key.
    pub(crate) fn encode(
        &self,
        state: &SessionState,
        created: f64,
        accessed: Stamp,
    ) -> Result<String, EncodeError> {
        self.0.encode(state, created, accessed)
    }

    /// Seals a session into a cookie value with the primary key, appended to `out`.
    pub(crate) fn encode_into(
        &self,
        state: &SessionState,
        created: f64,
        accessed: Stamp,
        out: &mut ValueOut<'_>,
    ) -> Result<(), EncodeError> {
        self.0.encode_into(state, created, accessed, out)
    }

    /// How the factory judges this format's timestamps.
    pub(crate) fn clock_rules(&self) -> ClockRules {
        self.0.clock_rules()
    }
}
