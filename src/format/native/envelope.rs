//! What every native suite shares: the header, the key ids, the key derivation, the PAE encoder,
//! and the one path that opens and seals an envelope.
//!
//! A suite ([`Suite`]) only authenticates, and perhaps encrypts, an envelope this module has
//! already checked and split: it never sees a length check, a key lookup or a header field.

use hkdf::Hkdf;
use sha2::Sha256;

use super::{MIN_SECRET_LEN, SUITES};
use crate::error::{ConfigError, DecodeError, EncodeError};
use crate::format::{ClockRules, Decoded, FutureStamps, Stamp, ValueOut, WireFormat, base64url};
use crate::keys::{KeyRing, Salt, Secret};
use crate::state::{JsonDialect, SessionState};

/// The suite byte.
const SUITE_LEN: usize = 1;
/// The key id, derived one-way from the master secret.
pub(crate) const KEY_ID_LEN: usize = 4;
/// The flags byte (always 0 in v1).
const FLAGS_LEN: usize = 1;
/// `created` and `accessed`: whole UNIX seconds, big-endian.
const STAMP_LEN: usize = size_of::<u64>();
/// Bytes before a suite's own part: suite, key id, flags, created, accessed.
pub(crate) const HEADER_LEN: usize = SUITE_LEN + KEY_ID_LEN + FLAGS_LEN + 2 * STAMP_LEN;

const HKDF_SALT: &[u8] = b"cookie-session/v1/hkdf";
const INFO_KEY_ID: &[u8] = b"cookie-session/v1/key-id";

/// One algorithm of the envelope, named by its suite byte. Its envelopes are
/// `header ‖ nonce ‖ body ‖ tag`; the envelope code checks the length, finds the key by its id
/// and reads the header before a suite is asked to open one.
///
/// A new suite is a module implementing this trait plus one line in [`SUITES`].
pub(crate) trait Suite: Send + Sync + 'static {
    /// The envelope's first byte.
    const BYTE: u8;
    /// Whether the client cannot read the body. A factory writing a readable suite refuses a
    /// hidden suite's cookies unless told otherwise: re-issuing one would reveal its contents.
    const CONFIDENTIAL: bool;
    /// Bytes between the header and the body (a nonce): authenticated, not secret.
    const NONCE_LEN: usize;
    /// Bytes after the body.
    const TAG_LEN: usize;
    /// What the suite derives from one master secret.
    type Key: Send + Sync;

    /// The suite's key for one master secret, bound to what `binding` names.
    fn derive(master: &Hkdf<Sha256>, binding: &Binding<'_>) -> Result<Self::Key, ConfigError>;

    /// Authenticates the envelope (and decrypts its body in place, for a confidential suite).
    /// Nothing of the body is trusted before this returns `Ok`.
    fn open(key: &Self::Key, parts: &mut Parts<'_>) -> Result<(), DecodeError>;

    /// Fills the nonce, encrypts the body in place if the suite hides it, and writes the tag.
    fn seal(key: &Self::Key, parts: &mut Parts<'_>) -> Result<(), EncodeError>;
}

/// Builds one suite's keys for a whole ring: an entry of [`SUITES`].
pub(crate) type SuiteBuilder =
    fn(&[Hkdf<Sha256>], &Binding<'_>) -> Result<Box<dyn KeyedSuite>, ConfigError>;

/// The [`SuiteBuilder`] of `S`.
pub(crate) fn keyed<S: Suite>(
    masters: &[Hkdf<Sha256>],
    binding: &Binding<'_>,
) -> Result<Box<dyn KeyedSuite>, ConfigError> {
    let keys = masters
        .iter()
        .map(|master| S::derive(master, binding))
        .collect::<Result<_, _>>()?;
    Ok(Box::new(SuiteKeys::<S>(keys)))
}

/// A suite's keys, one per secret of the ring in ring order.
struct SuiteKeys<S: Suite>(Vec<S::Key>);

/// Where a suite's parts lie, and whether its body is hidden.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    byte: u8,
    confidential: bool,
    nonce_len: usize,
    tag_len: usize,
}

/// A suite with its keys, as one object type: the codec keeps every suite of the build in one
/// list and picks one by the cookie's first byte.
pub(crate) trait KeyedSuite: Send + Sync {
    fn layout(&self) -> Layout;
    fn open(&self, key_index: usize, parts: &mut Parts<'_>) -> Result<(), DecodeError>;
    fn seal(&self, parts: &mut Parts<'_>) -> Result<(), EncodeError>;
}

impl<S: Suite> KeyedSuite for SuiteKeys<S> {
    fn layout(&self) -> Layout {
        Layout {
            byte: S::BYTE,
            confidential: S::CONFIDENTIAL,
            nonce_len: S::NONCE_LEN,
            tag_len: S::TAG_LEN,
        }
    }

    fn open(&self, key_index: usize, parts: &mut Parts<'_>) -> Result<(), DecodeError> {
        let key = self.0.get(key_index).ok_or(DecodeError::UnknownKey)?;
        S::open(key, parts)
    }

    fn seal(&self, parts: &mut Parts<'_>) -> Result<(), EncodeError> {
        // A ring always has a primary secret, so every suite has a key 0.
        S::seal(&self.0[0], parts)
    }
}

/// One envelope split at its suite's offsets.
pub(crate) struct Parts<'a> {
    /// The header, then the nonce: authenticated, never encrypted.
    pub(crate) head: &'a mut [u8],
    /// The JSON state: in plain text, or encrypted in a confidential suite.
    pub(crate) body: &'a mut [u8],
    /// The suite's tag.
    pub(crate) tag: &'a mut [u8],
}

impl<'a> Parts<'a> {
    /// Splits `raw` by `layout`; `None` when it is too short to hold the header, nonce and tag.
    fn split(raw: &'a mut [u8], layout: Layout) -> Option<Self> {
        let (head, rest) = raw.split_at_mut_checked(HEADER_LEN + layout.nonce_len)?;
        let (body, tag) = rest.split_at_mut_checked(rest.len().checked_sub(layout.tag_len)?)?;
        Some(Self { head, body, tag })
    }

    /// The nonce: the part of `head` after the header (only AEAD suites have one).
    #[cfg_attr(not(feature = "encryption"), allow(dead_code))]
    pub(crate) fn nonce(&mut self) -> &mut [u8] {
        self.head.get_mut(HEADER_LEN..).unwrap_or_default()
    }
}

/// What everything a suite authenticates covers besides the envelope itself: the context label,
/// the cookie's name and the configured purpose (salt). A cookie cannot be replayed under another
/// name, or in another application sharing the key.
pub(crate) struct Binding<'a> {
    cookie_name: &'a [u8],
    purpose: &'a [u8],
}

impl<'a> Binding<'a> {
    pub(crate) fn new(cookie_name: &'a str, purpose: &'a [u8]) -> Self {
        Self {
            cookie_name: cookie_name.as_bytes(),
            purpose,
        }
    }

    /// Fills `okm` with a suite's key for one master secret: HKDF-Expand with the info
    /// `PAE([label, cookie name, purpose])`. The binding lives in the key, derived once per
    /// factory, so a cookie costs no extra hashing for it: a cookie made under another name or
    /// purpose is checked with an unrelated key and fails.
    pub(crate) fn expand_key(
        &self,
        master: &Hkdf<Sha256>,
        label: &[u8],
        okm: &mut [u8],
    ) -> Result<(), ConfigError> {
        let pieces = [label, self.cookie_name, self.purpose];
        let mut info = Vec::with_capacity(
            PAE_NUMBER_LEN
                + pieces
                    .iter()
                    .map(|p| PAE_NUMBER_LEN + p.len())
                    .sum::<usize>(),
        );
        info.pae_number(pieces.len());
        for piece in pieces {
            info.pae_piece(piece);
        }
        master
            .expand(&info, okm)
            .map_err(|_| ConfigError::Unsupported("HKDF output length"))
    }
}

/// Size of a PAE number (the piece count and each length).
pub(crate) const PAE_NUMBER_LEN: usize = size_of::<u64>();

/// PASETO's pre-authentication encoding: the number of pieces, then each piece's length and
/// bytes, every number a little-endian u64. It is injective: no two lists of pieces (such as a
/// cookie name and a purpose split differently) encode alike. It encodes the key derivation's
/// info (see [`Binding::expand_key`]).
pub(crate) trait Pae {
    /// Appends raw bytes.
    fn absorb(&mut self, bytes: &[u8]);

    /// Appends a count or a length.
    fn pae_number(&mut self, n: usize) {
        self.absorb(&(n as u64).to_le_bytes());
    }

    /// Appends one piece: its length, then its bytes.
    fn pae_piece(&mut self, piece: &[u8]) {
        self.pae_number(piece.len());
        self.absorb(piece);
    }
}

impl Pae for Vec<u8> {
    fn absorb(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// The fixed-size header shared by all suites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) suite: u8,
    pub(crate) key_id: [u8; KEY_ID_LEN],
    pub(crate) flags: u8,
    pub(crate) created: u64,
    pub(crate) accessed: u64,
}

impl Header {
    /// Reads the header at the start of `raw`; `None` when `raw` is shorter than a header.
    pub(crate) fn read(raw: &[u8]) -> Option<Self> {
        let (&[suite], rest) = raw.split_first_chunk::<SUITE_LEN>()?;
        let (&key_id, rest) = rest.split_first_chunk::<KEY_ID_LEN>()?;
        let (&[flags], rest) = rest.split_first_chunk::<FLAGS_LEN>()?;
        let (&created, rest) = rest.split_first_chunk::<STAMP_LEN>()?;
        let (&accessed, _) = rest.split_first_chunk::<STAMP_LEN>()?;
        Some(Self {
            suite,
            key_id,
            flags,
            created: u64::from_be_bytes(created),
            accessed: u64::from_be_bytes(accessed),
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.push(self.suite);
        out.extend_from_slice(&self.key_id);
        out.push(self.flags);
        out.extend_from_slice(&self.created.to_be_bytes());
        out.extend_from_slice(&self.accessed.to_be_bytes());
    }
}

/// The native format with its keys derived, ready for requests.
pub(crate) struct NativeCodec {
    /// Each secret's key id, in ring order (0 = the primary, which writes).
    ids: Vec<[u8; KEY_ID_LEN]>,
    /// Every suite of the build, with its keys.
    suites: Vec<Box<dyn KeyedSuite>>,
    /// Position in `suites` of the suite written.
    write: usize,
    /// Whether cookies of a confidential suite are read: always when one is written, otherwise
    /// only on the builder's explicit opt-in.
    read_confidential: bool,
}

impl NativeCodec {
    /// A codec writing suite `W` and reading every suite of the build, except that a readable
    /// `W` reads a confidential suite only with `accept_confidential`.
    pub(crate) fn new<W: Suite>(
        ring: &KeyRing,
        salt: Option<&Salt>,
        cookie_name: &str,
        accept_confidential: bool,
    ) -> Result<Self, ConfigError> {
        let binding = Binding::new(cookie_name, salt.map_or(&[][..], Salt::as_bytes));
        let mut ids = Vec::with_capacity(ring.len());
        let mut masters = Vec::with_capacity(ring.len());
        for (index, secret) in ring.secrets().iter().enumerate() {
            let master = master_key(index, secret).map_err(|error| name_the_place(error, ring))?;
            let mut id = [0u8; KEY_ID_LEN];
            master
                .expand(INFO_KEY_ID, &mut id)
                .map_err(|_| ConfigError::Unsupported("HKDF output length"))?;
            if let Some(first) = ids.iter().position(|known| *known == id) {
                return Err(ConfigError::KeyIdCollision {
                    first,
                    second: index,
                });
            }
            ids.push(id);
            masters.push(master);
        }
        let suites = SUITES
            .iter()
            .map(|build| build(&masters, &binding))
            .collect::<Result<Vec<_>, _>>()?;
        let write = suites
            .iter()
            .position(|suite| suite.layout().byte == W::BYTE)
            .ok_or(ConfigError::Unsupported("this suite is not in the build"))?;
        Ok(Self {
            ids,
            suites,
            write,
            read_confidential: W::CONFIDENTIAL || accept_confidential,
        })
    }
}

/// The HKDF state of one master secret, from which each suite derives its own key.
fn master_key(index: usize, secret: &Secret) -> Result<Hkdf<Sha256>, ConfigError> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(ConfigError::SecretTooShort {
            index,
            len: secret.len(),
            min: MIN_SECRET_LEN,
        });
    }
    Ok(Hkdf::<Sha256>::new(Some(HKDF_SALT), secret.expose()))
}

/// A too-short secret from a key file or variable is named by its place there ("keys.txt line
/// 3"), which the operator can find, rather than by its index in the ring.
fn name_the_place(error: ConfigError, ring: &KeyRing) -> ConfigError {
    match error {
        ConfigError::SecretTooShort { index, len, min } => match ring.place(index) {
            Some(place) => ConfigError::KeySource {
                source_name: place.to_owned(),
                problem: format!("too short: {len} bytes, at least {min} are needed"),
            },
            None => error,
        },
        other => other,
    }
}

impl WireFormat for NativeCodec {
    /// Checks, in order: base64url, suite, length, key id, flags, tag (in constant time; for a
    /// confidential suite, decryption), and only then parses the JSON.
    fn decode(&self, value: &str) -> Result<Decoded, DecodeError> {
        let mut raw = base64url::decode(value)?;
        let byte = *raw.first().ok_or(DecodeError::Truncated)?;
        let (position, suite) = self
            .suites
            .iter()
            .enumerate()
            .find(|(_, suite)| suite.layout().byte == byte)
            .ok_or(DecodeError::UnknownSuite(byte))?;
        let layout = suite.layout();
        if layout.confidential && !self.read_confidential {
            return Err(DecodeError::SuiteNotAccepted(byte));
        }
        let mut parts = Parts::split(&mut raw, layout).ok_or(DecodeError::Truncated)?;
        let header = Header::read(parts.head).ok_or(DecodeError::Truncated)?;
        let key_index = self
            .ids
            .iter()
            .position(|id| *id == header.key_id)
            .ok_or(DecodeError::UnknownKey)?;
        if header.flags != 0 {
            return Err(DecodeError::UnknownFlags(header.flags));
        }
        suite.open(key_index, &mut parts)?;
        // The body stays in the decoded buffer: the tag is cut off and the state points into it.
        let body_start = parts.head.len();
        let body_end = body_start + parts.body.len();
        raw.truncate(body_end);
        Ok(Decoded {
            state: parse_state(raw, body_start)?,
            created: header.created as f64,
            accessed: header.accessed as f64,
            key_index,
            other_suite: position != self.write,
        })
    }

    /// Seals the state under the primary key in the written suite.
    fn encode_into(
        &self,
        state: &SessionState,
        created: f64,
        accessed: Stamp,
        out: &mut ValueOut<'_>,
    ) -> Result<(), EncodeError> {
        let suite = &self.suites[self.write];
        let layout = suite.layout();
        let mut raw = Vec::with_capacity(
            HEADER_LEN + layout.nonce_len + state.written_len_hint() + layout.tag_len,
        );
        Header {
            suite: layout.byte,
            key_id: self.ids[0],
            flags: 0, // none defined in v1
            created: Stamp::Exact(created).whole_secs(),
            accessed: accessed.whole_secs(),
        }
        .write(&mut raw);
        raw.resize(HEADER_LEN + layout.nonce_len, 0);
        write_state(&mut raw, state);
        raw.resize(raw.len() + layout.tag_len, 0);
        let mut parts = Parts::split(&mut raw, layout).expect("the envelope was just laid out");
        suite.seal(&mut parts)?;
        out.push_base64(&raw);
        Ok(())
    }

    fn clock_rules(&self) -> ClockRules {
        ClockRules {
            future_stamps: FutureStamps::RefuseBeyondSkew,
            whole_second_now: false,
        }
    }
}

/// Parses an authenticated body, the end of `raw` from `body_start` on: it must be a JSON
/// object, validated whole; its values are kept raw (see [`SessionState`]), in `raw` itself.
fn parse_state(raw: Vec<u8>, body_start: usize) -> Result<SessionState, DecodeError> {
    SessionState::parse_from(raw, body_start)
}

/// Writes the state as compact JSON.
fn write_state(out: &mut Vec<u8>, state: &SessionState) {
    state.write_json(out, JsonDialect::Compact);
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::format::native::Signed;

    pub(crate) fn ring(byte: u8) -> KeyRing {
        KeyRing::new(Secret::from_bytes(vec![byte; 32]))
    }

    pub(crate) fn codec<W: Suite>(ring: &KeyRing, name: &str, purpose: &str) -> NativeCodec {
        NativeCodec::new::<W>(ring, Some(&Salt::from(purpose)), name, false).unwrap()
    }

    pub(crate) fn state() -> SessionState {
        SessionState::parse(br#"{"user":"john","n":1}"#.to_vec()).unwrap()
    }

    /// The key ring, name, purpose and session of the pinned cookies.
    pub(crate) fn pinned_codec<W: Suite>(accept_confidential: bool) -> NativeCodec {
        let ring = KeyRing::new(Secret::from_bytes((0u8..32).collect::<Vec<_>>()));
        NativeCodec::new::<W>(
            &ring,
            Some(&Salt::from("app")),
            "session",
            accept_confidential,
        )
        .unwrap()
    }

    #[test]
    fn the_header_is_the_sum_of_its_fields() {
        assert_eq!(HEADER_LEN, 22);
        let header = Header {
            suite: 0x01,
            key_id: [1, 2, 3, 4],
            flags: 0,
            created: 1_700_000_000,
            accessed: u64::MAX,
        };
        let mut raw = Vec::new();
        header.write(&mut raw);
        assert_eq!(raw.len(), HEADER_LEN);
        assert_eq!(Header::read(&raw), Some(header));
        assert_eq!(Header::read(&raw[..HEADER_LEN - 1]), None);
    }

    #[test]
    fn the_signed_wire_bytes_are_pinned() {
        // Computed independently (Python: hmac, hashlib, the PAE and HKDF of the module docs).
        const PINNED: &str = "AemLH9YAAAAAAGVT8QAAAAAAZVPxZHsidXNlciI6ImpvaG4iLCJuIjoxfSJHXYqH35sZUACVcTrEopVf-797pp0pH3Zv42kxb8CU";
        let codec = pinned_codec::<Signed>(false);
        let value = codec
            .encode(&state(), 1_700_000_000.0, Stamp::Whole(1_700_000_100))
            .unwrap();
        assert_eq!(value, PINNED);
        assert_eq!(codec.decode(PINNED).unwrap().state, state());
    }

    #[test]
    fn round_trip_keeps_state_and_whole_second_stamps() {
        let c = codec::<Signed>(&ring(7), "session", "");
        let value = c
            .encode(&state(), 1_700_000_000.9, Stamp::Whole(1_700_000_100))
            .unwrap();
        let decoded = c.decode(&value).unwrap();
        assert_eq!(decoded.state, state());
        assert_eq!(decoded.created, 1_700_000_000.0);
        assert_eq!(decoded.accessed, 1_700_000_100.0);
        assert_eq!(decoded.key_index, 0);
        assert!(!decoded.other_suite);
    }

    #[test]
    fn bound_to_name_purpose_and_key() {
        let value = codec::<Signed>(&ring(7), "session", "app")
            .encode(&state(), 0.0, Stamp::Whole(0))
            .unwrap();
        assert!(
            codec::<Signed>(&ring(7), "session", "app")
                .decode(&value)
                .is_ok()
        );
        for (keys, name, purpose, error) in [
            (ring(7), "other", "app", DecodeError::BadSignature),
            (ring(7), "session", "app2", DecodeError::BadSignature),
            (ring(8), "session", "app", DecodeError::UnknownKey),
        ] {
            let other = codec::<Signed>(&keys, name, purpose);
            assert_eq!(other.decode(&value), Err(error), "{name} {purpose}");
        }
    }

    #[test]
    fn short_secret_is_a_typed_error() {
        let short = KeyRing::new(Secret::from_bytes(vec![1; MIN_SECRET_LEN - 1]));
        let err = NativeCodec::new::<Signed>(&short, None, "session", false)
            .err()
            .unwrap();
        assert_eq!(
            err,
            ConfigError::SecretTooShort {
                index: 0,
                len: 31,
                min: 32
            }
        );
    }

    #[test]
    fn header_flags_and_suite_are_checked_in_order() {
        let c = codec::<Signed>(&ring(7), "session", "");
        let value = c.encode(&state(), 0.0, Stamp::Whole(0)).unwrap();
        let mut raw = base64url::decode(&value).unwrap();
        raw[5] = 1;
        assert_eq!(
            c.decode(&base64url::encode(&raw)),
            Err(DecodeError::UnknownFlags(1))
        );
        raw[1] ^= 1;
        assert_eq!(
            c.decode(&base64url::encode(&raw)),
            Err(DecodeError::UnknownKey),
            "the key id is looked up before the flags"
        );
        raw[0] = 0x7f;
        assert_eq!(
            c.decode(&base64url::encode(&raw)),
            Err(DecodeError::UnknownSuite(0x7f))
        );
        assert_eq!(
            c.decode(&base64url::encode(&raw[..1])),
            Err(DecodeError::UnknownSuite(0x7f))
        );
        assert_eq!(
            c.decode(&base64url::encode(&[0x01; HEADER_LEN + 31])),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn keyed_hash_states_are_wiped_on_drop() {
        // The HMAC states (native, Pyramid and HKDF's) are built on these hash cores, which wipe
        // themselves only with the crates' `zeroize` features: this fails to compile without.
        fn wiped<T: zeroize::ZeroizeOnDrop>() {}
        wiped::<Sha256>();
        wiped::<sha2::Sha224>();
        wiped::<sha2::Sha384>();
        wiped::<sha2::Sha512>();
        wiped::<sha1::Sha1>();
        wiped::<md5::Md5>();
        #[cfg(feature = "encryption")]
        wiped::<chacha20poly1305::XChaCha20Poly1305>();
        #[cfg(feature = "encryption")]
        wiped::<aes::Aes256Enc>();
        // GCM's hash key (`polyval::Polyval`) wipes itself with `polyval`'s `zeroize` feature,
        // which Cargo.toml turns on; it has a `Drop`, not the `ZeroizeOnDrop` marker, to check.
    }
}
