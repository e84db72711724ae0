//! The Flask part of the harness: the `decode_flask` target, its fixtures and its signer.
//!
//! The input is tried twice: as a cookie value (lossy UTF-8), and, behind a valid signature, as
//! the payload's bytes (first byte: compressed or not, and which signing time), so the fuzzer
//! reaches the inflater and the JSON reader that only a verified cookie gets to.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie_session::{CookieSessionFactory, DecodeError, EncodeError, KeyRing, Secret};
use hmac::{Hmac, KeyInit, Mac};

use super::{DECODE_LIFETIME, Fixture, NOW_SECS, check_decode, now};

/// The Flask vectors' `SECRET_KEY`, so their cookies verify in `decode_flask`.
pub const FLASK_SECRET: &str = "visible-sample-flask-secret-key-0001";
/// The Flask vectors' `SECRET_KEY_FALLBACKS[0]`: the ring's verify-only key.
pub const FLASK_OLD_SECRET: &str = "visible-sample-flask-secret-key-0000";
/// Flask's salt.
const FLASK_SALT: &str = "cookie-session";

/// The ring of the Flask fixtures: the vectors' two secrets.
#[must_use]
pub fn flask_ring() -> KeyRing {
    KeyRing::new(Secret::from_text(FLASK_SECRET))
        .with_verify_only(Secret::from_text(FLASK_OLD_SECRET))
}

/// The Flask decode fixture: Flask's preset plus a 30-day lifetime (below the 31-day timeout,
/// so both rules are exercised).
pub fn flask_fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        factory: CookieSessionFactory::builder(flask_ring())
            .flask()
            .max_lifetime(DECODE_LIFETIME)
            .build()
            .expect("the Flask fixture is valid"),
        size_limit: cookie_session::DEFAULT_SIZE_LIMIT,
    })
}

/// A Flask reader without time rules: "does this verify, and to what?".
fn flask_permissive() -> &'static CookieSessionFactory {
    static FACTORY: OnceLock<CookieSessionFactory> = OnceLock::new();
    FACTORY.get_or_init(|| {
        CookieSessionFactory::builder(flask_ring())
            .flask()
            .timeout(None)
            .reissue_time(None)
            .size_limit(1 << 16)
            .build()
            .expect("a permissive configuration is valid")
    })
}

/// Signs a payload field as itsdangerous does with Flask's settings and [`FLASK_SECRET`]:
/// `PAYLOAD.TIMESTAMP.b64(HMAC-SHA1(HMAC-SHA1(secret, salt), PAYLOAD.TIMESTAMP))`.
#[must_use]
pub fn flask_sign(payload: &str, signed_at: u64) -> String {
    fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key).expect("any key length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
    let stamp = signed_at.to_be_bytes();
    let first = stamp.iter().position(|b| *b != 0).unwrap_or(stamp.len());
    let signed = format!("{payload}.{}", URL_SAFE_NO_PAD.encode(&stamp[first..]));
    let key = hmac_sha1(FLASK_SECRET.as_bytes(), FLASK_SALT.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(hmac_sha1(&key, signed.as_bytes()));
    format!("{signed}.{signature}")
}

/// Whether `value` is spelled as Flask writes cookies: three canonical unpadded base64url fields
/// (the first may carry the compression dot).
#[must_use]
pub fn is_canonical_flask(value: &str) -> bool {
    let canonical = |field: &str| {
        URL_SAFE_NO_PAD
            .decode(field)
            .is_ok_and(|bytes| !bytes.is_empty() && URL_SAFE_NO_PAD.encode(bytes) == field)
    };
    let mut fields = value.rsplitn(3, '.');
    let (Some(signature), Some(stamp), Some(payload)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return false;
    };
    canonical(signature)
        && canonical(stamp)
        && canonical(payload.strip_prefix('.').unwrap_or(payload))
}

/// The signing times the first input byte picks from: recent, one second ahead (refused), past
/// the lifetime, long ago.
const STAMPS: [u64; 4] = [NOW_SECS - 60, NOW_SECS + 1, NOW_SECS - 31 * 86_400, 1];

/// `decode_flask`: the input as a cookie value, then as a signed payload.
pub fn decode_flask(data: &[u8]) {
    let fixture = flask_fixture();
    check_decode(fixture, &String::from_utf8_lossy(data));
    let Some((mode, body)) = data.split_first() else {
        return;
    };
    let compressed = mode & 1 == 1;
    let encoded = URL_SAFE_NO_PAD.encode(body);
    let payload = if compressed {
        format!(".{encoded}")
    } else {
        encoded
    };
    let value = flask_sign(&payload, STAMPS[usize::from(mode >> 1) % STAMPS.len()]);
    check_decode(fixture, &value);

    // Verified, so only the payload can be wrong; whatever verifies writes back to itself.
    match flask_permissive().verify(&value, now()) {
        Ok(cookie) => {
            let again = match flask_permissive().encode_value(
                &cookie.state,
                cookie.created,
                cookie.accessed,
            ) {
                Ok(again) => again,
                Err(EncodeError::TooLarge { .. }) => return,
                Err(other) => panic!("unexpected encode error: {other:?}"),
            };
            assert!(is_canonical_flask(&again), "{again:?}");
            let back = flask_permissive()
                .verify(&again, now())
                .expect("own cookie verifies");
            assert_eq!(back.state, cookie.state);
            assert_eq!(back.accessed, cookie.accessed);
        }
        Err(error) => assert!(
            matches!(
                error,
                DecodeError::BadPayload
                    | DecodeError::Base64
                    | DecodeError::Empty
                    | DecodeError::Decompression
                    | DecodeError::InflatedTooLarge { .. }
                    | DecodeError::TooLong { .. }
                    | DecodeError::NotYetValid
            ),
            "a validly signed payload refused for {error:?}"
        ),
    }
}
