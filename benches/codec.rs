//! Wall-time benchmarks of the codec, each beside its cryptographic floor and its peer, in the
//! same criterion group so that every figure is a ratio from one run.
//!
//! ```sh
//! cargo bench --bench codec --features encryption            # everything
//! cargo bench --bench codec --features encryption -- load    # only the load groups
//! ```
//!
//! Groups (one per operation, format and size):
//! * `load <format> <size>`: `cookie-session` (`CookieSessionFactory::load`),
//!   `cookie-session verify` (`CookieSessionFactory::verify`), `floor`, and for the native formats
//!   the `cookie` crate's jar;
//! * `finish <format> <size>`: `cookie-session` (`CookieSessionFactory::finish`, the whole
//!   `Set-Cookie` value), `floor`, the `cookie` crate's jar;
//! * `lazy`: a request whose handler never touches the session vs one that reads it;
//! * `aead fixed cost` (with `encryption`): where XChaCha20-Poly1305's fixed cost goes;
//! * `load|finish pyramid-legacy <size>`: Pyramid 1.x's pickle format beside Pyramid 2's.
//!
//! `scripts/bench-all.sh` runs this and turns criterion's estimates into `BENCHMARKS.md`'s
//! tables and chart.

use std::hint::black_box;
use std::time::Duration;

use cookie_session::{LazySession, ResponseFacts};
use criterion::{Criterion, criterion_group, criterion_main};

mod common;

/// A plain 200 response, as the adapters describe it to the session.
const OK: ResponseFacts = ResponseFacts {
    status: 200,
    has_cache_control: false,
};

use common::{Case, CookieJarPeer, Size, Wire};

fn codec(c: &mut Criterion) {
    for &wire in Wire::ALL {
        for size in Size::ALL {
            let case = Case::new(wire, size);
            // The cookie crate's jar is the peer of the native formats only: Pyramid's and
            // Flask's peers are the Python frameworks themselves.
            let peer = match wire {
                Wire::Signed => Some(CookieJarPeer::new(false, size)),
                #[cfg(feature = "encryption")]
                Wire::Encrypted => Some(CookieJarPeer::new(true, size)),
                #[cfg(feature = "encryption")]
                Wire::XChaCha => None,
                Wire::Pyramid | Wire::Django | Wire::Flask => None,
            };

            let mut group = c.benchmark_group(format!("load {} {}", wire.name(), size.name()));
            group.bench_function("cookie-session", |b| b.iter(|| black_box(case.load())));
            group.bench_function("cookie-session verify", |b| {
                b.iter(|| black_box(case.factory.verify(black_box(&case.cookie), common::now())))
            });
            group.bench_function("floor", |b| b.iter(|| black_box(case.floor_load())));
            if let Some(peer) = &peer {
                group.bench_function(peer.name(), |b| b.iter(|| black_box(peer.load())));
            }
            group.finish();

            let mut group = c.benchmark_group(format!("finish {} {}", wire.name(), size.name()));
            group.bench_function("cookie-session", |b| b.iter(|| black_box(case.finish())));
            group.bench_function("floor", |b| b.iter(|| black_box(case.floor_finish())));
            if let Some(peer) = &peer {
                group.bench_function(peer.name(), |b| b.iter(|| black_box(peer.finish())));
            }
            group.finish();
        }
    }
}

/// A handler that never touches the session must cost no decode: compare a request that only
/// carries the cookie with one that reads it.
fn lazy(c: &mut Criterion) {
    let case = Case::new(Wire::Signed, Size::Small);
    let header = format!("theme=dark; session={}", case.cookie);
    let mut group = c.benchmark_group("lazy");
    group.bench_function("untouched", |b| {
        b.iter(|| {
            let session = LazySession::new(case.factory.clone(), [header.as_bytes()]);
            black_box(session.after_response(OK))
        })
    });
    group.bench_function("read", |b| {
        b.iter(|| {
            let session = LazySession::new(case.factory.clone(), [header.as_bytes()]);
            black_box(session.get::<u64>("user_id").expect("a number"));
            black_box(session.after_response(OK))
        })
    });
    group.finish();
}

/// Where the encrypted suite's fixed cost goes: the AEAD alone on a small message, the same
/// cipher without the extended nonce (no HChaCha20), the nonce from the OS, and AES-256-GCM.
#[cfg(feature = "encryption")]
fn aead_fixed_cost(c: &mut Criterion) {
    use chacha20poly1305::{
        AeadInOut, ChaCha20Poly1305, KeyInit, Nonce, XChaCha20Poly1305, XNonce,
    };
    let message = serde_json::to_vec(&common::small_state()).expect("serializes");
    let key = [7u8; 32];
    let xchacha = XChaCha20Poly1305::new_from_slice(&key).expect("32 bytes");
    let chacha = ChaCha20Poly1305::new_from_slice(&key).expect("32 bytes");
    let mut group = c.benchmark_group("aead fixed cost");
    group.bench_function("XChaCha20-Poly1305 seal 150 B", |b| {
        let mut buffer = message.clone();
        b.iter(|| {
            let nonce = XNonce::from([1u8; 24]);
            xchacha
                .encrypt_inout_detached(&nonce, &[], buffer.as_mut_slice().into())
                .expect("small")
        })
    });
    group.bench_function("XChaCha20-Poly1305 seal 0 B", |b| {
        b.iter(|| {
            let nonce = XNonce::from([1u8; 24]);
            xchacha
                .encrypt_inout_detached(&nonce, &[], (&mut [0u8; 0][..]).into())
                .expect("small")
        })
    });
    group.bench_function("ChaCha20-Poly1305 seal 150 B", |b| {
        let mut buffer = message.clone();
        b.iter(|| {
            let nonce = Nonce::from([1u8; 12]);
            chacha
                .encrypt_inout_detached(&nonce, &[], buffer.as_mut_slice().into())
                .expect("small")
        })
    });
    group.bench_function("getrandom 24 B", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 24];
            getrandom::fill(&mut nonce).expect("the OS generator works");
            black_box(nonce)
        })
    });
    group.bench_function("XAES-256-GCM seal 150 B", |b| {
        let cipher = xaes_256_gcm::Xaes256Gcm::new_from_slice(&key).expect("32 bytes");
        let mut buffer = message.clone();
        b.iter(|| {
            let nonce = xaes_256_gcm::Nonce::from([1u8; 24]);
            cipher
                .encrypt_inout_detached(&nonce, &[], buffer.as_mut_slice().into())
                .expect("small")
        })
    });
    group.bench_function("AES-256-GCM seal 150 B", |b| {
        use aes_gcm::aead::{AeadInPlace, KeyInit as _};
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(&key).expect("32 bytes");
        let mut buffer = message.clone();
        b.iter(|| {
            let nonce = aes_gcm::Nonce::from_slice(&[1u8; 12]);
            cipher
                .encrypt_in_place_detached(nonce, &[], &mut buffer)
                .expect("small")
        })
    });
    group.finish();
}

#[cfg(not(feature = "encryption"))]
fn aead_fixed_cost(_: &mut Criterion) {}

/// Pyramid 1.x (`pyramid-legacy`: HMAC-SHA1 hex + base64 pickle) beside Pyramid 2
/// (HMAC-SHA512 + JSON), in one group per operation and size, so each figure is a ratio from
/// the same run.
fn pyramid_legacy(c: &mut Criterion) {
    for size in Size::ALL {
        let pyramid = Case::new(Wire::Pyramid, size);
        let legacy = cookie_session::CookieSessionFactory::builder(
            cookie_session::Secret::from_text(common::PYRAMID_SECRET),
        )
        .pyramid_legacy()
        .build()
        .expect("a valid configuration");
        let mut fresh = legacy.load(None, common::now());
        *fresh.state_mut() = pyramid.state.clone().into();
        let cookie = legacy
            .finish(&fresh, common::now())
            .expect("fits")
            .expect("changed")
            .value()
            .to_owned();
        let mut changed = legacy.load(Some(&cookie), common::now());
        assert_eq!(changed.state(), &pyramid.state, "the legacy cookie loads");
        changed.mark_changed();

        let mut group = c.benchmark_group(format!("load pyramid-legacy {}", size.name()));
        group.bench_function("pyramid-legacy", |b| {
            b.iter(|| black_box(legacy.load(Some(black_box(&cookie)), common::now())))
        });
        group.bench_function("pyramid", |b| b.iter(|| black_box(pyramid.load())));
        group.finish();

        let mut group = c.benchmark_group(format!("finish pyramid-legacy {}", size.name()));
        group.bench_function("pyramid-legacy", |b| {
            b.iter(|| {
                black_box(
                    legacy
                        .finish(black_box(&changed), common::now())
                        .expect("fits")
                        .expect("changed"),
                )
            })
        });
        group.bench_function("pyramid", |b| b.iter(|| black_box(pyramid.finish())));
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // Short runs: the whole file stays within a few minutes on a shared 2-core machine. The
    // figures that matter are ratios within a group, measured back to back.
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40);
    targets = codec, lazy, aead_fixed_cost, pyramid_legacy
}
criterion_main!(benches);
