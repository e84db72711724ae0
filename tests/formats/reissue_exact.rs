//! A session written by real Pyramid and re-issued here (key rotation, reissue, a change to one
//! key) keeps every byte of what the handler did not change: the values stay the raw JSON text
//! Pyramid wrote (`", "`, `1e+16`, `\uXXXX`, integers beyond 64 bits), so the Python app reads
//! back exactly what it stored.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie_session::{
    CookieSessionFactory, KeyRing, PyramidHash, Salt, Secret, SessionState, StateValue, UnixTime,
};
use serde_json::Value;

fn vectors() -> Value {
    let text = include_str!("../data/pyramid-signed.json").replace(": NaN,", ": null,");
    serde_json::from_str(&text).unwrap()
}

/// The text of the state object inside a Pyramid cookie's payload `[accessed, created, {...}]`.
fn state_text(cookie: &str, hash: PyramidHash) -> String {
    let raw = URL_SAFE_NO_PAD.decode(cookie).unwrap();
    let payload = std::str::from_utf8(&raw[hash.digest_len()..]).unwrap();
    let start = payload.find('{').unwrap();
    let end = payload.rfind(']').unwrap();
    payload[start..end].to_owned()
}

/// A factory whose primary key is new and which still verifies the case's key: every cookie
/// of the case is re-issued under the new key on first use.
fn rotating_factory(case: &Value, hash: PyramidHash) -> CookieSessionFactory {
    let old = Secret::from_hex(case["key_hex"].as_str().unwrap()).unwrap();
    let ring = KeyRing::new(Secret::generate()).with_verify_only(old);
    CookieSessionFactory::builder(ring)
        .pyramid(hash)
        .salt(Salt::from_bytes(Vec::new()))
        .timeout(None)
        .reissue_time(Some(Duration::from_secs(60)))
        // Some vectors use real apps' short secrets ("abc").
        .allow_short_secret()
        .build()
        .unwrap()
}

/// The valid strict cases of a supported hash, with their state as Pyramid spelled it.
fn valid_cases() -> Vec<(Value, PyramidHash, String)> {
    let vectors = vectors();
    vectors["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|case| case["expect"] == "valid")
        .filter_map(|case| {
            let hash: PyramidHash = case["hashalg"].as_str()?.parse().ok()?;
            let text = state_text(case["cookie"].as_str()?, hash);
            Some((case.clone(), hash, text))
        })
        .collect()
}

#[test]
fn rotation_reissues_pyramids_bytes_unchanged() {
    let cases = valid_cases();
    assert!(cases.len() >= 20, "only {} valid cases", cases.len());
    for (case, hash, original) in cases {
        let factory = rotating_factory(&case, hash);
        let now = UnixTime::from_secs_f64(case["now"].as_f64().unwrap()).unwrap();
        let session = factory.load(case["cookie"].as_str(), now);
        assert_eq!(session.key_index(), Some(1), "{}", case["name"]);
        let cookie = factory
            .finish(&session, now)
            .unwrap()
            .expect("a cookie verified under a verify-only key is re-issued");
        assert_eq!(
            state_text(cookie.value(), hash),
            original,
            "{}: the re-issued state differs from Pyramid's bytes",
            case["name"]
        );
    }
}

#[test]
fn reissue_after_a_read_keeps_the_bytes_and_renews_accessed() {
    for (case, hash, original) in valid_cases() {
        let factory = rotating_factory(&case, hash);
        // An hour after the cookie's own `accessed` (some cases are read before it).
        let accessed = case["accessed"].as_f64().unwrap();
        let later = UnixTime::from_secs_f64(accessed + 3600.0).unwrap();
        let first = factory.load(case["cookie"].as_str(), later);
        let rotated = factory.finish(&first, later).unwrap().unwrap();
        // Under the primary now; read it an hour later: due for reissue.
        let much_later = later.plus(Duration::from_secs(3600));
        let session = factory.load(Some(rotated.value()), much_later);
        assert_eq!(session.load_error(), None, "{}", case["name"]);
        let _ = session.len();
        let reissued = factory
            .finish(&session, much_later)
            .unwrap()
            .unwrap_or_else(|| panic!("{}: {session:?}", case["name"]));
        assert_eq!(
            state_text(reissued.value(), hash),
            original,
            "{}",
            case["name"]
        );
        assert_eq!(
            factory.load(Some(reissued.value()), much_later).accessed(),
            UnixTime::from_secs(much_later.whole_secs() as u64),
        );
    }
}

#[test]
fn changing_one_key_keeps_the_others_bytes() {
    let mut exercised = 0;
    for (case, hash, _) in valid_cases() {
        let factory = rotating_factory(&case, hash);
        let now = UnixTime::from_secs_f64(case["now"].as_f64().unwrap()).unwrap();
        let original = factory.load(case["cookie"].as_str(), now);
        let Some(first_key) = original.state().keys().next().map(str::to_owned) else {
            continue;
        };
        let untouched: Vec<(String, String)> = original
            .state()
            .iter()
            .skip(1)
            .map(|(key, value)| match value {
                StateValue::Raw(text) => (key.to_owned(), text.to_owned()),
                StateValue::Value(_) => panic!("a loaded value is raw"),
            })
            .collect();
        let mut session = original;
        session.insert(&first_key, "changed").unwrap();
        let cookie = factory.finish(&session, now).unwrap().unwrap();
        let text = state_text(cookie.value(), hash);
        let reread =
            SessionState::from(serde_json::from_str::<serde_json::Map<_, _>>(&text).unwrap());
        assert_eq!(
            reread.get::<String>(&first_key).unwrap().as_deref(),
            Some("changed")
        );
        for (key, raw) in &untouched {
            let expected = format!("{}: {raw}", serde_json::to_string(key).unwrap());
            assert!(
                text.contains(&expected),
                "{}: {key} lost its bytes {raw} in {text}",
                case["name"]
            );
        }
        exercised += untouched.len();
    }
    assert!(exercised >= 20, "only {exercised} untouched values checked");
}
