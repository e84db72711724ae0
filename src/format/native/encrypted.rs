//! The encrypted suites: the envelope sealed with an AEAD that takes a 192-bit random nonce.
//!
//! ```text
//! envelope = header(22) | nonce(24) | ciphertext of the JSON state | tag(16)
//! AD       = header | nonce                     (fixed length: splits one way only)
//! key      = HKDF-Expand(master, PAE([label, cookie name, purpose]), 32)
//! ```
//!
//! | suite  | AEAD                | label                                  |
//! |--------|---------------------|----------------------------------------|
//! | `0x02` | XChaCha20-Poly1305  | `cookie-session/v2/enc/xchacha20poly1305` |
//! | `0x03` | XAES-256-GCM (C2SP) | `cookie-session/v2/enc/xaes-256-gcm`   |
//!
//! XAES-256-GCM derives an AES-256-GCM key per message from the first 96 bits of its nonce and
//! the key (two AES block encryptions, a CMAC-like KDF), then runs AES-256-GCM with the last 96
//! bits: random 192-bit nonces, as with XChaCha, at hardware-AES speed. It is the default where
//! the CPU has AES and carry-less multiplication instructions (BENCHMARKS.md); XChaCha20-Poly1305
//! stays readable and selectable for machines without them.
//!
//! XAES-256-GCM is this crate's own few lines (`xaes.rs`) on `aes`/`aes-gcm`, checked against
//! C2SP's vectors and RustCrypto's `xaes-256-gcm`; XChaCha20-Poly1305 is RustCrypto's.
//!
//! The nonce is random for every cookie: a collision needs about 2^96 cookies under one key,
//! which a stateless, multi-process server needs, having no counter to share. It comes straight
//! from the operating system (`getrandom`) every time. That costs a system call per cookie
//! (BENCHMARKS.md measures it; glibc 2.41+ on Linux 6.11+ serves it from the vDSO), but a
//! user-space generator would repeat its nonces in a process forked after it was seeded, and a
//! repeated nonce under one key reveals the XOR of two plaintexts and allows forgeries.

use std::marker::PhantomData;

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::envelope::{Binding, Parts, Suite};
use super::xaes::{self, AeadFailure, Xaes256Gcm};
use crate::error::{ConfigError, DecodeError, EncodeError};

/// The random nonce's length: 24 bytes for every encrypted suite.
const NONCE_LEN: usize = xaes::NONCE_LEN;
/// The tag's length: 16 bytes for every encrypted suite.
const TAG_LEN: usize = xaes::TAG_LEN;

/// An AEAD with a 256-bit key, a 192-bit nonce and a 128-bit tag, as an encrypted suite uses it.
/// The methods are the suite's whole use of the cipher, whichever crate implements it.
pub(crate) trait Cipher: Send + Sync + 'static {
    /// The suite byte.
    const BYTE: u8;
    /// HKDF label of its key: never the same key as another suite's.
    const LABEL: &'static [u8];

    /// The cipher under `key`, set up once and then used for every message.
    fn with_key(key: &[u8; xaes::KEY_LEN]) -> Self;

    /// Encrypts `body` in place, authenticating `ad` with it.
    fn seal(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        body: &mut [u8],
    ) -> Result<[u8; TAG_LEN], AeadFailure>;

    /// Authenticates `ad` and `body` against `tag`, and decrypts `body` in place.
    fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        body: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), AeadFailure>;
}

/// Wipes its key on drop (the crate's `zeroize` feature).
impl Cipher for XChaCha20Poly1305 {
    const BYTE: u8 = 0x02;
    const LABEL: &'static [u8] = b"cookie-session/v2/enc/xchacha20poly1305";

    fn with_key(key: &[u8; xaes::KEY_LEN]) -> Self {
        Self::new(key.into())
    }

    fn seal(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        body: &mut [u8],
    ) -> Result<[u8; TAG_LEN], AeadFailure> {
        let tag = self
            .encrypt_inout_detached(nonce.into(), ad, body.into())
            .map_err(|_| AeadFailure)?;
        Ok(tag.into())
    }

    fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        body: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), AeadFailure> {
        self.decrypt_inout_detached(nonce.into(), ad, body.into(), tag.into())
            .map_err(|_| AeadFailure)
    }
}

impl Cipher for Xaes256Gcm {
    const BYTE: u8 = 0x03;
    const LABEL: &'static [u8] = b"cookie-session/v2/enc/xaes-256-gcm";

    fn with_key(key: &[u8; xaes::KEY_LEN]) -> Self {
        Self::new(key)
    }

    fn seal(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        body: &mut [u8],
    ) -> Result<[u8; TAG_LEN], AeadFailure> {
        Self::seal(self, nonce, ad, body)
    }

    fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        body: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), AeadFailure> {
        Self::open(self, nonce, ad, body, tag)
    }
}

/// The encrypted suite of cipher `C`: the client can neither read nor forge the state.
pub(crate) struct Encrypted<C>(PhantomData<C>);

/// Suite `0x02`.
pub(crate) type XChaCha = Encrypted<XChaCha20Poly1305>;
/// Suite `0x03`.
pub(crate) type Xaes = Encrypted<Xaes256Gcm>;

impl<C: Cipher> Suite for Encrypted<C> {
    const BYTE: u8 = C::BYTE;
    const CONFIDENTIAL: bool = true;
    const NONCE_LEN: usize = NONCE_LEN;
    const TAG_LEN: usize = TAG_LEN;
    /// Wipes its key on drop.
    type Key = C;

    fn derive(master: &Hkdf<Sha256>, binding: &Binding<'_>) -> Result<Self::Key, ConfigError> {
        let mut key = Zeroizing::new([0u8; xaes::KEY_LEN]);
        binding.expand_key(master, C::LABEL, &mut *key)?;
        Ok(C::with_key(&key))
    }

    fn open(key: &Self::Key, parts: &mut Parts<'_>) -> Result<(), DecodeError> {
        // Both conversions have exact lengths by construction of the parts.
        let nonce: [u8; NONCE_LEN] = (*parts.nonce())
            .try_into()
            .map_err(|_| DecodeError::Truncated)?;
        let tag: [u8; TAG_LEN] = (*parts.tag)
            .try_into()
            .map_err(|_| DecodeError::Truncated)?;
        key.open(&nonce, parts.head, parts.body, &tag)
            .map_err(|AeadFailure| DecodeError::BadSignature)
    }

    fn seal(key: &Self::Key, parts: &mut Parts<'_>) -> Result<(), EncodeError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| EncodeError::RandomUnavailable)?;
        parts.nonce().copy_from_slice(&nonce);
        // The only failure is a plaintext beyond the cipher's limit (gigabytes).
        let tag = key
            .seal(&nonce, parts.head, parts.body)
            .map_err(|AeadFailure| EncodeError::Encryption)?;
        parts.tag.copy_from_slice(&tag);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::envelope::tests::{codec, pinned_codec, ring, state};
    use super::super::envelope::{HEADER_LEN, Header, NativeCodec};
    use super::super::signed::Signed;
    use super::*;
    use crate::format::{Stamp, WireFormat, base64url};

    /// The pinned ring, name, purpose and session sealed with the nonce `100, 101, …, 123`,
    /// computed independently (Python: `cryptography`'s ChaCha20-Poly1305 after an HChaCha20
    /// written out, and its AES-GCM after the XAES-256-GCM key derivation of C2SP written out,
    /// with the HKDF and PAE of the module docs).
    const PINNED_XCHACHA: &str = "AumLH9YAAAAAAGVT8QAAAAAAZVPxZGRlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e4gh6KMWZ-36KJu5VG2s-p4_E3gfi8I5eZstdD-ECfS0Om2i4aQ";
    const PINNED_XAES: &str = "A-mLH9YAAAAAAGVT8QAAAAAAZVPxZGRlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e16mTPHCEQ7scBCQcK94OXy4OwjraQBpaZGjmWBPuKfWEt3Az3Q";

    #[test]
    fn the_encrypted_wire_bytes_are_pinned() {
        for (pinned, decoded) in [
            (
                PINNED_XCHACHA,
                pinned_codec::<XChaCha>(false).decode(PINNED_XCHACHA),
            ),
            (PINNED_XAES, pinned_codec::<Xaes>(false).decode(PINNED_XAES)),
        ] {
            let decoded = decoded.unwrap_or_else(|e| panic!("{pinned}: {e:?}"));
            assert_eq!(decoded.state, state());
            assert_eq!(
                (decoded.created, decoded.accessed),
                (1_700_000_000.0, 1_700_000_100.0)
            );
        }
        // Each suite reads the other's cookies (one ring), and tells them apart by the byte.
        let read_by_other = pinned_codec::<Xaes>(false).decode(PINNED_XCHACHA).unwrap();
        assert!(read_by_other.other_suite);
    }

    #[test]
    fn both_ciphers_round_trip_and_differ() {
        let keys = ring(7);
        let xaes = codec::<Xaes>(&keys, "session", "");
        let xchacha = codec::<XChaCha>(&keys, "session", "");
        let value = xaes.encode(&state(), 0.0, Stamp::Whole(0)).unwrap();
        let raw = base64url::decode(&value).unwrap();
        assert_eq!(raw[0], 0x03);
        assert_eq!(raw.len(), HEADER_LEN + NONCE_LEN + Xaes::TAG_LEN + 21);
        assert_eq!(xaes.decode(&value).unwrap().state, state());
        assert!(xchacha.decode(&value).unwrap().other_suite);
        // Relabelled as the other cipher, the envelope fails authentication.
        let mut relabelled = raw.clone();
        relabelled[0] = XChaCha::BYTE;
        assert_eq!(
            xaes.decode(&base64url::encode(&relabelled)),
            Err(DecodeError::BadSignature)
        );
        // Two seals of one state never share a nonce.
        let again =
            base64url::decode(&xaes.encode(&state(), 0.0, Stamp::Whole(0)).unwrap()).unwrap();
        assert_ne!(
            raw[HEADER_LEN..HEADER_LEN + NONCE_LEN],
            again[HEADER_LEN..HEADER_LEN + NONCE_LEN]
        );
    }

    #[test]
    fn layout_is_header_nonce_ciphertext_tag() {
        let c = codec::<XChaCha>(&ring(7), "session", "");
        let value = c
            .encode(&state(), 1_700_000_000.0, Stamp::Whole(1_700_000_100))
            .unwrap();
        let raw = base64url::decode(&value).unwrap();
        let json_len = br#"{"user":"john","n":1}"#.len();
        assert_eq!((NONCE_LEN, XChaCha::TAG_LEN), (24, 16));
        assert_eq!(HEADER_LEN + NONCE_LEN + XChaCha::TAG_LEN, 62);
        assert_eq!(raw.len(), 62 + json_len);
        let header = Header::read(&raw).unwrap();
        assert_eq!(header.suite, XChaCha::BYTE);
        assert_eq!(header.flags, 0, "no flags, in particular no compression");
        assert_eq!(
            (header.created, header.accessed),
            (1_700_000_000, 1_700_000_100)
        );
        let decoded = c.decode(&value).unwrap();
        assert_eq!(decoded.state, state());
        assert!(!decoded.other_suite);
    }

    #[test]
    fn a_signed_codec_refuses_encrypted_cookies_unless_told_otherwise() {
        let keys = ring(7);
        let sealed = codec::<XChaCha>(&keys, "session", "");
        let value = sealed.encode(&state(), 0.0, Stamp::Whole(0)).unwrap();
        // The downgrade: reading it would re-issue the hidden state readable.
        let signed = codec::<Signed>(&keys, "session", "");
        assert_eq!(
            signed.decode(&value),
            Err(DecodeError::SuiteNotAccepted(XChaCha::BYTE))
        );
        let rollback = NativeCodec::new::<Signed>(&keys, None, "session", true).unwrap();
        let decoded = rollback.decode(&value).unwrap();
        assert_eq!(decoded.state, state());
        assert!(decoded.other_suite, "re-issued signed, as the opt-in says");
        // The safe direction needs no opt-in.
        let signed_value = signed.encode(&state(), 0.0, Stamp::Whole(0)).unwrap();
        assert!(sealed.decode(&signed_value).unwrap().other_suite);
    }

    #[test]
    fn signed_and_encrypted_keys_differ_but_share_the_key_id() {
        let keys = ring(7);
        let signed = codec::<Signed>(&keys, "session", "");
        let sealed = codec::<XChaCha>(&keys, "session", "");
        let a = base64url::decode(&signed.encode(&state(), 0.0, Stamp::Whole(0)).unwrap()).unwrap();
        let mut b =
            base64url::decode(&sealed.encode(&state(), 0.0, Stamp::Whole(0)).unwrap()).unwrap();
        assert_eq!(a[1..5], b[1..5]);
        // The signed key does not open the encrypted suite: relabel it as signed.
        b[0] = Signed::BYTE;
        assert_eq!(
            signed.decode(&base64url::encode(&b)),
            Err(DecodeError::BadSignature)
        );
    }

    #[test]
    fn a_different_key_under_the_same_id_fails_authentication() {
        let good = codec::<XChaCha>(&ring(7), "session", "");
        let other = codec::<XChaCha>(&ring(8), "session", "");
        let mut raw =
            base64url::decode(&good.encode(&state(), 0.0, Stamp::Whole(0)).unwrap()).unwrap();
        let other_id =
            base64url::decode(&other.encode(&state(), 0.0, Stamp::Whole(0)).unwrap()).unwrap();
        raw[1..5].copy_from_slice(&other_id[1..5]);
        assert_eq!(
            other.decode(&base64url::encode(&raw)),
            Err(DecodeError::BadSignature)
        );
    }

    #[test]
    fn associated_data_is_injective_across_name_and_purpose_splits() {
        // "ab" + "c" and "a" + "bc" concatenate alike; PAE keeps them apart.
        let value = codec::<XChaCha>(&ring(7), "ab", "c")
            .encode(&state(), 0.0, Stamp::Whole(0))
            .unwrap();
        assert_eq!(
            codec::<XChaCha>(&ring(7), "a", "bc").decode(&value),
            Err(DecodeError::BadSignature)
        );
    }
}
