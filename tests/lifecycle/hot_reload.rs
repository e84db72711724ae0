//! Swapping the key ring under running requests, reloading it from a file, watching the file,
//! and the rotation counters and hook operators use to retire old keys.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cookie_session::{
    ConfigError, CookieSessionFactory, DecodeError, Format, KeyRing, Secret, UnixTime,
};

fn now() -> UnixTime {
    UnixTime::from_secs(1_700_000_000)
}

fn secret(n: usize) -> Secret {
    Secret::from_text(format!("hot-reload test secret number {n:08}"))
}

/// Ring `n`: secret `n` as primary, and secret `n - 1` (ring `n - 1`'s primary) verify-only.
fn ring(n: usize) -> KeyRing {
    let ring = KeyRing::new(secret(n));
    if n == 0 {
        ring
    } else {
        ring.with_verify_only(secret(n - 1))
    }
}

fn factory(keys: KeyRing, format: Format) -> CookieSessionFactory {
    CookieSessionFactory::builder(keys)
        .format(format)
        .build()
        .unwrap()
}

/// One request: load the previous cookie, count, finish. Returns the new cookie, or why the
/// request failed.
fn request(
    factory: &CookieSessionFactory,
    cookie: Option<&str>,
    expected: u64,
) -> Result<String, String> {
    let mut session = factory.load(cookie, now());
    if let Some(error) = session.load_error() {
        return Err(format!("cookie rejected: {error}"));
    }
    let count = session.get::<u64>("count").map_err(|e| e.to_string())?;
    if count.unwrap_or(0) != expected {
        return Err(format!("count {count:?}, expected {expected}"));
    }
    session
        .insert("count", expected + 1)
        .map_err(|e| e.to_string())?;
    let set_cookie = factory
        .finish(&session, now())
        .map_err(|e| e.to_string())?
        .ok_or("a changed session sent no cookie")?;
    Ok(set_cookie.value().to_owned())
}

/// A cookie a worker made, with the ring generations published before and after its request.
struct Made {
    cookie: String,
    published_before: usize,
    published_after: usize,
}

/// Workers loop over requests while the main thread swaps ring `g` for ring `g + 1`. A swap
/// waits until every worker has completed a request that started under the current generation,
/// so no cookie is ever more than one rotation behind: with each ring keeping its predecessor's
/// primary, no request may fail.
fn hot_reload_under_concurrent_requests(format: Format) {
    const WORKERS: usize = 4;
    const GENERATIONS: usize = 40;

    let rings: Vec<KeyRing> = (0..GENERATIONS).map(ring).collect();
    let shared = factory(rings[0].clone(), format);
    let published = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    // Per worker: 1 + the generation published when its last completed request started.
    let completed: Arc<Vec<AtomicUsize>> =
        Arc::new((0..WORKERS).map(|_| AtomicUsize::new(0)).collect());
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));

    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (factory, published, done, completed, failures) = (
                shared.clone(),
                Arc::clone(&published),
                Arc::clone(&done),
                Arc::clone(&completed),
                Arc::clone(&failures),
            );
            std::thread::spawn(move || {
                let mut made: Vec<Made> = Vec::new();
                let mut count = 0;
                while !done.load(Ordering::SeqCst) {
                    let published_before = published.load(Ordering::SeqCst);
                    let previous = made.last().map(|m| m.cookie.as_str());
                    match request(&factory, previous, count) {
                        Ok(cookie) => {
                            count += 1;
                            made.push(Made {
                                cookie,
                                published_before,
                                published_after: published.load(Ordering::SeqCst),
                            });
                        }
                        Err(why) => {
                            failures
                                .lock()
                                .unwrap()
                                .push(format!("worker {worker}, request {count}: {why}"));
                            return made;
                        }
                    }
                    completed[worker].store(published_before + 1, Ordering::SeqCst);
                }
                made
            })
        })
        .collect();

    for (generation, next_ring) in rings.iter().enumerate().skip(1) {
        // Wait until every worker has finished a request begun under the current generation,
        // so that none holds a cookie older than it.
        while completed
            .iter()
            .any(|c| c.load(Ordering::SeqCst) < generation)
        {
            if !failures.lock().unwrap().is_empty() {
                break;
            }
            std::thread::yield_now();
        }
        shared.replace_keys(next_ring.clone()).unwrap();
        published.store(generation, Ordering::SeqCst);
    }
    while completed
        .iter()
        .any(|c| c.load(Ordering::SeqCst) < GENERATIONS)
        && failures.lock().unwrap().is_empty()
    {
        std::thread::yield_now();
    }
    done.store(true, Ordering::SeqCst);
    let made: Vec<Made> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();

    let failures = failures.lock().unwrap();
    assert!(failures.is_empty(), "{format}: {failures:?}");

    // Every cookie was signed by the primary of a ring in force during its request, and its
    // successor still accepts it as verify-only.
    let checkers: Vec<CookieSessionFactory> =
        rings.iter().map(|r| factory(r.clone(), format)).collect();
    let mut signed_by = vec![0usize; GENERATIONS];
    for m in &made {
        let window = m.published_before..=(m.published_after + 1).min(GENERATIONS - 1);
        let signer = window
            .clone()
            .find(|&g| {
                checkers[g]
                    .verify(&m.cookie, now())
                    .is_ok_and(|v| v.key_index == 0)
            })
            .unwrap_or_else(|| panic!("{format}: no ring in {window:?} signed a cookie"));
        signed_by[signer] += 1;
        if let Some(successor) = checkers.get(signer + 1) {
            assert_eq!(
                successor.verify(&m.cookie, now()).map(|v| v.key_index),
                Ok(1),
                "{format}: the successor of ring {signer} rejects its cookie"
            );
        }
        if let Some(two_later) = checkers.get(signer + 2) {
            assert_eq!(
                two_later.verify(&m.cookie, now()).map(|v| v.key_index),
                Err(DecodeError::UnknownKey),
                "{format}: a retired key still verifies"
            );
        }
    }
    // Every generation was really exercised, and the rotations were counted.
    assert!(signed_by.iter().all(|&n| n > 0), "{signed_by:?}");
    assert!(shared.stats().fallback_verifications >= (GENERATIONS - 1) as u64);
}

#[test]
fn signed_hot_reload_under_concurrent_requests() {
    hot_reload_under_concurrent_requests(Format::Signed);
}

#[cfg(feature = "encryption")]
#[test]
fn encrypted_hot_reload_under_concurrent_requests() {
    hot_reload_under_concurrent_requests(Format::Encrypted);
}

/// A key file in a fresh per-test directory, removed on drop.
struct KeyFile {
    dir: PathBuf,
    path: PathBuf,
}

impl KeyFile {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "cookie-session-hot-reload-{}-{test}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.txt");
        Self { dir, path }
    }

    /// Replaces the file at once (write a sibling, then rename), as a secret store does.
    fn write(&self, contents: &str) {
        let staging = self.dir.join("keys.txt.new");
        std::fs::write(&staging, contents).unwrap();
        std::fs::rename(&staging, &self.path).unwrap();
    }
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The key file of ring `n` (`n` >= 1).
fn file_text(n: usize) -> String {
    format!(
        "# ring {n}\nhot-reload test secret number {n:08}\nhot-reload test secret number {:08}\n",
        n - 1
    )
}

/// A cookie written by a factory holding ring `n` alone.
fn cookie_of(n: usize) -> String {
    let factory = factory(ring(n), Format::Signed);
    let mut session = factory.load(None, now());
    session.insert("ring", n).unwrap();
    factory
        .finish(&session, now())
        .unwrap()
        .unwrap()
        .value()
        .to_owned()
}

#[test]
fn reload_from_file_swaps_the_ring_and_keeps_it_on_failure() {
    let file = KeyFile::new("reload");
    let factory = factory(ring(1), Format::Signed);
    file.write(&file_text(2));
    factory.reload_keys_from_file(&file.path).unwrap();
    assert_eq!(factory.verify(&cookie_of(2), now()).unwrap().key_index, 0);
    assert_eq!(factory.verify(&cookie_of(1), now()).unwrap().key_index, 1);

    // Each failure names the file and leaves ring 2 in force.
    let bad_contents = [
        "# rotation in progress\n".to_owned(),
        "too short\n".to_owned(),
        format!(
            "{}\n{}\n",
            "same secret, twice in a row, long enough", "same secret, twice in a row, long enough"
        ),
    ];
    for contents in bad_contents {
        file.write(&contents);
        match factory.reload_keys_from_file(&file.path) {
            Err(ConfigError::KeySource { source_name, .. }) => {
                assert!(source_name.starts_with(&file.path.display().to_string()));
            }
            other => panic!("expected a KeySource error, got {other:?}"),
        }
        assert_eq!(factory.verify(&cookie_of(2), now()).unwrap().key_index, 0);
    }
    std::fs::remove_file(&file.path).unwrap();
    assert!(factory.reload_keys_from_file(&file.path).is_err());
    assert_eq!(factory.verify(&cookie_of(2), now()).unwrap().key_index, 0);
}

fn pyramid_builder(secret: &str) -> cookie_session::CookieSessionBuilder {
    CookieSessionFactory::builder(Secret::from_text(secret))
        .pyramid(cookie_session::PyramidHash::Sha512)
}

#[test]
fn a_pyramid_factory_reloads_short_secrets_only_when_allowed() {
    let file = KeyFile::new("pyramid");
    file.write("seekrit\n");
    let strict = pyramid_builder("old pyramid secret").build().unwrap();
    match strict.reload_keys_from_file(&file.path) {
        Err(ConfigError::KeySource {
            source_name,
            problem,
        }) => {
            assert_eq!(source_name, format!("{} line 1", file.path.display()));
            assert_eq!(problem, "too short: 7 bytes, at least 16 are needed");
        }
        other => panic!("expected a KeySource error, got {other:?}"),
    }
    // A 1-byte fragment, which one cookie is enough to brute-force, is refused by replace_keys
    // too.
    assert_eq!(
        strict.replace_keys(KeyRing::new(Secret::from_text("s"))),
        Err(ConfigError::SecretTooShort {
            index: 0,
            len: 1,
            min: 16
        })
    );
    assert_eq!(strict.stats().key_ring_replacements, 0);

    let legacy = pyramid_builder("old pyramid secret")
        .allow_short_secret()
        .build()
        .unwrap();
    legacy.reload_keys_from_file(&file.path).unwrap();
    let expected = pyramid_builder("seekrit")
        .allow_short_secret()
        .build()
        .unwrap();
    let value = expected
        .encode_value(&serde_json::Map::new(), now(), now())
        .unwrap();
    assert_eq!(legacy.verify(&value, now()).unwrap().key_index, 0);
    assert_eq!(legacy.stats().key_ring_replacements, 1);
}

/// A cookie holding `role = "admin"`, written by a factory of `format` that holds `ring` alone.
fn cookie_under(ring: KeyRing, format: Format) -> String {
    let factory = factory(ring, format);
    let mut session = factory.load(None, now());
    session.insert("role", "admin").unwrap();
    factory
        .finish(&session, now())
        .unwrap()
        .unwrap()
        .value()
        .to_owned()
}

fn formats() -> Vec<Format> {
    vec![
        Format::Signed,
        Format::Pyramid(cookie_session::PyramidHash::Sha256),
        #[cfg(feature = "encryption")]
        Format::Encrypted,
    ]
}

#[test]
fn a_removed_key_stops_working_for_requests_already_running() {
    for format in formats() {
        let (a, b) = (secret(100), secret(101));
        let shared = factory(KeyRing::new(a.clone()), format);
        // A forged (or merely old) cookie under key A, held open by a slow request...
        let cookie = cookie_under(KeyRing::new(a.clone()), format);
        let mut running = shared.load(Some(&cookie), now());
        assert_eq!(running.key_index(), Some(0), "{format}");
        running.insert("role", "root").unwrap();
        let mut fresh = shared.load(None, now());
        fresh.insert("n", 1).unwrap();
        // ...while A is removed (it was compromised).
        shared.replace_keys(KeyRing::new(b.clone())).unwrap();

        assert_eq!(
            shared.finish(&running, now()),
            Ok(None),
            "{format}: re-signed under B"
        );
        // Also when it is only re-sent (rotation, reissue) rather than changed.
        let mut touched = running.clone();
        touched.mark_changed();
        assert_eq!(shared.finish(&touched, now()), Ok(None), "{format}");
        assert_eq!(shared.stats().writes_refused_for_removed_key, 2, "{format}");
        // A session that had no cookie is written under B.
        let value = shared.finish(&fresh, now()).unwrap().unwrap();
        let only_b = factory(KeyRing::new(b.clone()), format);
        assert_eq!(only_b.verify(value.value(), now()).unwrap().key_index, 0);
        // The next request with the old cookie starts a new session.
        assert!(shared.load(Some(&cookie), now()).is_new(), "{format}");
    }
}

#[test]
fn a_demoted_key_keeps_working_for_requests_already_running() {
    for format in formats() {
        let (a, b) = (secret(200), secret(201));
        let shared = factory(KeyRing::new(a.clone()), format);
        let cookie = cookie_under(KeyRing::new(a.clone()), format);
        let mut running = shared.load(Some(&cookie), now());
        running.insert("n", 2).unwrap();
        // A is demoted to verify-only, given anew as a reload from a file would (equal
        // secrets, other objects): the same key.
        let a_again = Secret::from_text(format!("hot-reload test secret number {:08}", 200));
        shared
            .replace_keys(KeyRing::new(b.clone()).with_verify_only(a_again))
            .unwrap();
        let value = shared.finish(&running, now()).unwrap().expect("re-issued");
        let only_b = factory(KeyRing::new(b.clone()), format);
        assert_eq!(
            only_b.verify(value.value(), now()).unwrap().key_index,
            0,
            "{format}: not signed by the new primary"
        );
        // A cookie of A loaded after the demotion is rotated to B as usual.
        let rotated = shared.load(Some(&cookie), now());
        assert_eq!(rotated.key_index(), Some(1));
        let value = shared.finish(&rotated, now()).unwrap().expect("rotated");
        assert!(only_b.verify(value.value(), now()).is_ok(), "{format}");
        assert_eq!(shared.stats().writes_refused_for_removed_key, 0);
    }
}

/// Rewrites the file in place, as `cp` or a shell's `>` does: truncate, then write the new
/// contents one byte at a time.
fn write_slowly_in_place(path: &std::path::Path, contents: &str) {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).unwrap();
    for byte in contents.as_bytes() {
        file.write_all(&[*byte]).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_key_file_written_in_place_is_never_loaded_half_way() {
    for format in [
        Format::Signed,
        Format::Pyramid(cookie_session::PyramidHash::Sha256),
    ] {
        let file = KeyFile::new("slow-writer");
        let (old, new) = (secret(300), secret(301));
        file.write(&format!("hot-reload test secret number {:08}\n", 300));
        let shared = factory(KeyRing::from_file(&file.path).unwrap(), format);
        let old_cookie = cookie_under(KeyRing::new(old), format);
        let new_cookie = cookie_under(KeyRing::new(new), format);
        let watcher = shared.watch_key_file(&file.path, Duration::from_millis(1));

        let path = file.path.clone();
        let writer = std::thread::spawn(move || {
            write_slowly_in_place(
                &path,
                &format!("# rotated\nhot-reload test secret number {:08}\n", 301),
            );
        });
        // At every moment the ring is the old one or the new one, never a fragment.
        let in_force = || {
            let old_ring = shared
                .verify(&old_cookie, now())
                .is_ok_and(|v| v.key_index == 0);
            let new_ring = shared
                .verify(&new_cookie, now())
                .is_ok_and(|v| v.key_index == 0);
            assert!(
                old_ring || new_ring,
                "{format}: a partial ring is installed"
            );
            new_ring
        };
        while !writer.is_finished() {
            in_force();
        }
        writer.join().unwrap();
        eventually("the finished file loaded", in_force);
        watcher.stop();
        assert_eq!(
            shared.stats().key_ring_replacements,
            1,
            "{format}: only the finished file is loaded"
        );
    }
}

/// Polls `condition` until it holds; a liveness bound, not a timing assertion.
fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn the_watcher_reloads_a_changed_file_and_stops() {
    let file = KeyFile::new("watch");
    file.write(&file_text(1));
    let factory = factory(KeyRing::from_file(&file.path).unwrap(), Format::Signed);
    let watcher = factory.watch_key_file(&file.path, Duration::from_millis(10));

    file.write(&file_text(2));
    eventually("ring 2 loaded", || {
        factory
            .verify(&cookie_of(2), now())
            .is_ok_and(|v| v.key_index == 0)
    });
    // A broken file is ignored; the next good one is loaded.
    file.write("# emptied by mistake\n");
    file.write(&file_text(3));
    eventually("ring 3 loaded", || {
        factory
            .verify(&cookie_of(3), now())
            .is_ok_and(|v| v.key_index == 0)
    });
    assert_eq!(
        factory.verify(&cookie_of(1), now()),
        Err(DecodeError::UnknownKey)
    );
    watcher.stop();

    // Stopped: later changes are not picked up, however long one waits.
    file.write(&file_text(5));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        factory.verify(&cookie_of(5), now()),
        Err(DecodeError::UnknownKey)
    );
}

#[test]
fn stopping_does_not_wait_for_the_interval() {
    let file = KeyFile::new("stop");
    file.write(&file_text(1));
    let factory = factory(ring(1), Format::Signed);
    // An hour-long interval: `stop` returns only because the thread is woken at once.
    let watcher = factory.watch_key_file(&file.path, Duration::from_secs(3600));
    watcher.stop();
    let dropped = factory.watch_key_file(&file.path, Duration::from_secs(3600));
    drop(dropped);
}

#[test]
fn fallback_verifications_are_counted_and_reported() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook_seen = Arc::clone(&seen);
    let factory = CookieSessionFactory::builder(ring(2).with_verify_only(secret(0)))
        .timeout(Duration::from_secs(60))
        .reissue_time(Duration::from_secs(10))
        .on_fallback_key(move |index| hook_seen.lock().unwrap().push(index))
        .build()
        .unwrap();
    assert_eq!(factory.stats(), Default::default());

    let primary = factory.load(Some(&cookie_of(2)), now());
    assert_eq!(primary.key_index(), Some(0));
    let newest_old = factory.load(Some(&cookie_of(1)), now());
    assert_eq!(newest_old.key_index(), Some(1));
    let oldest = factory.load(Some(&cookie_of(0)), now());
    assert_eq!(oldest.key_index(), Some(2));
    // An expired cookie under an old key is no reason to keep that key: not counted.
    let expired = factory.load(Some(&cookie_of(1)), now().plus(Duration::from_secs(61)));
    assert_eq!(expired.load_error(), Some(DecodeError::Expired));
    // Nor is a diagnostic `verify`.
    assert_eq!(factory.verify(&cookie_of(1), now()).unwrap().key_index, 1);

    assert_eq!(*seen.lock().unwrap(), vec![1, 2]);
    assert_eq!(factory.stats().fallback_verifications, 2);
    assert_eq!(factory.stats().reissued_for_rotation, 0);

    // Re-issues are counted when they are written; a changed session is written anyway.
    assert!(factory.finish(&primary, now()).unwrap().is_none());
    factory.finish(&newest_old, now()).unwrap().unwrap();
    let mut changed = oldest;
    changed.insert("x", 1).unwrap();
    factory.finish(&changed, now()).unwrap().unwrap();
    let stats = factory.stats();
    assert_eq!(stats.reissued_for_rotation, 1);
    assert_eq!(stats.fallback_verifications, 2);
}

#[test]
fn a_session_finished_by_another_factory_is_checked_against_that_factorys_ring() {
    let cookie = cookie_under(KeyRing::new(secret(400)), Format::Signed);
    let loader = factory(KeyRing::new(secret(400)), Format::Signed);
    let mut session = loader.load(Some(&cookie), now());
    session.insert("n", 1).unwrap();
    let without_the_key = factory(KeyRing::new(secret(401)), Format::Signed);
    assert_eq!(without_the_key.finish(&session, now()), Ok(None));
    let with_the_key = factory(
        KeyRing::new(secret(402)).with_verify_only(secret(400)),
        Format::Signed,
    );
    assert!(with_the_key.finish(&session, now()).unwrap().is_some());
}
