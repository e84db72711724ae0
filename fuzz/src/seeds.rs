//! Seed corpora for the fuzz targets, built from the Pyramid test vectors in `tests/data/` and
//! from cookies the library itself writes with the harness's keys. Nothing binary is committed:
//! `scripts/fuzz-seed.sh` writes these into `fuzz/corpus/<target>/`, and the library's
//! `tests/fuzz_regressions.rs` replays them in memory.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use cookie_session::{CookieSessionFactory, Format, KeyRing, Salt, Secret, UnixTime};
use serde_json::{Map, Value, json};

#[path = "seeds_flask.rs"]
mod flask;

use crate::harness::{
    ALL_HASHES, DJANGO_HASHES, DJANGO_OLD_SECRET, NATIVE_OLD_SECRET, NATIVE_PURPOSE, NOW_SECS,
    PYRAMID_OLD_SECRET, TARGETS, django_ring, native_formats, native_ring, pyramid_ring,
};

/// One seed input.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The target it is for.
    pub target: &'static str,
    /// A file name for it (unique per target).
    pub name: String,
    /// The input.
    pub bytes: Vec<u8>,
}

/// The Pyramid vector file, relative to the vectors directory.
const PYRAMID_VECTORS: &str = "pyramid-signed.json";
/// The lists of cases in it.
const VECTOR_LISTS: [&str; 4] = [
    "cases",
    "lenient_cases",
    "extra_hashalg_cases",
    "roundtrip_cases",
];

/// Every seed for every target. `vectors_dir` is the library's `tests/data`.
///
/// # Errors
/// When the vector file cannot be read or parsed.
pub fn seeds(vectors_dir: &Path) -> Result<Vec<Seed>, String> {
    let mut seeds = Vec::new();
    pyramid_vector_seeds(vectors_dir, &mut seeds)?;
    flask::flask_seeds(vectors_dir, &mut seeds)?;
    pyramid_legacy_seeds(vectors_dir, &mut seeds)?;
    own_cookie_seeds(&mut seeds);
    django_seeds(vectors_dir, &mut seeds)?;
    random_seeds(&mut seeds);
    Ok(seeds)
}

/// Sample states: empty, typical, the library's special keys, extreme numbers and strings.
fn sample_states() -> Vec<Map<String, Value>> {
    let states = [
        json!({}),
        json!({"user": "john", "n": 1}),
        json!({"_f_": ["Saved!"], "_csrft_": "0123456789abcdef0123456789abcdef01234567"}),
        json!({
            "nested": {"a": [1, 2.5, -3, "é", null, true, {"b": []}]},
            "big": u64::MAX,
            "neg": i64::MIN,
            "float": 1e300,
            "tiny": 5e-324,
        }),
        json!({"unicode": "😀 \u{0}\u{1f}\"\\/\u{2028}", "": ""}),
    ];
    states
        .into_iter()
        .map(|state| match state {
            Value::Object(map) => map,
            _ => unreachable!("every sample is an object"),
        })
        .collect()
}

/// Bytes behind a vector cookie, whatever its alphabet or padding (the lenient cases use both).
fn lenient_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .ok()
}

/// Python's `json.dumps` writes bare `NaN` and `Infinity`, which JSON does not have: they become
/// `null` here (outside strings only). The payloads that hold them are strings, so they stay.
fn python_json_to_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if let Some(token) = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|token| rest.starts_with(token))
        {
            out.push_str("null");
            rest = &rest[token.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn pyramid_vector_seeds(vectors_dir: &Path, seeds: &mut Vec<Seed>) -> Result<(), String> {
    let path = vectors_dir.join(PYRAMID_VECTORS);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let vectors: Value = serde_json::from_str(&python_json_to_json(&text))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for list in VECTOR_LISTS {
        let cases = vectors[list]
            .as_array()
            .ok_or_else(|| format!("{}: no list {list:?}", path.display()))?;
        for (i, case) in cases.iter().enumerate() {
            let name = format!("{list}-{i:02}");
            if let Some(cookie) = case["cookie"].as_str() {
                seeds.push(Seed {
                    target: "decode_pyramid",
                    name: format!("{name}-text"),
                    bytes: cookie.as_bytes().to_vec(),
                });
                if let Some(raw) = lenient_base64(cookie) {
                    seeds.push(Seed {
                        target: "decode_pyramid",
                        name: format!("{name}-raw"),
                        bytes: raw,
                    });
                }
            }
            if let Some(payload) = case["payload_json"].as_str() {
                let hash = case["hashalg"]
                    .as_str()
                    .and_then(|h| h.parse().ok())
                    .and_then(|h| ALL_HASHES.iter().position(|known| *known == h))
                    .unwrap_or(ALL_HASHES.len() - 1);
                let mut bytes = vec![1, u8::try_from(hash).expect("six hashes")];
                bytes.extend_from_slice(payload.as_bytes());
                seeds.push(Seed {
                    target: "roundtrip",
                    name: format!("{name}-payload"),
                    bytes,
                });
            }
        }
    }
    Ok(())
}

/// The `cases` of a vector file (Pyramid 1.x, Flask, Django) in `vectors_dir`.
fn vector_cases(vectors_dir: &Path, file: &str) -> Result<Vec<Value>, String> {
    let path = vectors_dir.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut vectors: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    match vectors["cases"].take() {
        Value::Array(cases) => Ok(cases),
        _ => Err(format!("{}: no cases", path.display())),
    }
}

/// The Pyramid 1.x vectors: each cookie for `decode_pyramid_legacy`, the pickle behind it for
/// `pickle_reader`, plus hand-made hostile pickles (a global call, a memo bomb, deep nesting).
fn pyramid_legacy_seeds(vectors_dir: &Path, seeds: &mut Vec<Seed>) -> Result<(), String> {
    let cases = vector_cases(vectors_dir, "pyramid-legacy.json")?;
    for (i, case) in cases.iter().enumerate() {
        let Some(cookie) = case["cookie"].as_str() else {
            continue;
        };
        seeds.push(Seed {
            target: "decode_pyramid_legacy",
            name: format!("legacy-{i:02}"),
            bytes: cookie.as_bytes().to_vec(),
        });
        if let Some(pickled) = cookie
            .get(40..)
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        {
            seeds.push(Seed {
                target: "pickle_reader",
                name: format!("legacy-{i:02}"),
                bytes: pickled,
            });
        }
    }
    let mut bomb = b"\x80\x02]X\x08\x00\x00\x00xxxxxxxxa".to_vec();
    for level in 0u8..30 {
        bomb.extend([b'q', level, b'h', level, 0x86]);
    }
    bomb.push(b'.');
    let mut deep = vec![b']'; 300];
    deep.extend([b'a'; 299]);
    deep.push(b'.');
    let hostile: [(&str, Vec<u8>); 3] = [
        ("global-reduce", b"cos\nsystem\n(S'true'\ntR.".to_vec()),
        ("memo-bomb", bomb),
        ("deep", deep),
    ];
    for (name, bytes) in hostile {
        seeds.push(Seed {
            target: "pickle_reader",
            name: name.to_owned(),
            bytes,
        });
    }
    Ok(())
}

/// Cookies written by the library with the harness's keys: valid, expired, from the future,
/// past the lifetime, and under the verify-only key; as text and as raw envelope bytes.
fn own_cookie_seeds(seeds: &mut Vec<Seed>) {
    let now = NOW_SECS as f64;
    let times = [
        ("valid", now - 60.0, now - 60.0),
        ("expired", now - 5000.0, now - 5000.0),
        ("future", now + 3600.0, now + 3600.0),
        ("ancient", now - 40.0 * 86400.0, now - 30.0),
    ];
    let mut writers: Vec<(&'static str, String, CookieSessionFactory)> = Vec::new();
    for format in native_formats() {
        let label = format.to_string().replace(' ', "-");
        for (key, ring) in [
            ("primary", native_ring()),
            ("old", KeyRing::new(Secret::from_text(NATIVE_OLD_SECRET))),
        ] {
            let factory = CookieSessionFactory::builder(ring)
                .format(format)
                .salt(Salt::from(NATIVE_PURPOSE))
                .build()
                .expect("valid seed writer");
            writers.push(("decode_native", format!("{label}-{key}"), factory));
        }
    }
    for hash in ALL_HASHES {
        for (key, ring) in [
            ("primary", pyramid_ring()),
            ("old", KeyRing::new(Secret::from_text(PYRAMID_OLD_SECRET))),
        ] {
            let factory = CookieSessionFactory::builder(ring)
                .format(Format::Pyramid(hash))
                .build()
                .expect("valid seed writer");
            writers.push(("decode_pyramid", format!("own-{hash}-{key}"), factory));
        }
    }
    for (target, label, factory) in &writers {
        for (s, state) in sample_states().iter().enumerate() {
            for (when, created, accessed) in times {
                let created = UnixTime::from_secs_f64(created).expect("finite");
                let accessed = UnixTime::from_secs_f64(accessed).expect("finite");
                let Ok(value) = factory.encode_value(state, created, accessed) else {
                    continue;
                };
                let name = format!("{label}-state{s}-{when}");
                let raw = URL_SAFE_NO_PAD
                    .decode(&value)
                    .expect("own cookies are base64url");
                seeds.push(Seed {
                    target,
                    name: format!("{name}-text"),
                    bytes: value.into_bytes(),
                });
                seeds.push(Seed {
                    target,
                    name: format!("{name}-raw"),
                    bytes: raw,
                });
            }
        }
    }
}

/// The Django vector file, relative to the vectors directory.
const DJANGO_VECTORS: &str = "django-signed-cookies.json";

/// `decode_django` seeds: the vectors' cookies and payload JSON, and cookies the library writes
/// with the harness's Django keys (valid, expired, from the future, under the old key,
/// compressed or not), as text and, for compressed ones, as their zlib stream.
fn django_seeds(vectors_dir: &Path, seeds: &mut Vec<Seed>) -> Result<(), String> {
    let cases = vector_cases(vectors_dir, DJANGO_VECTORS)?;
    for (i, case) in cases.iter().enumerate() {
        for field in ["cookie", "value", "payload_json"] {
            if let Some(text) = case[field].as_str() {
                seeds.push(Seed {
                    target: "decode_django",
                    name: format!("vector-{i:02}-{field}"),
                    bytes: text.as_bytes().to_vec(),
                });
            }
        }
    }
    let mut states = sample_states();
    let history: Vec<String> = (0..60).map(|i| format!("/products/{i}/reviews")).collect();
    states.push(match json!({"history": history}) {
        Value::Object(map) => map,
        _ => unreachable!("an object"),
    });
    let times = [
        ("valid", NOW_SECS - 60),
        ("expired", NOW_SECS - 15 * 86400),
        ("future", NOW_SECS + 3600),
    ];
    for hash in DJANGO_HASHES {
        for (key, ring) in [
            ("primary", django_ring()),
            ("old", KeyRing::new(Secret::from_text(DJANGO_OLD_SECRET))),
        ] {
            let factory = CookieSessionFactory::builder(ring)
                .format(Format::Django(hash))
                .size_limit(1 << 16)
                .build()
                .expect("valid seed writer");
            for (s, state) in states.iter().enumerate() {
                for (when, stamp) in times {
                    let stamp = UnixTime::from_secs(stamp);
                    let Ok(value) = factory.encode_value(state, stamp, stamp) else {
                        continue;
                    };
                    let name = format!("own-{hash}-{key}-state{s}-{when}");
                    if let Some(compressed) = value.strip_prefix('.') {
                        let payload = compressed.split(':').next().unwrap_or_default();
                        if let Ok(zlib) = URL_SAFE_NO_PAD.decode(payload) {
                            seeds.push(Seed {
                                target: "decode_django",
                                name: format!("{name}-zlib"),
                                bytes: zlib,
                            });
                        }
                    }
                    seeds.push(Seed {
                        target: "decode_django",
                        name: format!("{name}-text"),
                        bytes: value.into_bytes(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// A few deterministic pseudo-random inputs for the targets that read structured input
/// (`factory_load`, the state half of `roundtrip`), so each starts with more than nothing.
fn random_seeds(seeds: &mut Vec<Seed>) {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // xorshift64*: reproducible, no dependency.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for (target, count) in [("factory_load", 8), ("roundtrip", 4)] {
        for i in 0..count {
            let len = 64 + (next() % 448) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[3]).collect();
            if target == "roundtrip" {
                bytes[0] &= !1; // even: the state half
            }
            seeds.push(Seed {
                target,
                name: format!("random-{i}"),
                bytes,
            });
        }
    }
    debug_assert!(seeds.iter().all(|seed| TARGETS.contains(&seed.target)));
}
