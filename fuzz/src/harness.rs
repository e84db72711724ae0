//! The fuzz targets' logic: fixed key rings and clock, a bounded arbitrary JSON tree, and one
//! entry point per target taking the raw fuzzer input.
//!
//! Shared by the cargo-fuzz binaries and, through `#[path]`, by the library's
//! `tests/fuzz_regressions.rs`. Every entry point panics only when an invariant of the library
//! is broken: a panic inside the library, a cookie that verifies although nobody signed it, a
//! round trip that changes the session, a `Set-Cookie` over the size limit.

use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie_session::{
    CookieSessionFactory, DecodeError, DjangoHash, EncodeError, Format, KeyRing, MIN_SIZE_LIMIT,
    PyramidHash, Salt, Secret, Session, UnixTime, VerifiedCookie,
};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Number, Value};

#[path = "harness_flask.rs"]
mod flask;
pub use flask::{FLASK_OLD_SECRET, FLASK_SECRET, decode_flask, flask_fixture, flask_sign};

/// The fixed "now" of the decode targets and the seeds.
pub const NOW_SECS: u64 = 1_700_000_100;

/// The Pyramid vectors' secret, so their cookies verify in `decode_pyramid`.
pub const PYRAMID_SECRET: &str =
    "visible-secret-6f1c2d9e4b7a8c3d5e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f";
/// The Pyramid round-trip vectors' secret: the Pyramid ring's verify-only key.
pub const PYRAMID_OLD_SECRET: &str =
    "rt-visible-secret-3c9a1b7d0e5f2a8c4b6d1e3f5a7c9b0d2e4f6a8c0b1d3e5f7";
/// Pyramid's default salt: the HMAC key is `PYRAMID_SALT ‖ PYRAMID_SECRET`.
pub const PYRAMID_SALT: &str = "pyramid.session.";

/// The native ring's primary secret (text, so the seeds are readable).
pub const NATIVE_SECRET: &str = "cookie-session fuzz: the native primary secret";
/// The native ring's verify-only secret.
pub const NATIVE_OLD_SECRET: &str = "cookie-session fuzz: a retired native secret";
/// The purpose (native salt) of the decode fixtures.
pub const NATIVE_PURPOSE: &str = "fuzz";

/// Every Pyramid hash.
pub const ALL_HASHES: [PyramidHash; 6] = [
    PyramidHash::Md5,
    PyramidHash::Sha1,
    PyramidHash::Sha224,
    PyramidHash::Sha256,
    PyramidHash::Sha384,
    PyramidHash::Sha512,
];

/// The native signed suite's first byte (a factory reads every suite, whichever it writes).
const SUITE_SIGNED: u8 = 0x01;
/// How many cookies of our name one request may try (documented on
/// `CookieSessionFactory::load_from_cookie_headers`).
const MAX_CANDIDATES: usize = 4;
/// The decode fixtures' absolute lifetime, so the lifetime rule is exercised too.
const DECODE_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// The round-trip fixtures' size limit: large, so that big states still fit.
const ROUNDTRIP_SIZE_LIMIT: usize = 1 << 16;

/// `now` for the decode targets.
#[must_use]
pub fn now() -> UnixTime {
    UnixTime::from_secs(NOW_SECS)
}

/// The native formats of this build: signed, and encrypted with the `encryption` feature.
#[must_use]
pub fn native_formats() -> Vec<Format> {
    #[allow(unused_mut)]
    let mut formats = vec![Format::Signed];
    #[cfg(feature = "encryption")]
    formats.push(Format::Encrypted);
    formats
}

/// Every format of this build.
#[must_use]
pub fn all_formats() -> Vec<Format> {
    let mut formats = native_formats();
    formats.extend(ALL_HASHES.map(Format::Pyramid));
    formats.extend(DJANGO_HASHES.map(Format::Django));
    formats
}

/// A factory with the size limit it was built with (the factory does not expose it).
pub struct Fixture {
    /// The factory.
    pub factory: CookieSessionFactory,
    /// Its size limit.
    pub size_limit: usize,
}

/// The ring of the native decode fixtures: primary, then one verify-only key.
#[must_use]
pub fn native_ring() -> KeyRing {
    KeyRing::new(Secret::from_text(NATIVE_SECRET))
        .with_verify_only(Secret::from_text(NATIVE_OLD_SECRET))
}

/// The ring of the Pyramid decode fixtures: the vectors' two secrets.
#[must_use]
pub fn pyramid_ring() -> KeyRing {
    KeyRing::new(Secret::from_text(PYRAMID_SECRET))
        .with_verify_only(Secret::from_text(PYRAMID_OLD_SECRET))
}

fn decode_fixture(ring: KeyRing, format: Format) -> Fixture {
    let mut builder = CookieSessionFactory::builder(ring)
        .format(format)
        .max_lifetime(DECODE_LIFETIME);
    if !matches!(format, Format::Pyramid(_)) {
        builder = builder.salt(NATIVE_PURPOSE);
    }
    Fixture {
        factory: builder.build().expect("the decode fixtures are valid"),
        size_limit: cookie_session::DEFAULT_SIZE_LIMIT,
    }
}

/// The native decode fixtures (default settings plus a purpose and a 30-day lifetime).
pub fn native_fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        native_formats()
            .into_iter()
            .map(|format| decode_fixture(native_ring(), format))
            .collect()
    })
}

/// The Pyramid decode fixtures, one per hash, in [`ALL_HASHES`] order.
pub fn pyramid_fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        ALL_HASHES
            .into_iter()
            .map(|hash| decode_fixture(pyramid_ring(), Format::Pyramid(hash)))
            .collect()
    })
}

/// A factory that applies no time rule (no timeout, no lifetime, any clock skew) and has a large
/// size limit: it answers "does this verify, and to what?".
fn permissive(
    ring: KeyRing,
    format: Format,
    cookie_name: &str,
    salt: Option<Salt>,
    size_limit: usize,
) -> CookieSessionFactory {
    let mut builder = CookieSessionFactory::builder(ring)
        .format(format)
        .cookie_name(cookie_name)
        .timeout(None)
        .reissue_time(None)
        .max_lifetime(None)
        .max_clock_skew(Duration::MAX)
        .size_limit(size_limit);
    if let Some(salt) = salt {
        builder = builder.salt(salt);
    }
    builder
        .build()
        .expect("a permissive configuration is valid")
}

/// The round-trip fixtures: every format, permissive, with the decode fixtures' keys.
fn roundtrip_fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        all_formats()
            .into_iter()
            .map(|format| {
                let (ring, salt) = match format {
                    Format::Pyramid(_) => (pyramid_ring(), None),
                    Format::Django(_) => (django_ring(), None),
                    _ => (native_ring(), Some(Salt::from(NATIVE_PURPOSE))),
                };
                Fixture {
                    factory: permissive(ring, format, "session", salt, ROUNDTRIP_SIZE_LIMIT),
                    size_limit: ROUNDTRIP_SIZE_LIMIT,
                }
            })
            .collect()
    })
}

// ----- arbitrary JSON ------------------------------------------------------------------------

/// Deepest nesting of an arbitrary value: well below serde_json's recursion limit of 128, so
/// every generated state can be read back.
const MAX_DEPTH: usize = 6;
/// Most nodes in one arbitrary state.
const MAX_NODES: usize = 48;
/// Keys that matter to the library (flash queues, the CSRF token) or to JSON (empty).
const SPECIAL_KEYS: [&str; 5] = ["user", "_csrft_", "_f_", "_f_warn", ""];

/// An arbitrary session state: a JSON object of bounded depth and size.
#[derive(Debug, Clone, PartialEq)]
pub struct ArbState(pub Map<String, Value>);

impl<'a> Arbitrary<'a> for ArbState {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut budget = MAX_NODES;
        arb_map(u, 0, &mut budget).map(Self)
    }
}

/// An arbitrary JSON value of bounded depth and size.
#[derive(Debug, Clone, PartialEq)]
pub struct ArbValue(pub Value);

impl<'a> Arbitrary<'a> for ArbValue {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut budget = MAX_NODES / 3;
        arb_value(u, 1, &mut budget).map(Self)
    }
}

fn arb_key(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let pick = u.choose_index(SPECIAL_KEYS.len() + 2)?;
    Ok(match SPECIAL_KEYS.get(pick) {
        Some(key) => (*key).to_owned(),
        None => u.arbitrary()?,
    })
}

fn arb_map(
    u: &mut Unstructured<'_>,
    depth: usize,
    budget: &mut usize,
) -> arbitrary::Result<Map<String, Value>> {
    let mut map = Map::new();
    for _ in 0..u.int_in_range(0..=6)? {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let key = arb_key(u)?;
        let value = arb_value(u, depth + 1, budget)?;
        map.insert(key, value);
    }
    Ok(map)
}

fn arb_value(
    u: &mut Unstructured<'_>,
    depth: usize,
    budget: &mut usize,
) -> arbitrary::Result<Value> {
    let containers_allowed = depth < MAX_DEPTH && *budget > 0;
    let kinds = if containers_allowed { 8 } else { 6 };
    Ok(match u.choose_index(kinds)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        3 => Value::from(u.arbitrary::<u64>()?),
        4 => Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
        5 => Value::String(u.arbitrary()?),
        6 => {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=6)? {
                if *budget == 0 {
                    break;
                }
                *budget -= 1;
                items.push(arb_value(u, depth + 1, budget)?);
            }
            Value::Array(items)
        }
        _ => Value::Object(arb_map(u, depth, budget)?),
    })
}

// ----- shared checks -------------------------------------------------------------------------

/// Whether `value` is the one canonical unpadded base64url spelling of its bytes.
fn is_canonical_base64url(value: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(value)
        .is_ok_and(|bytes| URL_SAFE_NO_PAD.encode(bytes) == value)
}

/// Whether `value` is the one canonical spelling of its content in `format`: unpadded
/// base64url, except for Django (`payload ':' base62 ':' signature`, the payload optionally
/// `.`-prefixed).
fn is_canonical_cookie(format: Format, value: &str) -> bool {
    match format {
        Format::Django(_) => {}
        Format::PyramidLegacy => return is_canonical_pyramid_legacy(value),
        Format::Flask(_) => return flask::is_canonical_flask(value),
        _ => return is_canonical_base64url(value),
    }
    let Some((rest, signature)) = value.rsplit_once(':') else {
        return false;
    };
    let Some((payload, stamp)) = rest.rsplit_once(':') else {
        return false;
    };
    let payload = payload.strip_prefix('.').unwrap_or(payload);
    let canonical_stamp = django_base62_decode(stamp).is_some_and(|n| django_base62(n) == stamp);
    canonical_stamp && is_canonical_base64url(payload) && is_canonical_base64url(signature)
}

/// Whether a time is a whole number of seconds that survives `u64 -> f64 -> u64`.
fn is_exact_whole(time: UnixTime) -> bool {
    let secs = time.as_secs_f64();
    secs.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&secs)
}

/// Decodes `value` through `verify` and `load` and checks they agree, then finishes the session.
fn check_decode(fixture: &Fixture, value: &str) {
    let factory = &fixture.factory;
    let verified = factory.verify(value, now());
    let session = factory.load(Some(value), now());
    if value.len() > fixture.size_limit {
        assert_eq!(
            verified,
            Err(DecodeError::TooLong {
                len: value.len(),
                limit: fixture.size_limit
            }),
            "over-long values are rejected before decoding"
        );
    }
    match &verified {
        Ok(cookie) => {
            assert!(
                !session.is_new(),
                "a verified cookie gives an existing session"
            );
            assert_eq!(session.load_error(), None);
            assert_eq!(session.key_index(), Some(cookie.key_index));
            assert_eq!(session.state(), &cookie.state);
            assert!(
                is_canonical_cookie(factory.format(), value),
                "only the canonical spelling of a cookie verifies: {value:?}"
            );
            // The signed envelope is deterministic: any signed envelope that verifies under the
            // primary key is byte for byte what the factory writes for that content.
            let suite = URL_SAFE_NO_PAD
                .decode(value)
                .ok()
                .and_then(|raw| raw.first().copied());
            if factory.format() == Format::Signed
                && suite == Some(SUITE_SIGNED)
                && cookie.key_index == 0
                && is_exact_whole(cookie.created)
                && is_exact_whole(cookie.accessed)
                && let Ok(again) =
                    factory.encode_value(&cookie.state, cookie.created, cookie.accessed)
            {
                assert_eq!(again, value, "a signed envelope has exactly one encoding");
            }
        }
        Err(DecodeError::Expired) => {
            assert!(!session.is_new(), "an expired session keeps its timestamps");
            assert_eq!(session.load_error(), Some(DecodeError::Expired));
            assert!(session.state().is_empty(), "an expired session is empty");
        }
        Err(error) => {
            assert!(session.is_new(), "a rejected cookie gives a new session");
            assert_eq!(session.load_error(), Some(*error));
            assert!(session.state().is_empty());
        }
    }
    check_finish(fixture, factory, &session, 200, now());
}

/// Finishes `session` and checks the result: within the size limit or `TooLarge`, and what is
/// written reads back (under `reader`, which shares the keys) to the session's state.
fn check_finish(
    fixture: &Fixture,
    reader: &CookieSessionFactory,
    session: &Session,
    status: u16,
    now: UnixTime,
) -> Option<(String, VerifiedCookie)> {
    let factory = &fixture.factory;
    let result = factory.finish_for_status(session, status, now);
    let state = session.state().to_map();
    match result {
        Ok(Some(set_cookie)) => {
            assert!(
                set_cookie.len() <= fixture.size_limit,
                "Set-Cookie of {} bytes over the limit of {}",
                set_cookie.len(),
                fixture.size_limit
            );
            let prefix = format!("{}=", factory.cookie_name());
            assert!(set_cookie.as_str().starts_with(&prefix));
            let value = set_cookie.value().to_owned();
            match reader.verify(&value, now) {
                Ok(cookie) => {
                    assert_eq!(cookie.state, state, "a written cookie reads back unchanged");
                    assert_eq!(
                        cookie.key_index, 0,
                        "cookies are written with the primary key"
                    );
                    Some((value, cookie))
                }
                Err(error) => {
                    assert!(
                        error.is_time_based(),
                        "a cookie the factory wrote does not verify: {error:?}"
                    );
                    None
                }
            }
        }
        Ok(None) => {
            if status < 500 || factory.set_on_error() {
                assert!(!session.is_changed(), "a changed session must be written");
            }
            None
        }
        Err(EncodeError::TooLarge { size, limit }) => {
            assert_eq!(limit, fixture.size_limit);
            assert!(size > limit, "TooLarge {{ size: {size}, limit: {limit} }}");
            None
        }
        Err(other) => panic!("unexpected encode error: {other:?}"),
    }
}

// ----- decode_native / decode_pyramid --------------------------------------------------------

/// `decode_native`: the input as a cookie value (lossy UTF-8), and the input as the raw envelope
/// (base64url-encoded here, so the fuzzer works on the bytes behind the base64), against every
/// native fixture.
pub fn decode_native(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let envelope = URL_SAFE_NO_PAD.encode(data);
    for fixture in native_fixtures() {
        check_decode(fixture, &text);
        check_decode(fixture, &envelope);
    }
}

/// `decode_pyramid`: as [`decode_native`], against the Pyramid fixtures of every hash.
pub fn decode_pyramid(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let signed = URL_SAFE_NO_PAD.encode(data);
    for fixture in pyramid_fixtures() {
        check_decode(fixture, &text);
        check_decode(fixture, &signed);
    }
}

// ----- decode_django -------------------------------------------------------------------------

/// The Django vectors' `SECRET_KEY`, so their cookies verify in `decode_django`.
pub const DJANGO_SECRET: &str = "visible-sample-django-secret-key-0001";
/// The Django vectors' `SECRET_KEY_FALLBACKS[0]`: the Django ring's verify-only key.
pub const DJANGO_OLD_SECRET: &str = "visible-sample-django-secret-key-0000";
/// The session backend's salt (the Django format's default).
pub const DJANGO_SALT: &str = "django.contrib.sessions.backends.signed_cookies";
/// Every Django hash.
pub const DJANGO_HASHES: [DjangoHash; 2] = [DjangoHash::Sha256, DjangoHash::Sha1];

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The ring of the Django fixtures: the vectors' `SECRET_KEY`, then its fallback.
#[must_use]
pub fn django_ring() -> KeyRing {
    KeyRing::new(Secret::from_text(DJANGO_SECRET))
        .with_verify_only(Secret::from_text(DJANGO_OLD_SECRET))
}

/// The Django decode fixtures, one per hash in [`DJANGO_HASHES`] order: the `.django` preset
/// plus the decode fixtures' lifetime.
pub fn django_fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        DJANGO_HASHES
            .into_iter()
            .map(|hash| Fixture {
                factory: CookieSessionFactory::builder(django_ring())
                    .django(hash)
                    .max_lifetime(DECODE_LIFETIME)
                    .build()
                    .expect("the Django fixtures are valid"),
                size_limit: cookie_session::DEFAULT_SIZE_LIMIT,
            })
            .collect()
    })
}

/// Django's `b62_encode` for a non-negative integer.
#[must_use]
pub fn django_base62(mut n: u64) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(BASE62[(n % 62) as usize]);
        n /= 62;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).expect("ASCII digits")
}

fn django_base62_decode(text: &str) -> Option<u64> {
    text.bytes().try_fold(0u64, |n, c| {
        let digit = BASE62.iter().position(|d| *d == c)? as u64;
        n.checked_mul(62)?.checked_add(digit)
    })
}

/// Signs `message` as Django's `Signer` does with the ring's primary key:
/// `message ':' base64url(HMAC-H(H(salt ‖ "signer" ‖ secret), message))`.
#[must_use]
pub fn django_sign_message(hash: DjangoHash, message: &str) -> String {
    use sha2::Digest as _;
    fn mac<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
    let key_input = [DJANGO_SALT, "signer", DJANGO_SECRET].concat();
    let signature = match hash {
        DjangoHash::Sha1 => mac::<Hmac<sha1::Sha1>>(
            &sha1::Sha1::digest(key_input.as_bytes()),
            message.as_bytes(),
        ),
        _ => mac::<Hmac<sha2::Sha256>>(
            &sha2::Sha256::digest(key_input.as_bytes()),
            message.as_bytes(),
        ),
    };
    format!("{message}:{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Signs `value` as Django's `TimestampSigner` does, stamped `timestamp`.
#[must_use]
pub fn django_sign(hash: DjangoHash, value: &str, timestamp: u64) -> String {
    django_sign_message(hash, &format!("{value}:{}", django_base62(timestamp)))
}

/// `decode_django`: the input as a cookie value; as a message signed with the primary key (its
/// own timestamp and payload then reach the parsers behind the signature); and, signed a minute
/// ago, as the JSON of a payload and as the zlib stream of a compressed one. Against the
/// fixture of every hash.
pub fn decode_django(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let json_payload = URL_SAFE_NO_PAD.encode(data);
    let zlib_payload = format!(".{json_payload}");
    let stamp = NOW_SECS - 60;
    // What Django reads from the JSON payload: an object, in ASCII (it decodes latin-1, and
    // writes only ASCII, so anything else is refused here).
    let expected_state = std::str::from_utf8(data)
        .ok()
        .filter(|json| json.is_ascii())
        .and_then(|json| serde_json::from_str::<Map<String, Value>>(json).ok());
    for (fixture, hash) in django_fixtures().iter().zip(DJANGO_HASHES) {
        check_decode(fixture, &text);
        check_decode(fixture, &django_sign_message(hash, &text));
        for payload in [&json_payload, &zlib_payload] {
            let value = django_sign(hash, payload, stamp);
            check_decode(fixture, &value);
            let verdict = fixture.factory.verify(&value, now());
            assert_ne!(
                verdict,
                Err(DecodeError::BadSignature),
                "signed with the key"
            );
            assert_ne!(verdict, Err(DecodeError::BadTimestamp), "a canonical stamp");
            if payload == &json_payload && value.len() <= fixture.size_limit {
                assert_eq!(
                    verdict.map(|cookie| cookie.state).ok(),
                    expected_state,
                    "exactly the ASCII JSON objects are sessions"
                );
            }
        }
    }
}

// ----- roundtrip -----------------------------------------------------------------------------

/// The state half of `roundtrip`.
#[derive(Debug, Arbitrary)]
pub struct RoundtripInput {
    state: ArbState,
    created_bits: u64,
    accessed: i64,
}

/// `roundtrip`: an even first byte takes the rest as an arbitrary state that must survive
/// encode-then-decode in every format; an odd first byte takes the next byte as a Pyramid hash
/// and the rest as a payload, signs it with the Pyramid fixture's key and feeds it to the
/// decoder, so the fuzzer reaches the payload parser behind the MAC.
pub fn roundtrip(data: &[u8]) {
    match data.split_first() {
        Some((mode, rest)) if mode % 2 == 0 => {
            if let Ok(input) = RoundtripInput::arbitrary_take_rest(Unstructured::new(rest)) {
                state_roundtrip(&input);
            }
        }
        Some((_, [hash, payload @ ..])) => {
            signed_payload(ALL_HASHES[usize::from(*hash) % ALL_HASHES.len()], payload);
        }
        _ => {}
    }
}

fn state_roundtrip(input: &RoundtripInput) {
    let state = &input.state.0;
    let created = UnixTime::from_secs_f64(f64::from_bits(input.created_bits))
        .unwrap_or(UnixTime::from_secs(0));
    // Through f64 as the CLI does; `encode_value` writes its whole seconds.
    let accessed = UnixTime::from_secs_f64(input.accessed as f64).expect("finite");
    let whole_accessed = accessed.whole_secs();
    for fixture in roundtrip_fixtures() {
        let factory = &fixture.factory;
        let value = match factory.encode_value(state, created, accessed) {
            Ok(value) => value,
            Err(EncodeError::TooLarge { size, limit }) => {
                assert!(size > limit && limit == fixture.size_limit);
                continue;
            }
            Err(other) => panic!("unexpected encode error: {other:?}"),
        };
        assert!(is_canonical_cookie(factory.format(), &value));
        let cookie = factory
            .verify(&value, UnixTime::from_secs(0))
            .unwrap_or_else(|e| panic!("{}: own cookie rejected: {e:?}", factory.format()));
        assert_eq!(&cookie.state, state, "{}: state changed", factory.format());
        assert_eq!(cookie.key_index, 0);
        let (created_back, accessed_back) = match factory.format() {
            // Pyramid keeps `created` as a float and `accessed` as an integer.
            Format::Pyramid(_) => (created.as_secs_f64(), whole_accessed as f64),
            // Django keeps one stamp, the signing time: `accessed`, whole unsigned seconds.
            Format::Django(_) => {
                let signed = whole_accessed.max(0) as u64 as f64;
                (signed, signed)
            }
            // The native header holds unsigned whole seconds (saturating casts, as documented).
            _ => (
                created.as_secs_f64().max(0.0).floor() as u64 as f64,
                whole_accessed.max(0) as u64 as f64,
            ),
        };
        assert_eq!(
            cookie.created.as_secs_f64().to_bits(),
            created_back.to_bits(),
            "{}: created {} came back as {}",
            factory.format(),
            created_back,
            cookie.created.as_secs_f64()
        );
        assert_eq!(cookie.accessed.as_secs_f64(), accessed_back);
    }
}

/// Signs `payload` exactly as Pyramid does: `HMAC-<hash>(salt ‖ secret, payload) ‖ payload`.
#[must_use]
pub fn pyramid_sign(hash: PyramidHash, payload: &[u8]) -> String {
    fn mac<M: Mac + KeyInit>(key: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }
    let key = [PYRAMID_SALT.as_bytes(), PYRAMID_SECRET.as_bytes()].concat();
    let mut raw = match hash {
        PyramidHash::Md5 => mac::<Hmac<md5::Md5>>(&key, payload),
        PyramidHash::Sha1 => mac::<Hmac<sha1::Sha1>>(&key, payload),
        PyramidHash::Sha224 => mac::<Hmac<sha2::Sha224>>(&key, payload),
        PyramidHash::Sha256 => mac::<Hmac<sha2::Sha256>>(&key, payload),
        PyramidHash::Sha384 => mac::<Hmac<sha2::Sha384>>(&key, payload),
        _ => mac::<Hmac<sha2::Sha512>>(&key, payload),
    };
    raw.extend_from_slice(payload);
    URL_SAFE_NO_PAD.encode(raw)
}

/// Whether `payload` has the shape of a Pyramid payload: `[number, number, {object}]`.
fn is_pyramid_payload(payload: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Array(items)) => matches!(
            items.as_slice(),
            [Value::Number(_), Value::Number(_), Value::Object(_)]
        ),
        _ => false,
    }
}

fn signed_payload(hash: PyramidHash, payload: &[u8]) {
    let index = ALL_HASHES.iter().position(|h| *h == hash).expect("listed");
    let value = pyramid_sign(hash, payload);
    // With the time rules of the decode fixture...
    check_decode(&pyramid_fixtures()[index], &value);
    // ...and without: exactly the well-formed payloads verify, and re-encode to themselves.
    let reader = &roundtrip_fixtures()[native_formats().len() + index];
    match reader.factory.verify(&value, now()) {
        Ok(cookie) => {
            assert!(is_pyramid_payload(payload), "accepted a malformed payload");
            let again =
                match reader
                    .factory
                    .encode_value(&cookie.state, cookie.created, cookie.accessed)
                {
                    Ok(again) => again,
                    Err(EncodeError::TooLarge { .. }) => return,
                    Err(other) => panic!("unexpected encode error: {other:?}"),
                };
            let back = reader
                .factory
                .verify(&again, now())
                .expect("own cookie verifies");
            assert_eq!(back.state, cookie.state);
            assert_eq!(
                back.created.as_secs_f64().to_bits(),
                cookie.created.as_secs_f64().to_bits()
            );
        }
        Err(error) => {
            let expected = if payload.is_empty() {
                DecodeError::Truncated
            } else {
                DecodeError::BadPayload
            };
            assert_eq!(error, expected, "a validly signed payload");
            assert!(
                !is_pyramid_payload(payload),
                "rejected a well-formed payload"
            );
        }
    }
}

// ----- factory_load --------------------------------------------------------------------------

/// Cookie names a factory may use.
const COOKIE_NAMES: [&str; 4] = ["session", "sid", "__Host-session", "s"];
/// Names of other cookies in the header (the factory's own name among them).
const OTHER_NAMES: [&str; 3] = ["theme", "session2", ""];

/// The secrets key rings are drawn from: bytes and text, ASCII, latin-1 and beyond, all at least
/// 32 bytes long so that every format accepts them, and with distinct Pyramid keys.
fn secret_pool(index: usize) -> Secret {
    match index % 5 {
        0 => Secret::from_bytes(vec![0x11; 32]),
        1 => Secret::from_text("fuzz pool secret number two, long enough"),
        2 => Secret::from_text("ключ-сессии-три-для-фаззинга"),
        3 => Secret::from_bytes((0u8..64).collect::<Vec<u8>>()),
        _ => Secret::from_text("sécrèt numéro cinq pour le fuzzing"),
    }
}

fn salt_choice(choice: u8) -> Option<Salt> {
    match choice % 4 {
        0 => None,
        1 => Some(Salt::from("app")),
        2 => Some(Salt::from_bytes(vec![0xff, 0x00, 0x01])),
        _ => Some(Salt::from("sälz.")),
    }
}

/// Which format a `factory_load` run uses.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum FormatChoice {
    /// The native signed envelope.
    Signed,
    /// The native encrypted envelope.
    #[cfg(feature = "encryption")]
    Encrypted,
    /// The Pyramid format with the hash at this index of [`ALL_HASHES`].
    Pyramid(u8),
}

impl FormatChoice {
    fn format(self) -> Format {
        match self {
            Self::Signed => Format::Signed,
            #[cfg(feature = "encryption")]
            Self::Encrypted => Format::Encrypted,
            Self::Pyramid(hash) => Format::Pyramid(ALL_HASHES[usize::from(hash) % 6]),
        }
    }
}

/// A key ring as positions in the secret pool: the primary, then up to two more.
#[derive(Debug, Clone, Arbitrary)]
pub struct RingChoice {
    primary: u8,
    others: Vec<u8>,
}

impl RingChoice {
    /// Distinct pool positions, primary first, 1 to 3 of them.
    fn positions(&self) -> Vec<usize> {
        let mut positions = vec![usize::from(self.primary) % 5];
        for other in &self.others {
            let other = usize::from(*other) % 5;
            if positions.len() < 3 && !positions.contains(&other) {
                positions.push(other);
            }
        }
        positions
    }

    fn ring(&self) -> KeyRing {
        KeyRing::from_secrets(self.positions().into_iter().map(secret_pool))
            .expect("distinct pool secrets")
    }
}

/// Something done to a session during a request.
#[derive(Debug, Clone, Arbitrary)]
pub enum Action {
    /// `insert_value` under a special or arbitrary key.
    Insert(u8, String, ArbValue),
    /// `remove`.
    Remove(String),
    /// `get_value` (an access).
    Get(String),
    /// `clear`.
    Clear,
    /// `invalidate`.
    Invalidate,
    /// `mark_changed`.
    MarkChanged,
    /// `flash` into a queue.
    Flash(String, ArbValue, bool),
    /// `pop_flash`.
    PopFlash(String),
    /// `peek_flash`.
    PeekFlash(String),
    /// `new_csrf_token`.
    NewCsrf,
    /// `get_csrf_token`.
    GetCsrf,
    /// `check_csrf_token`.
    CheckCsrf(String),
}

fn apply(session: &mut Session, actions: &[Action]) {
    for action in actions.iter().take(8) {
        match action {
            Action::Insert(pick, key, value) => {
                let key = SPECIAL_KEYS
                    .get(usize::from(*pick))
                    .map_or_else(|| key.clone(), |k| (*k).to_owned());
                session.insert_value(key, value.0.clone());
            }
            Action::Remove(key) => {
                session.remove(key);
            }
            Action::Get(key) => {
                let _ = session.get_value(key);
            }
            Action::Clear => session.clear(),
            Action::Invalidate => session.invalidate(),
            Action::MarkChanged => session.mark_changed(),
            Action::Flash(queue, message, allow_duplicate) => session
                .flash(queue, &message.0, *allow_duplicate)
                .expect("a JSON value serializes"),
            Action::PopFlash(queue) => {
                session.pop_flash(queue);
            }
            Action::PeekFlash(queue) => {
                let _ = session.peek_flash(queue);
            }
            Action::NewCsrf => {
                session.new_csrf_token();
            }
            Action::GetCsrf => {
                let token = session.get_csrf_token();
                assert!(session.check_csrf_token(&token));
            }
            Action::CheckCsrf(supplied) => {
                let _ = session.check_csrf_token(supplied);
            }
        }
    }
}

/// The value of one cookie in a generated `Cookie` header.
#[derive(Debug, Clone, Arbitrary)]
pub enum PairValue {
    /// Arbitrary text (without `;`, which would split the pair).
    Raw(String),
    /// The cookie the first request was given (empty if it got none).
    Issued,
    /// The issued cookie with the character at this position changed to another base64url one.
    Tampered(u16, u8),
}

/// One `name=value` pair of a generated `Cookie` header.
#[derive(Debug, Clone, Arbitrary)]
pub struct Pair {
    /// The factory's cookie name (even) or another one (odd).
    name: u8,
    value: PairValue,
}

/// `factory_load`'s input: a configuration, two requests, and the headers of the second.
#[derive(Debug, Arbitrary)]
pub struct LoadInput {
    format: FormatChoice,
    timeout: Option<u16>,
    reissue: Option<u16>,
    lifetime: Option<u32>,
    skew: u8,
    size_limit: u16,
    cookie_name: u8,
    salt: u8,
    set_on_error: bool,
    first_ring: RingChoice,
    second_ring: RingChoice,
    start: u16,
    elapsed: i32,
    first_actions: Vec<Action>,
    headers: Vec<Vec<Pair>>,
    raw_headers: Vec<String>,
    second_actions: Vec<Action>,
    status: u16,
}

/// What the second request should see for one candidate cookie.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Fails,
    Loads(usize),
    Expired(usize),
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `factory_load`: a valid configuration and ring from the input; request one starts without a
/// cookie, runs arbitrary actions and is finished; request two (later, possibly under a rotated
/// ring) gets arbitrary `Cookie` headers that may hold the issued cookie, intact or tampered.
/// Which cookie wins and with what state is predicted from the documented rules and checked.
pub fn factory_load(data: &[u8]) {
    let Ok(input) = LoadInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let format = input.format.format();
    let cookie_name = COOKIE_NAMES[usize::from(input.cookie_name) % COOKIE_NAMES.len()];
    let timeout = input.timeout.map(u64::from);
    // Valid ranges: below a non-zero timeout, zero with a zero timeout, anything without one.
    let reissue = input.reissue.map(|r| match timeout {
        Some(t) if t > 0 => u64::from(r).min(t - 1),
        Some(_) => 0,
        None => u64::from(r),
    });
    let lifetime = input.lifetime.map(u64::from);
    let skew = u64::from(input.skew);
    let size_limit = MIN_SIZE_LIMIT + usize::from(input.size_limit) % 8000;
    let build = |ring: &RingChoice| {
        let mut builder = CookieSessionFactory::builder(ring.ring())
            .format(format)
            .cookie_name(cookie_name)
            .timeout(timeout.map(Duration::from_secs))
            .reissue_time(reissue.map(Duration::from_secs))
            .max_lifetime(lifetime.map(Duration::from_secs))
            .max_clock_skew(Duration::from_secs(skew))
            .size_limit(size_limit)
            .set_on_error(input.set_on_error);
        if let Some(salt) = salt_choice(input.salt) {
            builder = builder.salt(salt);
        }
        Fixture {
            factory: builder
                .build()
                .expect("a configuration within the valid ranges"),
            size_limit,
        }
    };
    let reader = |ring: &RingChoice| {
        permissive(
            ring.ring(),
            format,
            cookie_name,
            salt_choice(input.salt),
            size_limit,
        )
    };
    let first = build(&input.first_ring);
    let second = build(&input.second_ring);
    let now1 = UnixTime::from_secs(NOW_SECS + u64::from(input.start));
    let now2 =
        UnixTime::from_secs_f64(now1.as_secs_f64() + f64::from(input.elapsed)).expect("finite");

    // Request one: no cookie.
    let mut session = first.factory.load_from_cookie_headers([], now1);
    assert!(session.is_new() && session.load_error().is_none());
    apply(&mut session, &input.first_actions);
    let issued = check_finish(&first, &reader(&input.first_ring), &session, 200, now1);

    // Request two: its headers, and the expected outcome of each candidate of our name.
    let issued_value = issued.as_ref().map_or("", |(value, _)| value.as_str());
    let signer = input.first_ring.positions()[0];
    let verifier_index = input
        .second_ring
        .positions()
        .iter()
        .position(|p| *p == signer);
    let issued_outcome = match (&issued, verifier_index) {
        (Some((_, cookie)), Some(index)) => {
            let (now, created, accessed) = (
                now2.as_secs_f64(),
                cookie.created.as_secs_f64(),
                cookie.accessed.as_secs_f64(),
            );
            let native = !matches!(format, Format::Pyramid(_));
            let from_the_future = native && created.max(accessed) > now + skew as f64;
            let too_old = lifetime.is_some_and(|cap| now - created > cap as f64);
            if from_the_future || too_old {
                Outcome::Fails
            } else if timeout.is_some_and(|t| now - accessed > t as f64) {
                Outcome::Expired(index)
            } else {
                Outcome::Loads(index)
            }
        }
        _ => Outcome::Fails,
    };
    let mut header_texts = Vec::new();
    let mut outcomes = Vec::new();
    for pairs in input.headers.iter().take(4) {
        let mut rendered = Vec::new();
        for pair in pairs.iter().take(8) {
            let ours = pair.name % 2 == 0;
            let name = if ours {
                cookie_name
            } else {
                OTHER_NAMES[usize::from(pair.name / 2) % OTHER_NAMES.len()]
            };
            let value = match &pair.value {
                PairValue::Raw(text) => text.replace(';', ""),
                PairValue::Issued => issued_value.to_owned(),
                PairValue::Tampered(at, with) => tamper(issued_value, *at, *with),
            };
            if name == cookie_name {
                // What the header parser hands the factory: trimmed, outer quotes removed.
                let seen = value.trim_matches([' ', '\t']);
                let seen = seen
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(seen);
                let is_issued = !issued_value.is_empty() && seen == issued_value;
                outcomes.push(if is_issued {
                    issued_outcome
                } else {
                    Outcome::Fails
                });
            }
            rendered.push(format!("{name}={value}"));
        }
        header_texts.push(rendered.join("; "));
    }
    let structured_candidates = outcomes.len();
    header_texts.extend(input.raw_headers.iter().take(2).cloned());
    let mut session = second
        .factory
        .load_from_cookie_headers(header_texts.iter().map(String::as_str), now2);
    let decided = outcomes
        .iter()
        .take(MAX_CANDIDATES)
        .copied()
        .find(|outcome| *outcome != Outcome::Fails);
    match decided {
        Some(Outcome::Loads(index)) => {
            assert!(!session.is_new());
            assert_eq!(session.load_error(), None);
            assert_eq!(session.key_index(), Some(index));
            let (_, cookie) = issued.as_ref().expect("loaded from the issued cookie");
            assert_eq!(session.state(), &cookie.state);
        }
        Some(Outcome::Expired(index)) => {
            assert!(!session.is_new());
            assert_eq!(session.load_error(), Some(DecodeError::Expired));
            assert_eq!(session.key_index(), Some(index));
            assert!(session.state().is_empty());
        }
        _ if input.raw_headers.is_empty() || structured_candidates >= MAX_CANDIDATES => {
            assert!(session.is_new(), "no candidate could verify");
            assert_eq!(session.load_error().is_some(), structured_candidates > 0);
        }
        // Free-form headers may hold anything, even the issued cookie.
        _ => {
            if !session.is_new() {
                assert!(matches!(
                    session.load_error(),
                    None | Some(DecodeError::Expired)
                ));
            }
        }
    }
    let must_rotate = session.key_index().is_some_and(|i| i > 0) && session.load_error().is_none();
    apply(&mut session, &input.second_actions);
    let rotated = check_finish(
        &second,
        &reader(&input.second_ring),
        &session,
        input.status,
        now2,
    );
    let sends = input.status < 500 || input.set_on_error;
    if must_rotate && sends && rotated.is_none() {
        // Either written and read back, or refused as too large: never silently skipped.
        let result = second
            .factory
            .finish_for_status(&session, input.status, now2);
        assert!(
            matches!(result, Ok(Some(_)) | Err(EncodeError::TooLarge { .. })),
            "a cookie under a verify-only key must be re-issued"
        );
    }
}

/// `value` with the character at `at` (modulo its length) replaced by a different base64url one.
fn tamper(value: &str, at: u16, with: u8) -> String {
    if value.is_empty() {
        return String::new();
    }
    let mut bytes = value.as_bytes().to_vec();
    let at = usize::from(at) % bytes.len();
    let mut replacement = BASE64URL[usize::from(with) % 64];
    if replacement == bytes[at] {
        replacement = BASE64URL[(usize::from(with) + 1) % 64];
    }
    bytes[at] = replacement;
    String::from_utf8(bytes).expect("ASCII in, ASCII out")
}

// ----- decode_pyramid_legacy / pickle_reader -------------------------------------------------

/// The Pyramid 1.x vectors' secret, so their cookies verify in `decode_pyramid_legacy`.
pub const PYRAMID_LEGACY_SECRET: &str = "visible-legacy-secret-2019-b7e4";
/// The Pyramid 1.x vectors' fallback secret: the legacy ring's verify-only key.
pub const PYRAMID_LEGACY_OLD_SECRET: &str = "visible-legacy-secret-2018-old";

/// The ring of the Pyramid 1.x fixture: the vectors' two secrets.
#[must_use]
pub fn pyramid_legacy_ring() -> KeyRing {
    KeyRing::new(Secret::from_text(PYRAMID_LEGACY_SECRET))
        .with_verify_only(Secret::from_text(PYRAMID_LEGACY_OLD_SECRET))
}

/// The Pyramid 1.x fixture: the preset, without the timeout (the vectors are from 2019), so a
/// verified pickle goes on to be re-issued and read back.
pub fn pyramid_legacy_fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        factory: CookieSessionFactory::builder(pyramid_legacy_ring())
            .pyramid_legacy()
            .timeout(None)
            .max_lifetime(DECODE_LIFETIME)
            .build()
            .expect("the legacy fixture is valid"),
        size_limit: cookie_session::DEFAULT_SIZE_LIMIT,
    })
}

/// Signs raw pickle bytes as Pyramid 1.x does, with the legacy fixture's primary secret.
#[must_use]
pub fn pyramid_legacy_sign(pickled: &[u8]) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(PYRAMID_LEGACY_SECRET.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(pickled);
    let mut value: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    base64::engine::general_purpose::STANDARD.encode_string(pickled, &mut value);
    value
}

/// Whether a Pyramid 1.x value is 40 lowercase hex digits and canonical padded base64.
fn is_canonical_pyramid_legacy(value: &str) -> bool {
    use base64::engine::general_purpose::STANDARD;
    let Some((hex, payload)) = value.split_at_checked(40) else {
        return false;
    };
    hex.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && STANDARD
            .decode(payload)
            .is_ok_and(|bytes| STANDARD.encode(bytes) == payload)
}

/// `decode_pyramid_legacy`: the input as a Pyramid 1.x cookie value (lossy UTF-8).
pub fn decode_pyramid_legacy(data: &[u8]) {
    check_decode(pyramid_legacy_fixture(), &String::from_utf8_lossy(data));
}

/// `pickle_reader`: the input as the pickle behind a valid signature, so every byte reaches the
/// data-only pickle reader; what verifies must be re-issued and read back unchanged.
pub fn pickle_reader(data: &[u8]) {
    check_decode(pyramid_legacy_fixture(), &pyramid_legacy_sign(data));
}

/// Runs the target named `target` on `data`; `false` for an unknown name.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "decode_native" => decode_native(data),
        "decode_pyramid" => decode_pyramid(data),
        "decode_flask" => decode_flask(data),
        "decode_pyramid_legacy" => decode_pyramid_legacy(data),
        "pickle_reader" => pickle_reader(data),
        "decode_django" => decode_django(data),
        "factory_load" => factory_load(data),
        "roundtrip" => roundtrip(data),
        _ => return false,
    }
    true
}

/// The names of every target, as `run` knows them.
pub const TARGETS: [&str; 8] = [
    "decode_native",
    "decode_pyramid",
    "decode_flask",
    "decode_pyramid_legacy",
    "pickle_reader",
    "decode_django",
    "factory_load",
    "roundtrip",
];
