//! Property tests of the Pyramid 1.x format (`Format::PyramidLegacy`): random sessions survive
//! a write and a read, rotation re-signs under the primary, and any damage to a cookie is
//! refused (never accepted with other content, never a panic).

use std::time::Duration;

use cookie_session::{CookieSessionFactory, KeyRing, Secret, UnixTime};
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::properties::json_value;

const CASES: u32 = 128;

fn factory(keys: impl Into<KeyRing>) -> CookieSessionFactory {
    CookieSessionFactory::builder(keys)
        .pyramid_legacy()
        .timeout(None)
        .size_limit(1 << 16)
        .build()
        .unwrap()
}

fn secret(n: u8) -> Secret {
    Secret::from_text(format!("pyramid 1.x property secret #{n}"))
}

fn json_state() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((any::<String>(), json_value()), 0..8)
        .prop_map(|pairs| pairs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn random_sessions_round_trip(
        state in json_state(),
        created_ms in 0u64..4_102_444_800_000,
        idle in 0u64..1_000_000,
    ) {
        let factory = factory(secret(1));
        let created = UnixTime::from_secs_f64(created_ms as f64 / 1000.0).unwrap();
        let accessed = created.plus(Duration::from_secs(idle));
        let value = factory.encode_value(&state, created, accessed).unwrap();
        let verified = factory.verify(&value, accessed).unwrap();
        prop_assert_eq!(&verified.state, &state);
        prop_assert_eq!(verified.created, created);
        prop_assert_eq!(verified.accessed, UnixTime::from_secs(accessed.whole_secs() as u64));
        prop_assert_eq!(verified.key_index, 0);
    }

    #[test]
    fn a_fallback_cookie_is_reissued_under_the_primary(state in json_state()) {
        let old = factory(secret(2));
        let rotated = factory(KeyRing::new(secret(3)).with_verify_only(secret(2)));
        let now = UnixTime::from_secs(1_700_000_000);
        let value = old.encode_value(&state, now, now).unwrap();
        let session = rotated.load(Some(&value), now);
        prop_assert_eq!(session.key_index(), Some(1));
        let reissued = rotated.finish(&session, now).unwrap().unwrap();
        let verified = rotated.verify(reissued.value(), now).unwrap();
        prop_assert_eq!(verified.key_index, 0);
        prop_assert_eq!(&verified.state, &state);
    }

    #[test]
    fn any_changed_character_is_refused(
        state in json_state(),
        at in any::<prop::sample::Index>(),
        with in any::<char>(),
    ) {
        let factory = factory(secret(4));
        let now = UnixTime::from_secs(1_700_000_000);
        let value = factory.encode_value(&state, now, now).unwrap();
        let mut chars: Vec<char> = value.chars().collect();
        let index = at.index(chars.len());
        prop_assume!(chars[index] != with);
        chars[index] = with;
        let damaged: String = chars.into_iter().collect();
        prop_assert!(factory.verify(&damaged, now).is_err());
    }
}
