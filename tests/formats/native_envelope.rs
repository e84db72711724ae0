//! The native signed envelope through the public API: round trip, tampering, strict decoding,
//! binding to key, cookie name and purpose, time rules, rotation and the size limit.

use std::time::Duration;

use cookie_session::{CookieSessionFactory, DecodeError, EncodeError, KeyRing, Secret, UnixTime};
use serde_json::{Map, Value, json};

const T0: u64 = 1_700_000_000;

fn secret(byte: u8) -> Secret {
    Secret::from_bytes(vec![byte; 32])
}

fn factory() -> CookieSessionFactory {
    CookieSessionFactory::new(secret(1)).unwrap()
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn state() -> Map<String, Value> {
    json!({"user_id": 12345, "username": "john", "roles": ["admin", "editor"]})
        .as_object()
        .unwrap()
        .clone()
}

fn cookie_from(factory: &CookieSessionFactory) -> String {
    factory.encode_value(&state(), at(T0), at(T0)).unwrap()
}

#[test]
fn round_trip() {
    let f = factory();
    let cookie = cookie_from(&f);
    let verified = f.verify(&cookie, at(T0 + 10)).unwrap();
    assert_eq!(verified.state, state());
    assert_eq!(verified.created, at(T0));
    assert_eq!(verified.accessed, at(T0));
    assert_eq!(verified.key_index, 0);
    assert!(
        cookie
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
}

#[test]
fn every_single_character_change_is_rejected() {
    let f = factory();
    let cookie = cookie_from(&f);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for i in 0..cookie.len() {
        for &replacement in ALPHABET {
            if replacement == cookie.as_bytes()[i] {
                continue;
            }
            let mut bytes = cookie.clone().into_bytes();
            bytes[i] = replacement;
            let tampered = String::from_utf8(bytes).unwrap();
            assert!(
                f.verify(&tampered, at(T0)).is_err(),
                "position {i} -> {}",
                replacement as char
            );
        }
    }
}

#[test]
fn every_single_byte_change_of_the_envelope_is_rejected() {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let f = factory();
    let raw = engine.decode(cookie_from(&f)).unwrap();
    for i in 0..raw.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut tampered = raw.clone();
            tampered[i] ^= mask;
            let error = f.verify(&engine.encode(&tampered), at(T0)).unwrap_err();
            let expected_kind = match i {
                0 => matches!(error, DecodeError::UnknownSuite(_)),
                1..=4 => error == DecodeError::UnknownKey,
                5 => matches!(error, DecodeError::UnknownFlags(_)),
                _ => error == DecodeError::BadSignature,
            };
            assert!(expected_kind, "byte {i} ^ {mask:#x}: {error:?}");
        }
    }
}

#[test]
fn truncations_and_extensions_are_rejected() {
    let f = factory();
    let cookie = cookie_from(&f);
    for len in 0..cookie.len() {
        assert!(
            f.verify(&cookie[..len], at(T0)).is_err(),
            "truncated to {len}"
        );
    }
    for suffix in ["A", "AA", "AAA", "AAAA", "-_"] {
        assert!(f.verify(&format!("{cookie}{suffix}"), at(T0)).is_err());
    }
    assert_eq!(f.verify("", at(T0)), Err(DecodeError::Empty));
    assert_eq!(
        f.verify("AQ", at(T0)),
        Err(DecodeError::Truncated),
        "suite 0x01 alone"
    );
    assert_eq!(f.verify("AAAA", at(T0)), Err(DecodeError::UnknownSuite(0)));
}

#[test]
fn non_canonical_spellings_are_rejected_as_malformed() {
    let f = factory();
    let cookie = cookie_from(&f);
    let cases = [
        format!("{cookie}="),
        format!("{cookie}=="),
        cookie.replace('-', "+").replace('_', "/"),
        format!(" {cookie}"),
        format!("{cookie} "),
        format!("{}\n{}", &cookie[..10], &cookie[10..]),
        format!("{}.{}", &cookie[..10], &cookie[10..]),
    ];
    for case in cases {
        if case == cookie {
            continue; // the cookie happened to contain no '-' or '_'
        }
        let error = f.verify(&case, at(T0)).unwrap_err();
        assert_eq!(error.code(), "malformed", "{case:?}: {error:?}");
    }
}

#[test]
fn a_megabyte_is_rejected_by_length_before_decoding() {
    let f = factory();
    let huge = "A".repeat(1 << 20);
    assert_eq!(
        f.verify(&huge, at(T0)),
        Err(DecodeError::TooLong {
            len: 1 << 20,
            limit: 4096
        })
    );
    let session = f.load(Some(&huge), at(T0));
    assert!(session.is_new());
    assert_eq!(session.load_error().unwrap().code(), "too_large");
}

#[test]
fn bound_to_key_cookie_name_and_purpose() {
    let cookie = cookie_from(&factory());
    let other_key = CookieSessionFactory::new(secret(2)).unwrap();
    assert_eq!(
        other_key.verify(&cookie, at(T0)),
        Err(DecodeError::UnknownKey)
    );

    let other_name = CookieSessionFactory::builder(secret(1))
        .cookie_name("sid")
        .build()
        .unwrap();
    assert_eq!(
        other_name.verify(&cookie, at(T0)),
        Err(DecodeError::BadSignature)
    );

    let purposed = CookieSessionFactory::builder(secret(1))
        .salt("app-a")
        .build()
        .unwrap();
    let other_purpose = CookieSessionFactory::builder(secret(1))
        .salt("app-b")
        .build()
        .unwrap();
    let purposed_cookie = cookie_from(&purposed);
    assert!(purposed.verify(&purposed_cookie, at(T0)).is_ok());
    assert_eq!(
        other_purpose.verify(&purposed_cookie, at(T0)),
        Err(DecodeError::BadSignature)
    );
    assert_eq!(
        factory().verify(&purposed_cookie, at(T0)),
        Err(DecodeError::BadSignature)
    );
}

#[test]
fn expiry_is_exact_to_the_second() {
    let f = CookieSessionFactory::builder(secret(1))
        .timeout(Duration::from_secs(600))
        .reissue_time(Duration::from_secs(60))
        .build()
        .unwrap();
    let cookie = cookie_from(&f);
    assert!(
        f.verify(&cookie, at(T0 + 600)).is_ok(),
        "exactly timeout: valid"
    );
    let just_after = UnixTime::from_secs_f64((T0 + 600) as f64 + 0.5).unwrap();
    assert_eq!(f.verify(&cookie, just_after), Err(DecodeError::Expired));
    assert_eq!(f.verify(&cookie, at(T0 + 601)), Err(DecodeError::Expired));

    // Pyramid's rule: expired means empty and not new, timestamps kept.
    let session = f.load(Some(&cookie), at(T0 + 601));
    assert!(!session.is_new() && session.is_empty());
    assert_eq!(session.created(), at(T0));
    assert_eq!(session.load_error(), Some(DecodeError::Expired));
}

#[test]
fn timeout_none_never_expires() {
    let f = CookieSessionFactory::builder(secret(1))
        .timeout(None)
        .build()
        .unwrap();
    let cookie = cookie_from(&f);
    assert!(f.verify(&cookie, at(T0 + 10 * 365 * 86_400)).is_ok());
}

#[test]
fn stamps_from_the_future_are_refused_beyond_the_skew() {
    let f = factory();
    let cookie = f.encode_value(&state(), at(T0), at(T0 + 60)).unwrap();
    assert!(f.verify(&cookie, at(T0)).is_ok(), "within 60 s of skew");
    let cookie = f.encode_value(&state(), at(T0), at(T0 + 61)).unwrap();
    assert_eq!(f.verify(&cookie, at(T0)), Err(DecodeError::NotYetValid));
    let session = f.load(Some(&cookie), at(T0));
    assert!(session.is_new());
}

#[test]
fn the_absolute_lifetime_caps_active_sessions() {
    let f = CookieSessionFactory::builder(secret(1))
        .max_lifetime(Duration::from_secs(3600))
        .build()
        .unwrap();
    // Recently accessed, but created long ago.
    let cookie = f.encode_value(&state(), at(T0), at(T0 + 3590)).unwrap();
    assert!(f.verify(&cookie, at(T0 + 3600)).is_ok());
    assert_eq!(
        f.verify(&cookie, at(T0 + 3601)),
        Err(DecodeError::LifetimeExceeded)
    );
    let session = f.load(Some(&cookie), at(T0 + 3601));
    assert!(session.is_new() && session.is_empty());
    assert_eq!(
        session.created(),
        at(T0 + 3601),
        "a fresh session, not the old one"
    );
}

#[test]
fn a_fallback_key_is_accepted_and_reissued_under_the_primary() {
    let old = CookieSessionFactory::new(secret(1)).unwrap();
    let cookie = cookie_from(&old);
    let rotated =
        CookieSessionFactory::new(KeyRing::new(secret(2)).with_verify_only(secret(1))).unwrap();
    let now = at(T0 + 5);
    let session = rotated.load(Some(&cookie), now);
    assert_eq!(session.key_index(), Some(1));
    assert_eq!(session.state(), &state());
    let reissued = rotated.finish(&session, now).unwrap().expect("re-issued");
    let primary_only = CookieSessionFactory::new(secret(2)).unwrap();
    let verified = primary_only.verify(reissued.value(), now).unwrap();
    assert_eq!(verified.state, state());
    assert_eq!(verified.created, at(T0), "rotation keeps created");
    // Read in this request, so accessed moves to now, exactly as a reissue would.
    assert_eq!(verified.accessed, now);

    // A rotation with no read keeps the old accessed stamp: rotation never extends a session.
    let untouched = rotated.load(Some(&cookie), now);
    let reissued = rotated.finish(&untouched, now).unwrap().unwrap();
    assert_eq!(
        primary_only.verify(reissued.value(), now).unwrap().accessed,
        at(T0)
    );
}

#[test]
fn a_removed_key_is_rejected() {
    let cookie = cookie_from(&CookieSessionFactory::new(secret(1)).unwrap());
    let f = CookieSessionFactory::new(secret(2)).unwrap();
    let session = f.load(Some(&cookie), at(T0));
    assert!(session.is_new());
    assert_eq!(session.load_error(), Some(DecodeError::UnknownKey));
}

#[test]
fn a_5000_byte_session_is_refused_with_both_sizes() {
    let f = factory();
    let mut session = f.load(None, at(T0));
    session.insert("blob", "x".repeat(5000)).unwrap();
    match f.finish(&session, at(T0)) {
        Err(EncodeError::TooLarge { size, limit }) => {
            assert_eq!(limit, 4096);
            assert!(size > 5000, "measured on the final header: {size}");
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let state = json!({"blob": "x".repeat(5000)})
        .as_object()
        .unwrap()
        .clone();
    assert!(matches!(
        f.encode_value(&state, at(T0), at(T0)),
        Err(EncodeError::TooLarge { limit: 4096, .. })
    ));
}

#[test]
fn the_size_limit_counts_name_and_attributes() {
    // Find the largest value that fits; the header is then exactly at the limit.
    let f = CookieSessionFactory::builder(secret(1))
        .domain("example.com".to_owned())
        .max_age(Duration::from_secs(3600))
        .build()
        .unwrap();
    let mut fitting = None;
    for len in (2500..3100).rev() {
        let mut session = f.load(None, at(T0));
        session.insert("blob", "x".repeat(len)).unwrap();
        if let Ok(Some(cookie)) = f.finish(&session, at(T0)) {
            fitting = Some(cookie);
            break;
        }
    }
    let cookie = fitting.expect("some size fits");
    assert!(
        cookie.len() <= 4096 && cookie.len() > 4090,
        "{}",
        cookie.len()
    );
    assert!(cookie.as_str().contains("; Domain=example.com"));
    assert!(cookie.as_str().contains("; Max-Age=3600"));
}

#[test]
fn short_secrets_are_a_typed_error() {
    let err = CookieSessionFactory::new(Secret::from_text("too short")).unwrap_err();
    assert_eq!(
        err,
        cookie_session::ConfigError::SecretTooShort {
            index: 0,
            len: 9,
            min: 32
        }
    );
    assert!(
        !err.to_string().contains("too short"),
        "no secret in the message"
    );
}
