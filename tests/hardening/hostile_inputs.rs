//! A catalogue of hostile cookie values. Each case asserts the typed reason it is rejected
//! ([`DecodeError`]) and, by running at all, that it does not panic.
//!
//! Payload-level cases need a valid signature around a hostile body. For the Pyramid format the
//! tests sign it themselves (the HMAC key is just `salt ‖ secret`). For the native envelope they
//! re-implement its signing from the format's documentation (HKDF-SHA256 keys bound to the
//! cookie name and purpose by a PAE info, an HMAC-SHA256 tag over header and body), after first checking that the re-implementation reproduces a cookie the
//! library wrote, byte for byte.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use cookie_session::{
    CookieSessionFactory, DEFAULT_SIZE_LIMIT, DecodeError, Format, KeyRing, PyramidHash, Secret,
    UnixTime,
};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value, json};
use sha2::{Sha256, Sha512};

const NOW: u64 = 1_700_000_100;
const NATIVE_SECRET: &[u8] = b"hostile-inputs: a native secret of forty bytes";
const PYRAMID_SECRET: &str = "hostile-inputs pyramid secret";
const PYRAMID_SALT: &str = "pyramid.session.";

fn now() -> UnixTime {
    UnixTime::from_secs(NOW)
}

fn native() -> CookieSessionFactory {
    CookieSessionFactory::new(Secret::from_bytes(NATIVE_SECRET)).unwrap()
}

fn pyramid() -> CookieSessionFactory {
    CookieSessionFactory::builder(Secret::from_text(PYRAMID_SECRET))
        .pyramid(PyramidHash::Sha512)
        .build()
        .unwrap()
}

/// A Pyramid factory whose size limit lets megabyte payloads reach the parser.
fn roomy_pyramid() -> CookieSessionFactory {
    CookieSessionFactory::builder(Secret::from_text(PYRAMID_SECRET))
        .pyramid(PyramidHash::Sha512)
        .size_limit(4 << 20)
        .build()
        .unwrap()
}

fn factories() -> [(&'static str, CookieSessionFactory); 2] {
    [("native", native()), ("pyramid", pyramid())]
}

fn state(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// A valid cookie of `factory` holding `{"user": "john"}`, issued a minute ago.
fn valid_cookie(factory: &CookieSessionFactory) -> String {
    factory
        .encode_value(
            &state(json!({"user": "john", "n": 1})),
            UnixTime::from_secs(NOW - 60),
            UnixTime::from_secs(NOW - 60),
        )
        .unwrap()
}

/// Asserts `value` is rejected by `factory` for `expected`, through `verify` and through `load`.
#[track_caller]
fn assert_rejected(factory: &CookieSessionFactory, value: &str, expected: DecodeError) {
    assert_eq!(
        factory.verify(value, now()).map(|cookie| cookie.state),
        Err(expected),
        "{} cookie {:?}",
        factory.format(),
        truncate_for_message(value)
    );
    let session = factory.load(Some(value), now());
    assert_eq!(session.load_error(), Some(expected));
    if expected == DecodeError::Expired {
        assert!(!session.is_new() && session.state().is_empty());
    } else {
        assert!(session.is_new() && session.state().is_empty());
    }
}

fn truncate_for_message(value: &str) -> String {
    value.chars().take(80).collect()
}

// ----- signing hostile payloads ----------------------------------------------------------------

/// `base64url(HMAC-SHA512(salt ‖ secret, payload) ‖ payload)`: a Pyramid cookie around any bytes.
fn pyramid_sign(payload: &[u8]) -> String {
    let key = [PYRAMID_SALT.as_bytes(), PYRAMID_SECRET.as_bytes()].concat();
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(payload);
    let mut raw = mac.finalize().into_bytes().to_vec();
    raw.extend_from_slice(payload);
    URL_SAFE_NO_PAD.encode(raw)
}

/// The native envelope's key id and MAC key for `secret`, derived as the format documents, for
/// the cookie name `session` and no purpose.
fn native_keys(secret: &[u8]) -> ([u8; 4], [u8; 32]) {
    let hkdf = hkdf::Hkdf::<Sha256>::new(Some(b"cookie-session/v1/hkdf"), secret);
    let (mut id, mut mac_key) = ([0u8; 4], [0u8; 32]);
    hkdf.expand(b"cookie-session/v1/key-id", &mut id).unwrap();
    // PAE([label, cookie name, purpose]): a count, then each piece's length and bytes.
    let mut info = 3u64.to_le_bytes().to_vec();
    for piece in [&b"cookie-session/v2/mac/hmac-sha256"[..], b"session", b""] {
        info.extend_from_slice(&(piece.len() as u64).to_le_bytes());
        info.extend_from_slice(piece);
    }
    hkdf.expand(&info, &mut mac_key).unwrap();
    (id, mac_key)
}

/// A native signed envelope (suite `suite`, flags `flags`) around any body, tagged over
/// `header ‖ body` with the key of the cookie name `session` and no purpose.
fn native_sign(suite: u8, flags: u8, created: u64, accessed: u64, body: &[u8]) -> String {
    let (id, mac_key) = native_keys(NATIVE_SECRET);
    let mut raw = vec![suite];
    raw.extend_from_slice(&id);
    raw.push(flags);
    raw.extend_from_slice(&created.to_be_bytes());
    raw.extend_from_slice(&accessed.to_be_bytes());
    raw.extend_from_slice(body);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&mac_key).unwrap();
    mac.update(&raw);
    raw.extend_from_slice(&mac.finalize().into_bytes());
    URL_SAFE_NO_PAD.encode(raw)
}

fn fresh_native(body: &[u8]) -> String {
    native_sign(0x01, 0, NOW - 60, NOW - 60, body)
}

fn fresh_pyramid(state_json: &str) -> String {
    pyramid_sign(format!("[{}, {}, {state_json}]", NOW - 60, NOW - 60).as_bytes())
}

#[test]
fn the_signing_helpers_reproduce_the_library_byte_for_byte() {
    let state = state(json!({"user": "john", "n": 1}));
    let library = native()
        .encode_value(
            &state,
            UnixTime::from_secs(NOW - 60),
            UnixTime::from_secs(NOW - 60),
        )
        .unwrap();
    assert_eq!(
        fresh_native(br#"{"user":"john","n":1}"#),
        library,
        "native_sign no longer matches the native envelope: update it with the format"
    );
    let library = pyramid()
        .encode_value(
            &state,
            UnixTime::from_secs(NOW - 60),
            UnixTime::from_secs(NOW - 60),
        )
        .unwrap();
    let payload = format!(
        "[{}, {}.0, {{\"user\": \"john\", \"n\": 1}}]",
        NOW - 60,
        NOW - 60
    );
    assert_eq!(pyramid_sign(payload.as_bytes()), library);
    // And both verify: the helpers are a way past the MAC, nothing else.
    assert!(native().verify(&fresh_native(b"{}"), now()).is_ok());
    assert!(pyramid().verify(&fresh_pyramid("{}"), now()).is_ok());
}

// ----- before decoding: empty, length, alphabet -----------------------------------------------

#[test]
fn empty_value() {
    for (_, factory) in factories() {
        assert_rejected(&factory, "", DecodeError::Empty);
        let session = factory.load_from_cookie_headers(["session="], now());
        assert_eq!(session.load_error(), Some(DecodeError::Empty));
        let session = factory.load_from_cookie_headers(["session=\"\""], now());
        assert_eq!(session.load_error(), Some(DecodeError::Empty));
    }
}

#[test]
fn whitespace_anywhere() {
    for (_, factory) in factories() {
        let valid = valid_cookie(&factory);
        let mid = valid.len() / 2;
        let cases = [
            " ".to_owned(),
            "\t".to_owned(),
            "\r\n".to_owned(),
            format!(" {valid}"),
            format!("{valid} "),
            format!("{valid}\n"),
            format!("{} {}", &valid[..mid], &valid[mid..]),
            format!("{}\u{a0}{}", &valid[..mid], &valid[mid..]),
        ];
        for value in cases {
            assert_rejected(&factory, &value, DecodeError::Base64);
        }
    }
}

#[test]
fn every_byte_outside_the_base64url_alphabet() {
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    for (_, factory) in factories() {
        let valid = valid_cookie(&factory);
        let mid = valid.len() / 2;
        let mut count = 0;
        for byte in (0..=255u8).filter(|b| !alphabet(*b)) {
            // Bytes above 0x7f cannot stand alone in a `&str`; the character with that code point
            // (two UTF-8 bytes) is the nearest a header can deliver.
            let c = char::from(byte);
            let inserted = format!("{}{c}{}", &valid[..mid], &valid[mid..]);
            assert_rejected(&factory, &inserted, DecodeError::Base64);
            let replaced = format!("{}{c}{}", &valid[..mid], &valid[mid + 1..]);
            assert_rejected(&factory, &replaced, DecodeError::Base64);
            count += 1;
        }
        assert_eq!(count, 256 - 64);
        for text in ["ünïcödé", "日本語", "😀😀😀😀"] {
            assert_rejected(&factory, text, DecodeError::Base64);
        }
    }
}

#[test]
fn padding() {
    for (_, factory) in factories() {
        let valid = valid_cookie(&factory);
        let padded = URL_SAFE_NO_PAD
            .decode(&valid)
            .map(|raw| base64::engine::general_purpose::URL_SAFE.encode(raw))
            .unwrap();
        for value in [
            format!("{valid}="),
            format!("{valid}=="),
            format!("{valid}==="),
            format!("={valid}"),
            "====".to_owned(),
        ] {
            assert_rejected(&factory, &value, DecodeError::Base64);
        }
        if padded != valid {
            assert_rejected(&factory, &padded, DecodeError::Base64);
        }
    }
}

/// A valid cookie of `factory` whose base64url text uses `-` or `_`, so that the standard
/// alphabet spells it differently.
fn cookie_with_url_safe_characters(factory: &CookieSessionFactory) -> String {
    (0..1000)
        .map(|n| {
            factory
                .encode_value(
                    &state(json!({ "n": n })),
                    UnixTime::from_secs(NOW - 60),
                    UnixTime::from_secs(NOW - 60),
                )
                .unwrap()
        })
        .find(|value| value.contains(['-', '_']))
        .expect("some cookie uses - or _")
}

#[test]
fn mixed_and_standard_alphabets() {
    for (_, factory) in factories() {
        let valid = cookie_with_url_safe_characters(&factory);
        let standard = STANDARD_NO_PAD.encode(URL_SAFE_NO_PAD.decode(&valid).unwrap());
        assert_ne!(standard, valid);
        assert_rejected(&factory, &standard, DecodeError::Base64);
        // Only one of the two substitutions: a mix of both alphabets.
        let mixed = valid.replacen('-', "+", 1).replacen('_', "/", 1);
        assert_rejected(&factory, &mixed, DecodeError::Base64);
    }
}

#[test]
fn stray_trailing_bits() {
    for (_, factory) in factories() {
        // Find a cookie whose last character carries padding bits (length not a multiple of 4).
        let valid = (0..100)
            .map(|n| {
                factory
                    .encode_value(
                        &state(json!({ "pad": "x".repeat(n) })),
                        UnixTime::from_secs(NOW - 60),
                        UnixTime::from_secs(NOW - 60),
                    )
                    .unwrap()
            })
            .find(|value| value.len() % 4 == 2)
            .unwrap();
        // With two characters in the last group, the last one keeps 4 unused bits: setting
        // the lowest spells the same bytes non-canonically.
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = *valid.as_bytes().last().unwrap();
        let index = ALPHABET.iter().position(|c| *c == last).unwrap();
        let sibling = char::from(ALPHABET[index | 1]);
        assert_ne!(
            u8::try_from(sibling).unwrap(),
            last,
            "the canonical form has zero bits"
        );
        let non_canonical = format!("{}{sibling}", &valid[..valid.len() - 1]);
        assert_rejected(&factory, &non_canonical, DecodeError::Base64);
        // 4n + 1 characters never spell whole bytes (here 4n + 2 plus three more).
        assert_rejected(&factory, &format!("{valid}AAA"), DecodeError::Base64);
    }
}

#[test]
fn over_long_values_are_rejected_by_length_before_decoding() {
    const MEGABYTE: usize = 1 << 20;
    for (_, factory) in factories() {
        let valid = valid_cookie(&factory);
        let too_long = |len| DecodeError::TooLong {
            len,
            limit: DEFAULT_SIZE_LIMIT,
        };
        // Garbage, base64 and a valid cookie padded with base64: all refused for their length,
        // never looked at as base64 (which would say `Base64` for the garbage).
        assert_rejected(&factory, &"!".repeat(MEGABYTE), too_long(MEGABYTE));
        assert_rejected(&factory, &"A".repeat(MEGABYTE), too_long(MEGABYTE));
        let padded = format!("{valid}{}", "A".repeat(MEGABYTE - valid.len()));
        assert_rejected(&factory, &padded, too_long(MEGABYTE));
        // One byte over the limit is enough.
        let just_over = "A".repeat(DEFAULT_SIZE_LIMIT + 1);
        assert_rejected(&factory, &just_over, too_long(DEFAULT_SIZE_LIMIT + 1));
        // Through the header parser too.
        let header = format!("session={}", "A".repeat(MEGABYTE));
        let session = factory.load_from_cookie_headers([header.as_str()], now());
        assert_eq!(session.load_error(), Some(too_long(MEGABYTE)));
    }
}

// ----- many cookies and headers --------------------------------------------------------------

#[test]
fn many_cookie_headers() {
    for (_, factory) in factories() {
        let valid = valid_cookie(&factory);
        // Ten thousand other cookies do not count against the candidates of our name.
        let mut headers: Vec<String> = (0..10_000).map(|i| format!("other{i}=x")).collect();
        headers.push(format!("session={valid}"));
        let session = factory.load_from_cookie_headers(headers.iter().map(String::as_str), now());
        assert_eq!(session.load_error(), None);
        assert_eq!(
            session.get::<String>("user").unwrap().as_deref(),
            Some("john")
        );

        // Ten thousand of our name: only the first four are tried, so a valid fifth is ignored
        // and the reason given is the first candidate's.
        let mut headers: Vec<String> = vec!["session=!".to_owned()];
        headers.extend((1..10_000).map(|_| "session=AAAA".to_owned()));
        headers.insert(4, format!("session={valid}"));
        let session = factory.load_from_cookie_headers(headers.iter().map(String::as_str), now());
        assert!(session.is_new());
        assert_eq!(session.load_error(), Some(DecodeError::Base64));
        // ...while a valid fourth is found.
        headers.remove(4);
        headers.insert(3, format!("session={valid}"));
        let session = factory.load_from_cookie_headers(headers.iter().map(String::as_str), now());
        assert_eq!(session.load_error(), None);
    }
}

#[test]
fn duplicate_session_cookies_in_one_header() {
    for (_, factory) in factories() {
        let first = valid_cookie(&factory);
        let second = factory
            .encode_value(
                &state(json!({"user": "mallory"})),
                UnixTime::from_secs(NOW - 10),
                UnixTime::from_secs(NOW - 10),
            )
            .unwrap();
        // A bad one first, then a good one: the first valid wins.
        let header = format!("session=forged; theme=dark; session={first}; session={second}");
        let session = factory.load_from_cookie_headers([header.as_str()], now());
        assert_eq!(session.load_error(), None);
        assert_eq!(
            session.get::<String>("user").unwrap().as_deref(),
            Some("john")
        );
        // Two good ones: the first (the browser sends the most specific path first).
        let header = format!("session={second}; session={first}");
        let session = factory.load_from_cookie_headers([header.as_str()], now());
        assert_eq!(
            session.get::<String>("user").unwrap().as_deref(),
            Some("mallory")
        );
        // Five in one header, the valid one last: not tried.
        let header = format!("session=a; session=b; session=c; session=d; session={first}");
        let session = factory.load_from_cookie_headers([header.as_str()], now());
        assert!(session.is_new());
        assert_eq!(session.load_error(), Some(DecodeError::Base64));
    }
}

// ----- behind a valid signature: payloads -----------------------------------------------------

#[test]
fn deeply_nested_json_beyond_the_recursion_limit() {
    let nest = |depth: usize| format!("{{\"a\": {}{}}}", "[".repeat(depth), "]".repeat(depth));
    // Within serde_json's limit of 128 levels: accepted.
    let cookie = fresh_pyramid(&nest(100));
    assert!(pyramid().verify(&cookie, now()).is_ok());
    // Beyond it: a bad payload, not a stack overflow, even a megabyte deep.
    let factory = roomy_pyramid();
    for depth in [200, 10_000, 500_000] {
        assert_rejected(
            &factory,
            &fresh_pyramid(&nest(depth)),
            DecodeError::BadPayload,
        );
    }
    let deep_objects = format!("{}1{}", "{\"a\":".repeat(300), "}".repeat(300));
    assert_rejected(
        &factory,
        &fresh_pyramid(&deep_objects),
        DecodeError::BadPayload,
    );
    // The native body goes through the same parser.
    let body = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
    assert_rejected(
        &native(),
        &fresh_native(body.as_bytes()),
        DecodeError::BadPayload,
    );
}

#[test]
fn huge_numbers() {
    let factory = pyramid();
    // Numbers beyond f64: refused, in the timestamps and in the state.
    for payload in [
        "[1e400, 1700000040, {}]",
        "[1700000040, -1e400, {}]",
        "[1700000040, 1700000040, {\"n\": 1e400}]",
    ] {
        assert_rejected(
            &factory,
            &pyramid_sign(payload.as_bytes()),
            DecodeError::BadPayload,
        );
    }
    let thousand_digits = format!("1{}", "0".repeat(1000));
    let payload = format!("[1700000040, 1700000040, {{\"n\": {thousand_digits}}}]");
    assert_rejected(
        &factory,
        &pyramid_sign(payload.as_bytes()),
        DecodeError::BadPayload,
    );
    // Integers past u64 but within f64 are kept as floats, as Python would read them back.
    let payload = "[1700000040, 1700000040, {\"n\": 100000000000000000000000000000}]";
    let cookie = factory
        .verify(&pyramid_sign(payload.as_bytes()), now())
        .unwrap();
    assert_eq!(cookie.state["n"].as_f64(), Some(1e29));
    // The same in a native body.
    assert_rejected(
        &native(),
        &fresh_native(br#"{"n":1e400}"#),
        DecodeError::BadPayload,
    );
}

#[test]
fn invalid_utf8_in_the_payload() {
    let cases: [&[u8]; 4] = [
        b"[1700000040, 1700000040, {\"a\": \"\xff\"}]",
        b"[1700000040, 1700000040, {\"\xc3\": 1}]",
        b"[1700000040, 1700000040, {\"a\": \"\xed\xa0\x80\"}]",
        b"\xef\xbb\xbf[1700000040, 1700000040, {}]",
    ];
    for payload in cases {
        assert_rejected(&pyramid(), &pyramid_sign(payload), DecodeError::BadPayload);
    }
    // Lone surrogates escaped in JSON are not text either.
    let payload = br#"[1700000040, 1700000040, {"a": "\ud800"}]"#;
    assert_rejected(&pyramid(), &pyramid_sign(payload), DecodeError::BadPayload);
    for body in [&b"{\"a\":\"\xff\"}"[..], b"{\"a\":\"\xc0\xaf\"}"] {
        assert_rejected(&native(), &fresh_native(body), DecodeError::BadPayload);
    }
}

#[test]
fn state_that_is_not_an_object() {
    for state in ["[]", "[[\"a\", 1]]", "\"text\"", "1", "null", "true"] {
        assert_rejected(&pyramid(), &fresh_pyramid(state), DecodeError::BadPayload);
        assert_rejected(
            &native(),
            &fresh_native(state.as_bytes()),
            DecodeError::BadPayload,
        );
    }
    // Not a three-element list.
    for payload in [
        "{}",
        "[]",
        "[1700000040, 1700000040]",
        "[1700000040, 1700000040, {}, {}]",
        "[1700000040, 1700000040, {}] trailing",
        "",
    ] {
        let expected = if payload.is_empty() {
            DecodeError::Truncated
        } else {
            DecodeError::BadPayload
        };
        assert_rejected(&pyramid(), &pyramid_sign(payload.as_bytes()), expected);
    }
    assert_rejected(&native(), &fresh_native(b""), DecodeError::BadPayload);
    assert_rejected(&native(), &fresh_native(b"{} {}"), DecodeError::BadPayload);
}

#[test]
fn timestamps_negative_nan_like_far_future_or_not_numbers() {
    let factory = pyramid();
    // Not numbers, or NaN-like spellings that JSON does not have: bad payloads.
    for stamp in [
        "NaN",
        "Infinity",
        "-Infinity",
        "nan",
        "\"1700000040\"",
        "null",
        "true",
        "[]",
        "{}",
        "0x10",
        "+1",
        "01",
    ] {
        for payload in [
            format!("[{stamp}, 1700000040, {{}}]"),
            format!("[1700000040, {stamp}, {{}}]"),
        ] {
            assert_rejected(
                &factory,
                &pyramid_sign(payload.as_bytes()),
                DecodeError::BadPayload,
            );
        }
    }
    // Negative: verified, then simply too old.
    assert_rejected(
        &factory,
        &pyramid_sign(b"[-1, -1e300, {}]"),
        DecodeError::Expired,
    );
    let lifetime = CookieSessionFactory::builder(Secret::from_text(PYRAMID_SECRET))
        .pyramid(PyramidHash::Sha512)
        .max_lifetime(Duration::from_secs(3600))
        .build()
        .unwrap();
    assert_rejected(
        &lifetime,
        &pyramid_sign(b"[1700000040, -5.5, {}]"),
        DecodeError::LifetimeExceeded,
    );
    // Far future: Pyramid has no such rule, and the Pyramid format accepts what Pyramid accepts
    // (only the key holder can write one); SECURITY.md notes it.
    let cookie = factory
        .verify(&pyramid_sign(b"[1e300, 1e300, {}]"), now())
        .unwrap();
    assert_eq!(cookie.accessed.as_secs_f64(), 1e300);

    // The native header holds unsigned integers: far future is refused, zero is ancient.
    let native = native();
    assert_rejected(
        &native,
        &native_sign(1, 0, u64::MAX, u64::MAX, b"{}"),
        DecodeError::NotYetValid,
    );
    assert_rejected(
        &native,
        &native_sign(1, 0, NOW - 60, NOW + 3600, b"{}"),
        DecodeError::NotYetValid,
    );
    assert_rejected(
        &native,
        &native_sign(1, 0, 0, 0, b"{}"),
        DecodeError::Expired,
    );
    // Within the allowed clock skew (60 s by default): accepted.
    assert!(
        native
            .verify(&native_sign(1, 0, NOW + 30, NOW + 30, b"{}"), now())
            .is_ok()
    );
}

// ----- envelope structure -------------------------------------------------------------------

#[test]
fn unknown_suite_or_flags() {
    let factory = native();
    let mut unknown_suites: Vec<u8> = vec![0x00, 0x04, 0x7f, 0x80, 0xff];
    if !cfg!(feature = "encryption") {
        unknown_suites.extend([0x02, 0x03]);
    }
    for suite in unknown_suites {
        // Validly signed or not, an unknown suite is refused before anything else.
        assert_rejected(
            &factory,
            &native_sign(suite, 0, NOW, NOW, b"{}"),
            DecodeError::UnknownSuite(suite),
        );
        let raw = [&[suite][..], &[0u8; 100]].concat();
        assert_rejected(
            &factory,
            &URL_SAFE_NO_PAD.encode(raw),
            DecodeError::UnknownSuite(suite),
        );
    }
    for flags in [0x01, 0x02, 0x80, 0xff] {
        assert_rejected(
            &factory,
            &native_sign(1, flags, NOW, NOW, b"{}"),
            DecodeError::UnknownFlags(flags),
        );
    }
    // A flag bit set on a library-made cookie: refused for the flag, not the signature.
    let mut raw = URL_SAFE_NO_PAD.decode(valid_cookie(&factory)).unwrap();
    raw[5] = 0x04;
    assert_rejected(
        &factory,
        &URL_SAFE_NO_PAD.encode(&raw),
        DecodeError::UnknownFlags(0x04),
    );
}

#[test]
fn unknown_key_id() {
    let factory = native();
    let mut raw = URL_SAFE_NO_PAD.decode(valid_cookie(&factory)).unwrap();
    raw[1] ^= 0x01;
    assert_rejected(
        &factory,
        &URL_SAFE_NO_PAD.encode(&raw),
        DecodeError::UnknownKey,
    );
    // A retired key: its cookies are unknown, not "bad".
    let retired = CookieSessionFactory::new(Secret::from_bytes(vec![9; 32])).unwrap();
    assert_rejected(&factory, &valid_cookie(&retired), DecodeError::UnknownKey);
}

#[test]
fn truncated_envelopes_and_tags() {
    let factory = native();
    let raw = URL_SAFE_NO_PAD.decode(valid_cookie(&factory)).unwrap();
    // Shorter than header plus tag: truncated, whatever the cut.
    for len in [1, 5, 6, 21, 22, 40, 53] {
        assert_rejected(
            &factory,
            &URL_SAFE_NO_PAD.encode(&raw[..len]),
            DecodeError::Truncated,
        );
    }
    // Long enough (the body is 21 bytes), but bytes of the tag are missing: the tag fails.
    assert_eq!(raw.len(), 22 + 21 + 32);
    for cut in [1, 2, 16, 21] {
        assert_rejected(
            &factory,
            &URL_SAFE_NO_PAD.encode(&raw[..raw.len() - cut]),
            DecodeError::BadSignature,
        );
    }
    // Pyramid: the signature alone is too short; one payload byte more fails the signature.
    let pyramid = pyramid();
    let raw = URL_SAFE_NO_PAD.decode(valid_cookie(&pyramid)).unwrap();
    for len in [1, 63, 64] {
        assert_rejected(
            &pyramid,
            &URL_SAFE_NO_PAD.encode(&raw[..len]),
            DecodeError::Truncated,
        );
    }
    assert_rejected(
        &pyramid,
        &URL_SAFE_NO_PAD.encode(&raw[..65]),
        DecodeError::BadSignature,
    );
}

#[cfg(feature = "encryption")]
#[test]
fn truncated_nonce_or_tag_of_the_encrypted_suite() {
    for (format, suite) in [(Format::Encrypted, 0x03), (Format::EncryptedXChaCha, 0x02)] {
        let factory = CookieSessionFactory::builder(Secret::from_bytes(NATIVE_SECRET))
            .format(format)
            .build()
            .unwrap();
        let raw = URL_SAFE_NO_PAD.decode(valid_cookie(&factory)).unwrap();
        assert_eq!(raw[0], suite);
        // suite(1) key_id(4) flags(1) created(8) accessed(8) nonce(24) ... tag(16)
        const NONCE_END: usize = 22 + 24;
        for len in [1, 22, 23, NONCE_END - 1, NONCE_END, NONCE_END + 15] {
            assert_rejected(
                &factory,
                &URL_SAFE_NO_PAD.encode(&raw[..len]),
                DecodeError::Truncated,
            );
        }
        for cut in [1, 8, 16] {
            assert_rejected(
                &factory,
                &URL_SAFE_NO_PAD.encode(&raw[..raw.len() - cut]),
                DecodeError::BadSignature,
            );
        }
        // A flipped nonce bit fails authentication.
        let mut flipped = raw.clone();
        flipped[30] ^= 0x10;
        assert_rejected(
            &factory,
            &URL_SAFE_NO_PAD.encode(&flipped),
            DecodeError::BadSignature,
        );
    }
}

/// No plaintext downgrade: a factory that writes signed (readable) cookies refuses an encrypted
/// cookie made under the same ring, rather than re-issue its hidden contents readable; and no
/// session comes of it.
#[cfg(feature = "encryption")]
#[test]
fn an_encrypted_cookie_is_refused_by_a_signed_factory() {
    let encrypting = CookieSessionFactory::builder(Secret::from_bytes(NATIVE_SECRET))
        .format(Format::Encrypted)
        .build()
        .unwrap();
    let cookie = valid_cookie(&encrypting);
    let signed = native();
    let error = signed.verify(&cookie, now()).unwrap_err();
    assert!(
        matches!(error, DecodeError::SuiteNotAccepted(_)),
        "{error:?}"
    );
    let session = signed.load(Some(&cookie), now());
    assert!(session.is_new() && session.is_empty());
    assert!(signed.finish(&session, now()).unwrap().is_none());
}

#[test]
fn cookies_of_another_format_or_hash() {
    let native = native();
    let pyramid = pyramid();
    // A Pyramid cookie starts with signature bytes: as a native envelope its first byte is an
    // unknown suite, or it is a signed envelope with an unknown key.
    let from_pyramid = valid_cookie(&pyramid);
    let error = native.verify(&from_pyramid, now()).unwrap_err();
    assert!(
        matches!(
            error,
            DecodeError::UnknownSuite(_) | DecodeError::UnknownKey | DecodeError::Truncated
        ),
        "{error:?}"
    );
    assert_rejected(&pyramid, &valid_cookie(&native), DecodeError::BadSignature);
    let sha256 = CookieSessionFactory::builder(Secret::from_text(PYRAMID_SECRET))
        .pyramid(PyramidHash::Sha256)
        .build()
        .unwrap();
    assert_rejected(&sha256, &from_pyramid, DecodeError::BadSignature);
    let ring = KeyRing::new(Secret::from_text(PYRAMID_SECRET));
    let md5 = CookieSessionFactory::builder(ring)
        .format(Format::Pyramid(PyramidHash::Md5))
        .build()
        .unwrap();
    assert_rejected(&md5, &from_pyramid, DecodeError::BadSignature);
}

// ----- attacks on a session's life: key removal, key files, secrets, fixation, tossing --------

/// A cookie forged with a leaked key and held open in a slow request is never re-signed once
/// that key is removed from the ring, in any format: the response carries no cookie at all.
#[test]
fn a_forged_cookie_held_open_across_the_removal_of_its_key() {
    let leaked = Secret::from_bytes(NATIVE_SECRET);
    let fresh = Secret::from_bytes(b"hostile-inputs: the replacement key, 40 bytes".to_vec());
    for format in [Format::Signed, Format::Pyramid(PyramidHash::Sha512)] {
        let factory = CookieSessionFactory::builder(leaked.clone())
            .format(format)
            .build()
            .unwrap();
        let forged = factory
            .encode_value(&state(json!({"user": "admin"})), now(), now())
            .unwrap();
        let mut slow = factory.load(Some(&forged), now());
        assert_eq!(slow.load_error(), None);
        slow.insert("seen", true).unwrap();
        factory.replace_keys(KeyRing::new(fresh.clone())).unwrap();
        assert_eq!(factory.finish(&slow, now()), Ok(None), "{format}");
        assert_eq!(factory.finish_for_status(&slow, 200, now()), Ok(None));
        let next = factory.load(Some(&forged), now());
        assert!(next.is_new() && next.load_error().is_some(), "{format}");
    }
}

/// Every prefix of a key file being written in place that cuts a line (the fragments a watcher
/// could read mid-write, down to a 1-byte Pyramid secret) is refused on reload, and the ring in
/// force stays.
#[test]
fn every_cut_off_key_file_is_refused_on_reload() {
    let dir = std::env::temp_dir().join(format!("cookie-session-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.txt");
    let contents =
        "# rotated\nhostile-inputs: the next primary, 40 bytes\nhostile-inputs pyramid secret\n";
    for format in [Format::Signed, Format::Pyramid(PyramidHash::Sha512)] {
        let factory = CookieSessionFactory::builder(Secret::from_bytes(NATIVE_SECRET))
            .format(format)
            .build()
            .unwrap();
        let before = valid_cookie(&factory);
        for cut in 1..contents.len() {
            if contents.as_bytes()[cut - 1] == b'\n' {
                continue; // a whole number of lines: a complete (smaller) ring
            }
            std::fs::write(&path, &contents[..cut]).unwrap();
            assert!(
                factory.reload_keys_from_file(&path).is_err(),
                "{format}: the first {cut} bytes were loaded"
            );
        }
        assert_eq!(factory.verify(&before, now()).unwrap().key_index, 0);
        assert_eq!(factory.stats().key_ring_replacements, 0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Secret lists that could be split the wrong way: a passphrase with commas is one secret; a
/// line that mixes prefixed and plain entries is an error rather than a guess.
#[test]
fn secret_lists_are_never_split_by_guesswork() {
    let one = |value: &str| KeyRing::parse_env(value, "$K").map(|ring| ring.len());
    assert_eq!(one("a passphrase, with commas, long enough for it"), Ok(1));
    assert_eq!(one("text:hex:00,base64:AA"), Ok(1));
    assert_eq!(one(",,, ,"), Err(no_secret()));
    assert_eq!(
        one("hex:0011,base64:ABCD\nsecond line, with a comma"),
        Ok(3)
    );
    assert!(one("hex:0011,not prefixed").is_err());
    assert!(one("base64:AAAA,text:x").is_err());
    // A Pyramid primary of 2 bytes (what "ab,cd…" became) needs the builder's explicit opt-in.
    let short = KeyRing::parse_env("ab\nan older secret, still verifying", "$K").unwrap();
    let refused = CookieSessionFactory::builder(short.clone())
        .pyramid(PyramidHash::Sha512)
        .build()
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "$K entry 1: too short: 2 bytes, at least 16 are needed"
    );
    CookieSessionFactory::builder(short)
        .pyramid(PyramidHash::Sha512)
        .allow_short_secret()
        .build()
        .unwrap();
}

fn no_secret() -> cookie_session::ConfigError {
    cookie_session::ConfigError::KeySource {
        source_name: "$K".to_owned(),
        problem: "no secret found".to_owned(),
    }
}

/// Session fixation: an attacker plants their own valid session (through a sibling subdomain
/// or a shared device) and waits for the victim to log in with it. The library cannot tell a
/// planted cookie from the victim's, so the first valid one wins; `regenerate` at login is what
/// leaves the attacker's copy, and its CSRF token, without the login.
#[test]
fn a_planted_session_gains_nothing_from_the_victims_login() {
    for (name, factory) in factories() {
        let mut attacker = factory.load(None, now());
        let attackers_token = attacker.get_csrf_token();
        let planted = factory.finish(&attacker, now()).unwrap().unwrap();
        let victims = valid_cookie(&factory);

        // Tossed in front of the victim's own cookie, the planted one is the one loaded.
        let header = format!("session={}; session={victims}", planted.value());
        let mut login = factory.load_from_cookie_headers([header.as_str()], now());
        assert!(login.check_csrf_token(&attackers_token), "{name}");
        login.regenerate();
        login.insert("user", "victim").unwrap();
        let logged_in = factory.finish(&login, now()).unwrap().unwrap();

        assert!(!login.check_csrf_token(&attackers_token), "{name}");
        assert_ne!(logged_in.value(), planted.value());
        let attackers_view = factory.load(Some(planted.value()), now());
        assert_eq!(
            attackers_view.get::<String>("user").unwrap(),
            None,
            "{name}"
        );
    }
}

/// Cookie tossing is stopped by the browser for `__Host-` names; the factory refuses a
/// configuration the browser would silently drop (and that would leave a plain cookie's
/// weakness in place).
#[test]
fn prefixed_cookie_names_with_attributes_browsers_drop_are_refused() {
    let builder = || {
        CookieSessionFactory::builder(Secret::from_bytes(NATIVE_SECRET))
            .cookie_name("__Host-session")
    };
    assert!(builder().build().is_ok());
    for (config, requirement) in [
        (builder().secure(false), "Secure"),
        (builder().path(Some("/shop".to_owned())), "Path=/"),
        (
            builder().domain(Some("example.com".to_owned())),
            "no Domain",
        ),
    ] {
        assert_eq!(
            config.build().unwrap_err(),
            cookie_session::ConfigError::CookiePrefix {
                prefix: "__Host-",
                requirement
            }
        );
    }
}

/// Pyramid 1.x cookies (`Format::PyramidLegacy`): hostile pickles behind a valid signature, and
/// malformed signatures and base64 in front of it. Nothing is ever imported or called; every
/// rejection has its typed reason.
mod pyramid_legacy {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use cookie_session::{CookieSessionFactory, DecodeError, Secret, UnixTime};
    use hmac::{Hmac, KeyInit, Mac};
    use sha1::Sha1;

    const SECRET: &str = "a pyramid 1.x secret for hostile inputs";

    fn factory() -> CookieSessionFactory {
        CookieSessionFactory::builder(Secret::from_text(SECRET))
            .pyramid_legacy()
            .timeout(None)
            .build()
            .unwrap()
    }

    fn now() -> UnixTime {
        UnixTime::from_secs(1_700_000_000)
    }

    /// Signs raw pickle bytes as Pyramid 1.x does.
    fn sign(pickled: &[u8]) -> String {
        let mut mac = Hmac::<Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(pickled);
        let mut value: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        STANDARD.encode_string(pickled, &mut value);
        value
    }

    /// `(1700000000, 1700000000.0, <state>)` in protocol 2, around the given state opcodes.
    fn session_pickle(state: &[u8]) -> Vec<u8> {
        let mut pickled = b"\x80\x02J\x00\xf1\x53\x65G".to_vec();
        pickled.extend(1_700_000_000f64.to_be_bytes());
        pickled.extend(state);
        pickled.extend(b"\x87.");
        pickled
    }

    fn verdict(pickled: &[u8]) -> Result<(), DecodeError> {
        let factory = factory();
        let value = sign(pickled);
        let session = factory.load(Some(&value), now());
        let verdict = factory.verify(&value, now()).map(|_| ());
        if let Err(error) = verdict {
            assert!(session.is_new() && session.is_empty());
            assert_eq!(session.load_error(), Some(error));
        }
        verdict
    }

    fn unsupported(pickled: &[u8]) -> &'static str {
        match verdict(pickled) {
            Err(DecodeError::Unsupported { what }) => what,
            other => panic!("expected Unsupported, got {other:?}"),
        }
    }

    #[test]
    fn the_helpers_make_a_valid_cookie() {
        assert_eq!(verdict(&session_pickle(b"}")), Ok(()));
        let verified = factory()
            .verify(&sign(&session_pickle(b"}X\x01\x00\x00\x00kK\x07s")), now())
            .unwrap();
        assert_eq!(verified.state["k"], 7);
    }

    #[test]
    fn globals_calls_and_objects_are_never_run() {
        let cases: [(&[u8], &str); 8] = [
            // os.system('true') in protocol 0: GLOBAL, MARK, STRING, TUPLE, REDUCE.
            (b"cos\nsystem\n(S'true'\ntR.", "global"),
            // Protocol 4: STACK_GLOBAL then REDUCE, inside a session tuple.
            (
                &session_pickle(b"\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R"),
                "global",
            ),
            // REDUCE alone (no global before it) and BUILD.
            (&session_pickle(b"}}\x85R"), "REDUCE"),
            (&session_pickle(b"}}b"), "BUILD"),
            // INST, OBJ, NEWOBJ, persistent ids, extension codes.
            (b"(ibuiltins\nobject\n.", "object"),
            (&session_pickle(b"(}o"), "object"),
            (b"\x80\x02P1\n.", "persistent"),
            (b"\x80\x02\x82\x01.", "extension"),
        ];
        for (pickled, what) in cases {
            let reason = unsupported(pickled);
            assert!(reason.contains(what), "{reason:?} for {pickled:?}");
        }
    }

    #[test]
    fn bytes_sets_and_other_non_json_data_are_unsupported() {
        let cases: [&[u8]; 7] = [
            b"}X\x01\x00\x00\x00kC\x01\x00s", // bytes (SHORT_BINBYTES)
            b"}X\x01\x00\x00\x00k\x96\x00\x00\x00\x00\x00\x00\x00\x00s", // bytearray
            b"}X\x01\x00\x00\x00k\x8f(K\x01\x90s", // set
            b"}X\x01\x00\x00\x00k(K\x01\x91s", // frozenset
            b"}K\x01K\x02s",                  // int dict key
            b"}X\x01\x00\x00\x00k\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01s", // 2**64
            b"}X\x01\x00\x00\x00kG\x7f\xf8\x00\x00\x00\x00\x00\x00s", // NaN
        ];
        for state in cases {
            unsupported(&session_pickle(state));
        }
    }

    #[test]
    fn memo_fan_out_is_cut_off() {
        // t0 = 'x' * 1000; t(n+1) = (t(n), t(n)) through the memo: 2^32 strings from 200 bytes.
        let mut state = b"}X\x01\x00\x00\x00kX\xe8\x03\x00\x00".to_vec();
        state.extend([b'x'; 1000]);
        for level in 0u8..32 {
            state.extend([b'q', level, b'h', level, 0x86]);
        }
        state.push(b's');
        assert_eq!(
            verdict(&session_pickle(&state)),
            Err(DecodeError::InflatedTooLarge { limit: 65536 })
        );
        // The same structure ten levels deep (1024 copies of 1000 bytes) is also over the limit,
        // while five levels (32 KB) are fine.
        for (levels, ok) in [(5u8, true), (10, false)] {
            let mut state = b"}X\x01\x00\x00\x00kX\xe8\x03\x00\x00".to_vec();
            state.extend([b'x'; 1000]);
            for level in 0..levels {
                state.extend([b'q', level, b'h', level, 0x86]);
            }
            state.push(b's');
            assert_eq!(verdict(&session_pickle(&state)).is_ok(), ok, "{levels}");
        }
    }

    #[test]
    fn deep_nesting_and_self_reference_are_unsupported() {
        let mut state = b"}X\x01\x00\x00\x00k".to_vec();
        state.extend([b']'; 1000]);
        state.extend([b'a'; 999]);
        state.push(b's');
        assert!(unsupported(&session_pickle(&state)).contains("nested"));
        // d = {}; d['k'] = d
        let cycle = session_pickle(b"}q\x00X\x01\x00\x00\x00kh\x00s");
        assert!(unsupported(&cycle).contains("contains itself"));
    }

    #[test]
    fn huge_declared_lengths_are_truncated_without_allocation() {
        let cases: [&[u8]; 5] = [
            b"}X\x01\x00\x00\x00kX\xff\xff\xff\xffabc",
            b"}X\x01\x00\x00\x00k\x8d\xff\xff\xff\xff\xff\xff\xff\x7fabc",
            b"}X\x01\x00\x00\x00k\x8b\xff\xff\xff\x7f\x00",
            b"}X\x01\x00\x00\x00kT\xff\xff\xff\x7fabc",
            b"\x95\xff\xff\xff\xff\xff\xff\xff\xff}",
        ];
        for state in cases {
            assert_eq!(verdict(&session_pickle(state)), Err(DecodeError::Truncated));
        }
    }

    #[test]
    fn wrong_shapes_are_bad_payloads() {
        let cases: [&[u8]; 5] = [
            b"\x80\x02}.",                            // no tuple
            b"\x80\x02K\x01K\x02\x86.",               // two items
            b"\x80\x02K\x01K\x02]\x87.",              // state not a dict
            b"\x80\x02X\x01\x00\x00\x00aK\x02}\x87.", // accessed not a number
            b"\x80\x02K\x01K\x02}\x87.junk",          // bytes after STOP
        ];
        for pickled in cases {
            assert_eq!(
                verdict(pickled),
                Err(DecodeError::BadPayload),
                "{pickled:?}"
            );
        }
        assert_eq!(verdict(b"\x80\x02K\x01"), Err(DecodeError::Truncated));
    }

    #[test]
    fn malformed_signatures_and_base64_are_refused_before_the_pickle() {
        let factory = factory();
        let valid = sign(&session_pickle(b"}"));
        assert!(factory.verify(&valid, now()).is_ok());
        let (hex, b64) = valid.split_at(40);
        let cases: Vec<(String, DecodeError)> = vec![
            (hex[..39].to_owned(), DecodeError::Truncated),
            (hex.to_owned(), DecodeError::Truncated),
            (hex.to_ascii_uppercase() + b64, DecodeError::BadSignature),
            (format!("g{}{b64}", &hex[1..]), DecodeError::BadSignature),
            (format!(" {}{b64}", &hex[1..]), DecodeError::BadSignature),
            (
                format!("{hex}{}", b64.trim_end_matches('=')),
                DecodeError::Base64,
            ),
            (format!("{hex}{b64}="), DecodeError::Base64),
            (format!("{hex} {b64}"), DecodeError::Base64),
            (
                format!("{hex}{}", &b64[..b64.len() - 4]),
                DecodeError::BadSignature,
            ),
            (
                format!("{hex}{}", &b64[..b64.len() - 1]),
                DecodeError::Base64,
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(
                factory.verify(&value, now()).unwrap_err(),
                expected,
                "{value}"
            );
        }
        // The URL-safe alphabet is not Pyramid's: U+FFFF's bytes (ef bf bf) give `+` or `/`.
        let valid = sign(&session_pickle(
            b"}X\x01\x00\x00\x00kX\x03\x00\x00\x00\xef\xbf\xbfs",
        ));
        assert!(factory.verify(&valid, now()).is_ok());
        assert!(valid[40..].contains(['+', '/']), "{valid}");
        let url_safe = valid.replace('+', "-").replace('/', "_");
        assert_eq!(
            factory.verify(&url_safe, now()).unwrap_err(),
            DecodeError::Base64
        );
        // Non-canonical trailing bits decode to the same bytes in Python; refused here.
        let one_byte = sign(b"N");
        let (hex, b64) = one_byte.split_at(40);
        assert_eq!(b64, "Tg==");
        assert_eq!(
            factory.verify(&format!("{hex}Th=="), now()).unwrap_err(),
            DecodeError::Base64
        );
    }
}

/// Django `signed_cookies` cookies (`payload:base62 stamp:signature`). Payload-level cases are
/// signed here, re-implementing Django's `TimestampSigner` from its documentation (the key is
/// `SHA-256(salt ‖ "signer" ‖ secret)`), after checking that the re-implementation reproduces a
/// cookie the library wrote.
mod django {
    use super::*;
    use crate::harness::{DJANGO_SECRET, django_base62 as base62, django_sign_message};
    use cookie_session::DjangoHash;

    /// The Django format's inflate limit (`MAX_INFLATED_LEN`, 64 KiB).
    const INFLATE_LIMIT: usize = 64 * 1024;

    fn factory_with_limit(size_limit: usize) -> CookieSessionFactory {
        CookieSessionFactory::builder(Secret::from_text(DJANGO_SECRET))
            .django(DjangoHash::Sha256)
            .size_limit(size_limit)
            .build()
            .unwrap()
    }

    fn django() -> CookieSessionFactory {
        factory_with_limit(DEFAULT_SIZE_LIMIT)
    }

    /// `message ':' base64url(HMAC-SHA256(SHA-256(salt ‖ "signer" ‖ secret), message))`.
    fn sign_message(message: &str) -> String {
        django_sign_message(DjangoHash::Sha256, message)
    }

    /// A payload text signed a minute ago.
    fn fresh(payload: &str) -> String {
        sign_message(&format!("{payload}:{}", base62(NOW - 60)))
    }

    fn fresh_json(json: &[u8]) -> String {
        fresh(&URL_SAFE_NO_PAD.encode(json))
    }

    fn fresh_zlib(stream: &[u8]) -> String {
        fresh(&format!(".{}", URL_SAFE_NO_PAD.encode(stream)))
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec_zlib(data, 9)
    }

    #[test]
    fn the_signing_helper_reproduces_the_library_byte_for_byte() {
        let factory = django();
        let state = state(json!({"user": "john", "n": 1}));
        let stamp = UnixTime::from_secs(NOW - 60);
        let ours = factory.encode_value(&state, stamp, stamp).unwrap();
        assert_eq!(ours, fresh_json(br#"{"user":"john","n":1}"#));
        assert_eq!(factory.verify(&ours, now()).unwrap().state, state);
    }

    #[test]
    fn zlib_bombs_are_refused_without_inflating_them() {
        let factory = factory_with_limit(4 << 20);
        for (size, level) in [(INFLATE_LIMIT + 1, 9), (1 << 20, 6), (16 << 20, 9)] {
            let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![b' '; size], level);
            assert!(bomb.len() < size / 100 + 64, "a bomb: {} bytes", bomb.len());
            assert_rejected(
                &factory,
                &fresh_zlib(&bomb),
                DecodeError::InflatedTooLarge {
                    limit: INFLATE_LIMIT,
                },
            );
        }
        // A bomb inside a bomb inflates only once: the outer layer is not JSON.
        let inner = deflate(&vec![b'{'; 1 << 20]);
        assert_rejected(
            &factory,
            &fresh_zlib(&deflate(&inner)),
            DecodeError::BadPayload,
        );
        // Exactly at the limit it inflates (and is then judged as JSON).
        let mut at_limit = br#"{"k":""#.to_vec();
        at_limit.resize(INFLATE_LIMIT - 2, b'x');
        at_limit.extend_from_slice(br#""}"#);
        let verified = factory.verify(&fresh_zlib(&deflate(&at_limit)), now());
        assert_eq!(
            verified.unwrap().state["k"].as_str().unwrap().len(),
            INFLATE_LIMIT - 8
        );
    }

    #[test]
    fn corrupt_zlib_streams() {
        let factory = django();
        let stream = deflate(br#"{"user":"john","n":1}"#);
        let mut bad_checksum = stream.clone();
        *bad_checksum.last_mut().unwrap() ^= 1;
        let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        gzip.extend_from_slice(&stream[2..]);
        for corrupt in [
            &stream[..stream.len() - 1],
            &stream[..2],
            &bad_checksum[..],
            &gzip[..],
            b"\x78\x9c\xff\xff\xff",
        ] {
            assert_rejected(&factory, &fresh_zlib(corrupt), DecodeError::Decompression);
        }
        // An uncompressed payload marked as compressed, and the mark alone.
        assert_rejected(
            &factory,
            &fresh(&format!(".{}", URL_SAFE_NO_PAD.encode(b"{}"))),
            DecodeError::Decompression,
        );
        assert_rejected(&factory, &fresh("."), DecodeError::Empty);
        assert_rejected(&factory, &fresh(".."), DecodeError::Base64);
    }

    #[test]
    fn truncated_and_non_canonical_base64() {
        let factory = django();
        let json = URL_SAFE_NO_PAD.encode(br#"{"user":"john","n":12}"#);
        assert_eq!(json.len() % 4, 2);
        let stray_bits = {
            // The last character's low four bits are not part of any byte: set one.
            const ALPHABET: &[u8] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut text = json.clone().into_bytes();
            let last = text.len() - 1;
            let index = ALPHABET.iter().position(|c| *c == text[last]).unwrap();
            text[last] = ALPHABET[index | 1];
            String::from_utf8(text).unwrap()
        };
        for payload in [
            format!("{json}=="),
            json.replace('-', "+").replace('_', "/") + "+",
            format!(" {json}"),
            format!("{json}\n"),
            json[..json.len() - 1].to_owned() + "!",
            stray_bits,
            "A".to_owned(),
        ] {
            assert_rejected(&factory, &fresh(&payload), DecodeError::Base64);
        }
        // Cut anywhere, an honest cookie never verifies.
        let cookie = valid_cookie(&factory);
        for len in 0..cookie.len() {
            let error = factory.verify(&cookie[..len], now()).unwrap_err();
            assert!(
                matches!(
                    error,
                    DecodeError::Empty
                        | DecodeError::Truncated
                        | DecodeError::BadTimestamp
                        | DecodeError::BadSignature
                        | DecodeError::Base64
                ),
                "{len}: {error:?}"
            );
        }
        // A signature with stray trailing bits is not the canonical spelling.
        let (message, signature) = cookie.rsplit_once(':').unwrap();
        let mut bytes = signature.as_bytes().to_vec();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'B' { b'C' } else { b'B' };
        let altered = format!("{message}:{}", String::from_utf8(bytes).unwrap());
        assert_rejected(&factory, &altered, DecodeError::Base64);
    }

    #[test]
    fn bad_base62_stamps_are_malformed_signed_or_not() {
        let factory = django();
        let payload = URL_SAFE_NO_PAD.encode(br#"{"user":"john"}"#);
        let signature = "A".repeat(43);
        let many_digits = "9".repeat(1000);
        for stamp in [
            "",
            "-1",
            "+1",
            "01",
            "00",
            "1vwU E4",
            "1vwU_E4",
            "1vwU.E4",
            "é",
            "LygHa16AHYG",
            "zzzzzzzzzzz",
            "100000000000",
            &many_digits,
        ] {
            let message = format!("{payload}:{stamp}");
            assert_rejected(&factory, &sign_message(&message), DecodeError::BadTimestamp);
            assert_rejected(
                &factory,
                &format!("{message}:{signature}"),
                DecodeError::BadTimestamp,
            );
        }
    }

    #[test]
    fn extreme_but_canonical_stamps() {
        let factory = django();
        let json = URL_SAFE_NO_PAD.encode(br#"{"user":"john"}"#);
        // Django accepts a stamp in the future, however far: it never expires.
        let far = sign_message(&format!("{json}:{}", base62(u64::MAX)));
        assert_eq!(base62(u64::MAX), "LygHa16AHYF");
        assert_eq!(factory.verify(&far, now()).unwrap().state["user"], "john");
        // The epoch is long expired.
        assert_rejected(
            &factory,
            &sign_message(&format!("{json}:0")),
            DecodeError::Expired,
        );
    }

    #[test]
    fn payloads_django_never_writes() {
        let factory = django();
        let deep = "[".repeat(20_000) + &"]".repeat(20_000);
        let cases: [&[u8]; 12] = [
            b"",
            b"[1,2]",
            b"\"john\"",
            b"null",
            br#"{"a":1"#,
            br#"{"a":NaN}"#,
            br#"{"a":1e400}"#,
            "{\"caf\u{e9}\":1}".as_bytes(),
            b"{\"a\":\"\xff\"}",
            br#"{"a":1} {}"#,
            &[0u8; 16],
            deep.as_bytes(),
        ];
        let factory_big = factory_with_limit(4 << 20);
        for json in cases {
            let expected = if json.is_empty() {
                DecodeError::Empty
            } else {
                DecodeError::BadPayload
            };
            let target = if json.len() > 1000 {
                &factory_big
            } else {
                &factory
            };
            assert_rejected(target, &fresh_json(json), expected);
            if !json.is_empty() {
                assert_rejected(&factory_big, &fresh_zlib(&deflate(json)), expected);
            }
        }
        // Escaped, as Django writes it, the same text is fine; duplicate keys: the last wins.
        let fine = fresh_json(br#"{"caf\u00e9":1,"a":1,"a":2}"#);
        let state = factory.verify(&fine, now()).unwrap().state;
        assert_eq!(Value::Object(state), json!({"café": 1, "a": 2}));
    }

    #[test]
    fn separators_and_shapes() {
        let factory = django();
        let cookie = valid_cookie(&factory);
        let (message, signature) = cookie.rsplit_once(':').unwrap();
        for (value, expected) in [
            ("no separator".to_owned(), DecodeError::Truncated),
            (signature.to_owned(), DecodeError::Truncated),
            (format!(":{signature}"), DecodeError::Truncated),
            (format!("{message}:"), DecodeError::BadSignature),
            (format!("{message}:{signature}A"), DecodeError::BadSignature),
            (
                format!("{message}:{}", &signature[..27]),
                DecodeError::BadSignature,
            ),
            (format!("{cookie}:{signature}"), DecodeError::BadTimestamp),
            (format!("x{cookie}"), DecodeError::BadSignature),
        ] {
            assert_rejected(&factory, &value, expected);
        }
        // Extra separators in a signed payload are verified, then refused as base64.
        assert_rejected(
            &factory,
            &fresh(&format!("a:{}", URL_SAFE_NO_PAD.encode(b"{}"))),
            DecodeError::Base64,
        );
        // Over the size limit: refused before anything is parsed.
        let long = "A".repeat(DEFAULT_SIZE_LIMIT + 1);
        assert_rejected(
            &factory,
            &long,
            DecodeError::TooLong {
                len: long.len(),
                limit: DEFAULT_SIZE_LIMIT,
            },
        );
    }

    #[test]
    fn cookies_of_other_formats_and_hashes() {
        let factory = django();
        assert_rejected(&factory, &valid_cookie(&native()), DecodeError::Truncated);
        assert_rejected(&factory, &valid_cookie(&pyramid()), DecodeError::Truncated);
        let sha1 = CookieSessionFactory::builder(Secret::from_text(DJANGO_SECRET))
            .django(DjangoHash::Sha1)
            .build()
            .unwrap();
        assert_rejected(&sha1, &valid_cookie(&factory), DecodeError::BadSignature);
        assert_rejected(&factory, &valid_cookie(&sha1), DecodeError::BadSignature);
        let other_salt = CookieSessionFactory::builder(Secret::from_text(DJANGO_SECRET))
            .django(DjangoHash::Sha256)
            .salt("django.core.signing")
            .build()
            .unwrap();
        assert_rejected(
            &other_salt,
            &valid_cookie(&factory),
            DecodeError::BadSignature,
        );
    }
}

// ----- Flask ----------------------------------------------------------------------------------

/// Flask's format (itsdangerous): hostile values, and hostile payloads behind a valid signature.
mod flask {
    use super::*;
    use sha1::Sha1;

    const FLASK_SECRET: &str = "hostile-inputs: the flask SECRET_KEY";

    fn flask() -> CookieSessionFactory {
        CookieSessionFactory::builder(Secret::from_text(FLASK_SECRET))
            .flask()
            .build()
            .unwrap()
    }

    /// A Flask factory whose size limit lets megabyte payloads reach the inflater.
    fn roomy_flask() -> CookieSessionFactory {
        CookieSessionFactory::builder(Secret::from_text(FLASK_SECRET))
            .flask()
            .size_limit(4 << 20)
            .build()
            .unwrap()
    }

    fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key).unwrap();
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }

    /// `PAYLOAD.TIMESTAMP.SIGNATURE` around any payload and timestamp fields, signed as
    /// itsdangerous signs (`hmac` key derivation, salt `cookie-session`, SHA-1).
    fn flask_sign(payload: &str, timestamp: &str) -> String {
        let key = hmac_sha1(FLASK_SECRET.as_bytes(), b"cookie-session");
        let signed = format!("{payload}.{timestamp}");
        let signature = URL_SAFE_NO_PAD.encode(hmac_sha1(&key, signed.as_bytes()));
        format!("{signed}.{signature}")
    }

    /// The canonical timestamp field of a minute ago.
    fn recent() -> String {
        URL_SAFE_NO_PAD.encode(u32::try_from(NOW - 60).unwrap().to_be_bytes())
    }

    fn plain(json: &[u8]) -> String {
        flask_sign(&URL_SAFE_NO_PAD.encode(json), &recent())
    }

    fn zlib(bytes: &[u8]) -> String {
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(bytes, 9);
        flask_sign(
            &format!(".{}", URL_SAFE_NO_PAD.encode(compressed)),
            &recent(),
        )
    }

    #[test]
    fn the_signing_helper_reproduces_the_library_byte_for_byte() {
        let factory = flask();
        assert_eq!(plain(br#"{"n":1,"user":"john"}"#), valid_cookie(&factory));
        assert!(factory.verify(&zlib(br#"{"a":"b"}"#), now()).is_ok());
    }

    #[test]
    fn zlib_bombs_are_refused_without_inflating_them() {
        // 1 MiB of JSON in about a kilobyte: fits the default size limit, inflates past 64 KiB.
        let mut json = b"{\"a\":\"".to_vec();
        json.resize(1 << 20, b'a');
        json.extend_from_slice(b"\"}");
        let bomb = zlib(&json);
        assert!(bomb.len() < DEFAULT_SIZE_LIMIT);
        let too_large = DecodeError::InflatedTooLarge { limit: 64 * 1024 };
        assert_rejected(&flask(), &bomb, too_large);
        // 8 MiB (about 8 KB compressed) through a factory that lets it reach the inflater.
        let mut huge = b"{\"a\":\"".to_vec();
        huge.resize(8 << 20, b'a');
        assert_rejected(&roomy_flask(), &zlib(&huge), too_large);
        // The same bomb under the default limit is refused by length, before any decoding.
        let error = flask().verify(&zlib(&huge), now()).unwrap_err();
        assert!(matches!(error, DecodeError::TooLong { .. }), "{error:?}");
    }

    #[test]
    fn corrupt_or_truncated_zlib_streams() {
        let stream = miniz_oxide::deflate::compress_to_vec_zlib(br#"{"user":"john"}"#, 6);
        let truncated = &stream[..stream.len() - 4];
        let mut flipped = stream.clone();
        flipped[0] ^= 0xff; // not a zlib header
        for bad in [truncated, &flipped[..], b"not zlib at all", b""] {
            let field = format!(".{}", URL_SAFE_NO_PAD.encode(bad));
            let expected = if bad.is_empty() {
                DecodeError::Empty
            } else {
                DecodeError::Decompression
            };
            assert_rejected(&flask(), &flask_sign(&field, &recent()), expected);
        }
    }

    #[test]
    fn truncated_and_non_canonical_base64() {
        let factory = flask();
        let cookie = valid_cookie(&factory);
        let (signed, signature) = cookie.rsplit_once('.').unwrap();
        let (payload, stamp) = signed.rsplit_once('.').unwrap();
        // itsdangerous drops junk characters and padding before decoding the signature: a
        // strict reader refuses every such spelling.
        for bad in [
            format!("{signed}.{signature}="),
            format!("{signed}.{}~~~~{}", &signature[..5], &signature[5..]),
            format!("{signed}.{}é{}", &signature[..5], &signature[5..]),
            format!("{signed}.{} ", signature),
            format!("{signed}.{}", signature.replace('-', "+").replace('_', "/")),
        ] {
            let error = factory.verify(&bad, now()).unwrap_err();
            assert!(
                matches!(error, DecodeError::Base64 | DecodeError::BadSignature),
                "{bad}: {error:?}"
            );
        }
        // A signature one character short or long, or with stray trailing bits.
        assert_rejected(&factory, &cookie[..cookie.len() - 1], DecodeError::Base64);
        assert_rejected(&factory, &format!("{cookie}A"), DecodeError::BadSignature);
        let last = signature.chars().last().unwrap();
        let stray = if last == 'B' { 'C' } else { 'B' };
        let with_stray_bits = format!("{signed}.{}{stray}", &signature[..signature.len() - 1]);
        let error = factory.verify(&with_stray_bits, now()).unwrap_err();
        assert!(
            matches!(error, DecodeError::Base64 | DecodeError::BadSignature),
            "{error:?}"
        );
        // Missing fields.
        assert_rejected(&factory, signature, DecodeError::Truncated);
        assert_rejected(
            &factory,
            &format!("{payload}.{signature}"),
            DecodeError::Truncated,
        );
        assert_rejected(
            &factory,
            &format!("{stamp}.{signature}"),
            DecodeError::Truncated,
        );
        assert_rejected(&factory, "..", DecodeError::Empty);
        // Validly signed, but the payload field is not canonical base64url.
        assert_rejected(
            &factory,
            &flask_sign("e30=", &recent()),
            DecodeError::Base64,
        );
        assert_rejected(
            &factory,
            &flask_sign("e3 0", &recent()),
            DecodeError::Base64,
        );
        assert_rejected(
            &factory,
            &flask_sign("a.e30", &recent()),
            DecodeError::Base64,
        );
        assert_rejected(
            &factory,
            &flask_sign("..e30", &recent()),
            DecodeError::Base64,
        );
    }

    #[test]
    fn non_canonical_or_absurd_timestamps() {
        let factory = flask();
        let payload = URL_SAFE_NO_PAD.encode(b"{}");
        let stamp = |bytes: &[u8]| flask_sign(&payload, &URL_SAFE_NO_PAD.encode(bytes));
        let recent = u32::try_from(NOW - 60).unwrap().to_be_bytes();
        assert!(factory.verify(&stamp(&recent), now()).is_ok());
        // A leading zero byte, nine bytes, no timestamp at all (Flask's spelling of 0).
        let leading_zero = [&[0u8][..], &recent].concat();
        assert_rejected(&factory, &stamp(&leading_zero), DecodeError::BadPayload);
        assert_rejected(&factory, &stamp(&[1; 9]), DecodeError::BadPayload);
        assert_rejected(&factory, &flask_sign(&payload, ""), DecodeError::Empty);
        // One second ahead, or at the end of time: refused as Flask refuses them.
        let ahead = u32::try_from(NOW + 1).unwrap().to_be_bytes();
        assert_rejected(&factory, &stamp(&ahead), DecodeError::NotYetValid);
        assert_rejected(&factory, &stamp(&[0xff; 8]), DecodeError::NotYetValid);
        // 31 days and a second old.
        let old = u32::try_from(NOW - 2_678_401).unwrap().to_be_bytes();
        assert_rejected(&factory, &stamp(&old), DecodeError::Expired);
    }

    #[test]
    fn validly_signed_payloads_that_are_not_sessions() {
        let factory = flask();
        for json in [
            &b"[]"[..],
            b"\"session\"",
            b"null",
            b"{\"a\":NaN}",
            b"{\"a\":1",
            b"{\"a\":\"\xff\"}",
            b"{} {}",
            b"",
        ] {
            let value = plain(json);
            let expected = if json.is_empty() {
                DecodeError::Empty
            } else {
                DecodeError::BadPayload
            };
            assert_rejected(&factory, &value, expected);
        }
        // Nesting past serde_json's recursion limit, plain and compressed.
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        assert_rejected(&factory, &zlib(deep.as_bytes()), DecodeError::BadPayload);
    }

    #[test]
    fn cookies_of_another_salt_hash_key_or_format() {
        let factory = flask();
        let cookie = valid_cookie(&factory);
        let other_salt = CookieSessionFactory::builder(Secret::from_text(FLASK_SECRET))
            .flask()
            .salt("")
            .build()
            .unwrap();
        let other_hash = CookieSessionFactory::builder(Secret::from_text(FLASK_SECRET))
            .flask()
            .format(Format::Flask(PyramidHash::Sha256))
            .build()
            .unwrap();
        let other_key =
            CookieSessionFactory::builder(Secret::from_text("another flask SECRET_KEY"))
                .flask()
                .build()
                .unwrap();
        for reader in [other_salt, other_hash, other_key] {
            assert_rejected(&reader, &cookie, DecodeError::BadSignature);
        }
        // Native and Pyramid cookies have no dots: not even the shape of a Flask cookie.
        assert_rejected(&factory, &valid_cookie(&native()), DecodeError::Truncated);
        assert_rejected(&factory, &valid_cookie(&pyramid()), DecodeError::Truncated);
        let error = pyramid().verify(&cookie, now()).unwrap_err();
        assert_eq!(error, DecodeError::Base64);
    }
}
