//! Property tests of the Django `signed_cookies` format: random sessions round-trip with their
//! signing time, are spelled as Django spells them, and no damage, other key, salt or hash
//! verifies; the expiry limit is Django's `age > max_age`.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie_session::{
    CookieSessionFactory, DecodeError, DjangoHash, Format, KeyRing, Secret, UnixTime,
};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

const CASES: u32 = 96;

fn secret(n: u8) -> Secret {
    Secret::from_bytes(vec![n; 40])
}

fn hash() -> impl Strategy<Value = DjangoHash> {
    prop_oneof![Just(DjangoHash::Sha256), Just(DjangoHash::Sha1)]
}

/// The Django preset without its expiry, so only the cookie's content matters.
fn timeless(
    hash: DjangoHash,
    keys: impl Into<KeyRing>,
    salt: Option<&str>,
) -> CookieSessionFactory {
    let mut builder = CookieSessionFactory::builder(keys)
        .django(hash)
        .timeout(None)
        .size_limit(1 << 16);
    if let Some(salt) = salt {
        builder = builder.salt(salt);
    }
    builder.build().unwrap()
}

fn json_value(string: impl Strategy<Value = String> + Clone + 'static) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        string.clone().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((string.clone(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
    .boxed()
}

fn state_of(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![
        Just("_auth_user_id".to_owned()),
        Just("_auth_user_hash".to_owned()),
        any::<String>(),
    ];
    prop::collection::vec((key, values), 0..8).prop_map(|pairs| pairs.into_iter().collect())
}

/// Any session, with repetitive strings now and then so that some payloads compress.
fn json_state() -> impl Strategy<Value = Map<String, Value>> {
    let string = prop_oneof![
        any::<String>(),
        ("[a-z/]{1,6}", 1usize..80).prop_map(|(unit, times)| unit.repeat(times)),
    ];
    state_of(json_value(string))
}

/// Sessions of printable ASCII and integers, where `serde_json`'s compact output is exactly
/// Python's `json.dumps(separators=(",", ":"))`.
fn plain_state() -> impl Strategy<Value = Map<String, Value>> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,40}".prop_map(Value::String),
    ];
    let value = leaf.prop_recursive(3, 24, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(Value::Array)
    });
    prop::collection::vec(("[ -~]{0,12}", value), 0..6)
        .prop_map(|pairs| pairs.into_iter().collect())
}

/// Whole seconds between 1970 and 2100.
fn stamp() -> impl Strategy<Value = u64> {
    0u64..4_102_444_800
}

/// The JSON behind a cookie's payload: base64url, inflated when `.`-prefixed.
fn payload_json(value: &str) -> (bool, Vec<u8>) {
    let payload = value.split(':').next().unwrap();
    match payload.strip_prefix('.') {
        Some(compressed) => {
            let zlib = URL_SAFE_NO_PAD.decode(compressed).unwrap();
            (
                true,
                miniz_oxide::inflate::decompress_to_vec_zlib(&zlib).unwrap(),
            )
        }
        None => (false, URL_SAFE_NO_PAD.decode(payload).unwrap()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn round_trip_keeps_the_state_and_the_signing_time(
        hash in hash(),
        state in json_state(),
        created in stamp(),
        age in 0u64..1_000_000,
    ) {
        let factory = timeless(hash, secret(1), None);
        let signed = created + age;
        let value = factory
            .encode_value(&state, UnixTime::from_secs(created), UnixTime::from_secs(signed))
            .unwrap();
        let cookie = factory.verify(&value, UnixTime::from_secs(signed)).unwrap();
        prop_assert_eq!(&cookie.state, &state);
        // One stamp, the signing time: `created` is not carried.
        prop_assert_eq!(cookie.created, UnixTime::from_secs(signed));
        prop_assert_eq!(cookie.accessed, UnixTime::from_secs(signed));
        prop_assert_eq!(cookie.key_index, 0);
        let (compressed, json) = payload_json(&value);
        prop_assert!(json.is_ascii());
        if compressed {
            prop_assert!(URL_SAFE_NO_PAD.decode(&value[1..value.find(':').unwrap()]).unwrap().len() + 1 < json.len());
        }

        // Through a request cycle: load, change, finish, load again.
        let now = UnixTime::from_secs(signed + 5);
        let mut session = factory.load(Some(&value), now);
        prop_assert_eq!(session.load_error(), None);
        session.insert("visits", 1).unwrap();
        let written = factory.finish(&session, now).unwrap().unwrap();
        let again = factory.verify(written.value(), now).unwrap();
        let mut expected = state.clone();
        expected.insert("visits".to_owned(), 1.into());
        prop_assert_eq!(again.state, expected);
        prop_assert_eq!(again.accessed, now);
    }

    #[test]
    fn plain_sessions_are_spelled_as_django_spells_them(
        hash in hash(),
        state in plain_state(),
        signed in stamp(),
    ) {
        let factory = timeless(hash, secret(1), None);
        let at = UnixTime::from_secs(signed);
        let value = factory.encode_value(&state, at, at).unwrap();
        let (_, json) = payload_json(&value);
        prop_assert_eq!(String::from_utf8(json).unwrap(), serde_json::to_string(&state).unwrap());
        let stamp = value.split(':').nth(1).unwrap();
        prop_assert!(stamp.bytes().all(|c| c.is_ascii_alphanumeric()));
        prop_assert!(stamp == "0" || !stamp.starts_with('0'));
        let signature = value.rsplit(':').next().unwrap();
        prop_assert_eq!(URL_SAFE_NO_PAD.decode(signature).unwrap().len(), hash.digest_len());
    }

    #[test]
    fn no_damage_to_the_text_verifies(
        hash in hash(),
        state in json_state(),
        signed in stamp(),
        index in any::<usize>(),
        replacement in "[A-Za-z0-9_.:=+/-]",
        keep in any::<usize>(),
        extra in "[A-Za-z0-9_.:=-]{1,8}",
        kind in 0u8..3,
    ) {
        let factory = timeless(hash, secret(1), None);
        let at = UnixTime::from_secs(signed);
        let value = factory.encode_value(&state, at, at).unwrap();
        let damaged = match kind {
            0 => {
                let at = index % value.len();
                format!("{}{replacement}{}", &value[..at], &value[at + 1..])
            }
            1 => value[..keep % value.len()].to_owned(),
            _ => format!("{value}{extra}"),
        };
        prop_assume!(damaged != value);
        let error = factory.verify(&damaged, at).unwrap_err();
        // Rejected on the way to the MAC: the payload was never trusted.
        prop_assert!(
            !error.is_time_based()
                && !matches!(
                    error,
                    DecodeError::BadPayload
                        | DecodeError::Decompression
                        | DecodeError::InflatedTooLarge { .. }
                ),
            "{:?} for {:?}", error, damaged
        );
        let session = factory.load(Some(&damaged), at);
        prop_assert!(session.is_new());
        prop_assert_eq!(session.load_error(), Some(error));
    }

    #[test]
    fn never_verifies_under_another_key_salt_or_hash(
        hash in hash(),
        state in json_state(),
        signed in stamp(),
        other_key in 2u8..=255,
        other_salt in "[a-z.]{1,12}",
    ) {
        let factory = timeless(hash, secret(1), None);
        let at = UnixTime::from_secs(signed);
        let value = factory.encode_value(&state, at, at).unwrap();
        let check = |factory: CookieSessionFactory| factory.verify(&value, at).map(|c| c.state);
        prop_assert_eq!(check(timeless(hash, secret(other_key), None)), Err(DecodeError::BadSignature));
        prop_assert_eq!(
            check(timeless(hash, secret(1), Some(&other_salt))),
            Err(DecodeError::BadSignature)
        );
        let other_hash = if hash == DjangoHash::Sha1 { DjangoHash::Sha256 } else { DjangoHash::Sha1 };
        prop_assert_eq!(check(timeless(other_hash, secret(1), None)), Err(DecodeError::BadSignature));
        // The session backend's salt is the default.
        let explicit = timeless(hash, secret(1), Some("django.contrib.sessions.backends.signed_cookies"));
        prop_assert_eq!(check(explicit), Ok(state.clone()));
        // A ring that holds the key further down (a fallback) verifies it at that position.
        let ring = KeyRing::new(secret(other_key)).with_verify_only(secret(1));
        let rotated = timeless(hash, ring, None).verify(&value, at).unwrap();
        prop_assert_eq!(rotated.key_index, 1);
    }

    #[test]
    fn expiry_is_djangos_age_over_max_age(
        hash in hash(),
        signed in 1_000_000u64..2_000_000_000,
        max_age in 1u64..5_000_000,
        ahead in 0u64..4_000_000_000,
        fraction in 0.001f64..0.999,
    ) {
        let writer = timeless(hash, secret(1), None);
        let at = UnixTime::from_secs(signed);
        let value = writer.encode_value(&Map::new(), at, at).unwrap();
        let factory = CookieSessionFactory::builder(secret(1))
            .django(hash)
            .timeout(Duration::from_secs(max_age))
            .build()
            .unwrap();
        prop_assert_eq!(factory.format(), Format::Django(hash));
        let verify = |now: f64| factory.verify(&value, UnixTime::from_secs_f64(now).unwrap()).map(|c| c.state);
        let limit = (signed + max_age) as f64;
        prop_assert_eq!(verify(limit), Ok(Map::new()));
        prop_assert_eq!(verify(limit + fraction), Err(DecodeError::Expired));
        // A stamp in the future is accepted, however far (Django has no such check).
        prop_assert_eq!(verify(signed as f64 - ahead as f64), Ok(Map::new()));
    }
}
