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

#[test]
fn a_pyramid_factory_reloads_short_secrets() {
    let file = KeyFile::new("pyramid");
    file.write("seekrit\n");
    let factory = CookieSessionFactory::builder(Secret::from_text("old pyramid secret"))
        .pyramid(cookie_session::PyramidHash::Sha512)
        .build()
        .unwrap();
    factory.reload_keys_from_file(&file.path).unwrap();
    let expected = CookieSessionFactory::builder(Secret::from_text("seekrit"))
        .pyramid(cookie_session::PyramidHash::Sha512)
        .build()
        .unwrap();
    let value = expected
        .encode_value(&serde_json::Map::new(), now(), now())
        .unwrap();
    assert_eq!(factory.verify(&value, now()).unwrap().key_index, 0);
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
