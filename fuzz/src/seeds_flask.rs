//! Seeds for `decode_flask`: the Flask vectors' cookies, their payloads behind the harness's
//! signature (mode byte, then the JSON or the zlib stream), and cookies the Flask preset writes
//! with the harness's keys.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie_session::{CookieSessionFactory, KeyRing, Secret, UnixTime};

use super::{Seed, sample_states};
use crate::harness::{FLASK_OLD_SECRET, FLASK_SECRET, NOW_SECS};

const TARGET: &str = "decode_flask";
/// The Flask vector file, relative to the vectors directory.
const FLASK_VECTORS: &str = "flask-session.json";

pub(super) fn flask_seeds(vectors_dir: &Path, seeds: &mut Vec<Seed>) -> Result<(), String> {
    let cases = super::vector_cases(vectors_dir, FLASK_VECTORS)?;
    for (i, case) in cases.iter().enumerate() {
        let Some(cookie) = case["cookie"].as_str() else {
            continue;
        };
        let name = format!("vector-{i:02}");
        seeds.push(seed(format!("{name}-text"), cookie.as_bytes().to_vec()));
        // The payload field's bytes behind the harness's own signature (mode 0: plain JSON,
        // mode 1: a zlib stream).
        let payload = cookie.rsplitn(3, '.').nth(2).unwrap_or_default();
        let (mode, field) = match payload.strip_prefix('.') {
            Some(compressed) => (1, compressed),
            None => (0, payload),
        };
        if let Ok(body) = URL_SAFE_NO_PAD.decode(field) {
            seeds.push(seed(format!("{name}-payload"), [vec![mode], body].concat()));
        }
    }
    own_cookie_seeds(seeds);
    Ok(())
}

fn seed(name: String, bytes: Vec<u8>) -> Seed {
    Seed {
        target: TARGET,
        name,
        bytes,
    }
}

/// Cookies the Flask preset writes: valid, expired, from the future, under either key.
fn own_cookie_seeds(seeds: &mut Vec<Seed>) {
    let times = [
        ("valid", NOW_SECS - 60),
        ("expired", NOW_SECS - 40 * 86_400),
        ("future", NOW_SECS + 3600),
    ];
    for (key, secret) in [("primary", FLASK_SECRET), ("old", FLASK_OLD_SECRET)] {
        let factory = CookieSessionFactory::builder(KeyRing::new(Secret::from_text(secret)))
            .flask()
            .build()
            .expect("valid seed writer");
        for (s, state) in sample_states().iter().enumerate() {
            for (when, secs) in times {
                let at = UnixTime::from_secs(secs);
                if let Ok(value) = factory.encode_value(state, at, at) {
                    seeds.push(seed(
                        format!("own-{key}-state{s}-{when}"),
                        value.into_bytes(),
                    ));
                }
            }
        }
    }
}
