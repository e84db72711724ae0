//! Typed errors: one enum per stage, so callers can match on what went wrong.
//!
//! * [`ConfigError`]: building a key ring or a factory. Raised at start-up, never per request.
//! * [`DecodeError`]: why a request's cookie was not accepted. Never fails the request: the
//!   handler gets a new session and can inspect the reason with
//!   [`Session::load_error`](crate::Session::load_error).
//! * [`EncodeError`]: why a session could not be written into a `Set-Cookie` header.
//!
//! No error message ever contains a secret or the bytes of a cookie.

/// A problem with the configuration or the keys, found when they are built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A master secret is shorter than its format's floor
    /// ([`Format::min_secret_len`](crate::Format::min_secret_len)): 32 bytes for the native
    /// formats, which derive their keys with HKDF; 16 for the formats shared with a Python
    /// framework unless the builder allowed short secrets.
    #[error("secret #{index} is {len} bytes long; the format needs at least {min} bytes")]
    SecretTooShort {
        /// Position of the secret in the key ring (0 = primary).
        index: usize,
        /// Its length in bytes.
        len: usize,
        /// The minimum length.
        min: usize,
    },
    /// A secret is empty.
    #[error("secret #{index} is empty")]
    EmptySecret {
        /// Position of the secret in the key ring (0 = primary).
        index: usize,
    },
    /// A secret given as hexadecimal text is not valid hex.
    #[error(
        "secret is not valid hexadecimal (odd length or a non-hex character at position {position})"
    )]
    InvalidHex {
        /// Byte offset of the first offending character (or the length, for an odd length).
        position: usize,
    },
    /// A secret given as base64 text is not valid base64.
    #[error("secret is not valid base64")]
    InvalidBase64,
    /// An environment variable that should hold a secret is not set or is not Unicode.
    #[error("environment variable {name} is not set or is not valid Unicode")]
    MissingEnvVar {
        /// The variable's name.
        name: String,
    },
    /// The same secret appears twice in a key ring.
    #[error("secrets #{first} and #{second} of the key ring are identical")]
    DuplicateKey {
        /// Position of the first occurrence.
        first: usize,
        /// Position of the duplicate.
        second: usize,
    },
    /// Two different secrets derived the same 4-byte key id (about 1 in 2^32 per pair).
    #[error("secrets #{first} and #{second} derive the same key id; generate a new secret")]
    KeyIdCollision {
        /// Position of the first secret.
        first: usize,
        /// Position of the second secret.
        second: usize,
    },
    /// A key ring needs at least one secret.
    #[error("the key ring is empty")]
    EmptyKeyRing,
    /// The cookie name is not an RFC 6265 token.
    #[error("cookie name {0:?} is not a valid cookie name (RFC 6265 token characters only)")]
    InvalidCookieName(String),
    /// A cookie attribute (path or domain) contains `;`, a control character or non-ASCII.
    #[error(
        "cookie attribute {attribute} contains a character that is not allowed in a Set-Cookie header"
    )]
    InvalidAttribute {
        /// Which attribute (`path` or `domain`).
        attribute: &'static str,
    },
    /// The cookie name starts with `__Secure-` or `__Host-` (in any letter case), and the
    /// attributes lack what browsers require for that prefix: `Secure` for both, and for
    /// `__Host-` also `Path=/` and no `Domain`. A browser silently drops such a cookie.
    #[error("a cookie named {prefix}… needs {requirement}")]
    CookiePrefix {
        /// The prefix, as the specification spells it (`__Secure-` or `__Host-`).
        prefix: &'static str,
        /// The missing attribute: `Secure`, `Path=/` or `no Domain`.
        requirement: &'static str,
    },
    /// `SameSite=None` is only accepted by browsers together with `Secure`.
    #[error("SameSite=None requires the Secure attribute")]
    SameSiteNoneWithoutSecure,
    /// `reissue_time` must be shorter than `timeout`, or read-only sessions expire while in use.
    #[error("reissue_time ({reissue}s) must be shorter than timeout ({timeout}s)")]
    ReissueNotBelowTimeout {
        /// The configured reissue time in seconds.
        reissue: u64,
        /// The configured timeout in seconds.
        timeout: u64,
    },
    /// The size limit is too small to hold any cookie.
    #[error("size limit {limit} is below the minimum of {min} bytes")]
    SizeLimitTooSmall {
        /// The configured limit.
        limit: usize,
        /// The smallest accepted limit.
        min: usize,
    },
    /// The chosen format does not support the requested option.
    #[error("{0}")]
    Unsupported(&'static str),
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator is unavailable")]
    RandomUnavailable,
    /// A key ring source (a file or an environment variable) could not be read or parsed.
    #[error("{source_name}: {problem}")]
    KeySource {
        /// Where the keys came from, e.g. `keys.txt line 3` or `$SESSION_SECRETS entry 2`.
        source_name: String,
        /// What is wrong with it. Never contains the secret itself.
        problem: String,
    },
}

/// Why a request's cookie was not accepted.
///
/// Rejections are ordered by how far decoding got: everything up to [`DecodeError::BadSignature`]
/// is decided before any byte of the cookie is trusted; [`DecodeError::Expired`] and the other
/// time-based reasons are only reported for cookies whose signature verified, so a forged
/// timestamp is never called "expired".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The cookie value is empty.
    #[error("the cookie is empty")]
    Empty,
    /// The cookie value is longer than any cookie this factory writes; it is rejected before it
    /// is decoded.
    #[error("the cookie is {len} bytes long, over the limit of {limit}")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit (the factory's size limit).
        limit: usize,
    },
    /// The value is not strict unpadded base64url.
    #[error("the cookie is not valid unpadded base64url")]
    Base64,
    /// The decoded value is shorter than the smallest valid cookie.
    #[error("the cookie is too short to be valid")]
    Truncated,
    /// The cookie's timestamp is not in the form its framework writes (Django: canonical
    /// base62 of a non-negative integer that fits in 64 bits).
    #[error("the cookie's timestamp is malformed")]
    BadTimestamp,
    /// The envelope names a suite (algorithm) this build does not know.
    #[error("unknown envelope suite {0:#04x}")]
    UnknownSuite(u8),
    /// The cookie is encrypted (its suite byte is given) and this factory writes signed cookies:
    /// re-issuing it would hand its hidden contents to the browser in readable form, so it is
    /// refused unless the factory was built with
    /// [`accept_encrypted_cookies`](crate::CookieSessionBuilder::accept_encrypted_cookies).
    #[error(
        "an encrypted cookie (suite {0:#04x}) is not accepted by a factory writing signed cookies"
    )]
    SuiteNotAccepted(u8),
    /// The envelope sets flag bits this version does not know.
    #[error("unknown envelope flags {0:#04x}")]
    UnknownFlags(u8),
    /// The envelope's key id is not in the key ring (for example a retired key).
    #[error("the cookie was made with a key that is not in the key ring")]
    UnknownKey,
    /// The signature or authentication tag does not verify under any key.
    #[error("the cookie's signature does not verify")]
    BadSignature,
    /// The signature verified but the payload is not a session (bad JSON or wrong shape).
    #[error("the cookie's payload is not a valid session")]
    BadPayload,
    /// The session was idle for longer than the configured `timeout`.
    #[error("the session expired (idle for longer than the timeout)")]
    Expired,
    /// The session is older than the configured absolute lifetime.
    #[error("the session is older than the maximum lifetime")]
    LifetimeExceeded,
    /// The cookie's timestamps lie further in the future than the allowed clock skew.
    #[error("the cookie's timestamps lie in the future")]
    NotYetValid,
    /// The signature verified but the compressed payload is not valid zlib data.
    #[error("the cookie's compressed payload is corrupt")]
    Decompression,
    /// The signature verified but the payload inflates beyond the limit (a decompression bomb).
    #[error("the cookie's payload inflates beyond {limit} bytes")]
    InflatedTooLarge {
        /// The most bytes a payload may inflate to.
        limit: usize,
    },
    /// The signature verified but the payload holds data this library will not represent
    /// (for example a pickled object, bytes or a set in a Pyramid 1.x cookie). Nothing in it was
    /// imported, called or instantiated.
    #[error("the cookie holds {what}, which is not supported")]
    Unsupported {
        /// What was found, e.g. `"a pickled global (class or function)"`.
        what: &'static str,
    },
}

impl DecodeError {
    /// A short, stable, machine-readable code for the reason, as printed by the CLI and used in
    /// logs: `malformed`, `too_large`, `unknown_key`, `bad_signature`, `bad_payload`, `expired`,
    /// `lifetime_exceeded`, `not_yet_valid`, `unsupported` or `suite_not_accepted` (an encrypted
    /// cookie read by a factory writing signed ones).
    ///
    /// ```
    /// use cookie_session::DecodeError;
    /// assert_eq!(DecodeError::Base64.code(), "malformed");
    /// assert_eq!(DecodeError::Expired.code(), "expired");
    /// ```
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty
            | Self::Base64
            | Self::Truncated
            | Self::BadTimestamp
            | Self::UnknownSuite(_)
            | Self::UnknownFlags(_) => "malformed",
            Self::TooLong { .. } => "too_large",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::BadPayload | Self::Decompression => "bad_payload",
            Self::InflatedTooLarge { .. } => "too_large",
            Self::Unsupported { .. } => "unsupported",
            Self::SuiteNotAccepted(_) => "suite_not_accepted",
            Self::Expired => "expired",
            Self::LifetimeExceeded => "lifetime_exceeded",
            Self::NotYetValid => "not_yet_valid",
        }
    }

    /// Whether the cookie was authentic and only its age made it unusable.
    #[must_use]
    pub fn is_time_based(&self) -> bool {
        matches!(
            self,
            Self::Expired | Self::LifetimeExceeded | Self::NotYetValid
        )
    }
}

/// Why a session could not be written as a cookie.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The final `Set-Cookie` header (name, value and attributes) would exceed the size limit.
    /// Browsers silently drop such cookies, so it is refused loudly instead.
    #[error("the session cookie would be {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Size of the `Set-Cookie` header value that would have been sent.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The operating system's random number generator failed (encrypted suite only).
    #[error("the operating system's random number generator is unavailable")]
    RandomUnavailable,
    /// The cipher refused to encrypt the session (encrypted suite only). Its one refusal is a
    /// plaintext beyond its limit (256 GiB for XChaCha20-Poly1305), so this is not expected.
    #[error("the session could not be encrypted")]
    Encryption,
}
