//! The vectors made by running real Pyramid 1.10.8 / WebOb 1.8.11
//! (`tests/data/pyramid-legacy.json`, `UnencryptedCookieSessionFactoryConfig`): every case must
//! get the contract's verdict, state, timestamps and key index, and every `write_check` case must
//! be written back into a cookie signed as Pyramid signs and read back to the same session.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cookie_session::{CookieSessionFactory, DecodeError, KeyRing, Secret, UnixTime};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha1::Sha1;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../data/pyramid-legacy.json")).unwrap()
}

fn time(value: &Value) -> UnixTime {
    UnixTime::from_secs_f64(value.as_f64().unwrap()).unwrap()
}

/// The case's secret and fallbacks, as text (WebOb's rule applies) or, with `raw`, as the key
/// bytes WebOb derived.
fn ring(case: &Value, raw: bool) -> KeyRing {
    let secret = |text: &Value, hex: &Value| match (raw, text.as_str()) {
        (false, Some(text)) => Secret::from_text(text),
        _ => Secret::from_hex(hex.as_str().unwrap()).unwrap(),
    };
    let mut ring = KeyRing::new(secret(&case["secret"], &case["secret_hex"]));
    let fallbacks = case["fallbacks"].as_array().unwrap();
    for (index, hex) in case["fallbacks_hex"].as_array().unwrap().iter().enumerate() {
        ring = ring.with_verify_only(secret(&fallbacks[index], hex));
    }
    ring
}

/// The one place that configures a factory for a case. Every secret of this file is at least
/// 16 bytes long; a case with a shorter one would need `.allow_short_secret()` here.
fn builder_for_case(case: &Value, raw: bool) -> CookieSessionFactory {
    CookieSessionFactory::builder(ring(case, raw))
        .pyramid_legacy()
        .timeout(case["timeout"].as_u64().map(Duration::from_secs))
        .build()
        .unwrap()
}

#[test]
fn every_case_gets_the_contract_verdict() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 15);
    let mut verdicts = BTreeMap::<String, usize>::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let cookie = case["cookie"].as_str().unwrap();
        let now = time(&case["now"]);
        for raw in [false, true] {
            let factory = builder_for_case(case, raw);
            let verdict = factory.verify(cookie, now);
            let session = factory.load(Some(cookie), now);
            match (case["expect"].as_str().unwrap(), case["tolerance"].as_str()) {
                ("valid", None) => {
                    let verified = verdict.unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert_eq!(Value::Object(verified.state), case["state"], "{name}");
                    assert_eq!(verified.created, time(&case["created"]), "{name}");
                    assert_eq!(verified.accessed, time(&case["accessed"]), "{name}");
                    assert_eq!(verified.key_index, case["key_index"], "{name}");
                    assert_eq!(
                        Value::Object(session.state().to_map()),
                        case["state"],
                        "{name}"
                    );
                    assert!(!session.is_new(), "{name}");
                }
                ("valid", Some("bigint")) => {
                    // An integer beyond 64 bits: refused rather than rounded (allowed).
                    assert!(
                        matches!(verdict, Err(DecodeError::Unsupported { .. })),
                        "{name}: {verdict:?}"
                    );
                    assert!(session.is_new(), "{name}");
                }
                ("expired", None) => {
                    assert_eq!(verdict.unwrap_err(), DecodeError::Expired, "{name}");
                    // Pyramid: empty state, not new, the cookie's timestamps kept.
                    assert!(!session.is_new() && session.is_empty(), "{name}");
                    assert_eq!(session.created(), time(&case["created"]), "{name}");
                    assert_eq!(session.accessed(), time(&case["accessed"]), "{name}");
                }
                ("invalid", None) => {
                    let error = verdict.expect_err(name);
                    assert_eq!(error, DecodeError::BadSignature, "{name}");
                    assert!(session.is_new() && session.is_empty(), "{name}");
                    assert_eq!(session.load_error(), Some(error), "{name}");
                }
                ("unsupported", None) => {
                    let error = verdict.expect_err(name);
                    assert!(
                        matches!(error, DecodeError::Unsupported { .. }),
                        "{name}: {error}"
                    );
                    assert_eq!(error.code(), "unsupported");
                    assert!(session.is_new() && session.is_empty(), "{name}");
                }
                other => panic!("{name}: unexpected expectation {other:?}"),
            }
        }
        *verdicts
            .entry(case["expect"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let expected: BTreeMap<String, usize> =
        serde_json::from_value(vectors["counts"].clone()).unwrap();
    assert_eq!(verdicts, expected);
}

/// HMAC-SHA1 of `pickled` under `key`, in lowercase hex: how Pyramid signs.
fn pyramid_signature(key: &[u8], pickled: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).unwrap();
    mac.update(pickled);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn write_check_cases_are_written_back() {
    let vectors = vectors();
    let mut written = 0;
    for case in vectors["cases"].as_array().unwrap() {
        if case["write_check"] != Value::Bool(true) {
            continue;
        }
        let name = case["name"].as_str().unwrap();
        let factory = builder_for_case(case, false);
        let state = case["state"].as_object().unwrap();
        let (created, accessed) = (time(&case["created"]), time(&case["accessed"]));
        let cookie = factory.encode_value(state, created, accessed).unwrap();

        // Signed as Pyramid signs: the primary key's bytes, no salt, over the pickle.
        let pickled = STANDARD.decode(&cookie[40..]).unwrap();
        assert_eq!(&pickled[..2], b"\x80\x02", "{name}: protocol 2");
        let key = hex_bytes(case["secret_hex"].as_str().unwrap());
        assert_eq!(cookie[..40], pyramid_signature(&key, &pickled), "{name}");

        let verified = factory.verify(&cookie, accessed).unwrap();
        assert_eq!(&verified.state, state, "{name}");
        assert_eq!((verified.created, verified.accessed), (created, accessed));
        written += 1;
    }
    assert_eq!(written, 9);
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn case_named(name: &str) -> Value {
    vectors()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["name"] == name)
        .unwrap()
        .clone()
}

#[test]
fn a_cookie_under_a_fallback_is_reissued_under_the_secret() {
    let case = case_named("visible-rotation-fallback");
    let factory = builder_for_case(&case, false);
    let now = time(&case["now"]);
    let session = factory.load(case["cookie"].as_str(), now);
    assert_eq!(session.get::<u64>("user_id").unwrap(), Some(9));
    let reissued = factory.finish(&session, now).unwrap().unwrap();
    let verified = factory.verify(reissued.value(), now).unwrap();
    assert_eq!(verified.key_index, 0);
    assert_eq!(Value::Object(verified.state), case["state"]);
    assert_eq!(factory.stats().reissued_for_rotation, 1);
}

#[test]
fn a_read_in_a_later_second_resends_with_a_whole_second_stamp() {
    // Pyramid 1.x's factory hard-codes reissue_time=0: every access in a later second re-sends.
    let case = case_named("visible-typical");
    let factory = builder_for_case(&case, false);
    let now = UnixTime::from_secs_f64(1_561_939_330.75).unwrap();
    let session = factory.load(case["cookie"].as_str(), now);
    let _ = session.len();
    let resent = factory.finish(&session, now).unwrap().unwrap();
    let verified = factory.verify(resent.value(), now).unwrap();
    assert_eq!(verified.accessed, UnixTime::from_secs(1_561_939_330));
    assert_eq!(verified.created, time(&case["created"]));
    assert_eq!(Value::Object(verified.state), case["state"]);

    // Untouched: nothing is sent.
    let untouched = factory.load(case["cookie"].as_str(), now);
    assert!(factory.finish(&untouched, now).unwrap().is_none());
}

#[test]
fn the_briefs_short_secret_needs_allow_short_secret() {
    // `UnencryptedCookieSessionFactoryConfig('supersecretkey')`: 14 bytes.
    let brief =
        || CookieSessionFactory::builder(Secret::from_text("supersecretkey")).pyramid_legacy();
    assert_eq!(
        brief().build().unwrap_err(),
        cookie_session::ConfigError::SecretTooShort {
            index: 0,
            len: 14,
            min: 16
        }
    );
    let factory = brief().allow_short_secret().build().unwrap();
    let now = UnixTime::from_secs(1_700_000_000);
    let mut session = factory.load(None, now);
    session.insert("username", "john").unwrap();
    let cookie = factory.finish(&session, now).unwrap().unwrap();
    // Signed with the text's bytes as the HMAC key, as Pyramid 1.x signs.
    let pickled = STANDARD.decode(&cookie.value()[40..]).unwrap();
    assert_eq!(
        cookie.value()[..40],
        pyramid_signature(b"supersecretkey", &pickled)
    );
    let loaded = factory.load(Some(cookie.value()), now);
    assert_eq!(
        loaded.get::<String>("username").unwrap().as_deref(),
        Some("john")
    );
}
