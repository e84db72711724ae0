//! The vectors made by running real Flask 3.1 / itsdangerous 2.2 (`tests/data/flask-session.json`):
//! every case must get the verdict the case expects (Flask's own, except where a case's category
//! says a strict reader refuses what Flask tolerates), the tagged state and the signing time;
//! cookies marked `byte_exact_write` must be re-created byte for byte, and the others (compressed)
//! must be written compressed and read back.

use std::collections::BTreeMap;
use std::time::Duration;

use cookie_session::{
    CookieSessionFactory, DecodeError, Format, KeyRing, PyramidHash, Salt, Secret, UnixTime,
};
use serde_json::{Map, Value};

fn vectors() -> Value {
    serde_json::from_str(include_str!("../data/flask-session.json")).unwrap()
}

fn cases() -> Vec<Value> {
    vectors()["cases"].as_array().unwrap().clone()
}

fn secs(value: &Value) -> UnixTime {
    UnixTime::from_secs(value.as_u64().unwrap())
}

fn name(case: &Value) -> &str {
    case["name"].as_str().unwrap()
}

/// The case's exact key bytes: `SECRET_KEY`, then `SECRET_KEY_FALLBACKS`.
fn ring_of(case: &Value) -> KeyRing {
    let primary = Secret::from_hex(case["secret_key_hex"].as_str().unwrap()).unwrap();
    case["fallbacks_hex"]
        .as_array()
        .unwrap()
        .iter()
        .fold(KeyRing::new(primary), |ring, hex| {
            ring.with_verify_only(Secret::from_hex(hex.as_str().unwrap()).unwrap())
        })
}

/// The one place the factories of these tests are configured: Flask's preset, with the case's
/// `max_age` and, when the case names them, its salt and hash. The secrets are the Flask apps'
/// own, so a short one is allowed (every visible case's has at least 16 bytes).
fn builder_for_case(case: &Value, ring: KeyRing) -> CookieSessionFactory {
    let mut builder = CookieSessionFactory::builder(ring)
        .flask()
        .allow_short_secret()
        .timeout(Duration::from_secs(case["max_age"].as_u64().unwrap()))
        .reissue_time(None);
    if let Some(salt) = case.get("salt").and_then(Value::as_str) {
        builder = builder.salt(Salt::from_text(salt));
    }
    if let Some(hash) = case.get("digest_method").and_then(Value::as_str) {
        builder = builder.format(Format::Flask(hash.parse::<PyramidHash>().unwrap()));
    }
    builder.build().unwrap()
}

fn factory_for(case: &Value) -> CookieSessionFactory {
    builder_for_case(case, ring_of(case))
}

/// Which key of the ring signed the case's cookie (`secret_key` or `fallbacks[i]`); `None` for
/// a key outside the ring (a forged or foreign cookie).
fn signing_key_index(case: &Value) -> Option<usize> {
    match case["signed_with"].as_str()? {
        "secret_key" => Some(0),
        other => other
            .strip_prefix("fallbacks[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|index| index.parse::<usize>().ok())
            .map(|index| index + 1),
    }
}

/// The verdict of a decode, in the vectors' words. Flask reports a future timestamp as
/// `SignatureExpired` too, so both time-based reasons read as "expired".
fn verdict(result: &Result<impl Sized, DecodeError>) -> &'static str {
    match result {
        Ok(_) => "valid",
        Err(e) if e.is_time_based() => "expired",
        Err(_) => "invalid",
    }
}

#[test]
fn every_case_gets_the_expected_verdict_state_and_time() {
    let mut passed = BTreeMap::<(String, String), usize>::new();
    for case in cases() {
        let name = name(&case);
        let factory = factory_for(&case);
        let cookie = case["cookie"].as_str().unwrap();
        let now = secs(&case["now"]);
        let result = factory.verify(cookie, now);
        let expect = case["expect"].as_str().unwrap();
        assert_eq!(verdict(&result), expect, "{name}: {result:?}");

        let session = factory.load(Some(cookie), now);
        match expect {
            "valid" => {
                let verified = result.unwrap();
                assert_eq!(Value::Object(verified.state), case["state"], "{name}");
                let signed_at = secs(&case["signed_at"]);
                assert_eq!(
                    (verified.created, verified.accessed),
                    (signed_at, signed_at)
                );
                if let Some(index) = signing_key_index(&case) {
                    assert_eq!(verified.key_index, index, "{name}");
                }
                assert_eq!(Value::Object(session.state().to_map()), case["state"]);
                assert_eq!(session.load_error(), None, "{name}");
            }
            "expired" => {
                assert!(session.is_empty(), "{name}");
                assert!(session.load_error().unwrap().is_time_based(), "{name}");
            }
            _ => {
                assert!(session.is_new() && session.is_empty(), "{name}");
                assert!(!session.load_error().unwrap().is_time_based(), "{name}");
            }
        }
        let category = case["category"].as_str().unwrap().to_owned();
        *passed.entry((category, expect.to_owned())).or_default() += 1;
    }
    eprintln!("flask vectors passed (category, verdict): {passed:?}");
    assert_eq!(passed.values().sum::<usize>(), cases().len());
}

#[test]
fn writes_are_byte_exact_where_the_case_says_so_and_compressed_otherwise() {
    let (mut exact, mut compressed) = (0, 0);
    let cases = cases();
    for case in &cases {
        if case["byte_exact_write"] != true && case["compressed"] != true {
            continue;
        }
        let case = case.clone();
        let name = name(&case);
        let (Some(payload), Some(signer)) =
            (case["payload_json"].as_str(), signing_key_index(&case))
        else {
            continue;
        };
        // The writer signs with the key that made the cookie: it is the primary here.
        let secret = if signer == 0 {
            case["secret_key_hex"].as_str().unwrap()
        } else {
            case["fallbacks_hex"][signer - 1].as_str().unwrap()
        };
        let factory = builder_for_case(&case, KeyRing::new(Secret::from_hex(secret).unwrap()));
        let state: Map<String, Value> = serde_json::from_str(payload).unwrap();
        let signed_at = secs(&case["signed_at"]);
        let written = factory.encode_value(&state, signed_at, signed_at).unwrap();
        if case["byte_exact_write"] == true {
            assert_eq!(written, case["cookie"].as_str().unwrap(), "{name}");
            exact += 1;
        } else if case["compressed"] == true {
            // Deflate bytes depend on the zlib implementation; the decision must not differ
            // far from the break-even point, and the cookie must read back.
            assert!(written.starts_with('.'), "{name}: {written}");
            let read = factory.verify(&written, signed_at).unwrap();
            assert_eq!(read.state, state, "{name}");
            compressed += 1;
        }
    }
    eprintln!("flask writes: {exact} byte-exact, {compressed} compressed and read back");
    let count = |field: &str| cases.iter().filter(|case| case[field] == true).count();
    assert_eq!(
        (exact, compressed),
        (count("byte_exact_write"), count("compressed"))
    );
    assert!(exact > 0 && compressed > 0);
}

#[test]
fn a_fallback_cookie_is_reissued_under_the_primary_without_extending_it() {
    let case = cases()
        .into_iter()
        .find(|case| case["expect"] == "valid" && signing_key_index(case) > Some(0))
        .expect("a case signed with a fallback key");
    let factory = factory_for(&case);
    let now = secs(&case["now"]);
    let signed_at = secs(&case["signed_at"]);

    let session = factory.load(Some(case["cookie"].as_str().unwrap()), now);
    let reissued = factory.finish(&session, now).unwrap().expect("re-issued");
    assert_eq!(factory.stats().reissued_for_rotation, 1);

    // Verifies under SECRET_KEY alone, with the same state and the original signing time.
    let primary_only = builder_for_case(
        &case,
        KeyRing::new(Secret::from_hex(case["secret_key_hex"].as_str().unwrap()).unwrap()),
    );
    let verified = primary_only.verify(reissued.value(), now).unwrap();
    assert_eq!(Value::Object(verified.state), case["state"]);
    assert_eq!((verified.key_index, verified.accessed), (0, signed_at));
}

#[test]
fn the_bare_preset_reads_every_case_made_with_flask_defaults() {
    let mut read = 0;
    let cases = cases();
    for case in &cases {
        let defaults = case["max_age"] == 2_678_400
            && case.get("salt").is_none()
            && case.get("digest_method").is_none();
        if !defaults {
            continue;
        }
        let factory = CookieSessionFactory::builder(ring_of(case))
            .flask()
            .allow_short_secret()
            .build()
            .unwrap();
        let result = factory.verify(case["cookie"].as_str().unwrap(), secs(&case["now"]));
        assert_eq!(verdict(&result), case["expect"], "{}", name(case));
        read += 1;
    }
    assert!(read * 2 > cases.len(), "most cases use Flask's defaults");
}

#[test]
fn a_case_one_second_early_or_a_second_past_max_age_is_refused() {
    for case in cases().into_iter().filter(|case| case["expect"] == "valid") {
        let factory = factory_for(&case);
        let cookie = case["cookie"].as_str().unwrap();
        let signed_at = case["signed_at"].as_u64().unwrap();
        let max_age = case["max_age"].as_u64().unwrap();
        let at = |secs: u64| UnixTime::from_secs(secs);
        assert!(factory.verify(cookie, at(signed_at)).is_ok());
        assert!(factory.verify(cookie, at(signed_at + max_age)).is_ok());
        // Whole seconds, as itsdangerous: 0.9 s past the limit is still the same second.
        let just_after = at(signed_at + max_age).plus(Duration::from_millis(900));
        assert!(factory.verify(cookie, just_after).is_ok());
        assert_eq!(
            factory
                .verify(cookie, at(signed_at + max_age + 1))
                .unwrap_err(),
            DecodeError::Expired
        );
        assert_eq!(
            factory.verify(cookie, at(signed_at - 1)).unwrap_err(),
            DecodeError::NotYetValid
        );
    }
}

#[test]
fn the_tag_helpers_read_and_write_what_flask_stored() {
    use cookie_session::flask;
    let case = cases()
        .into_iter()
        .find(|case| name(case) == "flask-visible-flash")
        .expect("the flash case");
    let factory = factory_for(&case);
    let signed_at = secs(&case["signed_at"]);
    let verified = factory
        .verify(case["cookie"].as_str().unwrap(), signed_at)
        .unwrap();
    let message = &verified.state["_flashes"][0];
    let items = flask::as_tuple(message).expect("a tuple");
    assert_eq!(items, ["info", "Welcome back"]);
    // Built with the helper, the same session is the same cookie, byte for byte.
    let mut state = Map::new();
    let flashes = vec![flask::tuple(["info".into(), "Welcome back".into()])];
    state.insert("_flashes".into(), Value::Array(flashes));
    let written = factory.encode_value(&state, signed_at, signed_at).unwrap();
    assert_eq!(written, case["cookie"].as_str().unwrap());
}

#[test]
fn a_short_flask_secret_needs_allow_short_secret() {
    // Flask itself takes any SECRET_KEY; the library wants it said explicitly.
    let short = || CookieSessionFactory::builder(Secret::from_text("dev")).flask();
    let error = short().build().unwrap_err();
    assert_eq!(
        error,
        cookie_session::ConfigError::SecretTooShort {
            index: 0,
            len: 3,
            min: 16
        }
    );
    let factory = short().allow_short_secret().build().unwrap();
    let now = UnixTime::from_secs(1_769_904_000);
    let value = factory.encode_value(&Map::new(), now, now).unwrap();
    assert!(factory.verify(&value, now).is_ok());
}
