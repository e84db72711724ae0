//! Fuzzing inputs replayed as tests, through the fuzz targets' own checks
//! (`fuzz/src/harness.rs`, included here by path), without libFuzzer:
//!
//! * every seed of the corpora (`fuzz/src/seeds.rs`: the Pyramid vectors of `tests/data/` and
//!   cookies the library writes with the harness's keys);
//! * every crash input the fuzzer ever found, kept under `fuzz/regressions/<target>/`.
//!
//! To keep a new crash: copy `fuzz/artifacts/<target>/crash-*` into `fuzz/regressions/<target>/`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::{harness, seeds};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn all_seeds() -> Vec<seeds::Seed> {
    seeds::seeds(&manifest_dir().join("tests/data")).expect("the seed corpora build")
}

/// Runs every input through its target and lists the ones that panicked.
fn replay<'a>(
    inputs: impl IntoIterator<Item = (&'a str, String, Vec<u8>)>,
) -> (usize, Vec<String>) {
    let mut count = 0;
    let mut failures = Vec::new();
    for (target, name, bytes) in inputs {
        count += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| harness::run(target, &bytes)));
        match outcome {
            Ok(true) => {}
            Ok(false) => failures.push(format!("{target}/{name}: unknown target")),
            Err(_) => failures.push(format!("{target}/{name}: panicked")),
        }
    }
    (count, failures)
}

#[test]
fn every_seed_and_recorded_crash_runs_through_its_target_without_panic() {
    let seeds = all_seeds();
    for target in harness::TARGETS {
        assert!(
            seeds.iter().any(|seed| seed.target == target),
            "no seed for {target}"
        );
    }
    let crashes = regression_inputs();
    let expected = seeds.len() + crashes.len();
    let (count, failures) = replay(
        seeds
            .iter()
            .map(|seed| (seed.target, seed.name.clone(), seed.bytes.clone()))
            .chain(crashes),
    );
    assert_eq!(count, expected);
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The seeds are only worth having if they get past the signature check.
#[test]
fn the_seed_cookies_verify_under_the_fuzz_fixtures() {
    let seeds = all_seeds();
    let now = harness::now();
    let valid_text = |seed: &&seeds::Seed, target: &str, key: &str| {
        seed.target == target && seed.name.contains(key) && seed.name.ends_with("-valid-text")
    };
    for (target, fixtures) in [
        ("decode_native", harness::native_fixtures()),
        ("decode_pyramid", harness::pyramid_fixtures()),
    ] {
        for (key, key_index) in [("-primary-", 0), ("-old-", 1)] {
            let matching: Vec<_> = seeds
                .iter()
                .filter(|seed| valid_text(seed, target, key))
                .collect();
            assert!(!matching.is_empty(), "no {key} seeds for {target}");
            for seed in matching {
                let value = std::str::from_utf8(&seed.bytes).unwrap();
                let verified: Vec<usize> = fixtures
                    .iter()
                    .filter_map(|fixture| fixture.factory.verify(value, now).ok())
                    .map(|cookie| cookie.key_index)
                    .collect();
                assert!(
                    verified.contains(&key_index),
                    "{}: verified with {verified:?}",
                    seed.name
                );
            }
        }
    }
    // The vectors' own valid cookies verify too (the fixtures use their secret).
    let vector_cookie = seeds
        .iter()
        .find(|seed| seed.name == "cases-00-text")
        .expect("the first vector case");
    let value = std::str::from_utf8(&vector_cookie.bytes).unwrap();
    assert!(
        harness::pyramid_fixtures()
            .iter()
            .any(|fixture| fixture.factory.verify(value, now).is_ok())
    );
}

#[test]
fn the_payload_seeds_are_validly_signed_and_parse() {
    // roundtrip's odd-mode seeds carry Pyramid payloads; signed by the harness they decode.
    let seeds = all_seeds();
    let payloads: Vec<_> = seeds
        .iter()
        .filter(|seed| seed.target == "roundtrip" && seed.name.ends_with("-payload"))
        .collect();
    assert!(payloads.len() > 20);
    let accepted = payloads
        .iter()
        .filter(|seed| {
            let hash = harness::ALL_HASHES[usize::from(seed.bytes[1])];
            let value = harness::pyramid_sign(hash, &seed.bytes[2..]);
            harness::pyramid_fixtures()
                .iter()
                .any(|fixture| fixture.factory.verify(&value, harness::now()).is_ok())
        })
        .count();
    assert!(
        accepted > payloads.len() / 2,
        "{accepted} of {}",
        payloads.len()
    );
}

#[test]
fn the_harness_rejects_what_it_should() {
    // A sanity check of the harness itself: a tampered cookie is not accepted by the checks'
    // fixtures, and an untampered one is, so the targets' assertions are not vacuous.
    let fixture = &harness::native_fixtures()[0];
    let state = serde_json::Map::from_iter([("user".to_owned(), "john".into())]);
    let value = fixture
        .factory
        .encode_value(&state, harness::now(), harness::now())
        .unwrap();
    assert!(fixture.factory.verify(&value, harness::now()).is_ok());
    let mut raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    assert!(
        fixture
            .factory
            .verify(&URL_SAFE_NO_PAD.encode(&raw), harness::now())
            .is_err()
    );
    harness::decode_native(value.as_bytes());
    harness::decode_native(&raw);
}

/// Crash inputs kept under `fuzz/regressions/<target>/`.
fn regression_inputs() -> Vec<(&'static str, String, Vec<u8>)> {
    let dir = manifest_dir().join("fuzz/regressions");
    let mut inputs = Vec::new();
    for target in harness::TARGETS {
        let Ok(entries) = std::fs::read_dir(dir.join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                inputs.push((target, name, std::fs::read(&path).unwrap()));
            }
        }
    }
    inputs
}

/// The Django seeds get past the signature, and the harness signs exactly as the library does
/// (so `decode_django`'s signed inputs really reach the payload parsers).
#[test]
fn the_django_seeds_verify_and_the_harness_signs_like_the_library() {
    let seeds = all_seeds();
    let now = harness::now();
    let fixtures = harness::django_fixtures();
    for (key, key_index) in [("-primary-", 0), ("-old-", 1)] {
        let matching: Vec<_> = seeds
            .iter()
            .filter(|seed| {
                seed.target == "decode_django"
                    && seed.name.contains(key)
                    && seed.name.ends_with("-valid-text")
            })
            .collect();
        assert!(matching.len() >= 10, "{key}: {}", matching.len());
        for seed in matching {
            let value = std::str::from_utf8(&seed.bytes).unwrap();
            let verified: Vec<usize> = fixtures
                .iter()
                .filter_map(|fixture| fixture.factory.verify(value, now).ok())
                .map(|cookie| cookie.key_index)
                .collect();
            assert_eq!(verified, [key_index], "{}", seed.name);
        }
    }
    for (fixture, hash) in fixtures.iter().zip(harness::DJANGO_HASHES) {
        let state = serde_json::Map::from_iter([("user".to_owned(), "john".into())]);
        let ours = fixture.factory.encode_value(&state, now, now).unwrap();
        let payload = ours.split(':').next().unwrap();
        let stamp = now.whole_secs().try_into().unwrap();
        assert_eq!(harness::django_sign(hash, payload, stamp), ours);
    }
}

/// `decode_flask`'s seeds get past the signature: the preset's own cookies under either key,
/// the vectors' cookies, and the vectors' payloads behind the harness's signature.
#[test]
fn the_flask_seeds_verify_under_the_flask_fixture() {
    let seeds = all_seeds();
    let fixture = harness::flask_fixture();
    let now = harness::now();
    let flask: Vec<_> = seeds
        .iter()
        .filter(|seed| seed.target == "decode_flask")
        .collect();
    for (key, key_index) in [("own-primary-", 0), ("own-old-", 1)] {
        let valid: Vec<_> = flask
            .iter()
            .filter(|seed| seed.name.starts_with(key) && seed.name.ends_with("-valid"))
            .collect();
        assert!(!valid.is_empty(), "no {key} seeds");
        for seed in valid {
            let value = std::str::from_utf8(&seed.bytes).unwrap();
            let cookie = fixture.factory.verify(value, now).unwrap();
            assert_eq!(cookie.key_index, key_index, "{}", seed.name);
        }
    }
    let payloads: Vec<_> = flask
        .iter()
        .filter(|seed| seed.name.ends_with("-payload"))
        .collect();
    assert!(
        payloads.iter().any(|seed| seed.bytes[0] == 1),
        "a compressed payload"
    );
    for seed in payloads {
        let field = URL_SAFE_NO_PAD.encode(&seed.bytes[1..]);
        let payload = if seed.bytes[0] == 1 {
            format!(".{field}")
        } else {
            field
        };
        let value = harness::flask_sign(&payload, harness::NOW_SECS - 60);
        assert!(fixture.factory.verify(&value, now).is_ok(), "{}", seed.name);
    }
    // The vectors' cookies were signed in 2026 with the fixture's keys: valid at their own time.
    let vector = flask
        .iter()
        .find(|seed| seed.name == "vector-00-text")
        .unwrap();
    let value = std::str::from_utf8(&vector.bytes).unwrap();
    let later = fixture.factory.verify(value, now).unwrap_err();
    assert_eq!(later, cookie_session::DecodeError::NotYetValid);
    let signed_at = cookie_session::UnixTime::from_secs(1_769_904_000);
    assert!(fixture.factory.verify(value, signed_at).is_ok());
}
