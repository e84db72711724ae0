//! Property tests of the wire formats and the session rules, in every format of the build.
//!
//! The case count is kept moderate (`CASES`) so the suite stays fast; the fuzz targets in `fuzz/`
//! explore the same ground for as long as one lets them run.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie_session::{
    CookieSessionFactory, DecodeError, EncodeError, Format, KeyRing, MIN_SIZE_LIMIT, PyramidHash,
    Secret, UnixTime,
};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

const CASES: u32 = 96;

fn secret(n: u8) -> Secret {
    Secret::from_bytes(vec![n; 40])
}

fn formats() -> Vec<Format> {
    #[allow(unused_mut)]
    let mut formats = vec![Format::Signed];
    #[cfg(feature = "encryption")]
    formats.push(Format::Encrypted);
    for hash in [
        PyramidHash::Md5,
        PyramidHash::Sha1,
        PyramidHash::Sha224,
        PyramidHash::Sha256,
        PyramidHash::Sha384,
        PyramidHash::Sha512,
    ] {
        formats.push(Format::Pyramid(hash));
    }
    formats
}

fn format() -> impl Strategy<Value = Format> {
    proptest::sample::select(formats())
}

/// A factory of `format` that applies no time rule, so only the cookie's content matters.
fn timeless(
    format: Format,
    keys: impl Into<KeyRing>,
    name: &str,
    salt: &str,
) -> CookieSessionFactory {
    CookieSessionFactory::builder(keys)
        .format(format)
        .cookie_name(name)
        .salt(salt)
        .timeout(None)
        .reissue_time(None)
        .max_clock_skew(Duration::MAX)
        .size_limit(1 << 16)
        .build()
        .unwrap()
}

/// Any JSON value of a few levels (finite numbers only). Shared with the other formats' properties.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn json_state() -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![
        Just("user".to_owned()),
        Just("_csrft_".to_owned()),
        Just("_f_".to_owned()),
        any::<String>(),
    ];
    prop::collection::vec((key, json_value()), 0..8).prop_map(|pairs| pairs.into_iter().collect())
}

/// Whole seconds between 1970 and 2100: what real cookies carry.
fn stamp() -> impl Strategy<Value = u64> {
    0u64..4_102_444_800
}

fn cookie(factory: &CookieSessionFactory, state: &Map<String, Value>, created: u64) -> String {
    factory
        .encode_value(
            state,
            UnixTime::from_secs(created),
            UnixTime::from_secs(created),
        )
        .unwrap()
}

/// One way of damaging a cookie's bytes.
#[derive(Debug, Clone)]
enum Damage {
    FlipBit {
        index: usize,
        bit: u8,
    },
    Truncate {
        keep: usize,
    },
    Extend {
        bytes: Vec<u8>,
    },
    /// The same, on the base64url text instead of the bytes behind it.
    FlipTextBit {
        index: usize,
        bit: u8,
    },
    TruncateText {
        keep: usize,
    },
    ExtendText {
        text: String,
    },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(index, bit)| Damage::FlipBit { index, bit }),
        any::<usize>().prop_map(|keep| Damage::Truncate { keep }),
        prop::collection::vec(any::<u8>(), 1..40).prop_map(|bytes| Damage::Extend { bytes }),
        (any::<usize>(), 0u8..7).prop_map(|(index, bit)| Damage::FlipTextBit { index, bit }),
        any::<usize>().prop_map(|keep| Damage::TruncateText { keep }),
        "[A-Za-z0-9_=+/-]{1,8}".prop_map(|text| Damage::ExtendText { text }),
    ]
}

impl Damage {
    fn apply(&self, value: &str) -> String {
        let mut raw = URL_SAFE_NO_PAD.decode(value).unwrap();
        let mut text = value.as_bytes().to_vec();
        match self {
            Self::FlipBit { index, bit } => {
                let at = index % raw.len();
                raw[at] ^= 1 << bit;
            }
            Self::Truncate { keep } => raw.truncate(keep % raw.len()),
            Self::Extend { bytes } => raw.extend_from_slice(bytes),
            Self::FlipTextBit { index, bit } => {
                let at = index % text.len();
                text[at] ^= 1 << bit;
            }
            Self::TruncateText { keep } => text.truncate(keep % text.len()),
            Self::ExtendText { text: extra } => text.extend_from_slice(extra.as_bytes()),
        }
        match self {
            Self::FlipBit { .. } | Self::Truncate { .. } | Self::Extend { .. } => {
                URL_SAFE_NO_PAD.encode(raw)
            }
            // ASCII with one bit flipped below 0x80 is still ASCII.
            _ => String::from_utf8(text).unwrap(),
        }
    }
}

/// Rank of a verification result in time: not yet valid < valid < expired or too old.
fn time_rank(result: &Result<cookie_session::VerifiedCookie, DecodeError>) -> u8 {
    match result {
        Err(DecodeError::NotYetValid) => 0,
        Ok(_) => 1,
        Err(DecodeError::Expired | DecodeError::LifetimeExceeded) => 2,
        Err(other) => panic!("a valid cookie rejected for {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn round_trip_keeps_the_state_in_every_format(
        state in json_state(),
        created in stamp(),
        age in 0u64..1_000_000,
    ) {
        for format in formats() {
            let factory = timeless(format, secret(1), "session", "app");
            let accessed = created + age;
            let value = factory
                .encode_value(&state, UnixTime::from_secs(created), UnixTime::from_secs(accessed))
                .unwrap();
            let cookie = factory.verify(&value, UnixTime::from_secs(accessed)).unwrap();
            prop_assert_eq!(&cookie.state, &state, "{}", format);
            prop_assert_eq!(cookie.created, UnixTime::from_secs(created));
            prop_assert_eq!(cookie.accessed, UnixTime::from_secs(accessed));
            prop_assert_eq!(cookie.key_index, 0);

            // Through a whole request cycle as well: load, change, finish, load again.
            let mut session = factory.load(Some(&value), UnixTime::from_secs(accessed));
            prop_assert_eq!(session.load_error(), None);
            session.insert("visits", 1).unwrap();
            let written = factory.finish(&session, UnixTime::from_secs(accessed)).unwrap().unwrap();
            let again = factory.load(Some(written.value()), UnixTime::from_secs(accessed));
            let mut expected = state.clone();
            expected.insert("visits".to_owned(), 1.into());
            prop_assert_eq!(again.state(), &expected);
        }
    }

    #[test]
    fn no_bit_flip_truncation_or_extension_verifies(
        format in format(),
        state in json_state(),
        created in stamp(),
        damage in damage(),
    ) {
        let factory = timeless(format, secret(1), "session", "app");
        let value = cookie(&factory, &state, created);
        let damaged = damage.apply(&value);
        prop_assume!(damaged != value);
        let result = factory.verify(&damaged, UnixTime::from_secs(created));
        prop_assert!(result.is_err(), "{} accepted {:?} ({:?})", format, damaged, damage);
        let error = result.unwrap_err();
        // Rejected on the way to the MAC, never after it: the payload was never trusted.
        prop_assert!(
            !error.is_time_based() && error != DecodeError::BadPayload,
            "{:?} for {:?}", error, damage
        );
        let session = factory.load(Some(&damaged), UnixTime::from_secs(created));
        prop_assert!(session.is_new());
        prop_assert_eq!(session.load_error(), Some(error));
    }

    #[test]
    fn never_verifies_under_another_key_salt_or_cookie_name(
        format in format(),
        state in json_state(),
        created in stamp(),
        other_key in 2u8..=255,
        other_salt in "[a-z.]{0,12}",
        other_name in "[a-z]{1,10}",
    ) {
        let factory = timeless(format, secret(1), "session", "app");
        let value = cookie(&factory, &state, created);
        let now = UnixTime::from_secs(created);
        let check = |factory: CookieSessionFactory| factory.verify(&value, now);

        let wrong_key = check(timeless(format, secret(other_key), "session", "app"));
        prop_assert!(
            matches!(wrong_key, Err(DecodeError::UnknownKey | DecodeError::BadSignature)),
            "{:?}", wrong_key
        );
        if other_salt != "app" {
            let wrong_salt = check(timeless(format, secret(1), "session", &other_salt));
            prop_assert_eq!(wrong_salt.map(|c| c.state), Err(DecodeError::BadSignature));
        }
        // The native formats bind the cookie name; Pyramid's format does not (as in Pyramid),
        // which SECURITY.md points out.
        if other_name != "session" {
            let wrong_name = check(timeless(format, secret(1), &other_name, "app"));
            if matches!(format, Format::Pyramid(_)) {
                prop_assert_eq!(wrong_name.map(|c| c.state), Ok(state.clone()));
            } else {
                prop_assert_eq!(wrong_name.map(|c| c.state), Err(DecodeError::BadSignature));
            }
        }
        // A ring that holds the key further down still verifies it, at that position.
        let ring = KeyRing::new(secret(other_key)).with_verify_only(secret(1));
        let rotated = check(timeless(format, ring, "session", "app")).unwrap();
        prop_assert_eq!(rotated.key_index, 1);
    }

    #[test]
    fn expiry_is_monotonic_in_now(
        format in format(),
        created in 1_000_000u64..2_000_000_000,
        idle in 0u64..100_000,
        timeout in 1u64..50_000,
        lifetime in prop::option::of(1u64..200_000),
        mut offsets in prop::collection::vec(-200_000i64..400_000, 2..8),
    ) {
        let accessed = created + idle;
        let writer = timeless(format, secret(1), "session", "app");
        let value = writer
            .encode_value(&Map::new(), UnixTime::from_secs(created), UnixTime::from_secs(accessed))
            .unwrap();
        let factory = CookieSessionFactory::builder(secret(1))
            .format(format)
            .salt("app")
            .timeout(Duration::from_secs(timeout))
            .reissue_time(None)
            .max_lifetime(lifetime.map(Duration::from_secs))
            .build()
            .unwrap();
        offsets.sort_unstable();
        let ranks: Vec<u8> = offsets
            .iter()
            .map(|offset| {
                let now = UnixTime::from_secs_f64(accessed as f64 + *offset as f64).unwrap();
                time_rank(&factory.verify(&value, now))
            })
            .collect();
        prop_assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{:?} at {:?}", ranks, offsets);
        // Exactly at the timeout it is still valid; one second later it is not.
        if lifetime.is_none_or(|cap| accessed + timeout + 1 - created <= cap) {
            let at = |secs: u64| factory.verify(&value, UnixTime::from_secs(secs));
            prop_assert!(at(accessed + timeout).is_ok());
            prop_assert_eq!(at(accessed + timeout + 1).map(|c| c.state), Err(DecodeError::Expired));
        }
    }

    #[test]
    fn finish_is_within_the_size_limit_or_too_large(
        format in format(),
        state in json_state(),
        padding in prop::collection::vec("[ -~é😀]{0,600}", 0..12),
        size_limit in MIN_SIZE_LIMIT..6000,
        name in "[a-zA-Z0-9_-]{1,40}",
        path in "/[a-z/]{0,60}",
        domain in prop::option::of("[a-z]{1,30}\\.example"),
        max_age in prop::option::of(0u64..100_000_000),
    ) {
        let factory = CookieSessionFactory::builder(secret(1))
            .format(format)
            .cookie_name(name.clone())
            .path(Some(path))
            .domain(domain)
            .max_age(max_age.map(Duration::from_secs))
            .size_limit(size_limit)
            .build()
            .unwrap();
        let now = UnixTime::from_secs(1_700_000_000);
        let mut session = factory.load(None, now);
        *session.state_mut() = state.clone().into();
        for (i, pad) in padding.iter().enumerate() {
            session.insert(format!("pad{i}"), pad).unwrap();
        }
        match factory.finish(&session, now) {
            Ok(Some(set_cookie)) => {
                prop_assert!(set_cookie.len() <= size_limit);
                prop_assert_eq!(set_cookie.as_str().len(), set_cookie.len());
                let prefix = format!("{name}=");
                prop_assert!(set_cookie.as_str().starts_with(&prefix));
                let back = factory.load(Some(set_cookie.value()), now);
                prop_assert_eq!(back.state(), session.state());
            }
            Ok(None) => prop_assert!(false, "a changed session must be written"),
            Err(EncodeError::TooLarge { size, limit }) => {
                prop_assert_eq!(limit, size_limit);
                prop_assert!(size > limit);
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
        // encode_value applies the same limit to the same header.
        match factory.encode_value(&session.state().to_map(), now, now) {
            Ok(value) => prop_assert!(value.len() < size_limit),
            Err(EncodeError::TooLarge { size, limit }) => prop_assert!(size > limit),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}

#[test]
fn the_size_property_sees_both_outcomes() {
    // The property above is only meaningful if both branches happen: check the boundary once.
    let factory = CookieSessionFactory::builder(secret(1))
        .size_limit(MIN_SIZE_LIMIT)
        .build()
        .unwrap();
    let now = UnixTime::from_secs(1_700_000_000);
    let mut small = factory.load(None, now);
    small.insert("a", 1).unwrap();
    assert!(factory.finish(&small, now).unwrap().is_some());
    let mut large = factory.load(None, now);
    large.insert("a", "x".repeat(MIN_SIZE_LIMIT)).unwrap();
    assert!(matches!(
        factory.finish(&large, now),
        Err(EncodeError::TooLarge {
            limit: MIN_SIZE_LIMIT,
            ..
        })
    ));
}
