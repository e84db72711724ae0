//! Pyramid's `SignedCookieSessionFactory` format (WebOb `SignedSerializer` + `JSONSerializer`).
//!
//! ```text
//! cookie value = base64url_nopad(HMAC-<hash>(salt ‖ secret, payload) ‖ payload)
//! payload      = json.dumps([accessed, created, state])
//! ```
//!
//! There is no key id, so with a key ring each key is tried in turn (primary first), each with a
//! constant-time comparison. Cookies written here are byte-identical to Pyramid's: the payload is
//! formatted exactly like CPython's `json.dumps` (see [`super::pyjson`]).
//!
//! Decoding is strict where Pyramid is lenient (padding, `+`/`/`, skipped junk characters,
//! numeric strings as timestamps, a state that is a list of pairs): Pyramid never writes such
//! cookies, so refusing them costs no interoperability and leaves one spelling per cookie.

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use serde_json::ser::{CompactFormatter, Formatter};
use sha1::Sha1;
use sha2::{Sha224, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use super::native::MIN_SECRET_LEN;
use super::pyjson::{self, PyJsonStyle};
use super::{
    ClockRules, Decoded, FutureStamps, PyramidHash, Stamp, ValueOut, WireFormat, base64url,
};
use crate::error::{DecodeError, EncodeError};
use crate::keys::{GivenAs, KeyRing, Salt, Secret};
use crate::state::{JsonDialect, Scanner, SessionState};

/// Pyramid's default salt.
pub const DEFAULT_PYRAMID_SALT: &str = "pyramid.session.";

/// A pre-keyed HMAC for one of the supported hashes. Cloned per message, never re-keyed.
#[derive(Clone)]
pub(crate) enum PyramidMac {
    Md5(Hmac<Md5>),
    Sha1(Hmac<Sha1>),
    Sha224(Hmac<Sha224>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

/// Runs `$body` with `$mac` bound to the inner `Hmac<_>` of whatever hash this is.
macro_rules! with_mac {
    ($self:expr, $mac:ident => $body:expr) => {
        match $self {
            PyramidMac::Md5($mac) => $body,
            PyramidMac::Sha1($mac) => $body,
            PyramidMac::Sha224($mac) => $body,
            PyramidMac::Sha256($mac) => $body,
            PyramidMac::Sha384($mac) => $body,
            PyramidMac::Sha512($mac) => $body,
        }
    };
}

impl PyramidMac {
    pub(crate) fn new(hash: PyramidHash, key: &[u8]) -> Self {
        // HMAC accepts keys of any length (long ones are hashed first, as in RFC 2104).
        fn keyed<M: KeyInit>(key: &[u8]) -> M {
            M::new_from_slice(key).expect("HMAC accepts keys of any length")
        }
        match hash {
            PyramidHash::Md5 => Self::Md5(keyed(key)),
            PyramidHash::Sha1 => Self::Sha1(keyed(key)),
            PyramidHash::Sha224 => Self::Sha224(keyed(key)),
            PyramidHash::Sha256 => Self::Sha256(keyed(key)),
            PyramidHash::Sha384 => Self::Sha384(keyed(key)),
            PyramidHash::Sha512 => Self::Sha512(keyed(key)),
        }
    }

    /// Writes the signature of `payload` into `out` (exactly the digest's length).
    pub(crate) fn sign_into(&self, payload: &[u8], out: &mut [u8]) {
        with_mac!(self.clone(), mac => {
            let mut mac = mac;
            mac.update(payload);
            let signature = mac.finalize().into_bytes();
            let len = signature.len().min(out.len());
            out[..len].copy_from_slice(&signature[..len]);
        })
    }

    /// Constant-time check of `signature` over `payload`.
    pub(crate) fn verifies(&self, payload: &[u8], signature: &[u8]) -> bool {
        with_mac!(self.clone(), mac => {
            let mut mac = mac;
            mac.update(payload);
            mac.verify_slice(signature).is_ok()
        })
    }
}

/// The Pyramid format with its keys prepared.
pub(crate) struct PyramidCodec {
    hash: PyramidHash,
    keys: Vec<PyramidMac>,
}

impl PyramidCodec {
    pub(crate) fn new(ring: &KeyRing, salt: Option<&Salt>, hash: PyramidHash) -> Self {
        let default_salt = Salt::from(DEFAULT_PYRAMID_SALT);
        let salt = salt.unwrap_or(&default_salt);
        let keys = ring
            .secrets()
            .iter()
            .enumerate()
            .map(|(index, secret)| {
                if secret.len() < MIN_SECRET_LEN {
                    tracing::warn!(
                        index,
                        len = secret.len(),
                        min = MIN_SECRET_LEN,
                        "a Pyramid secret shorter than the native minimum is weak; accepted for compatibility"
                    );
                }
                PyramidMac::new(hash, &webob_key(salt, secret))
            })
            .collect();
        Self { hash, keys }
    }
}

impl WireFormat for PyramidCodec {
    fn decode(&self, value: &str) -> Result<Decoded, DecodeError> {
        let raw = base64url::decode(value)?;
        let digest_len = self.hash.digest_len();
        if raw.len() <= digest_len {
            return Err(DecodeError::Truncated);
        }
        let (signature, payload) = raw.split_at(digest_len);
        let key_index = self
            .keys
            .iter()
            .position(|key| key.verifies(payload, signature))
            .ok_or(DecodeError::BadSignature)?;
        // [accessed, created, {state}]: validated whole (UTF-8 included), the state's values
        // kept raw.
        let mut scanner = Scanner::new(&raw, digest_len);
        scanner.open(b'[')?;
        let accessed = scanner.number_f64()?;
        scanner.expect(b',')?;
        let created = scanner.number_f64()?;
        scanner.expect(b',')?;
        let entries = scanner.object()?;
        scanner.expect(b']')?;
        scanner.finish()?;
        let state = SessionState::from_scanned(raw, entries)?;
        Ok(Decoded {
            state,
            created,
            accessed,
            key_index,
            other_suite: false,
        })
    }

    fn encode_into(
        &self,
        state: &SessionState,
        created: f64,
        accessed: Stamp,
        out: &mut ValueOut<'_>,
    ) -> Result<(), EncodeError> {
        // One buffer: room for the signature, then the payload written after it and signed in
        // place, so the payload is neither allocated nor copied separately.
        let digest_len = self.hash.digest_len();
        // The timestamps and brackets: `[1700000000.123456, 1700000000.123456, ` and `]`.
        const FRAME_LEN: usize = 48;
        let mut raw = Vec::with_capacity(digest_len + FRAME_LEN + state.written_len_hint());
        raw.resize(digest_len, 0);
        raw.push(b'[');
        match accessed {
            Stamp::Whole(secs) => {
                // Writing an integer into a Vec cannot fail.
                let _ = CompactFormatter.write_i64(&mut raw, secs);
            }
            Stamp::Exact(secs) => pyjson::write_float_repr(&mut raw, secs),
        }
        raw.extend_from_slice(b", ");
        pyjson::write_float_repr(&mut raw, created);
        raw.extend_from_slice(b", ");
        state.write_json(&mut raw, JsonDialect::Python(PyJsonStyle::DEFAULT));
        raw.push(b']');
        let (signature, payload) = raw.split_at_mut(digest_len);
        self.keys[0].sign_into(payload, signature);
        out.push_base64(&raw);
        Ok(())
    }

    fn clock_rules(&self) -> ClockRules {
        ClockRules {
            future_stamps: FutureStamps::Accept,
            whole_second_now: false,
        }
    }
}

/// The HMAC key WebOb builds: `salt ‖ secret`, where text is encoded as latin-1 when every text
/// part fits in latin-1, and otherwise all text parts as UTF-8. Raw bytes pass through.
pub(crate) fn webob_key(salt: &Salt, secret: &Secret) -> Zeroizing<Vec<u8>> {
    let parts = [
        (salt.as_bytes(), salt.given_as()),
        (secret.expose(), secret.given_as()),
    ];
    let all_latin1 = parts.iter().all(|(bytes, given_as)| {
        *given_as == GivenAs::Bytes || utf8_as_latin1(bytes, &mut Vec::new()).is_some()
    });
    let mut key = Zeroizing::new(Vec::with_capacity(salt.as_bytes().len() + secret.len()));
    for (bytes, given_as) in parts {
        if given_as == GivenAs::Text && all_latin1 {
            utf8_as_latin1(bytes, &mut key);
        } else {
            key.extend_from_slice(bytes);
        }
    }
    key
}

/// Re-encodes UTF-8 text as latin-1 into `out`; `None` if a character is above U+00FF.
fn utf8_as_latin1(utf8: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let text = std::str::from_utf8(utf8).ok()?;
    for c in text.chars() {
        out.push(u8::try_from(u32::from(c)).ok()?);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn webob_key_rule() {
        let key = webob_key(&Salt::from("pyramid."), &Secret::from_text("sécrèt"));
        assert_eq!(hex(&key), "707972616d69642e73e96372e874");
        // A character above U+00FF switches both parts to UTF-8.
        let key = webob_key(&Salt::from("sälz."), &Secret::from_text("euro€"));
        assert_eq!(hex(&key), "73c3a46c7a2e6575726fe282ac");
        // Raw bytes pass through untouched.
        let key = webob_key(
            &Salt::from_bytes(vec![0xff]),
            &Secret::from_bytes(vec![0xc3, 0xa9]),
        );
        assert_eq!(hex(&key), "ffc3a9");
    }

    #[test]
    fn every_hash_round_trips_and_rejects_the_others() {
        let ring = KeyRing::new(Secret::from_text("a long enough secret for the tests"));
        let state = SessionState::parse(r#"{"a": [1, 2.5, "é"]}"#.as_bytes().to_vec()).unwrap();
        let hashes = [
            PyramidHash::Md5,
            PyramidHash::Sha1,
            PyramidHash::Sha224,
            PyramidHash::Sha256,
            PyramidHash::Sha384,
            PyramidHash::Sha512,
        ];
        for hash in hashes {
            let codec = PyramidCodec::new(&ring, None, hash);
            let value = codec.encode(&state, 1.5, Stamp::Whole(2)).unwrap();
            let decoded = codec.decode(&value).unwrap();
            assert_eq!(
                (decoded.state, decoded.created, decoded.accessed),
                (state.clone(), 1.5, 2.0)
            );
            for other in hashes.into_iter().filter(|h| *h != hash) {
                assert!(
                    PyramidCodec::new(&ring, None, other)
                        .decode(&value)
                        .is_err()
                );
            }
        }
    }
}
