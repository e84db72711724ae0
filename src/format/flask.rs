//! Flask 3.x's session cookie (`SecureCookieSessionInterface`, itsdangerous
//! `URLSafeTimedSerializer`).
//!
//! ```text
//! cookie value = PAYLOAD "." TIMESTAMP "." SIGNATURE
//! PAYLOAD      = b64url(json)  |  "." b64url(zlib(json))     (zlib only when it saves 2+ bytes)
//! json         = json.dumps(state, separators=(",", ":"), sort_keys=True)   (ensure_ascii)
//! TIMESTAMP    = b64url(unix seconds, big-endian, leading zero bytes dropped)
//! SIGNATURE    = b64url(HMAC-H(HMAC-H(secret, salt), PAYLOAD "." TIMESTAMP))
//! ```
//!
//! `H` is SHA-1 unless configured otherwise, the salt `"cookie-session"`, and `b64url` the
//! unpadded alphabet. There is no key id, so each key of the ring is tried in turn (primary,
//! then the fallbacks), each comparison in constant time; only a verified cookie is
//! decompressed (bounded, see [`super::compress`]) and parsed.
//!
//! The state is Flask's *tagged* JSON exactly as stored: a tuple stays `{" t": [...]}`, bytes
//! `{" b": "..."}`, and so on, so a session written back keeps Flask's types.
//!
//! Decoding is strict where itsdangerous is lenient and Flask never writes such input: padding,
//! junk characters inside base64 (itsdangerous drops them), a timestamp with leading zero
//! bytes or longer than eight bytes, a zero timestamp (an empty field), a state that is not an
//! object. Refusing them costs no interoperability and leaves one spelling per cookie.

pub mod tags;

use super::pyjson::PyJsonStyle;
use super::pyramid::PyramidMac;
use super::{
    ClockRules, Decoded, FutureStamps, PyramidHash, Stamp, ValueOut, WireFormat, base64url,
    compress,
};
use crate::error::{DecodeError, EncodeError};
use crate::keys::{KeyRing, Salt};
use crate::state::{JsonDialect, SessionState};

/// Flask's session salt (`SecureCookieSessionInterface.salt`).
pub const DEFAULT_FLASK_SALT: &str = "cookie-session";

/// The longest timestamp field accepted: eight bytes, a `u64` (Flask's are four until 2106).
const MAX_TIMESTAMP_BYTES: usize = 8;

/// The Flask format with its signing keys derived.
pub(crate) struct FlaskCodec {
    hash: PyramidHash,
    /// `HMAC-H(key = HMAC-H(secret, salt))` for each secret of the ring, primary first.
    keys: Vec<PyramidMac>,
}

impl FlaskCodec {
    pub(crate) fn new(ring: &KeyRing, salt: Option<&Salt>, hash: PyramidHash) -> Self {
        let salt = salt.map_or(DEFAULT_FLASK_SALT.as_bytes(), Salt::as_bytes);
        let keys = ring
            .secrets()
            .iter()
            .map(|secret| {
                // itsdangerous' `key_derivation="hmac"`: the signing key is the HMAC of the salt
                // under the secret. The derived key is as secret as the secret itself.
                let mut derived = zeroize::Zeroizing::new([0u8; 64]);
                let derived = &mut derived[..hash.digest_len()];
                PyramidMac::new(hash, secret.expose()).sign_into(salt, derived);
                PyramidMac::new(hash, derived)
            })
            .collect();
        Self { hash, keys }
    }

    /// The index of the first key under which `signature` signs `signed`.
    fn verifying_key(&self, signed: &[u8], signature: &str) -> Result<usize, DecodeError> {
        let signature = base64url::decode(signature)?;
        if signature.len() != self.hash.digest_len() {
            return Err(DecodeError::BadSignature);
        }
        self.keys
            .iter()
            .position(|key| key.verifies(signed, &signature))
            .ok_or(DecodeError::BadSignature)
    }
}

impl WireFormat for FlaskCodec {
    fn decode(&self, value: &str) -> Result<Decoded, DecodeError> {
        if value.is_empty() {
            return Err(DecodeError::Empty);
        }
        // `rsplit('.', 2)`: a compressed payload itself starts with a dot.
        let (signed, signature) = value.rsplit_once('.').ok_or(DecodeError::Truncated)?;
        let (payload, timestamp) = signed.rsplit_once('.').ok_or(DecodeError::Truncated)?;
        let key_index = self.verifying_key(signed.as_bytes(), signature)?;

        let signed_at = parse_timestamp(timestamp)? as f64;
        let json = compress::decode_payload(payload)?;
        let state = SessionState::parse(json)?;
        Ok(Decoded {
            state,
            created: signed_at,
            accessed: signed_at,
            key_index,
            other_suite: false,
        })
    }

    fn encode_into(
        &self,
        state: &SessionState,
        _created: f64,
        accessed: Stamp,
        value: &mut ValueOut<'_>,
    ) -> Result<(), EncodeError> {
        // One signing time per cookie: the `accessed` stamp (now after an access, the old one
        // when the session is only re-sent, so a rotation re-issue never extends it).
        let mut json = Vec::with_capacity(128);
        state.write_json(&mut json, JsonDialect::Python(PyJsonStyle::COMPACT_SORTED));
        let mut out = compress::encode_payload(&json);
        out.push('.');
        out.push_str(&base64url::encode(&timestamp_bytes(accessed.whole_secs())));
        let mut signature = [0u8; 64];
        let signature = &mut signature[..self.hash.digest_len()];
        self.keys[0].sign_into(out.as_bytes(), signature);
        out.push('.');
        out.push_str(&base64url::encode(signature));
        value.push_str(&out);
        Ok(())
    }

    fn clock_rules(&self) -> ClockRules {
        // itsdangerous: `age = int(time.time()) - timestamp`, and a negative age is an error.
        ClockRules {
            future_stamps: FutureStamps::Refuse,
            whole_second_now: true,
        }
    }
}

/// itsdangerous' `int_to_bytes`: big-endian, without leading zero bytes.
fn timestamp_bytes(secs: u64) -> Vec<u8> {
    let bytes = secs.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

/// The signing time, from its canonical spelling only (what `timestamp_bytes` writes).
fn parse_timestamp(field: &str) -> Result<u64, DecodeError> {
    let bytes = base64url::decode(field)?;
    if bytes.len() > MAX_TIMESTAMP_BYTES || bytes.first() == Some(&0) {
        return Err(DecodeError::BadPayload);
    }
    Ok(bytes.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Secret;

    fn codec(secrets: &[&str]) -> FlaskCodec {
        let ring = KeyRing::from_secrets(secrets.iter().map(|s| Secret::from_text(*s))).unwrap();
        FlaskCodec::new(&ring, None, PyramidHash::Sha1)
    }

    fn state(json: &str) -> SessionState {
        SessionState::parse(json.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn writes_the_visible_sample_byte_for_byte() {
        let codec = codec(&["visible-sample-flask-secret-key-0001"]);
        let value = codec
            .encode(
                &state(r#"{"uid":"u-1001","is_admin":false}"#),
                0.0,
                Stamp::Whole(1_769_904_000),
            )
            .unwrap();
        assert_eq!(
            value,
            "eyJpc19hZG1pbiI6ZmFsc2UsInVpZCI6InUtMTAwMSJ9.aX6XgA.WzoFFJ2f3bwyCeY1F4HIsGZgMUk"
        );
        let decoded = codec.decode(&value).unwrap();
        assert_eq!(decoded.state, state(r#"{"is_admin":false,"uid":"u-1001"}"#));
        assert_eq!(
            (decoded.created, decoded.accessed),
            (1_769_904_000.0, 1_769_904_000.0)
        );
        assert_eq!(decoded.key_index, 0);
    }

    #[test]
    fn timestamps_drop_leading_zero_bytes_and_nothing_else() {
        assert_eq!(timestamp_bytes(1_000_000), vec![0x0f, 0x42, 0x40]);
        assert_eq!(base64url::encode(&timestamp_bytes(1_000_000)), "D0JA");
        assert_eq!(parse_timestamp("D0JA"), Ok(1_000_000));
        // A leading zero byte is a spelling Flask never writes.
        assert_eq!(parse_timestamp("AA9CQA"), Err(DecodeError::BadPayload));
        // Nine bytes do not fit a u64.
        assert_eq!(
            parse_timestamp("AQAAAAAAAAAA"),
            Err(DecodeError::BadPayload)
        );
        assert_eq!(parse_timestamp("D0JA="), Err(DecodeError::Base64));
    }

    #[test]
    fn compresses_exactly_when_worth_it_and_reads_both_forms() {
        let codec = codec(&["a long enough secret for the tests"]);
        let big = state(&format!(r#"{{"history":"{}"}}"#, "/page".repeat(100)));
        let value = codec
            .encode(&big, 0.0, Stamp::Whole(1_700_000_000))
            .unwrap();
        assert!(value.starts_with('.'), "repetitive payloads are compressed");
        assert_eq!(codec.decode(&value).unwrap().state, big);
        let small = state(r#"{"u":1}"#);
        let value = codec
            .encode(&small, 0.0, Stamp::Whole(1_700_000_000))
            .unwrap();
        assert!(value.starts_with("eyJ1Ijox"), "{value}");
        assert_eq!(codec.decode(&value).unwrap().state, small);
    }

    #[test]
    fn fallbacks_verify_and_only_the_primary_signs() {
        let old = codec(&["the old secret of this flask app"]);
        let value = old
            .encode(&state(r#"{"a":1}"#), 0.0, Stamp::Exact(1_700_000_000.9))
            .unwrap();
        let rotated = codec(&[
            "the new secret of this flask app",
            "the old secret of this flask app",
        ]);
        assert_eq!(rotated.decode(&value).unwrap().key_index, 1);
        assert_eq!(rotated.decode(&value).unwrap().accessed, 1_700_000_000.0);
        let rewritten = rotated
            .encode(&state(r#"{"a":1}"#), 0.0, Stamp::Exact(1_700_000_000.0))
            .unwrap();
        assert_eq!(rotated.decode(&rewritten).unwrap().key_index, 0);
        assert_eq!(old.decode(&rewritten), Err(DecodeError::BadSignature));
    }

    #[test]
    fn the_salt_and_hash_are_part_of_the_key() {
        let ring = KeyRing::new(Secret::from_text("a long enough secret for the tests"));
        let value = codec(&["a long enough secret for the tests"])
            .encode(&state("{}"), 0.0, Stamp::Whole(1_700_000_000))
            .unwrap();
        let empty_salt = Salt::from_text("");
        for other in [
            FlaskCodec::new(&ring, Some(&empty_salt), PyramidHash::Sha1),
            FlaskCodec::new(&ring, None, PyramidHash::Sha256),
        ] {
            assert_eq!(other.decode(&value), Err(DecodeError::BadSignature));
        }
        let explicit = Salt::from_text(DEFAULT_FLASK_SALT);
        assert!(
            FlaskCodec::new(&ring, Some(&explicit), PyramidHash::Sha1)
                .decode(&value)
                .is_ok()
        );
    }

    #[test]
    fn refuses_malformed_values_with_a_reason() {
        let codec = codec(&["a long enough secret for the tests"]);
        let value = codec
            .encode(&state(r#"{"a":1}"#), 0.0, Stamp::Whole(1_700_000_000))
            .unwrap();
        let (signed, signature) = value.rsplit_once('.').unwrap();
        assert_eq!(codec.decode(""), Err(DecodeError::Empty));
        assert_eq!(codec.decode("abc"), Err(DecodeError::Truncated));
        assert_eq!(codec.decode(signed), Err(DecodeError::Truncated));
        assert_eq!(codec.decode(&format!("{value}=")), Err(DecodeError::Base64));
        let junk = format!("{signed}.{}~~{}", &signature[..5], &signature[5..]);
        assert_eq!(codec.decode(&junk), Err(DecodeError::Base64));
        assert_eq!(
            codec.decode(&format!("x{value}")),
            Err(DecodeError::BadSignature)
        );
    }
}
