//! Property tests of the Flask format: random sessions round-trip (state and signing time), the
//! encoding is deterministic, any damage to a cookie is refused, a fallback key verifies and is
//! reported, and the time rules are Flask's at the second.

use std::time::Duration;

use cookie_session::{CookieSessionFactory, DecodeError, KeyRing, Secret, UnixTime};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

const CASES: u32 = 96;
const MAX_AGE: u64 = 2_678_400;

fn ring(secrets: &[String]) -> KeyRing {
    KeyRing::from_secrets(secrets.iter().map(|s| Secret::from_text(s.clone()))).unwrap()
}

/// Flask's preset, with a size limit that lets large random sessions through.
fn flask(secrets: &[String]) -> CookieSessionFactory {
    CookieSessionFactory::builder(ring(secrets))
        .flask()
        .size_limit(1 << 16)
        .build()
        .unwrap()
}

/// Distinct secrets of 16 to 40 printable characters (Flask apps use text keys).
fn secrets() -> impl Strategy<Value = Vec<String>> {
    prop::collection::hash_set("[ -~]{16,40}", 1..4).prop_map(|set| set.into_iter().collect())
}

/// JSON as Flask's tagged serializer writes it, tags included (they are plain one-key objects).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        any::<String>().prop_map(Value::String),
        "[0-9a-f]{32}".prop_map(|hex| serde_json::json!({" u": hex})),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| { serde_json::json!({" t": items}) }),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn json_state() -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![
        Just("_flashes".to_owned()),
        Just("_permanent".to_owned()),
        Just("csrf_token".to_owned()),
        any::<String>(),
    ];
    prop::collection::vec((key, json_value()), 0..8).prop_map(|pairs| pairs.into_iter().collect())
}

/// Whole seconds from 1970 to 2100 (never 0: Flask writes that as an empty field).
fn stamp() -> impl Strategy<Value = u64> {
    1u64..4_102_444_800
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn random_sessions_round_trip_with_their_signing_time(
        secrets in secrets(),
        state in json_state(),
        signed in stamp(),
    ) {
        let factory = flask(&secrets);
        let value = factory.encode_value(&state, at(signed), at(signed)).unwrap();
        let cookie = factory.verify(&value, at(signed)).unwrap();
        prop_assert_eq!(&cookie.state, &state);
        prop_assert_eq!((cookie.created, cookie.accessed), (at(signed), at(signed)));
        prop_assert_eq!(cookie.key_index, 0);
        // One spelling per session: writing what was read gives the same bytes.
        let again = factory.encode_value(&cookie.state, at(signed), at(signed)).unwrap();
        prop_assert_eq!(again, value);
    }

    #[test]
    fn every_key_of_the_ring_verifies_its_own_cookies(
        secrets in secrets(),
        state in json_state(),
        signer in any::<prop::sample::Index>(),
        signed in stamp(),
    ) {
        let signer = signer.index(secrets.len());
        let writer = flask(&secrets[signer..=signer]);
        let value = writer.encode_value(&state, at(signed), at(signed)).unwrap();
        let cookie = flask(&secrets).verify(&value, at(signed)).unwrap();
        prop_assert_eq!(cookie.key_index, signer);
        prop_assert_eq!(cookie.state, state);
        // A ring without the signer refuses it.
        let others: Vec<String> =
            secrets.iter().enumerate().filter(|(i, _)| *i != signer).map(|(_, s)| s.clone()).collect();
        if !others.is_empty() {
            prop_assert_eq!(flask(&others).verify(&value, at(signed)).unwrap_err(), DecodeError::BadSignature);
        }
    }

    #[test]
    fn any_changed_character_is_refused(
        secrets in secrets(),
        state in json_state(),
        signed in stamp(),
        position in any::<prop::sample::Index>(),
        replacement in "[A-Za-z0-9_.=~-]",
    ) {
        let factory = flask(&secrets);
        let value = factory.encode_value(&state, at(signed), at(signed)).unwrap();
        let index = position.index(value.len());
        prop_assume!(value[index..=index] != replacement);
        let mut damaged = value.clone();
        damaged.replace_range(index..=index, &replacement);
        let error = factory.verify(&damaged, at(signed)).unwrap_err();
        prop_assert!(!error.is_time_based(), "{:?}", error);
        let truncated = &value[..index];
        prop_assert!(factory.verify(truncated, at(signed)).is_err());
    }

    #[test]
    fn the_time_rules_are_flasks_at_the_second(
        state in json_state(),
        signed in stamp(),
        millis in 0u64..1000,
    ) {
        let factory = flask(&["a flask SECRET_KEY for property tests".to_owned()]);
        let value = factory.encode_value(&state, at(signed), at(signed)).unwrap();
        let fraction = Duration::from_millis(millis);
        // Whole seconds of now, as itsdangerous: still valid in the last second of max_age.
        prop_assert!(factory.verify(&value, at(signed + MAX_AGE).plus(fraction)).is_ok());
        prop_assert_eq!(factory.verify(&value, at(signed + MAX_AGE + 1)).unwrap_err(), DecodeError::Expired);
        prop_assert_eq!(factory.verify(&value, at(signed - 1).plus(fraction)).unwrap_err(), DecodeError::NotYetValid);
        prop_assert!(factory.verify(&value, at(signed).plus(fraction)).is_ok());
    }
}
