//! The vector file `tests/data/django-signed-cookies.json`, for the unit tests.

use serde_json::Value;

use super::DjangoHash;
use crate::keys::{KeyRing, Salt, Secret};

pub(super) fn cases() -> Vec<Value> {
    let file: Value = serde_json::from_str(include_str!(
        "../../../tests/data/django-signed-cookies.json"
    ))
    .unwrap();
    file["cases"].as_array().unwrap().clone()
}

pub(super) fn hash(case: &Value) -> DjangoHash {
    case["algorithm"].as_str().unwrap().parse().unwrap()
}

pub(super) fn salt(case: &Value) -> Salt {
    Salt::from(case["salt"].as_str().unwrap())
}

/// `SECRET_KEY` then `SECRET_KEY_FALLBACKS`, as exact bytes.
pub(super) fn ring(case: &Value) -> KeyRing {
    let secrets = std::iter::once(&case["secret_key_hex"])
        .chain(case["fallbacks_hex"].as_array().unwrap())
        .map(|hex| Secret::from_hex(hex.as_str().unwrap()).unwrap());
    KeyRing::from_secrets(secrets).unwrap()
}

/// The secret the case was signed with (`signed_with`), alone.
pub(super) fn signing_secret(case: &Value) -> Secret {
    let hex = match case["signed_with"].as_str().unwrap() {
        "secret_key" => &case["secret_key_hex"],
        fallback => {
            let index = fallback
                .trim_start_matches("fallbacks[")
                .trim_end_matches(']');
            &case["fallbacks_hex"][index.parse::<usize>().unwrap()]
        }
    };
    Secret::from_hex(hex.as_str().unwrap()).unwrap()
}
