//! The independent floor: what a signed cookie and a Pyramid cookie cost with nothing but the
//! crypto crates and `serde_json` (default features: a `BTreeMap` object, the fast float parser),
//! every buffer allocated once at its final size. Run by `scripts/callgrind.sh` like the library's
//! `instructions` driver: `floor OPERATION COUNT`, `floor --list`.
//!
//! * signed: `b64url(json ‖ HMAC-SHA256(json))`, the key absorbed once (each message clones it);
//! * envelope: the same with everything the native envelope must also do, and nothing else:
//!   `b64url(header(22) ‖ json ‖ HMAC-SHA256(header ‖ json))`, the 22-byte header standing for
//!   the suite, key id, flags and the two timestamps the library authenticates, and finish
//!   writing the whole `Set-Cookie` value (`session=…; attributes`) into one buffer. This is the
//!   floor of the wire format itself: the same bytes hashed, base64-encoded and written;
//! * Pyramid: `b64url(HMAC-SHA512(payload) ‖ payload)` with `payload = [accessed, created,
//!   {state}]` in Python's spelling, as Pyramid and the library write it; `serde_json` writes its
//!   compact spelling (a few bytes shorter, so the floor hashes and encodes less than ours).
//!
//! The states are the library benches' own (`benches/common/payload.rs`, included below), so an
//! operation here and the library's operation of the same name read the same JSON text.

use std::hint::black_box;
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::Simd;
use base64::engine::general_purpose::NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::{Sha256, Sha512};

#[path = "../../benches/common/payload.rs"]
mod payload;
use payload::Spelling;

/// Unpadded base64url on the `base64` crate's fastest engine for this CPU (its SIMD one, which
/// the library uses too): a floor as tight as the crates allow.
static URL_SAFE_NO_PAD: std::sync::LazyLock<Simd> =
    std::sync::LazyLock::new(|| Simd::url_safe(NO_PAD));

/// Must match benches/common/mod.rs: the timestamps, the native master (the floor keys HMAC with
/// its first 32 bytes, as the in-crate floor does) and the Pyramid secret.
const NOW_SECS: i64 = 1_700_000_000;
const MASTER: [u8; 64] = [0x5a; 64];
const PYRAMID_SECRET: &str = "a Pyramid secret of sixty-four characters for the benchmark run";

const SHA256_LEN: usize = 32;
const SHA512_LEN: usize = 64;

/// A state's JSON text in both spellings, by size name (`small`, `large`, `s0000`…`s3072`).
fn state_text(size: &str) -> Option<(String, String)> {
    match size {
        "small" => Some((
            payload::small(Spelling::Compact),
            payload::small(Spelling::Python),
        )),
        "large" => Some((
            payload::large(Spelling::Compact),
            payload::large(Spelling::Python),
        )),
        _ => payload::parse_sweep_name(size).map(payload::sweep),
    }
}

fn sizes() -> Vec<String> {
    let mut sizes = vec!["small".to_owned(), "large".to_owned()];
    sizes.extend(payload::SWEEP.map(payload::sweep_name));
    sizes
}

/// Every operation's name.
fn names() -> Vec<String> {
    let mut names = Vec::new();
    for wire in ["signed", "envelope", "pyramid"] {
        for size in sizes() {
            for op in ["load", "finish"] {
                names.push(format!("indep-{op}-{wire}-{size}"));
            }
        }
    }
    names
}

/// The native envelope's authenticated header: suite, key id, flags, created, accessed.
fn envelope_header() -> Vec<u8> {
    let mut header = vec![0x01, 0xa1, 0xb2, 0xc3, 0xd4, 0x00];
    header.extend_from_slice(&(NOW_SECS as u64).to_be_bytes());
    header.extend_from_slice(&(NOW_SECS as u64).to_be_bytes());
    header
}

/// What the envelope floor's finish writes around the cookie value (the library's benchmark
/// factory writes `session=` and these attributes).
const SET_COOKIE_NAME: &str = "session=";
const SET_COOKIE_ATTRIBUTES: &str = "; HttpOnly; SameSite=Lax; Secure; Path=/";

struct Signed {
    key: Hmac<Sha256>,
    cookie: String,
    state: Map<String, Value>,
    /// Authenticated bytes before the JSON (empty for the bare signed floor).
    header: Vec<u8>,
    /// Whether finish writes the whole `Set-Cookie` value, name and attributes included.
    set_cookie: bool,
    /// The sealed length of `state`: the finish buffer's exact capacity.
    sealed_len: usize,
}

impl Signed {
    fn new(compact: &str) -> Self {
        Self::framed(compact, Vec::new(), false)
    }

    fn envelope(compact: &str) -> Self {
        Self::framed(compact, envelope_header(), true)
    }

    fn framed(compact: &str, header: Vec<u8>, set_cookie: bool) -> Self {
        let key = Hmac::<Sha256>::new_from_slice(&MASTER[..32]).expect("any key length");
        let state: Map<String, Value> = serde_json::from_str(compact).expect("an object");
        let mut signed = Self {
            key,
            cookie: String::new(),
            sealed_len: header.len() + compact.len() + SHA256_LEN,
            header,
            set_cookie: false,
            state,
        };
        signed.cookie = signed.finish();
        signed.set_cookie = set_cookie;
        assert_eq!(signed.load().as_ref(), Some(&signed.state), "round trip");
        signed
    }

    fn load(&self) -> Option<Map<String, Value>> {
        let mut raw = Vec::with_capacity(self.cookie.len() * 3 / 4 + 1);
        URL_SAFE_NO_PAD.decode_vec(&self.cookie, &mut raw).ok()?;
        let (signed, tag) = raw.split_at(raw.len().checked_sub(SHA256_LEN)?);
        let mut mac = self.key.clone();
        mac.update(signed);
        mac.verify_slice(tag).ok()?;
        let header = signed.get(..self.header.len())?;
        if header != self.header.as_slice() {
            return None;
        }
        serde_json::from_slice(&signed[self.header.len()..]).ok()
    }

    fn finish(&self) -> String {
        let mut raw = Vec::with_capacity(self.sealed_len);
        raw.extend_from_slice(&self.header);
        serde_json::to_writer(&mut raw, &self.state).expect("a map serializes");
        let mut mac = self.key.clone();
        mac.update(&raw);
        raw.extend_from_slice(&mac.finalize().into_bytes());
        let value_len = base64::encoded_len(raw.len(), false).unwrap_or(0);
        if !self.set_cookie {
            let mut out = String::with_capacity(value_len);
            URL_SAFE_NO_PAD.encode_string(&raw, &mut out);
            return out;
        }
        let mut out =
            String::with_capacity(SET_COOKIE_NAME.len() + value_len + SET_COOKIE_ATTRIBUTES.len());
        out.push_str(SET_COOKIE_NAME);
        URL_SAFE_NO_PAD.encode_string(&raw, &mut out);
        out.push_str(SET_COOKIE_ATTRIBUTES);
        out
    }
}

struct Pyramid {
    key: Hmac<Sha512>,
    cookie: String,
    state: Map<String, Value>,
    sealed_len: usize,
}

impl Pyramid {
    fn new(compact: &str, python: &str) -> Self {
        let salted = [b"pyramid.session.".as_slice(), PYRAMID_SECRET.as_bytes()].concat();
        let key = Hmac::<Sha512>::new_from_slice(&salted).expect("any key length");
        // The cookie the library reads: Python's spelling, `created` as an integer.
        let payload = format!("[{NOW_SECS}, {NOW_SECS}.0, {python}]");
        let mut mac = key.clone();
        mac.update(payload.as_bytes());
        let mut raw = mac.finalize().into_bytes().to_vec();
        raw.extend_from_slice(payload.as_bytes());
        let pyramid = Self {
            key,
            cookie: URL_SAFE_NO_PAD.encode(&raw),
            state: serde_json::from_str(compact).expect("an object"),
            sealed_len: SHA512_LEN + payload.len(),
        };
        assert_eq!(pyramid.load().as_ref(), Some(&pyramid.state), "reads");
        let written = URL_SAFE_NO_PAD.decode(pyramid.finish()).expect("base64url");
        let mut mac = pyramid.key.clone();
        mac.update(&written[SHA512_LEN..]);
        mac.verify_slice(&written[..SHA512_LEN]).expect("signed");
        pyramid
    }

    fn load(&self) -> Option<Map<String, Value>> {
        let mut raw = Vec::with_capacity(self.cookie.len() * 3 / 4 + 1);
        URL_SAFE_NO_PAD.decode_vec(&self.cookie, &mut raw).ok()?;
        if raw.len() <= SHA512_LEN {
            return None;
        }
        let (tag, payload) = raw.split_at(SHA512_LEN);
        let mut mac = self.key.clone();
        mac.update(payload);
        mac.verify_slice(tag).ok()?;
        let (_accessed, _created, state): (f64, f64, Map<String, Value>) =
            serde_json::from_slice(payload).ok()?;
        Some(state)
    }

    fn finish(&self) -> String {
        let mut raw = Vec::with_capacity(self.sealed_len);
        raw.resize(SHA512_LEN, 0);
        serde_json::to_writer(&mut raw, &(NOW_SECS, NOW_SECS as f64, &self.state))
            .expect("a tuple serializes");
        let mut mac = self.key.clone();
        mac.update(&raw[SHA512_LEN..]);
        raw[..SHA512_LEN].copy_from_slice(&mac.finalize().into_bytes());
        let mut out = String::with_capacity(base64::encoded_len(raw.len(), false).unwrap_or(0));
        URL_SAFE_NO_PAD.encode_string(&raw, &mut out);
        out
    }
}

/// The operation called `name`, set up and ready to run.
fn operation(name: &str) -> Option<Box<dyn FnMut()>> {
    let rest = name.strip_prefix("indep-")?;
    let (op, rest) = rest.split_once('-')?;
    let (wire, size) = rest.split_once('-')?;
    let (compact, python) = state_text(size)?;
    Some(match (op, wire) {
        ("load", "signed") => {
            let floor = Signed::new(&compact);
            Box::new(move || {
                black_box(floor.load());
            })
        }
        ("finish", "signed") => {
            let floor = Signed::new(&compact);
            Box::new(move || {
                black_box(floor.finish());
            })
        }
        ("load", "envelope") => {
            let floor = Signed::envelope(&compact);
            Box::new(move || {
                black_box(floor.load());
            })
        }
        ("finish", "envelope") => {
            let floor = Signed::envelope(&compact);
            Box::new(move || {
                black_box(floor.finish());
            })
        }
        ("load", "pyramid") => {
            let floor = Pyramid::new(&compact, &python);
            Box::new(move || {
                black_box(floor.load());
            })
        }
        ("finish", "pyramid") => {
            let floor = Pyramid::new(&compact, &python);
            Box::new(move || {
                black_box(floor.finish());
            })
        }
        _ => return None,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [list] if list == "--list" => {
            names().iter().for_each(|name| println!("{name}"));
            ExitCode::SUCCESS
        }
        [name, count] => {
            let (Some(mut op), Ok(count)) = (operation(name), count.parse::<u64>()) else {
                eprintln!("usage: floor [--list | OPERATION COUNT]; unknown {name:?}");
                return ExitCode::from(2);
            };
            for _ in 0..count {
                op();
            }
            ExitCode::SUCCESS
        }
        [] => {
            // A smoke test: every operation once.
            for name in names() {
                operation(&name).expect("every listed operation exists")();
            }
            println!("floor: {} operations ran once", names().len());
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: floor [--list | OPERATION COUNT]");
            ExitCode::from(2)
        }
    }
}
