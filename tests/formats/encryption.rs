//! The encrypted native suites (0x03 XAES-256-GCM, written by `Format::Encrypted`; 0x02
//! XChaCha20-Poly1305, `Format::EncryptedXChaCha`): confidentiality, integrity, binding, time
//! rules, rotation, migration from the signed suite under one key ring, and no way back to
//! readable cookies without an explicit opt-in.
//!
//! Run with `cargo test --features encryption --test encryption`. Without the feature only the
//! last test runs: an encrypted cookie is then an unknown suite.

#[cfg(feature = "encryption")]
mod encrypted {
    use std::time::Duration;

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use cookie_session::{CookieSessionFactory, DecodeError, Format, KeyRing, Secret, UnixTime};
    use serde_json::{Map, Value, json};

    const SUITE_SIGNED: u8 = 0x01;
    /// XAES-256-GCM, what `Format::Encrypted` writes.
    const SUITE_ENCRYPTED: u8 = 0x03;
    const SUITE_XCHACHA: u8 = 0x02;
    const HEADER_LEN: usize = 22;
    const NONCE_LEN: usize = 24;
    const TAG_LEN: usize = 16;
    /// A value that must never be visible in an encrypted cookie.
    const DISTINCTIVE: &str = "Zq9-distinctive-plaintext-marker-7731";

    fn now() -> UnixTime {
        UnixTime::from_secs(1_700_000_000)
    }

    fn secret(byte: u8) -> Secret {
        Secret::from_bytes(vec![byte; 32])
    }

    fn factory(keys: impl Into<KeyRing>, format: Format) -> CookieSessionFactory {
        CookieSessionFactory::builder(keys)
            .format(format)
            .build()
            .unwrap()
    }

    fn encrypted(keys: impl Into<KeyRing>) -> CookieSessionFactory {
        CookieSessionFactory::builder(keys)
            .encrypted()
            .build()
            .unwrap()
    }

    fn state() -> Map<String, Value> {
        let Value::Object(map) = json!({"username": "john", "note": DISTINCTIVE, "n": 3}) else {
            unreachable!()
        };
        map
    }

    /// A cookie value holding `state()`, written at `now()`.
    fn cookie(factory: &CookieSessionFactory) -> String {
        factory.encode_value(&state(), now(), now()).unwrap()
    }

    fn raw(value: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(value).unwrap()
    }

    fn value(raw: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The base64url spellings of `text` at each of the three byte alignments it can have inside
    /// a longer encoded message, without the edge characters that depend on neighbouring bytes.
    fn base64_spellings(text: &str) -> Vec<String> {
        (0..3)
            .map(|pad| {
                let mut bytes = vec![0u8; pad];
                bytes.extend_from_slice(text.as_bytes());
                let encoded = URL_SAFE_NO_PAD.encode(&bytes);
                let start = if pad == 0 { 0 } else { 4 };
                encoded[start..encoded.len() - 4].to_owned()
            })
            .collect()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn xchacha_is_selectable_and_both_ciphers_read_each_other() {
        let xchacha = factory(secret(1), Format::EncryptedXChaCha);
        let xaes = encrypted(secret(1));
        assert_eq!(
            xchacha.format().to_string(),
            "native encrypted (xchacha20-poly1305)"
        );
        let value = cookie(&xchacha);
        let raw = raw(&value);
        assert_eq!(raw[0], SUITE_XCHACHA);
        let json_len = serde_json::to_vec(&state()).unwrap().len();
        assert_eq!(raw.len(), HEADER_LEN + NONCE_LEN + TAG_LEN + json_len);
        assert!(!String::from_utf8_lossy(&raw).contains(DISTINCTIVE));
        let read = xaes.load(Some(&value), now());
        assert!(read.load_error().is_none());
        assert_eq!(
            read.get::<String>("note").unwrap().as_deref(),
            Some(DISTINCTIVE)
        );
        let back = xchacha.load(Some(&cookie(&xaes)), now());
        assert_eq!(back.get::<u8>("n").unwrap(), Some(3));
        // Under another key ring neither opens.
        assert_eq!(
            factory(secret(2), Format::EncryptedXChaCha).verify(&value, now()),
            Err(DecodeError::UnknownKey)
        );
    }

    #[test]
    fn round_trip_through_a_session() {
        let factory = encrypted(secret(1));
        assert_eq!(factory.format(), Format::Encrypted);
        assert_eq!(factory.format().to_string(), "native encrypted");
        let mut session = factory.load(None, now());
        session.insert("username", "john").unwrap();
        session.insert("roles", ["admin", "editor"]).unwrap();
        let set_cookie = factory.finish(&session, now()).unwrap().unwrap();
        assert_eq!(raw(set_cookie.value())[0], SUITE_ENCRYPTED);

        let session = factory.load(Some(set_cookie.value()), now());
        assert!(!session.is_new());
        assert_eq!(session.load_error(), None);
        assert_eq!(session.key_index(), Some(0));
        assert_eq!(
            session.get::<String>("username").unwrap().as_deref(),
            Some("john")
        );
        assert_eq!(
            session.get::<Vec<String>>("roles").unwrap(),
            Some(vec!["admin".to_owned(), "editor".to_owned()])
        );
        assert!(
            factory.finish(&session, now()).unwrap().is_none(),
            "read within the reissue time: nothing to send"
        );

        let verified = factory.verify(&cookie(&factory), now()).unwrap();
        assert_eq!(verified.state, state());
        assert_eq!(verified.created, now());
        assert_eq!(verified.key_index, 0);
    }

    #[test]
    fn the_plaintext_never_appears_in_the_cookie() {
        let keys = secret(1);
        let sealed = cookie(&encrypted(keys.clone()));
        let sealed_raw = raw(&sealed);
        for text in [DISTINCTIVE, "username", "john"] {
            assert!(
                !contains(&sealed_raw, text.as_bytes()),
                "{text} in the bytes"
            );
            assert!(!sealed.contains(text), "{text} in the value");
        }
        for spelling in base64_spellings(DISTINCTIVE) {
            assert!(!sealed.contains(&spelling), "base64 of the plaintext");
        }
        // The same checks find the plaintext in a signed cookie, so they can fail.
        let signed = cookie(&factory(keys, Format::Signed));
        assert!(contains(&raw(&signed), DISTINCTIVE.as_bytes()));
        assert!(
            base64_spellings(DISTINCTIVE)
                .iter()
                .any(|spelling| signed.contains(spelling.as_str()))
        );
    }

    #[test]
    fn layout_and_size() {
        let factory = encrypted(secret(1));
        let sealed = raw(&cookie(&factory));
        let json_len = serde_json::to_vec(&state()).unwrap().len();
        assert_eq!(sealed.len(), HEADER_LEN + NONCE_LEN + json_len + TAG_LEN);
        assert_eq!(sealed[5], 0, "no flags: never compressed");
        let signed = raw(&cookie(&self::factory(secret(1), Format::Signed)));
        assert_eq!(signed[1..5], sealed[1..5], "one key id for both suites");
        assert_eq!(sealed.len() - signed.len(), NONCE_LEN + TAG_LEN - 32);
    }

    #[test]
    fn two_encryptions_of_the_same_session_differ() {
        let factory = encrypted(secret(1));
        let (a, b) = (cookie(&factory), cookie(&factory));
        assert_ne!(a, b);
        let (raw_a, raw_b) = (raw(&a), raw(&b));
        assert_eq!(raw_a[..HEADER_LEN], raw_b[..HEADER_LEN], "same header");
        assert_ne!(
            raw_a[HEADER_LEN..HEADER_LEN + NONCE_LEN],
            raw_b[HEADER_LEN..HEADER_LEN + NONCE_LEN],
            "fresh nonce"
        );
        assert_ne!(
            raw_a[HEADER_LEN + NONCE_LEN..],
            raw_b[HEADER_LEN + NONCE_LEN..]
        );
        assert_eq!(factory.verify(&a, now()).unwrap().state, state());
        assert_eq!(factory.verify(&b, now()).unwrap().state, state());
    }

    #[test]
    fn every_single_byte_change_is_rejected() {
        let factory = encrypted(secret(1));
        let original = raw(&cookie(&factory));
        for position in 0..original.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut tampered = original.clone();
                tampered[position] ^= mask;
                let result = factory.verify(&value(&tampered), now());
                assert!(result.is_err(), "byte {position} ^ {mask:#04x} accepted");
                let session = factory.load(Some(&value(&tampered)), now());
                assert!(session.is_new() && session.load_error().is_some());
            }
        }
        // A changed tag or ciphertext is an authentication failure, nothing more specific.
        let mut tampered = original.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            factory.verify(&value(&tampered), now()),
            Err(DecodeError::BadSignature)
        );
        tampered = original.clone();
        tampered[HEADER_LEN + NONCE_LEN] ^= 1;
        assert_eq!(
            factory.verify(&value(&tampered), now()),
            Err(DecodeError::BadSignature)
        );
    }

    #[test]
    fn truncations_and_extensions_are_rejected() {
        let factory = encrypted(secret(1));
        let original = raw(&cookie(&factory));
        for len in 0..original.len() {
            let result = factory.verify(&value(&original[..len]), now());
            assert!(result.is_err(), "truncated to {len} bytes accepted");
        }
        let mut longer = original.clone();
        longer.push(0);
        assert_eq!(
            factory.verify(&value(&longer), now()),
            Err(DecodeError::BadSignature)
        );
        // Shorter than header, nonce and tag: refused before any cryptography.
        assert_eq!(
            factory.verify(
                &value(&original[..HEADER_LEN + NONCE_LEN + TAG_LEN - 1]),
                now()
            ),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn wrong_key_cookie_name_or_salt_is_rejected() {
        let keys = secret(1);
        let base = || CookieSessionFactory::builder(keys.clone()).encrypted();
        let good = base().salt("app/session").build().unwrap();
        let value = cookie(&good);
        assert!(good.verify(&value, now()).is_ok());

        let other_key = encrypted(secret(2));
        assert_eq!(
            other_key.verify(&value, now()),
            Err(DecodeError::UnknownKey)
        );

        let other_name = base()
            .salt("app/session")
            .cookie_name("sid")
            .build()
            .unwrap();
        assert_eq!(
            other_name.verify(&value, now()),
            Err(DecodeError::BadSignature)
        );

        let other_salt = base().salt("app/other").build().unwrap();
        assert_eq!(
            other_salt.verify(&value, now()),
            Err(DecodeError::BadSignature)
        );
        let no_salt = base().build().unwrap();
        assert_eq!(
            no_salt.verify(&value, now()),
            Err(DecodeError::BadSignature)
        );

        // Another key presenting this key's id: authentication fails, the id alone buys nothing.
        let impostor = CookieSessionFactory::builder(secret(2))
            .encrypted()
            .salt("app/session")
            .build()
            .unwrap();
        let mut forged = raw(&value);
        forged[1..5].copy_from_slice(&raw(&cookie(&impostor))[1..5]);
        assert_eq!(
            impostor.verify(&self::value(&forged), now()),
            Err(DecodeError::BadSignature)
        );
    }

    /// The outcome of loading, at `later`, a session written at `now()`, by code.
    fn outcome(format: Format, later: UnixTime) -> (bool, usize, Option<&'static str>) {
        let factory = CookieSessionFactory::builder(secret(1))
            .format(format)
            .timeout(Duration::from_secs(60))
            .reissue_time(Duration::from_secs(10))
            .max_lifetime(Duration::from_secs(3600))
            .build()
            .unwrap();
        let mut session = factory.load(None, now());
        session.insert("n", 1).unwrap();
        let value = factory.finish(&session, now()).unwrap().unwrap();
        let session = factory.load(Some(value.value()), later);
        (
            session.is_new(),
            session.state().len(),
            session.load_error().map(|e| e.code()),
        )
    }

    #[test]
    fn expiry_follows_the_same_rules_as_signed_mode() {
        let at = |secs: u64| now().plus(Duration::from_secs(secs));
        let cases = [
            (at(59), (false, 1, None)),
            (at(61), (false, 0, Some("expired"))),
            (now(), (false, 1, None)),
        ];
        for (later, expected) in cases {
            assert_eq!(outcome(Format::Encrypted, later), expected);
            assert_eq!(outcome(Format::Signed, later), expected);
        }
        // A cookie from the future (beyond the skew) and one past its lifetime.
        let factory = encrypted(secret(1));
        let future = factory.encode_value(&state(), at(3600), at(3600)).unwrap();
        assert_eq!(
            factory.verify(&future, now()),
            Err(DecodeError::NotYetValid)
        );
        let capped = CookieSessionFactory::builder(secret(1))
            .encrypted()
            .timeout(None)
            .max_lifetime(Duration::from_secs(100))
            .build()
            .unwrap();
        let old = capped.encode_value(&state(), now(), at(150)).unwrap();
        assert_eq!(
            capped.verify(&old, at(150)),
            Err(DecodeError::LifetimeExceeded)
        );
    }

    #[test]
    fn a_read_after_reissue_time_resends_the_cookie() {
        let factory = CookieSessionFactory::builder(secret(1))
            .encrypted()
            .reissue_time(Duration::from_secs(10))
            .build()
            .unwrap();
        let value = cookie(&factory);
        let later = now().plus(Duration::from_secs(30));
        let session = factory.load(Some(&value), later);
        assert_eq!(session.get::<u32>("n").unwrap(), Some(3));
        let reissued = factory.finish(&session, later).unwrap().unwrap();
        assert_eq!(
            factory.verify(reissued.value(), later).unwrap().accessed,
            later
        );
    }

    #[test]
    fn rotation_reissues_under_the_primary() {
        let (old, new) = (secret(1), secret(2));
        let before = encrypted(old.clone());
        let value = cookie(&before);

        let after = encrypted(KeyRing::new(new.clone()).with_verify_only(old.clone()));
        let session = after.load(Some(&value), now());
        assert_eq!(session.key_index(), Some(1));
        assert_eq!(
            session.get::<String>("note").unwrap().as_deref(),
            Some(DISTINCTIVE)
        );
        let reissued = after.finish(&session, now()).unwrap().expect("rotation");
        assert_eq!(raw(reissued.value())[0], SUITE_ENCRYPTED);
        assert_eq!(after.stats().fallback_verifications, 1);
        assert_eq!(after.stats().reissued_for_rotation, 1);

        // The new cookie needs only the new key; the old ring cannot read it.
        let only_new = encrypted(new);
        assert_eq!(
            only_new.verify(reissued.value(), now()).unwrap().key_index,
            0
        );
        assert_eq!(
            before.verify(reissued.value(), now()),
            Err(DecodeError::UnknownKey)
        );
        // Once the old key is removed, its cookies end.
        assert_eq!(only_new.verify(&value, now()), Err(DecodeError::UnknownKey));
    }

    /// Reads a cookie written in `from` with a factory writing `to`, under one ring whose
    /// primary is `new` and which still accepts `old`, and checks the re-issue. The reader
    /// accepts encrypted cookies even when it writes signed ones (the rollback opt-in).
    fn migrate(from: Format, to: Format, written_with: Secret, expected_index: usize) {
        let (new, old) = (secret(2), secret(1));
        let writer = factory(written_with, from);
        let value = cookie(&writer);
        let reader = CookieSessionFactory::builder(KeyRing::new(new.clone()).with_verify_only(old))
            .format(to)
            .accept_encrypted_cookies(true)
            .build()
            .unwrap();

        let session = reader.load(Some(&value), now());
        assert_eq!(session.load_error(), None, "{from} -> {to}");
        assert!(!session.is_new());
        assert_eq!(session.key_index(), Some(expected_index));
        assert_eq!(
            session.get::<String>("note").unwrap().as_deref(),
            Some(DISTINCTIVE)
        );
        let reissued = reader
            .finish(&session, now())
            .unwrap()
            .expect("re-issued in the configured suite");
        let expected_suite = if to == Format::Encrypted {
            SUITE_ENCRYPTED
        } else {
            SUITE_SIGNED
        };
        assert_eq!(raw(reissued.value())[0], expected_suite);
        assert_eq!(reader.stats().reissued_for_rotation, 1);
        assert_eq!(
            reader.stats().fallback_verifications,
            u64::from(expected_index > 0)
        );

        // Once migrated, reading it again sends nothing.
        let session = reader.load(Some(reissued.value()), now());
        assert_eq!(session.key_index(), Some(0));
        assert!(reader.finish(&session, now()).unwrap().is_none());
        // And a writer of the new primary alone reads it.
        assert!(factory(new, to).verify(reissued.value(), now()).is_ok());
    }

    #[test]
    fn signed_to_encrypted_migration_under_one_ring() {
        migrate(Format::Signed, Format::Encrypted, secret(2), 0);
        migrate(Format::Signed, Format::Encrypted, secret(1), 1);
    }

    #[test]
    fn encrypted_to_signed_migration_needs_the_opt_in() {
        migrate(Format::Encrypted, Format::Signed, secret(2), 0);
        migrate(Format::Encrypted, Format::Signed, secret(1), 1);
    }

    #[test]
    fn a_signed_factory_never_reissues_an_encrypted_cookie_readable() {
        let keys = secret(1);
        let value = cookie(&encrypted(keys.clone()));
        let signed = factory(keys, Format::Signed);
        assert_eq!(
            signed.verify(&value, now()),
            Err(DecodeError::SuiteNotAccepted(SUITE_ENCRYPTED))
        );
        assert_eq!(
            DecodeError::SuiteNotAccepted(SUITE_ENCRYPTED).code(),
            "suite_not_accepted"
        );
        // The user gets a new, empty session: nothing of the hidden state comes back readable.
        let mut session = signed.load(Some(&value), now());
        assert!(session.is_new());
        assert_eq!(
            session.load_error(),
            Some(DecodeError::SuiteNotAccepted(SUITE_ENCRYPTED))
        );
        assert_eq!(session.get::<String>("note").unwrap(), None);
        session.insert("n", 1).unwrap();
        let reissued = signed.finish(&session, now()).unwrap().unwrap();
        assert!(!contains(&raw(reissued.value()), DISTINCTIVE.as_bytes()));
    }

    #[test]
    fn oversized_sessions_are_refused_with_both_numbers() {
        let factory = encrypted(secret(1));
        let mut session = factory.load(None, now());
        session.insert("blob", "x".repeat(5000)).unwrap();
        match factory.finish(&session, now()) {
            Err(cookie_session::EncodeError::TooLarge { size, limit }) => {
                assert_eq!(limit, 4096);
                assert!(size > 5000);
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn short_secrets_are_refused_in_encrypted_mode_too() {
        let err = CookieSessionFactory::builder(Secret::from_bytes(vec![1; 31]))
            .encrypted()
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            cookie_session::ConfigError::SecretTooShort {
                index: 0,
                len: 31,
                min: 32
            }
        );
    }
}

#[cfg(not(feature = "encryption"))]
#[test]
fn without_the_feature_an_encrypted_cookie_is_an_unknown_suite() {
    use base64::Engine as _;
    use cookie_session::{CookieSessionFactory, DecodeError, Secret, UnixTime};

    let factory = CookieSessionFactory::new(Secret::from_bytes(vec![1; 32])).unwrap();
    let envelope = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0x02u8; 80]);
    assert_eq!(
        factory.verify(&envelope, UnixTime::from_secs(1_700_000_000)),
        Err(DecodeError::UnknownSuite(0x02))
    );
}
