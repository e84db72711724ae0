//! Pyramid 1.x `UnencryptedCookieSessionFactoryConfig` cookies (`signed_serialize`).
//!
//! ```text
//! cookie value = hex(HMAC-SHA1(secret, pickled)) ‖ base64(pickled)   (40 lowercase hex digits,
//!                                                                     standard alphabet, padded)
//! pickled      = pickle.dumps((accessed, created, state))
//! ```
//!
//! The secret is the HMAC key as is (no salt, no derivation), made bytes by WebOb's text rule
//! (Latin-1 when every character fits, else UTF-8). Each key of the ring is tried in turn with
//! a constant-time comparison, and only a verified pickle is read, by the data-only reader of
//! [`super::pickle`]: nothing in it is ever imported, called or instantiated.
//!
//! Decoding is strict where Pyramid is lenient: the signature must be the 40 lowercase digits
//! Pyramid writes (Pyramid compares the text, so it refuses other spellings too), and the base64
//! must be canonical (Pyramid drops characters outside the alphabet and ignores stray bits).
//! Writing uses pickle protocol 2, which Python 2.7 and 3 both read.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha1::Sha1;

use super::pyramid::webob_key;
use super::{ClockRules, Decoded, FutureStamps, Stamp, ValueOut, WireFormat, pickle};
use crate::error::{ConfigError, DecodeError, EncodeError};
use crate::keys::{KeyRing, Salt};
use crate::state::{SessionState, StateValue};

/// Length of the hex signature that starts every cookie.
const SIGNATURE_HEX_LEN: usize = 40;

/// The Pyramid 1.x format with its keys prepared.
pub(crate) struct PyramidLegacyCodec {
    keys: Vec<Hmac<Sha1>>,
}

impl PyramidLegacyCodec {
    /// Prepares one HMAC-SHA1 per secret. Pyramid 1.x has no salt: one is a configuration error.
    pub(crate) fn new(ring: &KeyRing, salt: Option<&Salt>) -> Result<Self, ConfigError> {
        if salt.is_some() {
            return Err(ConfigError::Unsupported(
                "the Pyramid 1.x format has no salt: its secret is the HMAC key as is",
            ));
        }
        let no_salt = Salt::from_bytes(Vec::new());
        let keys = ring
            .secrets()
            .iter()
            .map(|secret| {
                Hmac::<Sha1>::new_from_slice(&webob_key(&no_salt, secret))
                    .expect("HMAC accepts keys of any length")
            })
            .collect();
        Ok(Self { keys })
    }
}

impl WireFormat for PyramidLegacyCodec {
    fn decode(&self, value: &str) -> Result<Decoded, DecodeError> {
        if value.len() < SIGNATURE_HEX_LEN {
            return Err(DecodeError::Truncated);
        }
        let (signature_hex, payload) = value
            .split_at_checked(SIGNATURE_HEX_LEN)
            .ok_or(DecodeError::BadSignature)?;
        // Anything but lowercase hex differs from every signature Pyramid computes.
        let signature = lowercase_hex_decode(signature_hex).ok_or(DecodeError::BadSignature)?;
        let pickled = STANDARD.decode(payload).map_err(|_| DecodeError::Base64)?;
        if pickled.is_empty() {
            return Err(DecodeError::Truncated);
        }
        let key_index = self
            .keys
            .iter()
            .position(|key| {
                let mut mac = key.clone();
                mac.update(&pickled);
                mac.verify_slice(&signature).is_ok()
            })
            .ok_or(DecodeError::BadSignature)?;
        // Pyramid unpacks any three values (`rval, cval, sval = value`) and takes
        // `float(rval)`, `float(cval)`; its state is a dict.
        let Value::Array(parts) = pickle::loads(&pickled)? else {
            return Err(DecodeError::BadPayload);
        };
        let [accessed, created, Value::Object(state)] =
            <[Value; 3]>::try_from(parts).map_err(|_| DecodeError::BadPayload)?
        else {
            return Err(DecodeError::BadPayload);
        };
        let (Some(accessed), Some(created)) = (accessed.as_f64(), created.as_f64()) else {
            return Err(DecodeError::BadPayload);
        };
        Ok(Decoded {
            state: SessionState::from(state),
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
        // Pyramid writes `int(time.time())` after an access and the float it read when the
        // session is only re-sent; `created` is always a float.
        let mut writer = pickle::Writer::new();
        match accessed {
            Stamp::Whole(secs) => writer.int(secs),
            Stamp::Exact(secs) => writer.float(secs),
        }
        writer.float(created);
        writer.dict(state.iter().map(|(key, value)| {
            let value = match value {
                StateValue::Value(value) => Cow::Borrowed(value),
                // Validated as JSON when its cookie was read, so it parses.
                StateValue::Raw(_) => Cow::Owned(value.to_value().unwrap_or_default()),
            };
            (key, value)
        }));
        writer.tuple3();
        let pickled = writer.finish();
        let mut mac = self.keys[0].clone();
        mac.update(&pickled);
        let mut value = lowercase_hex(&mac.finalize().into_bytes());
        STANDARD.encode_string(&pickled, &mut value);
        out.push_str(&value);
        Ok(())
    }

    fn clock_rules(&self) -> ClockRules {
        // Pyramid compares `time.time() - accessed > timeout` on floats, whatever the sign.
        ClockRules {
            future_stamps: FutureStamps::Accept,
            whole_second_now: false,
        }
    }
}

fn lowercase_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2 + 512);
    for &byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// The 20 bytes of a 40-digit lowercase hex signature; `None` for any other spelling.
fn lowercase_hex_decode(hex: &str) -> Option<[u8; SIGNATURE_HEX_LEN / 2]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let mut bytes = [0; SIGNATURE_HEX_LEN / 2];
    for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Secret;
    use serde_json::json;

    fn codec(secrets: &[&str]) -> PyramidLegacyCodec {
        let ring = KeyRing::from_secrets(secrets.iter().map(|s| Secret::from_text(*s))).unwrap();
        PyramidLegacyCodec::new(&ring, None).unwrap()
    }

    const SECRET: &str = "visible-legacy-secret-2019-b7e4";
    /// The vectors' `visible-seed-app` cookie, written by real Pyramid 1.10.8.
    const SEED_COOKIE: &str = "611de45eb8b7db366a7df54f6c45aa62ee292494gAWVJgAAAAAAAABKAE0ZXUdB10ZTQBAAAH2UjAh1c2VybmFtZZSMBGpvaG6Uc4eULg==";

    #[test]
    fn reads_a_real_pyramid_cookie() {
        let decoded = codec(&[SECRET]).decode(SEED_COOKIE).unwrap();
        assert_eq!(
            Value::Object(decoded.state.to_map()),
            json!({"username": "john"})
        );
        assert_eq!(
            (decoded.accessed, decoded.created),
            (1561939200.0, 1561939200.25)
        );
        assert_eq!(decoded.key_index, 0);
        let rotated = codec(&["a newer secret, tried first", SECRET]);
        assert_eq!(rotated.decode(SEED_COOKIE).unwrap().key_index, 1);
    }

    #[test]
    fn round_trips_and_writes_pyramid_shape() {
        let codec = codec(&[SECRET]);
        let map: serde_json::Map<String, Value> =
            serde_json::from_value(json!({"a": [1, 2.5, "é", {"b": null}], "big": 1u64 << 40}))
                .unwrap();
        let state = SessionState::from(map);
        for (accessed, expected) in [
            (Stamp::Whole(1_700_000_000), 1_700_000_000.0),
            (Stamp::Exact(1_700_000_000.5), 1_700_000_000.5),
        ] {
            let value = codec.encode(&state, 1_600_000_000.25, accessed).unwrap();
            assert!(
                value[..40]
                    .bytes()
                    .all(|b| b"0123456789abcdef".contains(&b))
            );
            let decoded = codec.decode(&value).unwrap();
            assert_eq!(decoded.state, state);
            assert_eq!(decoded.created, 1_600_000_000.25);
            assert_eq!(decoded.accessed, expected);
        }
    }

    #[test]
    fn rejects_before_reading_the_pickle() {
        let codec = codec(&[SECRET]);
        assert_eq!(codec.decode("611de45e"), Err(DecodeError::Truncated));
        let upper = SEED_COOKIE[..40].to_ascii_uppercase() + &SEED_COOKIE[40..];
        assert_eq!(codec.decode(&upper), Err(DecodeError::BadSignature));
        let unpadded = SEED_COOKIE.trim_end_matches('=');
        assert_eq!(codec.decode(unpadded), Err(DecodeError::Base64));
        assert_eq!(
            codec.decode(&SEED_COOKIE[..40]),
            Err(DecodeError::Truncated)
        );
        let other = super::tests::codec(&["another secret of some length"]);
        assert_eq!(other.decode(SEED_COOKIE), Err(DecodeError::BadSignature));
        // A multi-byte character across the split is not a signature.
        let split = format!("{}é{}", &SEED_COOKIE[..39], &SEED_COOKIE[40..]);
        assert_eq!(codec.decode(&split), Err(DecodeError::BadSignature));
    }

    #[test]
    fn a_salt_is_a_configuration_error() {
        let ring = KeyRing::new(Secret::from_text(SECRET));
        assert!(matches!(
            PyramidLegacyCodec::new(&ring, Some(&Salt::from("x"))),
            Err(ConfigError::Unsupported(_))
        ));
    }
}
