//! The vectors made by running real Django 5.2 (`tests/data/django-signed-cookies.json`), through
//! the public API: every `session` case gets Django's verdict, state and timestamp (the signing
//! time, as both `created` and `accessed`), with the secrets given as text and as exact bytes;
//! cases marked `byte_exact_write` are re-created byte for byte. The one `timestamp_signer` case
//! is a bare `TimestampSigner` value, not a session: here it must verify under its salt and then
//! fail as a payload; its byte-exact check is the unit test
//! `format::django::signer::tests::the_timestamp_signer_vector`.

use std::collections::BTreeMap;
use std::time::Duration;

use cookie_session::{
    CookieSessionFactory, DecodeError, DjangoHash, KeyRing, Salt, Secret, UnixTime,
};
use serde_json::{Map, Value};

fn cases() -> Vec<Value> {
    let file: Value =
        serde_json::from_str(include_str!("../data/django-signed-cookies.json")).unwrap();
    assert_eq!(file["format"], "django-signed-cookies-session");
    file["cases"].as_array().unwrap().clone()
}

fn time(case: &Value, field: &str) -> UnixTime {
    UnixTime::from_secs(case[field].as_u64().unwrap())
}

/// How a case's secrets are given to the builder.
#[derive(Debug, Clone, Copy)]
enum Secrets {
    /// `secret_key` and `fallbacks`, as Django's settings spell them.
    Text,
    /// `secret_key_hex` and `fallbacks_hex`: the exact bytes.
    Bytes,
}

fn secret(case: &Value, field: &str, index: Option<usize>, form: Secrets) -> Secret {
    let (text_field, hex_field) = (field.to_owned(), format!("{field}_hex"));
    let pick = |value: &Value| match index {
        Some(i) => value[i].clone(),
        None => value.clone(),
    };
    match form {
        Secrets::Text => Secret::from_text(pick(&case[text_field]).as_str().unwrap()),
        Secrets::Bytes => Secret::from_hex(pick(&case[hex_field]).as_str().unwrap()).unwrap(),
    }
}

/// `SECRET_KEY` then `SECRET_KEY_FALLBACKS`.
fn ring(case: &Value, form: Secrets) -> KeyRing {
    let fallbacks = case["fallbacks"].as_array().unwrap().len();
    let secrets = std::iter::once(secret(case, "secret_key", None, form))
        .chain((0..fallbacks).map(|i| secret(case, "fallbacks", Some(i), form)));
    KeyRing::from_secrets(secrets).unwrap()
}

/// The key the case was signed with, alone: what re-creates its cookie.
fn signing_ring(case: &Value) -> KeyRing {
    let secret = match case["signed_with"].as_str().unwrap() {
        "secret_key" => secret(case, "secret_key", None, Secrets::Bytes),
        fallback => {
            let index = fallback
                .trim_start_matches("fallbacks[")
                .trim_end_matches(']');
            secret(
                case,
                "fallbacks",
                Some(index.parse().unwrap()),
                Secrets::Bytes,
            )
        }
    };
    KeyRing::new(secret)
}

/// The one place that builds a factory for a case. Every secret in the file is at least 16
/// bytes long; a case with a shorter one would need `.allow_short_secret()` here.
fn builder_for_case(case: &Value, ring: KeyRing) -> CookieSessionFactory {
    let hash: DjangoHash = case["algorithm"].as_str().unwrap().parse().unwrap();
    CookieSessionFactory::builder(ring)
        .django(hash)
        .salt(Salt::from_text(case["salt"].as_str().unwrap()))
        .timeout(Duration::from_secs(case["max_age"].as_u64().unwrap()))
        .build()
        .unwrap()
}

fn session_cases() -> Vec<Value> {
    let all = cases();
    let sessions: Vec<Value> = all
        .iter()
        .filter(|case| case["kind"] == "session")
        .cloned()
        .collect();
    let kinds: BTreeMap<&str, usize> = all.iter().fold(BTreeMap::new(), |mut kinds, case| {
        *kinds.entry(case["kind"].as_str().unwrap()).or_default() += 1;
        kinds
    });
    assert_eq!(
        kinds,
        BTreeMap::from([("session", 4), ("timestamp_signer", 1)])
    );
    sessions
}

#[test]
fn session_cases_get_djangos_verdict_state_and_timestamps() {
    let mut passed = BTreeMap::<String, usize>::new();
    for case in session_cases() {
        let name = case["name"].as_str().unwrap();
        let cookie = case["cookie"].as_str().unwrap();
        let now = time(&case, "now");
        let signed_at = time(&case, "signed_at");
        assert_eq!(case["expect"], case["python_result"], "{name}");
        for form in [Secrets::Text, Secrets::Bytes] {
            let factory = builder_for_case(&case, ring(&case, form));
            let verdict = factory.verify(cookie, now);
            let session = factory.load(Some(cookie), now);
            match case["expect"].as_str().unwrap() {
                "valid" => {
                    let verified = verdict.unwrap_or_else(|e| panic!("{name} {form:?}: {e}"));
                    assert_eq!(Value::Object(verified.state), case["state"], "{name}");
                    assert_eq!(verified.created, signed_at, "{name}");
                    assert_eq!(verified.accessed, signed_at, "{name}");
                    let expected_key = usize::from(case["signed_with"] != "secret_key");
                    assert_eq!(verified.key_index, expected_key, "{name}");
                    assert_eq!(Value::Object(session.state().to_map()), case["state"]);
                    assert!(!session.is_new() && session.load_error().is_none());
                }
                "expired" => {
                    assert_eq!(verdict.unwrap_err(), DecodeError::Expired, "{name}");
                    assert!(!session.is_new() && session.is_empty(), "{name}");
                    assert_eq!(session.load_error(), Some(DecodeError::Expired));
                    // One second less and it is still valid: the limit is `age > max_age`.
                    let max_age = case["max_age"].as_u64().unwrap();
                    let at_limit = signed_at.plus(Duration::from_secs(max_age));
                    let verified = factory.verify(cookie, at_limit).unwrap();
                    let payload: Map<String, Value> =
                        serde_json::from_str(case["payload_json"].as_str().unwrap()).unwrap();
                    assert_eq!(verified.state, payload, "{name}");
                }
                "invalid" => {
                    let error = verdict.expect_err(name);
                    assert!(!error.is_time_based(), "{name}: {error}");
                    assert!(session.is_new() && session.is_empty(), "{name}");
                }
                other => panic!("{name}: unexpected expectation {other}"),
            }
        }
        *passed
            .entry(format!(
                "{}/{}",
                case["category"].as_str().unwrap(),
                case["expect"].as_str().unwrap()
            ))
            .or_default() += 1;
    }
    println!("django session vectors passed: {passed:?}");
    assert_eq!(
        passed,
        BTreeMap::from([
            ("format/expired".to_owned(), 1),
            ("format/valid".to_owned(), 3)
        ])
    );
}

#[test]
fn byte_exact_cases_are_reproduced() {
    let mut reproduced = 0;
    for case in session_cases() {
        let name = case["name"].as_str().unwrap();
        let cookie = case["cookie"].as_str().unwrap();
        let signed_at = time(&case, "signed_at");
        let state: Map<String, Value> =
            serde_json::from_str(case["payload_json"].as_str().unwrap()).unwrap();
        let factory = builder_for_case(&case, signing_ring(&case));
        let ours = factory.encode_value(&state, signed_at, signed_at).unwrap();
        // Compressed or not exactly as Django decided, byte-exact or not.
        assert_eq!(ours.starts_with('.'), case["compressed"] == true, "{name}");
        assert_eq!(factory.verify(&ours, signed_at).unwrap().state, state);
        if case["byte_exact_write"] == true {
            assert_eq!(ours, cookie, "{name}");
            reproduced += 1;
        }
    }
    println!("django byte-exact writes reproduced: {reproduced}");
    assert_eq!(reproduced, 2);
}

#[test]
fn the_timestamp_signer_case_verifies_under_its_salt_but_is_no_session() {
    let all = cases();
    let case = all
        .iter()
        .find(|case| case["kind"] == "timestamp_signer")
        .unwrap();
    let value = case["value"].as_str().unwrap();
    let now = time(case, "now");
    // Past the signature (which a wrong salt fails), "token:abc" is not base64 of JSON.
    let factory = builder_for_case(case, ring(case, Secrets::Text));
    assert_eq!(factory.verify(value, now).unwrap_err(), DecodeError::Base64);
    let session_salt = CookieSessionFactory::builder(ring(case, Secrets::Text))
        .django(DjangoHash::Sha256)
        .build()
        .unwrap();
    assert_eq!(
        session_salt.verify(value, now).unwrap_err(),
        DecodeError::BadSignature
    );
}

#[test]
fn a_fallback_cookie_is_reissued_under_the_primary_with_its_own_timestamp() {
    let case = session_cases()
        .into_iter()
        .find(|case| case["signed_with"] != "secret_key")
        .unwrap();
    let cookie = case["cookie"].as_str().unwrap();
    let now = time(&case, "now");
    let factory = builder_for_case(&case, ring(&case, Secrets::Bytes));
    let session = factory.load(Some(cookie), now);
    assert_eq!(session.key_index(), Some(1));
    let reissued = factory.finish(&session, now).unwrap().expect("rotation");
    let verified = factory.verify(reissued.value(), now).unwrap();
    assert_eq!(verified.key_index, 0);
    assert_eq!(Value::Object(verified.state), case["state"]);
    // Not read, only moved to the new key: the signing time is kept, so rotation never extends
    // a session.
    assert_eq!(verified.accessed, time(&case, "signed_at"));
    assert_eq!(factory.stats().reissued_for_rotation, 1);
}

#[test]
fn djangos_defaults_come_with_the_preset() {
    let case = &session_cases()[0];
    let factory = CookieSessionFactory::builder(ring(case, Secrets::Text))
        .django(DjangoHash::default())
        .build()
        .unwrap();
    assert_eq!(factory.cookie_name(), "sessionid");
    assert!(!factory.set_on_error());
    let cookie = case["cookie"].as_str().unwrap();
    let now = time(case, "now");
    // Read only, even long after signing: Django does not re-sign, and neither does the preset.
    let later = time(case, "signed_at").plus(Duration::from_secs(1_209_600));
    for at in [now, later] {
        let session = factory.load(Some(cookie), at);
        assert_eq!(Value::Object(session.state().to_map()), case["state"]);
        assert!(factory.finish(&session, at).unwrap().is_none());
    }
    let expired = later.plus(Duration::from_secs(1));
    assert_eq!(
        factory.verify(cookie, expired).unwrap_err(),
        DecodeError::Expired
    );
    // A change is written with Django's Max-Age, and no cookie goes out with a 5xx.
    let mut session = factory.load(Some(cookie), now);
    session.insert("theme", "light").unwrap();
    let set_cookie = factory.finish(&session, now).unwrap().unwrap();
    assert!(
        set_cookie.as_str().contains("Max-Age=1209600"),
        "{set_cookie:?}"
    );
    assert!(
        factory
            .finish_for_status(&session, 500, now)
            .unwrap()
            .is_none()
    );
}
