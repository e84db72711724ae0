//! Django's `TimestampSigner` (`django.core.signing`), the layer under the session payload:
//!
//! ```text
//! signed    = value ':' base62(timestamp) ':' signature
//! signature = base64url_nopad(HMAC-H(key, value ':' base62(timestamp)))
//! key       = H(salt ‖ "signer" ‖ secret)            (django.utils.crypto.salted_hmac)
//! ```
//!
//! `H` is SHA-256 (Django 4.0+) or SHA-1 (older deployments). The secret ring is Django's
//! `SECRET_KEY` followed by `SECRET_KEY_FALLBACKS`: every key is tried on verification, the
//! first signs.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{DjangoHash, base62};
use crate::error::DecodeError;
use crate::format::base64url;
use crate::keys::KeyRing;

/// Django's `Signer` separator.
const SEP: char = ':';

/// A `salted_hmac` key, derived once per secret and cloned per message.
#[derive(Clone)]
enum SaltedHmac {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
}

/// `salted_hmac`'s key: `H(key_salt + secret).digest()`.
fn derived_key(hash: DjangoHash, key_salt: &[&[u8]], secret: &[u8]) -> Zeroizing<Vec<u8>> {
    fn digest<D: Digest>(key_salt: &[&[u8]], secret: &[u8]) -> Zeroizing<Vec<u8>> {
        let mut hasher = D::new();
        for part in key_salt {
            hasher.update(part);
        }
        hasher.update(secret);
        Zeroizing::new(hasher.finalize().to_vec())
    }
    match hash {
        DjangoHash::Sha1 => digest::<Sha1>(key_salt, secret),
        DjangoHash::Sha256 => digest::<Sha256>(key_salt, secret),
    }
}

impl SaltedHmac {
    /// `hmac.new(derived_key, digestmod=H)`.
    fn new(hash: DjangoHash, key_salt: &[&[u8]], secret: &[u8]) -> Self {
        fn keyed<M: KeyInit>(key: &[u8]) -> M {
            M::new_from_slice(key).expect("HMAC accepts keys of any length")
        }
        let key = derived_key(hash, key_salt, secret);
        match hash {
            DjangoHash::Sha1 => Self::Sha1(keyed(&key)),
            DjangoHash::Sha256 => Self::Sha256(keyed(&key)),
        }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self.clone() {
            Self::Sha1(mut mac) => {
                mac.update(message);
                mac.finalize().into_bytes().to_vec()
            }
            Self::Sha256(mut mac) => {
                mac.update(message);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    /// Constant-time check of `signature` over `message`.
    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match self.clone() {
            Self::Sha1(mut mac) => {
                mac.update(message);
                mac.verify_slice(signature).is_ok()
            }
            Self::Sha256(mut mac) => {
                mac.update(message);
                mac.verify_slice(signature).is_ok()
            }
        }
    }
}

/// What [`TimestampSigner::unsign`] recovered from a value whose signature verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Unsigned<'a> {
    /// The signed value, without its timestamp and signature.
    pub(super) value: &'a str,
    /// The signing time, whole Unix seconds.
    pub(super) timestamp: u64,
    /// Position in the key ring of the key that verified it.
    pub(super) key_index: usize,
}

/// A `TimestampSigner` with its keys derived, primary first.
pub(super) struct TimestampSigner {
    hash: DjangoHash,
    keys: Vec<SaltedHmac>,
}

impl TimestampSigner {
    /// Django's `TimestampSigner(key=ring[0], fallback_keys=ring[1..], salt=salt,
    /// algorithm=hash)`. An empty salt is Django's `salt or "<module>.<class>"`, the class's
    /// default.
    pub(super) fn new(ring: &KeyRing, salt: &[u8], hash: DjangoHash) -> Self {
        let salt: &[u8] = if salt.is_empty() {
            b"django.core.signing.TimestampSigner"
        } else {
            salt
        };
        let keys = ring
            .secrets()
            .iter()
            .map(|secret| SaltedHmac::new(hash, &[salt, b"signer"], secret.expose()))
            .collect();
        Self { hash, keys }
    }

    /// Length of the base64url signature text.
    fn signature_text_len(&self) -> usize {
        (4 * self.hash.digest_len()).div_ceil(3)
    }

    /// Appends `:` + base62(`timestamp`), then `:` + the primary key's signature of everything
    /// in `out`: `out` holds the value on entry and the signed value on return.
    pub(super) fn sign_into(&self, out: &mut String, timestamp: u64) {
        out.push(SEP);
        base62::encode_into(timestamp, out);
        let signature = self.keys[0].sign(out.as_bytes());
        out.push(SEP);
        out.push_str(&base64url::encode(&signature));
    }

    /// Splits off and checks the timestamp's and signature's shapes, then verifies the signature
    /// under each key in turn (constant-time comparisons). Nothing of the value is interpreted.
    pub(super) fn unsign<'a>(&self, signed: &'a str) -> Result<Unsigned<'a>, DecodeError> {
        if signed.is_empty() {
            return Err(DecodeError::Empty);
        }
        let (message, signature_text) = signed.rsplit_once(SEP).ok_or(DecodeError::Truncated)?;
        let (value, timestamp_text) = message.rsplit_once(SEP).ok_or(DecodeError::Truncated)?;
        let timestamp = base62::decode(timestamp_text)?;
        if signature_text.len() != self.signature_text_len() {
            return Err(DecodeError::BadSignature);
        }
        let signature = base64url::decode(signature_text)?;
        let key_index = self
            .keys
            .iter()
            .position(|key| key.verifies(message.as_bytes(), &signature))
            .ok_or(DecodeError::BadSignature)?;
        Ok(Unsigned {
            value,
            timestamp,
            key_index,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_vectors;
    use super::*;
    use crate::keys::Secret;
    use serde_json::Value;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn signer_for(case: &Value) -> TimestampSigner {
        let salt = test_vectors::salt(case);
        TimestampSigner::new(
            &test_vectors::ring(case),
            salt.as_bytes(),
            test_vectors::hash(case),
        )
    }

    #[test]
    fn key_derivation_matches_the_vectors() {
        for case in test_vectors::cases() {
            let hash = test_vectors::hash(&case);
            let secret = test_vectors::signing_secret(&case);
            let salt = test_vectors::salt(&case);
            let derived = hex(&derived_key(
                hash,
                &[salt.as_bytes(), b"signer"],
                secret.expose(),
            ));
            assert_eq!(derived, case["derived_signing_key_hex"].as_str().unwrap());
        }
    }

    /// The vector of `kind` `timestamp_signer`: a bare `TimestampSigner` value (not a session),
    /// whose value itself contains the separator.
    #[test]
    fn the_timestamp_signer_vector() {
        let cases = test_vectors::cases();
        let signer_cases: Vec<_> = cases
            .iter()
            .filter(|case| case["kind"] == "timestamp_signer")
            .collect();
        assert_eq!(signer_cases.len(), 1);
        for case in signer_cases {
            let signer = signer_for(case);
            let signed = case["value"].as_str().unwrap();
            let unsigned = signer.unsign(signed).unwrap();
            assert_eq!(unsigned.value, case["unsigned"].as_str().unwrap());
            assert_eq!(unsigned.timestamp, case["signed_at"].as_u64().unwrap());
            assert_eq!(unsigned.key_index, 0);
            let age = case["now"].as_u64().unwrap() - unsigned.timestamp;
            assert_eq!(
                age <= case["max_age"].as_u64().unwrap(),
                case["expect"] == "valid"
            );
            let mut resigned = unsigned.value.to_owned();
            signer.sign_into(&mut resigned, unsigned.timestamp);
            assert_eq!(resigned, signed, "byte-exact write");
        }
    }

    #[test]
    fn signature_lengths() {
        let ring = KeyRing::new(Secret::from_text("a secret of some length"));
        for (hash, len) in [(DjangoHash::Sha1, 27), (DjangoHash::Sha256, 43)] {
            let signer = TimestampSigner::new(&ring, b"salt", hash);
            assert_eq!(signer.signature_text_len(), len);
            let mut signed = "value".to_owned();
            signer.sign_into(&mut signed, 1);
            assert_eq!(signed.rsplit_once(':').unwrap().1.len(), len);
            assert_eq!(signer.unsign(&signed).unwrap().value, "value");
        }
    }

    #[test]
    fn an_empty_salt_is_the_class_default() {
        let ring = KeyRing::new(Secret::from_text("a secret of some length"));
        let empty = TimestampSigner::new(&ring, b"", DjangoHash::Sha256);
        let default = TimestampSigner::new(
            &ring,
            b"django.core.signing.TimestampSigner",
            DjangoHash::Sha256,
        );
        let mut signed = "v".to_owned();
        empty.sign_into(&mut signed, 5);
        assert!(default.unsign(&signed).is_ok());
    }

    #[test]
    fn shapes_are_checked_before_the_signature() {
        let ring = KeyRing::new(Secret::from_text("a secret of some length"));
        let signer = TimestampSigner::new(&ring, b"salt", DjangoHash::Sha256);
        let mut good = "payload".to_owned();
        signer.sign_into(&mut good, 1_772_323_200);
        let (message, signature) = good.rsplit_once(':').unwrap();
        let cases = [
            (String::new(), DecodeError::Empty),
            ("payload".to_owned(), DecodeError::Truncated),
            (format!("payload:{signature}"), DecodeError::Truncated),
            (
                format!("payload:-1vwUE4:{signature}"),
                DecodeError::BadTimestamp,
            ),
            (format!("payload::{signature}"), DecodeError::BadTimestamp),
            (format!("{message}:{signature}A"), DecodeError::BadSignature),
            (format!("{message}:"), DecodeError::BadSignature),
            (
                format!("{message}:{}", signature.replacen(|_| true, "+", 1)),
                DecodeError::Base64,
            ),
            (format!("x{good}"), DecodeError::BadSignature),
        ];
        for (value, expected) in cases {
            assert_eq!(signer.unsign(&value), Err(expected), "{value:?}");
        }
    }
}
