//! Django's `signed_cookies` session backend (Django 4.1+ / 5.x; older with [`DjangoHash::Sha1`]):
//! the session is the cookie, written by `django.core.signing.dumps(session, compress=True,
//! salt="django.contrib.sessions.backends.signed_cookies")`.
//!
//! ```text
//! cookie value = payload ':' base62(signing time) ':' signature        (see `signer`)
//! payload      = base64url_nopad(json) | '.' base64url_nopad(zlib(json))
//! json         = json.dumps(session, separators=(",", ":"))          (ASCII, insertion order)
//! ```
//!
//! The payload is compressed exactly when Django would (see [`super::compress`]). Decoding checks
//! the shape of the timestamp and signature, verifies the signature under each key of the ring,
//! and only then decodes, inflates (bounded) and parses the payload. It is strict where Django
//! is lenient but never writes such input: padding, `+`/`/` or junk in the base64, a sign or
//! leading zeros in the base62 stamp, non-ASCII bytes in the JSON (Django writes `\uXXXX` escapes,
//! and would read raw bytes as latin-1), and a session that is not a JSON object.
//!
//! The cookie carries one timestamp, the signing time: it is read as both `created` and
//! `accessed`, and written from `accessed` (whole seconds, as Django's `int(time.time())`).

mod base62;
mod signer;
#[cfg(test)]
mod test_vectors;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::compress::{decode_payload, encode_payload};
use super::pyjson::PyJsonStyle;
use super::{ClockRules, Decoded, FutureStamps, Stamp, ValueOut, WireFormat};
use crate::error::{DecodeError, EncodeError};
use crate::keys::{KeyRing, Salt};
use crate::state::{JsonDialect, SessionState};
use signer::TimestampSigner;

/// The salt of Django's `signed_cookies` session backend, the Django format's default salt.
pub const DJANGO_SESSION_SALT: &str = "django.contrib.sessions.backends.signed_cookies";

/// Django's default `SESSION_COOKIE_NAME`.
pub const DJANGO_SESSION_COOKIE_NAME: &str = "sessionid";

/// Django's default `SESSION_COOKIE_AGE`: two weeks (1 209 600 s).
pub const DJANGO_SESSION_COOKIE_AGE: Duration = Duration::from_secs(14 * 24 * 3600);

/// The hash of Django's signatures (`Signer.algorithm`, also used by `salted_hmac` to derive
/// the key).
///
/// ```
/// use cookie_session::DjangoHash;
/// assert_eq!(DjangoHash::default(), DjangoHash::Sha256);
/// assert_eq!("sha1".parse::<DjangoHash>(), Ok(DjangoHash::Sha1));
/// assert_eq!(DjangoHash::Sha256.to_string(), "sha256");
/// assert!("sha512".parse::<DjangoHash>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum DjangoHash {
    /// HMAC-SHA1: Django up to 3.0, and 3.1/3.2 with `DEFAULT_HASHING_ALGORITHM = "sha1"`.
    Sha1,
    /// HMAC-SHA256: Django 3.1 and later (the only choice since 4.0).
    #[default]
    Sha256,
}

impl DjangoHash {
    /// Django's (hashlib's) name for the algorithm.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
        }
    }

    /// Length of the signature in bytes.
    #[must_use]
    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

impl fmt::Display for DjangoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`DjangoHash`] from an unknown name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported Django hash {0:?}: expected sha1 or sha256")]
pub struct UnknownDjangoHash(pub String);

impl FromStr for DjangoHash {
    type Err = UnknownDjangoHash;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.to_ascii_lowercase().as_str() {
            "sha1" => Ok(Self::Sha1),
            "sha256" => Ok(Self::Sha256),
            _ => Err(UnknownDjangoHash(name.to_owned())),
        }
    }
}

/// The Django format with its keys derived.
pub(crate) struct DjangoCodec {
    signer: TimestampSigner,
}

impl DjangoCodec {
    /// The ring is Django's `SECRET_KEY` then `SECRET_KEY_FALLBACKS`; without a salt, the
    /// session backend's.
    pub(crate) fn new(ring: &KeyRing, salt: Option<&Salt>, hash: DjangoHash) -> Self {
        let salt = salt.map_or(DJANGO_SESSION_SALT.as_bytes(), Salt::as_bytes);
        Self {
            signer: TimestampSigner::new(ring, salt, hash),
        }
    }
}

impl WireFormat for DjangoCodec {
    fn decode(&self, value: &str) -> Result<Decoded, DecodeError> {
        let unsigned = self.signer.unsign(value)?;
        let json = decode_payload(unsigned.value)?;
        if !json.is_ascii() {
            return Err(DecodeError::BadPayload);
        }
        let state = SessionState::parse(json)?;
        // Exact for every stamp Django writes (below 2^53 s).
        let signed_at = unsigned.timestamp as f64;
        Ok(Decoded {
            state,
            created: signed_at,
            accessed: signed_at,
            key_index: unsigned.key_index,
            other_suite: false,
        })
    }

    fn encode_into(
        &self,
        state: &SessionState,
        // Django's cookie has no creation time: only the signing time, from `accessed`.
        _created: f64,
        accessed: Stamp,
        out: &mut ValueOut<'_>,
    ) -> Result<(), EncodeError> {
        let mut json = Vec::with_capacity(256);
        state.write_json(&mut json, JsonDialect::Python(PyJsonStyle::COMPACT));
        let mut cookie = encode_payload(&json);
        self.signer.sign_into(&mut cookie, accessed.whole_secs());
        out.push_str(&cookie);
        Ok(())
    }

    fn clock_rules(&self) -> ClockRules {
        // `time.time() - timestamp > max_age` on the exact time; no check for future stamps.
        ClockRules {
            future_stamps: FutureStamps::Accept,
            whole_second_now: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    use super::*;
    use crate::format::base64url;
    use crate::keys::Secret;

    fn codec_for(case: &Value) -> DjangoCodec {
        DjangoCodec::new(
            &test_vectors::ring(case),
            Some(&test_vectors::salt(case)),
            test_vectors::hash(case),
        )
    }

    /// A codec whose primary key is the one the case was signed with, to re-create it.
    fn signing_codec_for(case: &Value) -> DjangoCodec {
        let ring = KeyRing::new(test_vectors::signing_secret(case));
        DjangoCodec::new(
            &ring,
            Some(&test_vectors::salt(case)),
            test_vectors::hash(case),
        )
    }

    fn object(json: &str) -> SessionState {
        SessionState::from(serde_json::from_str::<Map<String, Value>>(json).unwrap())
    }

    #[test]
    fn session_vectors_decode_and_rewrite() {
        for case in test_vectors::cases()
            .iter()
            .filter(|case| case["kind"] == "session")
        {
            let name = case["name"].as_str().unwrap();
            let codec = codec_for(case);
            let decoded = codec.decode(case["cookie"].as_str().unwrap()).unwrap();
            let signed_at = case["signed_at"].as_f64().unwrap();
            assert_eq!((decoded.created, decoded.accessed), (signed_at, signed_at));
            let expected = object(case["payload_json"].as_str().unwrap());
            assert_eq!(decoded.state, expected, "{name}");
            let written = signing_codec_for(case)
                .encode(&expected, 0.0, Stamp::Whole(signed_at as i64))
                .unwrap();
            if case["byte_exact_write"] == true {
                assert_eq!(written, case["cookie"].as_str().unwrap(), "{name}");
            }
            assert_eq!(
                written.starts_with('.'),
                case["compressed"] == true,
                "{name}"
            );
            assert_eq!(codec.decode(&written).unwrap().state, expected, "{name}");
        }
    }

    #[test]
    fn writes_the_signing_time_from_accessed() {
        let codec = DjangoCodec::new(
            &KeyRing::new(Secret::from_text("a django secret key for tests")),
            None,
            DjangoHash::Sha256,
        );
        let state = object(r#"{"k":"v"}"#);
        let exact = codec
            .encode(&state, 5.0, Stamp::Exact(1_772_323_200.9))
            .unwrap();
        let whole = codec
            .encode(&state, 7.0, Stamp::Whole(1_772_323_200))
            .unwrap();
        assert_eq!(
            exact, whole,
            "created is not written; accessed is truncated"
        );
        assert!(whole.contains(":1vwUE4:"));
    }

    #[test]
    fn payload_problems_after_a_valid_signature() {
        let ring = KeyRing::new(Secret::from_text("a django secret key for tests"));
        let signer =
            TimestampSigner::new(&ring, DJANGO_SESSION_SALT.as_bytes(), DjangoHash::Sha256);
        let codec = DjangoCodec::new(&ring, None, DjangoHash::Sha256);
        let signed = |payload: &str| {
            let mut out = payload.to_owned();
            signer.sign_into(&mut out, 1_772_323_200);
            out
        };
        let b64 = |bytes: &[u8]| base64url::encode(bytes);
        let deflate = |bytes: &[u8]| miniz_oxide::deflate::compress_to_vec_zlib(bytes, 6);
        let cases = [
            (b64(b"[1,2]"), DecodeError::BadPayload),
            (b64(b"{\"a\":1"), DecodeError::BadPayload),
            (b64("{\"é\":1}".as_bytes()), DecodeError::BadPayload),
            (b64(b"{\"a\":NaN}"), DecodeError::BadPayload),
            (format!("{}=", b64(b"{}")), DecodeError::Base64),
            (String::new(), DecodeError::Empty),
            (".".to_owned(), DecodeError::Empty),
            (format!(".{}", b64(b"{}")), DecodeError::Decompression),
            (
                format!(".{}", b64(&deflate(&vec![b' '; 1 << 20]))),
                DecodeError::InflatedTooLarge {
                    limit: crate::format::compress::MAX_INFLATED_LEN,
                },
            ),
            (
                format!(".{}", b64(&deflate(b"[]"))),
                DecodeError::BadPayload,
            ),
            ("token:abc".to_owned(), DecodeError::Base64),
        ];
        for (payload, expected) in cases {
            assert_eq!(
                codec.decode(&signed(&payload)).map(|d| d.state),
                Err(expected),
                "{payload:?}"
            );
        }
        let fine = format!(".{}", b64(&deflate(br#"{"a":"\u00e9"}"#)));
        assert_eq!(
            codec.decode(&signed(&fine)).unwrap().state,
            object(r#"{"a":"é"}"#)
        );
    }

    #[test]
    fn fallback_keys_verify_and_the_primary_signs() {
        let old = Secret::from_text("the old django secret key, retired");
        let new = Secret::from_text("the new django secret key, current");
        let state = object(r#"{"_auth_user_id":"7"}"#);
        let before = DjangoCodec::new(&KeyRing::new(old.clone()), None, DjangoHash::Sha256);
        let cookie = before.encode(&state, 0.0, Stamp::Whole(100)).unwrap();
        let after = DjangoCodec::new(
            &KeyRing::new(new).with_verify_only(old),
            None,
            DjangoHash::Sha256,
        );
        assert_eq!(after.decode(&cookie).unwrap().key_index, 1);
        let rewritten = after.encode(&state, 0.0, Stamp::Whole(100)).unwrap();
        assert_eq!(after.decode(&rewritten).unwrap().key_index, 0);
        assert_eq!(
            before.decode(&rewritten).unwrap_err(),
            DecodeError::BadSignature
        );
        let sha1 = DjangoCodec::new(
            &KeyRing::new(Secret::from_text("the new django secret key, current")),
            None,
            DjangoHash::Sha1,
        );
        assert_eq!(
            sha1.decode(&rewritten).unwrap_err(),
            DecodeError::BadSignature
        );
    }
}
