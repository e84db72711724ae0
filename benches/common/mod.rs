//! What every benchmark shares: the two session payloads, the factories under test, the
//! cryptographic floor written directly against the crypto crates, and the `cookie` crate's jars
//! (the peer), all on the same bytes.
//!
//! Each bench binary includes this module and uses only part of it.
#![allow(dead_code)]

pub mod ops;
#[path = "payload.rs"]
pub mod payload;

use base64::Engine as _;
use base64::engine::Simd;
use base64::engine::general_purpose::NO_PAD;
use cookie_session::{
    CookieSessionFactory, DjangoHash, Format, ManualClock, PyramidHash, Secret, Session, UnixTime,
};
use hmac::{Hmac, KeyInit, Mac};
use payload::Spelling;
use serde_json::{Map, Value};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

/// Unpadded base64url on the `base64` crate's fastest engine for this CPU (its SIMD one, which
/// the library uses too): a floor as tight as the crates allow.
static URL_SAFE_NO_PAD: std::sync::LazyLock<Simd> =
    std::sync::LazyLock::new(|| Simd::url_safe(NO_PAD));

/// The fixed "now" of every benchmark: cookies are issued and read at the same second, so no
/// time rule (timeout, reissue) interferes.
pub const NOW_SECS: i64 = 1_700_000_000;

pub fn now() -> UnixTime {
    UnixTime::from_secs(NOW_SECS as u64)
}

/// 64 fixed bytes: the master secret of the native factories and the `cookie` crate's key.
pub const MASTER: [u8; 64] = [0x5a; 64];
/// The Pyramid secret (text, as Pyramid applications configure it).
pub const PYRAMID_SECRET: &str = "a Pyramid secret of sixty-four characters for the benchmark run";
/// The Django `SECRET_KEY` (text, 50 characters as `startproject` makes them).
pub const DJANGO_SECRET: &str = "django-insecure-benchmark-0123456789abcdefghijklmn";
/// The Flask `SECRET_KEY` (text, as Flask applications configure it).
pub const FLASK_SECRET: &str = "a Flask SECRET_KEY of forty-four characters!";

/// A typical logged-in session, 139 bytes of JSON: a user id, a name, two roles and a CSRF
/// token (40 lowercase hex characters, as `Session::new_csrf_token` makes them).
pub fn small_state() -> Map<String, Value> {
    parse(&payload::small(Spelling::Compact))
}

/// A large session, about 2 KB of JSON: the small one plus a list of recently viewed items and
/// some preferences, the kind of state that grows in a cookie session.
pub fn large_state() -> Map<String, Value> {
    parse(&payload::large(Spelling::Compact))
}

fn parse(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).expect("the payloads are JSON objects")
}

/// The payload sizes: the two fixtures, and the sweep's exact sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Small,
    Large,
    /// Exactly this many bytes of compact JSON (see `payload::sweep`).
    Sweep(usize),
}

impl Size {
    pub const ALL: [Size; 2] = [Size::Small, Size::Large];

    pub fn name(self) -> String {
        match self {
            Self::Small => "small".into(),
            Self::Large => "large".into(),
            Self::Sweep(size) => payload::sweep_name(size),
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "small" => Some(Self::Small),
            "large" => Some(Self::Large),
            _ => payload::parse_sweep_name(name).map(Self::Sweep),
        }
    }

    pub fn sweep() -> impl Iterator<Item = Size> {
        payload::SWEEP.into_iter().map(Self::Sweep)
    }

    pub fn state(self) -> Map<String, Value> {
        match self {
            Self::Small => small_state(),
            Self::Large => large_state(),
            Self::Sweep(size) => parse(&payload::sweep_compact(size)),
        }
    }
}

/// The wire formats measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Signed,
    /// `Format::Encrypted`: XAES-256-GCM.
    #[cfg(feature = "encryption")]
    Encrypted,
    /// `Format::EncryptedXChaCha`: XChaCha20-Poly1305.
    #[cfg(feature = "encryption")]
    XChaCha,
    Pyramid,
    Django,
    Flask,
}

impl Wire {
    pub const ALL: &'static [Wire] = &[
        Wire::Signed,
        #[cfg(feature = "encryption")]
        Wire::Encrypted,
        #[cfg(feature = "encryption")]
        Wire::XChaCha,
        Wire::Pyramid,
        Wire::Django,
        Wire::Flask,
    ];

    /// Whether the `cookie` crate's jar is this format's peer (the native formats only; the
    /// Python formats' peers are the Python frameworks themselves).
    pub fn has_cookie_jar_peer(self) -> bool {
        // XChaCha20-Poly1305's peer would be the same AES-GCM jar as XAES-256-GCM's.
        !matches!(self, Self::Pyramid | Self::Django | Self::Flask) && self.name() != "xchacha"
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Signed => "signed",
            #[cfg(feature = "encryption")]
            Self::Encrypted => "encrypted",
            #[cfg(feature = "encryption")]
            Self::XChaCha => "xchacha",
            Self::Pyramid => "pyramid",
            Self::Django => "django",
            Self::Flask => "flask",
        }
    }

    /// A factory with every default except the format, the secret (fixed for repeatability) and
    /// the clock, which stands at [`NOW_SECS`] for the code paths that read it (`LazySession`).
    pub fn factory(self) -> CookieSessionFactory {
        let clock = ManualClock::new(now());
        // 3 KB of state is over a browser's 4 KB cookie once encoded; the sweep goes there anyway
        // (issue 12), so the benchmark factories allow more.
        let built = match self {
            Self::Signed => CookieSessionFactory::builder(Secret::from_bytes(MASTER.to_vec()))
                .format(Format::Signed)
                .clock(clock)
                .size_limit(BENCH_SIZE_LIMIT)
                .build(),
            #[cfg(feature = "encryption")]
            Self::Encrypted => CookieSessionFactory::builder(Secret::from_bytes(MASTER.to_vec()))
                .format(Format::Encrypted)
                .clock(clock)
                .size_limit(BENCH_SIZE_LIMIT)
                .build(),
            #[cfg(feature = "encryption")]
            Self::XChaCha => CookieSessionFactory::builder(Secret::from_bytes(MASTER.to_vec()))
                .format(Format::EncryptedXChaCha)
                .clock(clock)
                .size_limit(BENCH_SIZE_LIMIT)
                .build(),
            Self::Pyramid => CookieSessionFactory::builder(Secret::from_text(PYRAMID_SECRET))
                .format(Format::Pyramid(PyramidHash::Sha512))
                .clock(clock)
                .size_limit(BENCH_SIZE_LIMIT)
                .build(),
            Self::Django => CookieSessionFactory::builder(Secret::from_text(DJANGO_SECRET))
                .django(DjangoHash::Sha256)
                .clock(clock.clone())
                .build(),
            Self::Flask => CookieSessionFactory::builder(Secret::from_text(FLASK_SECRET))
                .flask()
                .clock(clock)
                .build(),
        };
        built.expect("the benchmark configuration is valid")
    }
}

/// Room for the sweep's 3 KB state in every format.
const BENCH_SIZE_LIMIT: usize = 8192;

/// One format and one payload, with everything each operation needs prepared outside the
/// measured loop.
pub struct Case {
    pub wire: Wire,
    pub size: Size,
    pub factory: CookieSessionFactory,
    pub state: Map<String, Value>,
    /// A cookie value this factory issued for `state`.
    pub cookie: String,
    /// A loaded session holding `state`, marked changed, so that `finish` must write it (every
    /// value untouched).
    pub changed: Session,
    /// A loaded session holding `state` with one key set by the handler (`user_id`).
    pub one_changed: Session,
    pub floor: Floor,
    /// The floor's own cookie for `state` (for Pyramid: the same as `cookie`).
    pub floor_cookie: String,
}

impl Case {
    pub fn new(wire: Wire, size: Size) -> Self {
        let factory = wire.factory();
        let state = size.state();
        let mut fresh = factory.load(None, now());
        *fresh.state_mut() = state.clone().into();
        let cookie = factory
            .finish(&fresh, now())
            .expect("the payload fits a cookie")
            .expect("a changed session is written")
            .value()
            .to_owned();
        let mut changed = factory.load(Some(&cookie), now());
        assert!(!changed.is_new(), "{wire:?} {size:?}: the cookie must load");
        changed.mark_changed();
        let mut one_changed = factory.load(Some(&cookie), now());
        one_changed.insert(ONE_KEY, 1_234_567u64).expect("a number");
        let floor = Floor::new(wire);
        let floor_cookie = match wire {
            Wire::Pyramid => cookie.clone(),
            _ => floor.seal(&state),
        };
        let case = Self {
            wire,
            size,
            factory,
            state,
            cookie,
            changed,
            one_changed,
            floor,
            floor_cookie,
        };
        case.self_check();
        case
    }

    pub fn id(&self) -> String {
        format!("{}/{}", self.wire.name(), self.size.name())
    }

    /// Ours: decode + verify + parse, through the public API, as an adapter calls it.
    pub fn load(&self) -> Session {
        self.factory.load(Some(&self.cookie), now())
    }

    /// Ours: serialize + sign (or encrypt) + the `Set-Cookie` header value.
    pub fn finish(&self) -> String {
        self.factory
            .finish(&self.changed, now())
            .expect("fits")
            .expect("changed")
            .into_string()
    }

    /// Ours: a load, then the handler reads one key (`user_id`, absent from the empty state).
    pub fn load_get(&self) -> Option<u64> {
        self.load().get::<u64>(ONE_KEY).expect("a number")
    }

    /// Ours: the `Set-Cookie` value of a loaded session where the handler set one key.
    pub fn finish_one(&self) -> String {
        self.factory
            .finish(&self.one_changed, now())
            .expect("fits")
            .expect("changed")
            .into_string()
    }

    pub fn floor_load(&self) -> Map<String, Value> {
        self.floor
            .open(&self.floor_cookie)
            .expect("the floor's own cookie opens")
    }

    pub fn floor_finish(&self) -> String {
        self.floor.seal(&self.state)
    }

    /// The measurements must be of real work: each path recovers the same state (as maps: Flask
    /// sorts the keys it writes).
    fn self_check(&self) {
        assert_eq!(self.load().state().to_map(), self.state, "{}", self.id());
        assert_eq!(self.floor_load(), self.state, "{} floor", self.id());
        let issued = self.finish();
        let value = issued
            .split_once('=')
            .and_then(|(_, rest)| rest.split(';').next())
            .expect("name=value; attributes");
        assert_eq!(
            self.factory.load(Some(value), now()).state().to_map(),
            self.state,
            "{} finish",
            self.id()
        );
        let sealed = self.floor_finish();
        if self.wire != Wire::Pyramid {
            assert_eq!(
                self.floor.open(&sealed).expect("opens"),
                self.state,
                "{}",
                self.id()
            );
        }
    }
}

/// The key `load_get` reads and `one_changed` sets.
pub const ONE_KEY: &str = "user_id";

/// The cryptographic floor: only base64url + one pre-keyed MAC (or the AEAD) + `serde_json`,
/// written directly against the crypto crates, with no format, no header, no time rules.
///
/// * signed: `b64url(json ‖ HMAC-SHA256(json))`;
/// * Pyramid: `b64url(HMAC-SHA512(salt ‖ secret, payload) ‖ payload)`, which *is* Pyramid's
///   format, so the floor reads the same cookie ours reads; its writer is `serde_json`'s compact
///   one rather than Python's `json.dumps` spelling;
/// * encrypted: `b64url(nonce(24) ‖ AEAD(json) ‖ tag(16))`, no associated data, with the
///   wire's cipher (XAES-256-GCM or XChaCha20-Poly1305);
/// * Django: `b64url(json) ':' base62(now) ':' b64url(HMAC-SHA256(key, b64url(json) ':' stamp))`,
///   the key derived once as Django does (`SHA-256(salt ‖ "signer" ‖ secret)`): Django's format
///   without its compression, written with `serde_json`'s compact spelling.
/// * Flask: `b64url(json) "." b64url(timestamp) "." b64url(HMAC-SHA1(derived key, ...))` with
///   the derived key computed once, `serde_json`'s unsorted compact JSON and never compressed,
///   so the floor of the large session skips the zlib work Flask's format requires.
pub enum Floor {
    Signed(Hmac<Sha256>),
    Pyramid(Hmac<Sha512>),
    Django(Hmac<Sha256>),
    Flask(Hmac<Sha1>),
    // Boxed: the AES key schedule makes this variant several times the others' size.
    #[cfg(feature = "encryption")]
    Encrypted(Box<xaes_256_gcm::Xaes256Gcm>),
    #[cfg(feature = "encryption")]
    XChaCha(chacha20poly1305::XChaCha20Poly1305),
}

const SHA256_LEN: usize = 32;
const SHA512_LEN: usize = 64;

impl Floor {
    pub fn new(wire: Wire) -> Self {
        match wire {
            Wire::Signed => {
                Self::Signed(Hmac::<Sha256>::new_from_slice(&MASTER[..32]).expect("any key length"))
            }
            Wire::Pyramid => {
                let key = [b"pyramid.session.".as_slice(), PYRAMID_SECRET.as_bytes()].concat();
                Self::Pyramid(Hmac::<Sha512>::new_from_slice(&key).expect("any key length"))
            }
            Wire::Django => {
                use sha2::Digest as _;
                let salt = "django.contrib.sessions.backends.signed_cookies";
                let key = Sha256::digest([salt, "signer", DJANGO_SECRET].concat());
                Self::Django(Hmac::<Sha256>::new_from_slice(&key).expect("any key length"))
            }
            Wire::Flask => {
                let mut derive =
                    Hmac::<Sha1>::new_from_slice(FLASK_SECRET.as_bytes()).expect("any key length");
                derive.update(b"cookie-session");
                let key = derive.finalize().into_bytes();
                Self::Flask(Hmac::<Sha1>::new_from_slice(&key).expect("any key length"))
            }
            #[cfg(feature = "encryption")]
            Wire::Encrypted => Self::Encrypted(Box::new(
                <xaes_256_gcm::Xaes256Gcm as chacha20poly1305::KeyInit>::new_from_slice(
                    &MASTER[..32],
                )
                .expect("32-byte key"),
            )),
            #[cfg(feature = "encryption")]
            Wire::XChaCha => Self::XChaCha(
                <chacha20poly1305::XChaCha20Poly1305 as chacha20poly1305::KeyInit>::new_from_slice(
                    &MASTER[..32],
                )
                .expect("32-byte key"),
            ),
        }
    }

    /// Decode, verify (or decrypt), parse. `None` for a cookie that does not verify.
    pub fn open(&self, value: &str) -> Option<Map<String, Value>> {
        if let Self::Django(keyed) = self {
            let (message, signature) = value.rsplit_once(':')?;
            let (payload, _stamp) = message.rsplit_once(':')?;
            let mut mac = keyed.clone();
            mac.update(message.as_bytes());
            mac.verify_slice(&URL_SAFE_NO_PAD.decode(signature).ok()?)
                .ok()?;
            return serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok();
        }
        if let Self::Flask(keyed) = self {
            let (signed, signature) = value.rsplit_once('.')?;
            let (payload, _timestamp) = signed.rsplit_once('.')?;
            let mut mac = keyed.clone();
            mac.update(signed.as_bytes());
            mac.verify_slice(&URL_SAFE_NO_PAD.decode(signature).ok()?)
                .ok()?;
            return serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok();
        }
        let raw = URL_SAFE_NO_PAD.decode(value).ok()?;
        match self {
            Self::Signed(keyed) => {
                let body_len = raw.len().checked_sub(SHA256_LEN)?;
                let (body, tag) = raw.split_at(body_len);
                let mut mac = keyed.clone();
                mac.update(body);
                mac.verify_slice(tag).ok()?;
                serde_json::from_slice(body).ok()
            }
            Self::Pyramid(keyed) => {
                if raw.len() <= SHA512_LEN {
                    return None;
                }
                let (tag, payload) = raw.split_at(SHA512_LEN);
                let mut mac = keyed.clone();
                mac.update(payload);
                mac.verify_slice(tag).ok()?;
                let (_accessed, _created, state): (f64, f64, Map<String, Value>) =
                    serde_json::from_slice(payload).ok()?;
                Some(state)
            }
            Self::Django(_) => unreachable!("opened above"),
            Self::Flask(_) => unreachable!("a Flask cookie is not one base64url field"),
            #[cfg(feature = "encryption")]
            Self::Encrypted(aead) => aead_open(&**aead, raw),
            #[cfg(feature = "encryption")]
            Self::XChaCha(aead) => aead_open(aead, raw),
        }
    }

    /// Serialize, sign (or encrypt with a fresh random nonce), encode.
    pub fn seal(&self, state: &Map<String, Value>) -> String {
        match self {
            Self::Signed(keyed) => {
                let mut raw = serde_json::to_vec(state).expect("a map serializes");
                let mut mac = keyed.clone();
                mac.update(&raw);
                raw.extend_from_slice(&mac.finalize().into_bytes());
                URL_SAFE_NO_PAD.encode(&raw)
            }
            Self::Pyramid(keyed) => {
                let payload = serde_json::to_vec(&(NOW_SECS, NOW_SECS as f64, state))
                    .expect("a tuple serializes");
                let mut mac = keyed.clone();
                mac.update(&payload);
                let mut raw = mac.finalize().into_bytes().to_vec();
                raw.extend_from_slice(&payload);
                URL_SAFE_NO_PAD.encode(&raw)
            }
            Self::Django(keyed) => {
                let json = serde_json::to_vec(state).expect("a map serializes");
                // base62(1_700_000_000), Django's stamp for NOW_SECS.
                let mut value = URL_SAFE_NO_PAD.encode(&json) + ":1r31eq";
                let mut mac = keyed.clone();
                mac.update(value.as_bytes());
                value.push(':');
                URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut value);
                value
            }
            Self::Flask(keyed) => {
                let json = serde_json::to_vec(state).expect("a map serializes");
                let stamp = u32::try_from(NOW_SECS).expect("before 2106").to_be_bytes();
                let mut out = URL_SAFE_NO_PAD.encode(&json);
                out.push('.');
                out.push_str(&URL_SAFE_NO_PAD.encode(stamp));
                let mut mac = keyed.clone();
                mac.update(out.as_bytes());
                out.push('.');
                out.push_str(&URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
                out
            }
            #[cfg(feature = "encryption")]
            Self::Encrypted(aead) => aead_seal(&**aead, state),
            #[cfg(feature = "encryption")]
            Self::XChaCha(aead) => aead_seal(aead, state),
        }
    }
}

/// The encrypted floor's read: decode, decrypt in place, parse.
#[cfg(feature = "encryption")]
fn aead_open<C: chacha20poly1305::AeadInOut>(
    aead: &C,
    mut raw: Vec<u8>,
) -> Option<Map<String, Value>> {
    use chacha20poly1305::aead::{Nonce, Tag};
    let tag_at = raw.len().checked_sub(16).filter(|&at| at >= 24)?;
    let (sealed, tag) = raw.split_at_mut(tag_at);
    let (nonce, body) = sealed.split_at_mut(24);
    let nonce = Nonce::<C>::try_from(&*nonce).ok()?;
    let tag = Tag::<C>::try_from(&*tag).ok()?;
    aead.decrypt_inout_detached(&nonce, &[], body.into(), &tag)
        .ok()?;
    serde_json::from_slice(body).ok()
}

/// The encrypted floor's write: a nonce from the OS, serialize, encrypt in place, encode.
#[cfg(feature = "encryption")]
fn aead_seal<C: chacha20poly1305::AeadInOut>(aead: &C, state: &Map<String, Value>) -> String {
    use chacha20poly1305::aead::Nonce;
    let mut raw = vec![0u8; 24];
    getrandom::fill(&mut raw).expect("the OS generator works");
    serde_json::to_writer(&mut raw, state).expect("a map serializes");
    let (nonce, body) = raw.split_at_mut(24);
    let nonce = Nonce::<C>::try_from(&*nonce).expect("24 bytes");
    let tag = aead
        .encrypt_inout_detached(&nonce, &[], body.into())
        .expect("a small message");
    raw.extend_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(&raw)
}

/// The `cookie` crate (0.18), the primitive the Rust peers build on: its `SignedJar`
/// (HMAC-SHA256) for the signed format, its `PrivateJar` (AES-256-GCM) for the encrypted one,
/// with the same `serde_json` serialization and the same cookie attributes as ours. Values are
/// written with `Display` (not percent-encoded): the cheapest way the crate can be used, so the
/// comparison favours the peer.
pub struct CookieJarPeer {
    key: cookie::Key,
    private: bool,
    state: Map<String, Value>,
    /// A value this peer issued for `state`.
    pub value: String,
}

impl CookieJarPeer {
    pub fn new(private: bool, size: Size) -> Self {
        let mut peer = Self {
            key: cookie::Key::from(&MASTER),
            private,
            state: size.state(),
            value: String::new(),
        };
        let header = peer.finish();
        peer.value = header
            .split_once('=')
            .and_then(|(_, rest)| rest.split(';').next())
            .expect("name=value; attributes")
            .to_owned();
        assert_eq!(peer.load(), peer.state, "the peer round-trips");
        peer
    }

    pub fn name(&self) -> &'static str {
        if self.private {
            "cookie PrivateJar"
        } else {
            "cookie SignedJar"
        }
    }

    /// What a request costs the peer: the jar with the request's cookie, verify (or decrypt),
    /// parse the JSON.
    pub fn load(&self) -> Map<String, Value> {
        let mut jar = cookie::CookieJar::new();
        jar.add_original(cookie::Cookie::new("session", self.value.clone()));
        let verified = if self.private {
            jar.private(&self.key).get("session")
        } else {
            jar.signed(&self.key).get("session")
        };
        let verified = verified.expect("the peer's own cookie verifies");
        serde_json::from_str(verified.value()).expect("the peer's own JSON parses")
    }

    /// Serialize, sign (or encrypt), and render the `Set-Cookie` value with our attributes.
    pub fn finish(&self) -> String {
        let json = serde_json::to_string(&self.state).expect("a map serializes");
        let built = cookie::Cookie::build(("session", json))
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(true)
            .path("/");
        let mut jar = cookie::CookieJar::new();
        if self.private {
            jar.private_mut(&self.key).add(built);
        } else {
            jar.signed_mut(&self.key).add(built);
        }
        jar.delta()
            .next()
            .expect("one cookie was added")
            .to_string()
    }
}
