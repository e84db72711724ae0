//! The native envelope, version 1.
//!
//! ```text
//! cookie value = base64url_nopad(envelope)
//! header       = suite(1) | key_id(4) | flags(1) | created u64 BE(8) | accessed u64 BE(8)
//! ```
//!
//! | suite            | envelope                                                          | overhead |
//! |------------------|-------------------------------------------------------------------|----------|
//! | `0x01` signed    | header(22) ‖ JSON state ‖ HMAC-SHA256 tag(32)                     | 54 bytes |
//! | `0x02` encrypted | header(22) ‖ nonce(24) ‖ XChaCha20-Poly1305(JSON state) ‖ tag(16) | 62 bytes |
//!
//! Suite `0x02` exists only with the `encryption` feature; without it such a cookie is an unknown
//! suite. The header is never encrypted: the timestamps are readable (not forgeable) in both
//! suites.
//!
//! Each master secret yields one working key per purpose with HKDF-SHA256 (salt
//! `cookie-session/v1/hkdf`, info `cookie-session/v1/mac/hmac-sha256`,
//! `cookie-session/v1/enc/xchacha20poly1305` and `cookie-session/v1/key-id`), so one ring serves
//! both suites without ever using a key for two algorithms. The key id selects the key (no trial
//! of every key); being derived one-way, it reveals nothing about the key.
//!
//! What is authenticated is an injective, length-prefixed encoding (PASETO's PAE), so a cookie
//! cannot be replayed under another cookie name or another application's purpose, and no two
//! field splits collide:
//!
//! * `0x01`: the tag is the HMAC of `PAE([context, cookie name, purpose, padding, header, body])`,
//!   where `padding` is the zero bytes (0–63) that end the constant pieces on a SHA-256 block
//!   boundary, so that part is hashed once per key rather than once per cookie;
//! * `0x02`: the associated data is `PAE([context, cookie name, purpose, header ‖ nonce])`, and
//!   the 24-byte nonce is drawn from the operating system's generator for every cookie.
//!
//! The flags byte is always 0 in v1. In particular nothing is ever compressed, and the encrypted
//! suite never will be: compressing secrets together with attacker-influenced values before
//! encrypting turns the ciphertext's length into an oracle for the secrets (CRIME, BREACH).
//!
//! Decoding checks, in order: length, base64url, suite, key id, flags, tag (in constant time;
//! for `0x02`, decryption), and only then parses the JSON. Any suite is read, whichever one the
//! codec writes, so a deployment can switch between signed and encrypted cookies under one ring.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{ClockRules, Decoded, FutureStamps, Stamp, WireFormat, base64url};
use crate::error::{ConfigError, DecodeError, EncodeError};
use crate::keys::{KeyRing, Salt, Secret};
use crate::state::{JsonDialect, SessionState};

/// The suite byte of the signed envelope.
pub(crate) const SUITE_SIGNED: u8 = 0x01;
/// Bytes before the body.
pub(crate) const HEADER_LEN: usize = 22;
/// Length of an HMAC-SHA256 tag.
pub(crate) const MAC_TAG_LEN: usize = 32;
/// Shortest master secret accepted: HKDF needs real key material.
pub const MIN_SECRET_LEN: usize = 32;

/// Domain-separation label: the first PAE piece of every tag, and the HKDF salt's prefix.
const CONTEXT: &[u8] = b"cookie-session/v1";
const HKDF_SALT: &[u8] = b"cookie-session/v1/hkdf";
const INFO_MAC: &[u8] = b"cookie-session/v1/mac/hmac-sha256";
const INFO_KEY_ID: &[u8] = b"cookie-session/v1/key-id";

#[cfg(feature = "encryption")]
mod encrypted;

/// Which suite the codec writes. It reads every suite the build supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suite {
    Signed,
    #[cfg(feature = "encryption")]
    Encrypted,
}

impl Suite {
    fn byte(self) -> u8 {
        match self {
            Self::Signed => SUITE_SIGNED,
            #[cfg(feature = "encryption")]
            Self::Encrypted => encrypted::SUITE_ENCRYPTED,
        }
    }
}

/// The working keys derived from one master secret.
struct NativeKey {
    id: [u8; 4],
    /// Keyed, with the constant PAE prefix (context, cookie name, purpose) already absorbed:
    /// each message clones it and hashes only its own bytes.
    mac: Hmac<Sha256>,
    #[cfg(feature = "encryption")]
    aead: encrypted::AeadKey,
}

/// The native format with its keys derived, ready for requests.
pub(crate) struct NativeCodec {
    keys: Vec<NativeKey>,
    write: Suite,
    /// The constant start of the encrypted suite's associated data. Unlike the MAC prefix it
    /// involves no key, so one copy serves the whole ring.
    #[cfg(feature = "encryption")]
    ad_prefix: encrypted::AdPrefix,
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

/// The number of zero bytes that brings the constant part of the signed message — the piece
/// count and the length-prefixed context, cookie name, purpose and this padding — to a whole
/// number of SHA-256 blocks.
pub(crate) fn mac_prefix_padding(cookie_name_len: usize, purpose_len: usize) -> usize {
    const BLOCK: usize = 64;
    let prefix = 8 + (8 + CONTEXT.len()) + (8 + cookie_name_len) + (8 + purpose_len) + 8;
    (BLOCK - prefix % BLOCK) % BLOCK
}

/// Appends a PAE length prefix (little-endian u64).
fn pae_len(out: &mut impl Mac, len: usize) {
    out.update(&(len as u64).to_le_bytes());
}

impl NativeCodec {
    pub(crate) fn new(
        ring: &KeyRing,
        salt: Option<&Salt>,
        cookie_name: &str,
        write: Suite,
    ) -> Result<Self, ConfigError> {
        let purpose = salt.map_or(&[][..], Salt::as_bytes);
        let mut keys: Vec<NativeKey> = Vec::with_capacity(ring.len());
        for (index, secret) in ring.secrets().iter().enumerate() {
            let key = NativeKey::derive(index, secret, cookie_name, purpose)
                .map_err(|error| name_the_place(error, ring))?;
            if let Some(first) = keys.iter().position(|k| k.id == key.id) {
                return Err(ConfigError::KeyIdCollision {
                    first,
                    second: index,
                });
            }
            keys.push(key);
        }
        Ok(Self {
            keys,
            write,
            #[cfg(feature = "encryption")]
            ad_prefix: encrypted::AdPrefix::new(cookie_name, purpose),
        })
    }

    fn key(&self, id: &[u8]) -> Option<(usize, &NativeKey)> {
        self.keys.iter().enumerate().find(|(_, k)| k.id == id)
    }
}

impl WireFormat for NativeCodec {
    fn decode(&self, value: &str) -> Result<Decoded, DecodeError> {
        let raw = base64url::decode(value)?;
        let suite = *raw.first().ok_or(DecodeError::Truncated)?;
        let mut decoded = match suite {
            SUITE_SIGNED => self.open_signed(&raw),
            #[cfg(feature = "encryption")]
            encrypted::SUITE_ENCRYPTED => self.open_encrypted(raw),
            other => Err(DecodeError::UnknownSuite(other)),
        }?;
        decoded.other_suite = suite != self.write.byte();
        Ok(decoded)
    }

    fn encode(
        &self,
        state: &SessionState,
        created: f64,
        accessed: Stamp,
    ) -> Result<String, EncodeError> {
        match self.write {
            Suite::Signed => Ok(self.seal_signed(state, created, accessed)),
            #[cfg(feature = "encryption")]
            Suite::Encrypted => self.seal_encrypted(state, created, accessed),
        }
    }

    fn clock_rules(&self) -> ClockRules {
        ClockRules {
            future_stamps: FutureStamps::RefuseBeyondSkew,
            whole_second_now: false,
        }
    }
}

impl NativeCodec {
    fn open_signed(&self, raw: &[u8]) -> Result<Decoded, DecodeError> {
        if raw.len() < HEADER_LEN + MAC_TAG_LEN {
            return Err(DecodeError::Truncated);
        }
        let (key_index, key) = self.key(&raw[1..5]).ok_or(DecodeError::UnknownKey)?;
        let header = Header::parse(raw)?;
        let (signed, tag) = raw.split_at(raw.len() - MAC_TAG_LEN);
        let body = &signed[HEADER_LEN..];
        key.signer(&signed[..HEADER_LEN], body)
            .verify_slice(tag)
            .map_err(|_| DecodeError::BadSignature)?;
        header.open(body, key_index)
    }

    fn seal_signed(&self, state: &SessionState, created: f64, accessed: Stamp) -> String {
        let key = &self.keys[0];
        let mut raw = Vec::with_capacity(256);
        Header {
            suite: SUITE_SIGNED,
            key_id: key.id,
            created: Stamp::Exact(created).whole_secs(),
            accessed: accessed.whole_secs(),
        }
        .write(&mut raw);
        write_state(&mut raw, state);
        let tag = key
            .signer(&raw[..HEADER_LEN], &raw[HEADER_LEN..])
            .finalize()
            .into_bytes();
        raw.extend_from_slice(&tag);
        base64url::encode(&raw)
    }
}

impl NativeKey {
    fn derive(
        index: usize,
        secret: &Secret,
        cookie_name: &str,
        purpose: &[u8],
    ) -> Result<Self, ConfigError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(ConfigError::SecretTooShort {
                index,
                len: secret.len(),
                min: MIN_SECRET_LEN,
            });
        }
        let hkdf = hkdf::Hkdf::<Sha256>::new(Some(HKDF_SALT), secret.expose());
        let mut mac_key = zeroize::Zeroizing::new([0u8; 32]);
        let mut id = [0u8; 4];
        // Both lengths are far below HKDF's limit of 255 blocks, so expand cannot fail.
        hkdf.expand(INFO_MAC, mac_key.as_mut_slice())
            .map_err(|_| ConfigError::Unsupported("HKDF output length"))?;
        hkdf.expand(INFO_KEY_ID, &mut id)
            .map_err(|_| ConfigError::Unsupported("HKDF output length"))?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(mac_key.as_slice())
            .map_err(|_| ConfigError::Unsupported("HMAC key length"))?;
        #[cfg(feature = "encryption")]
        let aead = encrypted::AeadKey::derive(&hkdf)?;
        // PAE([context, name, purpose, padding, header, body]): the count, then the four constant
        // pieces, absorbed once here. The zero padding makes them end on a SHA-256 block
        // boundary, so each cookie hashes only its own bytes (one block less per cookie).
        let padding = vec![0u8; mac_prefix_padding(cookie_name.len(), purpose.len())];
        mac.update(&6u64.to_le_bytes());
        for piece in [CONTEXT, cookie_name.as_bytes(), purpose, &padding] {
            pae_len(&mut mac, piece.len());
            mac.update(piece);
        }
        Ok(Self {
            id,
            mac,
            #[cfg(feature = "encryption")]
            aead,
        })
    }

    /// A MAC over one message's header and body, on top of the pre-absorbed prefix.
    fn signer(&self, header: &[u8], body: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        pae_len(&mut mac, header.len());
        mac.update(header);
        pae_len(&mut mac, body.len());
        mac.update(body);
        mac
    }
}

/// The fixed-size header shared by all suites.
pub(crate) struct Header {
    pub(crate) suite: u8,
    pub(crate) key_id: [u8; 4],
    pub(crate) created: u64,
    pub(crate) accessed: u64,
}

impl Header {
    /// Reads the header of a buffer at least [`HEADER_LEN`] long.
    pub(crate) fn parse(raw: &[u8]) -> Result<Self, DecodeError> {
        let header: &[u8; HEADER_LEN] = raw
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(DecodeError::Truncated)?;
        if header[5] != 0 {
            return Err(DecodeError::UnknownFlags(header[5]));
        }
        let u64_at = |at: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&header[at..at + 8]);
            u64::from_be_bytes(bytes)
        };
        Ok(Self {
            suite: header[0],
            key_id: [header[1], header[2], header[3], header[4]],
            created: u64_at(6),
            accessed: u64_at(14),
        })
    }

    /// What an authenticated envelope with this header and plaintext `body` decodes to.
    pub(crate) fn open(&self, body: &[u8], key_index: usize) -> Result<Decoded, DecodeError> {
        Ok(Decoded {
            state: parse_state(body)?,
            created: self.created as f64,
            accessed: self.accessed as f64,
            key_index,
            other_suite: false,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.push(self.suite);
        out.extend_from_slice(&self.key_id);
        out.push(0); // flags: none defined in v1
        out.extend_from_slice(&self.created.to_be_bytes());
        out.extend_from_slice(&self.accessed.to_be_bytes());
    }
}

/// Parses a verified body: it must be a JSON object.
pub(crate) fn parse_state(body: &[u8]) -> Result<SessionState, DecodeError> {
    SessionState::parse(body.to_vec())
}

/// Writes the state as compact JSON.
pub(crate) fn write_state(out: &mut Vec<u8>, state: &SessionState) {
    state.write_json(out, JsonDialect::Compact);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(secret: &[u8], name: &str, purpose: &str) -> NativeCodec {
        NativeCodec::new(
            &KeyRing::new(Secret::from_bytes(secret.to_vec())),
            Some(&Salt::from(purpose)),
            name,
            Suite::Signed,
        )
        .unwrap()
    }

    pub(super) fn state() -> SessionState {
        SessionState::parse(br#"{"user":"john","n":1}"#.to_vec()).unwrap()
    }

    #[test]
    fn round_trip_keeps_state_and_whole_second_stamps() {
        let c = codec(&[7; 32], "session", "");
        let value = c
            .encode(&state(), 1_700_000_000.9, Stamp::Whole(1_700_000_100))
            .unwrap();
        let decoded = c.decode(&value).unwrap();
        assert_eq!(decoded.state, state());
        assert_eq!(decoded.created, 1_700_000_000.0);
        assert_eq!(decoded.accessed, 1_700_000_100.0);
        assert_eq!(decoded.key_index, 0);
    }

    #[test]
    fn bound_to_name_purpose_and_key() {
        let value = codec(&[7; 32], "session", "app")
            .encode(&state(), 0.0, Stamp::Whole(0))
            .unwrap();
        assert!(codec(&[7; 32], "session", "app").decode(&value).is_ok());
        assert_eq!(
            codec(&[7; 32], "other", "app").decode(&value),
            Err(DecodeError::BadSignature)
        );
        assert_eq!(
            codec(&[7; 32], "session", "app2").decode(&value),
            Err(DecodeError::BadSignature)
        );
        assert_eq!(
            codec(&[8; 32], "session", "app").decode(&value),
            Err(DecodeError::UnknownKey)
        );
    }

    #[test]
    fn the_constant_mac_prefix_fills_whole_blocks() {
        for name_len in 0..70 {
            for purpose_len in [0, 1, 13, 64, 100] {
                let padding = mac_prefix_padding(name_len, purpose_len);
                assert!(padding < 64);
                let prefix = 8 + (8 + CONTEXT.len()) + (8 + name_len) + (8 + purpose_len) + 8;
                assert_eq!((prefix + padding) % 64, 0, "{name_len} {purpose_len}");
            }
        }
    }

    #[test]
    fn short_secret_is_a_typed_error() {
        let err = NativeCodec::new(
            &KeyRing::new(Secret::from_bytes(vec![1; 31])),
            None,
            "session",
            Suite::Signed,
        )
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
    fn header_flags_and_suite_are_checked() {
        let c = codec(&[7; 32], "session", "");
        let value = c.encode(&state(), 0.0, Stamp::Whole(0)).unwrap();
        let mut raw = base64url::decode(&value).unwrap();
        raw[5] = 1;
        assert_eq!(
            c.decode(&base64url::encode(&raw)),
            Err(DecodeError::UnknownFlags(1))
        );
        raw[5] = 0;
        raw[0] = 0x7f;
        assert_eq!(
            c.decode(&base64url::encode(&raw)),
            Err(DecodeError::UnknownSuite(0x7f))
        );
    }
}
