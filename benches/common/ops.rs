//! The operations that `instructions` and `allocations` run by name: each is set up outside
//! the measured part and returned as a closure.

use std::hint::black_box;

use cookie_session::{LazySession, ResponseFacts};

/// A plain 200 response, as the adapters describe it to the session.
const OK: ResponseFacts = ResponseFacts {
    status: 200,
    has_cache_control: false,
};

use super::{Case, CookieJarPeer, Size, Wire};

/// Every operation's name.
pub fn names() -> Vec<String> {
    let mut names = Vec::new();
    for &wire in Wire::ALL {
        for size in Size::ALL {
            let (w, s) = (wire.name(), size.name());
            for op in [
                "load",
                "verify",
                "finish",
                "load-get",
                "finish-one",
                "floor-load",
                "floor-finish",
            ] {
                names.push(format!("{op}-{w}-{s}"));
            }
            if wire.has_cookie_jar_peer() {
                names.push(format!("peer-load-{w}-{s}"));
                names.push(format!("peer-finish-{w}-{s}"));
            }
        }
    }
    // The sweep (performance issue 12, lazy values issue 13): the signed and Pyramid formats at
    // every size, against the in-crate `Value` floor (bench-floor/ holds the independent one).
    for wire in [Wire::Signed, Wire::Pyramid] {
        for size in Size::sweep() {
            let (w, s) = (wire.name(), size.name());
            for op in [
                "load",
                "load-get",
                "finish",
                "finish-one",
                "floor-load",
                "floor-finish",
            ] {
                names.push(format!("{op}-{w}-{s}"));
            }
        }
    }
    names.extend([
        "lazy-untouched".into(),
        "lazy-read".into(),
        "load-none".into(),
    ]);
    if cfg!(feature = "encryption") {
        for aead in [
            "xaes-seal-150",
            "xchacha-seal-0",
            "xchacha-seal-150",
            "chacha-seal-150",
            "aesgcm-seal-150",
            "getrandom-24",
        ] {
            names.push(aead.into());
        }
    }
    names
}

/// The operation called `name`, set up and ready to run.
pub fn operation(name: &str) -> Option<Box<dyn FnMut()>> {
    if let Some(op) = lazy_operation(name) {
        return Some(op);
    }
    #[cfg(feature = "encryption")]
    if let Some(op) = aead_operation(name) {
        return Some(op);
    }
    let (op, rest) = name.rsplit_once('-')?;
    let size = Size::from_name(rest)?;
    let (op, wire) = op.rsplit_once('-')?;
    let wire = *Wire::ALL.iter().find(|w| w.name() == wire)?;
    let peer = || CookieJarPeer::new(wire != Wire::Signed, size);
    Some(match op {
        "load" => {
            let case = Case::new(wire, size);
            Box::new(move || {
                black_box(case.load());
            })
        }
        "verify" => {
            let case = Case::new(wire, size);
            Box::new(move || {
                let _ = black_box(case.factory.verify(black_box(&case.cookie), super::now()));
            })
        }
        "finish" => {
            let case = Case::new(wire, size);
            Box::new(move || {
                black_box(case.finish());
            })
        }
        "load-get" => {
            let case = Case::new(wire, size);
            Box::new(move || {
                black_box(case.load_get());
            })
        }
        "finish-one" => {
            let case = Case::new(wire, size);
            Box::new(move || {
                black_box(case.finish_one());
            })
        }
        "floor-load" => {
            let case = Case::new(wire, size);
            Box::new(move || {
                black_box(case.floor_load());
            })
        }
        "floor-finish" => {
            let case = Case::new(wire, size);
            Box::new(move || {
                black_box(case.floor_finish());
            })
        }
        "peer-load" if wire.has_cookie_jar_peer() => {
            let peer = peer();
            Box::new(move || {
                black_box(peer.load());
            })
        }
        "peer-finish" if wire.has_cookie_jar_peer() => {
            let peer = peer();
            Box::new(move || {
                black_box(peer.finish());
            })
        }
        _ => return None,
    })
}

/// The per-request handle: untouched (must cost no decode), read, and a request with no cookie.
fn lazy_operation(name: &str) -> Option<Box<dyn FnMut()>> {
    if !matches!(name, "lazy-untouched" | "lazy-read" | "load-none") {
        return None;
    }
    let case = Case::new(Wire::Signed, Size::Small);
    let header = format!("theme=dark; session={}", case.cookie);
    Some(match name {
        "lazy-untouched" => Box::new(move || {
            let session = LazySession::new(case.factory.clone(), [header.as_bytes()]);
            let _ = black_box(session.after_response(OK));
        }),
        "lazy-read" => Box::new(move || {
            let session = LazySession::new(case.factory.clone(), [header.as_bytes()]);
            let _ = black_box(session.get::<u64>("user_id"));
            let _ = black_box(session.after_response(OK));
        }),
        "load-none" => Box::new(move || {
            black_box(case.factory.load(None, super::now()));
        }),
        _ => return None,
    })
}

#[cfg(feature = "encryption")]
fn aead_operation(name: &str) -> Option<Box<dyn FnMut()>> {
    use chacha20poly1305::{
        AeadInOut, ChaCha20Poly1305, KeyInit, Nonce, XChaCha20Poly1305, XNonce,
    };
    let key = [7u8; 32];
    let mut message = serde_json::to_vec(&super::small_state()).expect("serializes");
    Some(match name {
        "xchacha-seal-0" | "xchacha-seal-150" => {
            let aead = XChaCha20Poly1305::new_from_slice(&key).expect("32 bytes");
            if name.ends_with("-0") {
                message.clear();
            }
            Box::new(move || {
                let nonce = XNonce::from([1u8; 24]);
                let tag = aead.encrypt_inout_detached(&nonce, &[], message.as_mut_slice().into());
                black_box(tag.expect("small"));
            })
        }
        "xaes-seal-150" => {
            let aead = xaes_256_gcm::Xaes256Gcm::new_from_slice(&key).expect("32 bytes");
            Box::new(move || {
                let nonce = xaes_256_gcm::Nonce::from([1u8; 24]);
                let tag = aead.encrypt_inout_detached(&nonce, &[], message.as_mut_slice().into());
                black_box(tag.expect("small"));
            })
        }
        "chacha-seal-150" => {
            let aead = ChaCha20Poly1305::new_from_slice(&key).expect("32 bytes");
            Box::new(move || {
                let nonce = Nonce::from([1u8; 12]);
                let tag = aead.encrypt_inout_detached(&nonce, &[], message.as_mut_slice().into());
                black_box(tag.expect("small"));
            })
        }
        "aesgcm-seal-150" => {
            use aes_gcm::aead::{AeadInPlace, KeyInit as _};
            let aead = aes_gcm::Aes256Gcm::new_from_slice(&key).expect("32 bytes");
            Box::new(move || {
                let nonce = aes_gcm::Nonce::from_slice(&[1u8; 12]);
                let tag = aead.encrypt_in_place_detached(nonce, &[], &mut message);
                black_box(tag.expect("small"));
            })
        }
        "getrandom-24" => Box::new(|| {
            let mut nonce = [0u8; 24];
            getrandom::fill(&mut nonce).expect("the OS generator works");
            black_box(nonce);
        }),
        _ => return None,
    })
}
