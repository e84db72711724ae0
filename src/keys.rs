//! Master secrets and the key ring.
//!
//! A [`KeyRing`] holds one primary [`Secret`], which signs (or encrypts) every cookie written, and
//! any number of verify-only secrets, newest first, which are still accepted on the way in. A
//! cookie that verified under a verify-only secret is re-issued under the primary on the same
//! response, so active users move to the new key by themselves and an old key can be retired
//! once `timeout` (or `max_lifetime`) has passed.
//!
//! Secrets are wiped from memory when dropped and never appear in `Debug` output or errors.
//! The formats derive their working keys from them once, when the factory is built.

use std::fmt;

use base64::Engine as _;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::ConfigError;
use crate::format::Format;

// `KeyRing::from_env`, `from_file` and `parse`: loading a ring for a fleet.
mod loading;
pub(crate) use loading::{parse_key_file, read_key_file};

/// The length of the secrets that [`Secret::generate`] makes: 64 random bytes.
pub const GENERATED_SECRET_LEN: usize = 64;

/// How a secret was given. Pyramid turns text into bytes with WebOb's rule (latin-1 when both
/// salt and secret fit, else UTF-8), so the Pyramid format needs to know.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum GivenAs {
    Text,
    Bytes,
}

/// A master secret: key material that is zeroized on drop and redacted in `Debug`.
///
/// Any length is accepted here; the format decides when the factory is built (and on every
/// reload): the native formats refuse secrets shorter than 32 bytes, the Pyramid format those
/// shorter than 16 unless the builder allows short secrets
/// ([`Format::min_secret_len`], [`ConfigError::SecretTooShort`]).
///
/// ```
/// use cookie_session::Secret;
/// let secret = Secret::from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")?;
/// assert_eq!(secret.len(), 32);
/// assert_eq!(format!("{secret:?}"), "Secret(<redacted>, 32 bytes)");
/// assert!(Secret::from_hex("not hex").is_err());
/// # Ok::<(), cookie_session::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Secret {
    bytes: Zeroizing<Vec<u8>>,
    given_as: GivenAs,
}

impl Secret {
    /// A secret from raw bytes.
    #[must_use]
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            bytes: Zeroizing::new(bytes.into()),
            given_as: GivenAs::Bytes,
        }
    }

    /// A secret given as text, such as a Pyramid `secret` setting or a password-like string from
    /// the environment. The native format uses its UTF-8 bytes; the Pyramid format applies
    /// WebOb's text-to-bytes rule together with the salt.
    ///
    /// ```
    /// use cookie_session::{ConfigError, CookieSessionFactory, Secret};
    /// let secret = Secret::from_text("a long passphrase: «thirty-two bytes» or more");
    /// assert_eq!(secret.len(), 47, "UTF-8 bytes, not characters");
    /// CookieSessionFactory::new(secret)?;
    ///
    /// let short = CookieSessionFactory::new(Secret::from_text("hunter2"));
    /// assert_eq!(short.unwrap_err(), ConfigError::SecretTooShort { index: 0, len: 7, min: 32 });
    /// # Ok::<(), ConfigError>(())
    /// ```
    #[must_use]
    pub fn from_text(text: impl Into<String>) -> Self {
        Self {
            bytes: Zeroizing::new(text.into().into_bytes()),
            given_as: GivenAs::Text,
        }
    }

    /// A secret from hexadecimal text (upper or lower case, surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`ConfigError::InvalidHex`] with the offending position; never the secret itself.
    pub fn from_hex(hex: &str) -> Result<Self, ConfigError> {
        let hex = hex.trim().as_bytes();
        if !hex.len().is_multiple_of(2) {
            return Err(ConfigError::InvalidHex {
                position: hex.len(),
            });
        }
        // Decoded in place into wiped memory, in constant time; only a failure is searched for
        // its position.
        let mut bytes = Zeroizing::new(vec![0u8; hex.len() / 2]);
        if base16ct::mixed::decode(hex, &mut bytes).is_err() {
            let position = hex
                .iter()
                .position(|c| !c.is_ascii_hexdigit())
                .unwrap_or(hex.len());
            return Err(ConfigError::InvalidHex { position });
        }
        Ok(Self {
            bytes,
            given_as: GivenAs::Bytes,
        })
    }

    /// A secret from base64 text: the URL-safe or the standard alphabet, padded or not
    /// (surrounding whitespace ignored). [`Secret::to_base64url`] and `cookie-session keygen`
    /// produce this form.
    ///
    /// # Errors
    /// [`ConfigError::InvalidBase64`].
    pub fn from_base64(text: &str) -> Result<Self, ConfigError> {
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
        const LENIENT: GeneralPurposeConfig =
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        const URL: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
        const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
        let text = text.trim();
        let bytes = URL
            .decode(text)
            .or_else(|_| STANDARD.decode(text))
            .map_err(|_| ConfigError::InvalidBase64)?;
        Ok(Self::from_bytes(bytes))
    }

    /// A secret read from the environment variable `name`, taken as text (see
    /// [`Secret::from_text`]).
    ///
    /// # Errors
    /// [`ConfigError::MissingEnvVar`] when the variable is unset, empty or not Unicode.
    pub fn from_env(name: &str) -> Result<Self, ConfigError> {
        // Wiped when dropped, like the secret made from it.
        let value = Zeroizing::new(std::env::var(name).unwrap_or_default());
        let text = value.trim();
        if text.is_empty() {
            return Err(ConfigError::MissingEnvVar {
                name: name.to_owned(),
            });
        }
        Ok(Self {
            bytes: Zeroizing::new(text.as_bytes().to_vec()),
            given_as: GivenAs::Text,
        })
    }

    /// A fresh random secret of [`GENERATED_SECRET_LEN`] bytes from the operating system.
    ///
    /// # Panics
    /// If the operating system's random number generator fails; [`Secret::try_generate`] is the
    /// fallible twin.
    #[must_use]
    pub fn generate() -> Self {
        Self::try_generate().expect("the operating system's random number generator failed")
    }

    /// A fresh random secret of [`GENERATED_SECRET_LEN`] bytes from the operating system.
    ///
    /// # Errors
    /// [`ConfigError::RandomUnavailable`] if the operating system's generator fails.
    pub fn try_generate() -> Result<Self, ConfigError> {
        let mut bytes = Zeroizing::new(vec![0u8; GENERATED_SECRET_LEN]);
        getrandom::fill(&mut bytes).map_err(|_| ConfigError::RandomUnavailable)?;
        Ok(Self {
            bytes,
            given_as: GivenAs::Bytes,
        })
    }

    /// The secret as unpadded base64url text, the form `cookie-session keygen` prints and
    /// [`Secret::from_base64`] reads. Handle the result as carefully as the secret: it is wiped
    /// from memory when dropped and redacted in `Debug`.
    ///
    /// ```
    /// use cookie_session::Secret;
    /// let secret = Secret::generate();
    /// let text = secret.to_base64url();
    /// assert_eq!(Secret::from_base64(&text)?, secret);
    /// assert_eq!(format!("{text:?}"), "SecretText(..)");
    /// # Ok::<(), cookie_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn to_base64url(&self) -> SecretText {
        SecretText(Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&*self.bytes),
        ))
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the secret has no bytes at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// What identifies this secret across key rings without revealing it: a one-way digest of
    /// its bytes and of how it was given (text and bytes can mean different keys in the Pyramid
    /// format). Two secrets with the same fingerprint are the same key.
    pub(crate) fn fingerprint(&self) -> KeyFingerprint {
        use sha2::Digest as _;
        let mut digest = sha2::Sha256::new();
        digest.update(b"cookie-session/key-fingerprint/v1\0");
        digest.update([match self.given_as {
            GivenAs::Text => b't',
            GivenAs::Bytes => b'b',
        }]);
        digest.update(self.expose());
        KeyFingerprint(digest.finalize().into())
    }

    pub(crate) fn expose(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn given_as(&self) -> GivenAs {
        self.given_as
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<redacted>, {} bytes)", self.bytes.len())
    }
}

/// Compares in constant time, so that checking a ring for duplicates leaks nothing.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.bytes.as_slice().ct_eq(other.bytes.as_slice()).into()
    }
}

impl Eq for Secret {}

/// A secret in text form ([`Secret::to_base64url`]): wiped from memory when dropped, redacted in
/// `Debug`. Dereferences to `str`.
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for SecretText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(..)")
    }
}

/// Identifies one secret across key rings (see [`Secret::fingerprint`]); no key material.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyFingerprint([u8; 32]);

impl fmt::Debug for KeyFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyFingerprint(..)")
    }
}

/// Which key verified a session's cookie: the ring generation it was loaded under, and the key
/// itself, so that `finish` can tell whether that key is still in the ring at the end of the
/// request (see [`CookieSessionFactory::replace_keys`](crate::CookieSessionFactory::replace_keys)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyStamp {
    pub(crate) generation: u64,
    pub(crate) fingerprint: KeyFingerprint,
}

/// The one length check for the secrets of a ring, run when a factory is built and on every
/// reload, so that each format gets its floor ([`Format::min_secret_len`]) everywhere. A secret
/// a loader read is named by its place ("keys.txt line 3"), otherwise by its index.
pub(crate) fn check_secret_len(
    format: Format,
    ring: &KeyRing,
    allow_short: bool,
) -> Result<(), ConfigError> {
    let min = format.min_secret_len(allow_short);
    let default_min = format.min_secret_len(false);
    for (index, secret) in ring.secrets().iter().enumerate() {
        let len = secret.len();
        if len < min {
            return Err(match ring.place(index) {
                Some(place) => ConfigError::KeySource {
                    source_name: place.to_owned(),
                    problem: format!("too short: {len} bytes, at least {min} are needed"),
                },
                None => ConfigError::SecretTooShort { index, len, min },
            });
        }
        if len < default_min {
            tracing::warn!(
                index,
                len,
                min = default_min,
                "a secret shorter than the format's floor is accepted because the builder \
                 allowed short secrets; one cookie is enough to brute-force it offline"
            );
        }
    }
    Ok(())
}

/// One primary secret that signs, plus verify-only secrets (newest first) that are still accepted.
///
/// ```
/// use cookie_session::{KeyRing, Secret};
/// let new = Secret::generate();
/// let old = Secret::generate();
/// let ring = KeyRing::new(new).with_verify_only(old);
/// assert_eq!(ring.len(), 2);
/// // Debug output never shows key material.
/// assert!(format!("{ring:?}").contains("<redacted>"));
/// ```
#[derive(Clone, Debug)]
pub struct KeyRing {
    secrets: Vec<Secret>,
    /// Where each secret came from ("keys.txt line 3") when a loader made the ring, so that a
    /// secret the format refuses is named by its line. Not secret; not part of equality.
    places: Vec<Option<String>>,
}

/// Two rings are equal when they hold the same secrets in the same order (compared in constant
/// time), wherever they were loaded from.
impl PartialEq for KeyRing {
    fn eq(&self, other: &Self) -> bool {
        self.secrets == other.secrets
    }
}

impl Eq for KeyRing {}

impl KeyRing {
    /// A ring with a single (primary) secret.
    #[must_use]
    pub fn new(primary: Secret) -> Self {
        Self {
            secrets: vec![primary],
            places: vec![None],
        }
    }

    /// Adds a verify-only secret after the ones already in the ring. Call it newest first.
    /// Duplicates are not checked here but when the factory is built.
    ///
    /// ```
    /// use cookie_session::{ConfigError, CookieSessionFactory, KeyRing, Secret};
    /// let [current, previous, oldest] = [(); 3].map(|()| Secret::generate());
    /// let ring = KeyRing::new(current.clone())
    ///     .with_verify_only(previous.clone())
    ///     .with_verify_only(oldest.clone());
    /// assert_eq!(ring.secrets(), [current, previous.clone(), oldest]);
    ///
    /// let repeated = KeyRing::new(previous.clone()).with_verify_only(previous);
    /// let error = CookieSessionFactory::new(repeated).unwrap_err();
    /// assert_eq!(error, ConfigError::DuplicateKey { first: 0, second: 1 });
    /// ```
    #[must_use]
    pub fn with_verify_only(mut self, secret: Secret) -> Self {
        self.secrets.push(secret);
        self.places.push(None);
        self
    }

    /// A ring from secrets in order: the first is the primary, the rest verify only.
    ///
    /// # Errors
    /// [`ConfigError::EmptyKeyRing`] for no secrets; [`ConfigError::EmptySecret`] for an empty
    /// one; [`ConfigError::DuplicateKey`] when a secret appears twice.
    ///
    /// ```
    /// use cookie_session::{ConfigError, KeyRing, Secret};
    /// let (new, old) = (Secret::generate(), Secret::generate());
    /// let ring = KeyRing::from_secrets([new.clone(), old.clone()])?;
    /// assert_eq!(ring.primary(), &new);
    ///
    /// let error = KeyRing::from_secrets([new.clone(), old, new]).unwrap_err();
    /// assert_eq!(error, ConfigError::DuplicateKey { first: 0, second: 2 });
    /// assert_eq!(KeyRing::from_secrets([]).unwrap_err(), ConfigError::EmptyKeyRing);
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn from_secrets(secrets: impl IntoIterator<Item = Secret>) -> Result<Self, ConfigError> {
        let secrets: Vec<Secret> = secrets.into_iter().collect();
        if secrets.is_empty() {
            return Err(ConfigError::EmptyKeyRing);
        }
        let places = vec![None; secrets.len()];
        let ring = Self { secrets, places };
        ring.check_duplicates()?;
        Ok(ring)
    }

    /// The primary secret, which signs every cookie written.
    #[must_use]
    pub fn primary(&self) -> &Secret {
        &self.secrets[0]
    }

    /// All secrets, primary first.
    #[must_use]
    pub fn secrets(&self) -> &[Secret] {
        &self.secrets
    }

    /// Number of secrets (always at least one).
    #[must_use]
    #[allow(clippy::len_without_is_empty)] // A ring always has its primary secret.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// A ring whose secrets are named by their place in a source (a loader's ring).
    pub(crate) fn with_places(secrets: Vec<(String, Secret)>) -> Result<Self, ConfigError> {
        let (places, secrets): (Vec<_>, Vec<_>) = secrets
            .into_iter()
            .map(|(place, secret)| (Some(place), secret))
            .unzip();
        let mut ring = Self::from_secrets(secrets)?;
        ring.places = places;
        Ok(ring)
    }

    /// Where the secret at `index` came from, if a loader made the ring.
    pub(crate) fn place(&self, index: usize) -> Option<&str> {
        self.places.get(index).and_then(Option::as_deref)
    }

    /// Rejects empty and repeated secrets.
    pub(crate) fn check_duplicates(&self) -> Result<(), ConfigError> {
        for (index, secret) in self.secrets.iter().enumerate() {
            if secret.is_empty() {
                return Err(ConfigError::EmptySecret { index });
            }
            if let Some(first) = self.secrets[..index].iter().position(|s| s == secret) {
                return Err(ConfigError::DuplicateKey {
                    first,
                    second: index,
                });
            }
        }
        Ok(())
    }
}

impl From<Secret> for KeyRing {
    fn from(primary: Secret) -> Self {
        Self::new(primary)
    }
}

/// A salt (Pyramid) or purpose (native format): a per-application label that is mixed into every
/// signature, so two applications sharing a secret cannot accept each other's cookies.
///
/// Text and bytes are kept apart because Pyramid encodes text salts with WebOb's rule.
///
/// ```
/// use cookie_session::Salt;
/// let from_text: Salt = "myapp/session".into();
/// let from_bytes = Salt::from_bytes(b"myapp/session".to_vec());
/// assert_eq!(from_text.as_bytes(), from_bytes.as_bytes());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Salt {
    bytes: Vec<u8>,
    given_as: GivenAs,
}

impl fmt::Debug for GivenAs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GivenAs::Text => "Text",
            GivenAs::Bytes => "Bytes",
        })
    }
}

impl Salt {
    /// A salt given as text.
    #[must_use]
    pub fn from_text(text: impl Into<String>) -> Self {
        Self {
            bytes: text.into().into_bytes(),
            given_as: GivenAs::Text,
        }
    }

    /// A salt given as raw bytes (used as they are, in every format).
    #[must_use]
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            bytes: bytes.into(),
            given_as: GivenAs::Bytes,
        }
    }

    /// The salt's bytes (UTF-8 for text).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn given_as(&self) -> GivenAs {
        self.given_as
    }
}

impl From<&str> for Salt {
    fn from(text: &str) -> Self {
        Self::from_text(text)
    }
}

impl From<String> for Salt {
    fn from(text: String) -> Self {
        Self::from_text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_errors_name_the_position_not_the_secret() {
        let err = Secret::from_hex("00zz").unwrap_err();
        assert_eq!(err, ConfigError::InvalidHex { position: 2 });
        assert!(!err.to_string().contains("zz"));
        assert_eq!(
            Secret::from_hex("abc").unwrap_err(),
            ConfigError::InvalidHex { position: 3 }
        );
        assert_eq!(Secret::from_hex("0A0b").unwrap().expose(), &[10, 11]);
    }

    #[test]
    fn base64_accepts_both_alphabets_and_padding() {
        let a = Secret::from_base64("-_8=").unwrap();
        let b = Secret::from_base64("+/8").unwrap();
        assert_eq!(a.expose(), b.expose());
        assert_eq!(a.expose(), &[0xfb, 0xff]);
        assert!(Secret::from_base64("!!").is_err());
    }

    #[test]
    fn generated_secrets_round_trip_through_base64url() {
        let s = Secret::generate();
        assert_eq!(s.len(), GENERATED_SECRET_LEN);
        let back = Secret::from_base64(&s.to_base64url()).unwrap();
        assert_eq!(s, back);
        assert_ne!(s, Secret::generate());
    }

    #[test]
    fn ring_rejects_duplicates_and_empty() {
        let a = Secret::from_text("a".repeat(40));
        let b = Secret::from_text("b".repeat(40));
        assert_eq!(
            KeyRing::from_secrets([a.clone(), b, a]).unwrap_err(),
            ConfigError::DuplicateKey {
                first: 0,
                second: 2
            }
        );
        assert_eq!(
            KeyRing::from_secrets([]).unwrap_err(),
            ConfigError::EmptyKeyRing
        );
        assert_eq!(
            KeyRing::from_secrets([Secret::from_bytes(vec![])]).unwrap_err(),
            ConfigError::EmptySecret { index: 0 }
        );
    }

    #[test]
    fn debug_never_shows_bytes() {
        let s = Secret::from_text("hunter2-hunter2-hunter2-hunter2-x");
        let ring = KeyRing::new(s.clone());
        assert!(!format!("{s:?}{ring:?}").contains("hunter2"));
    }
}
