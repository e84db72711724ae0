//! Suite `0x02`: the envelope encrypted with XChaCha20-Poly1305.
//!
//! ```text
//! envelope = header(22) | nonce(24) | ciphertext of the JSON state | Poly1305 tag(16)
//! AD       = PAE([context, cookie name, purpose, header | nonce])
//! ```
//!
//! The 192-bit nonce is random for every cookie. With XChaCha's nonce size, random nonces are
//! safe for any realistic number of cookies per key (a collision needs about 2^96 of them),
//! which a stateless, multi-process server needs: it has no counter to share.
//!
//! The nonce comes straight from the operating system (`getrandom`) for every cookie. Measured
//! on the development machine (glibc 2.36, a real system call), that costs about 250 ns: 12–19 %
//! of an encrypted `finish`, under 10 % of a load-and-finish. A user-space generator per thread
//! would save most of it, but would repeat its nonces in a process forked after it was seeded,
//! and a repeated nonce under one key reveals the XOR of two plaintexts and allows forgeries.
//! The system call is the safer trade (and glibc 2.41+ on Linux 6.11+ serves it from the vDSO).

use chacha20poly1305::{AeadInOut, KeyInit, Tag, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::envelope::{Binding, PAE_NUMBER_LEN, Pae, Parts, Suite};
use crate::error::{ConfigError, DecodeError, EncodeError};

/// HKDF label of the encryption key: never the same key as another suite's.
const INFO_ENC: &[u8] = b"cookie-session/v1/enc/xchacha20poly1305";
/// The PAE pieces of the associated data: context, cookie name, purpose, header ‖ nonce.
const PIECES: usize = 4;
/// XChaCha20's extended nonce (24 bytes).
const NONCE_LEN: usize = size_of::<XNonce>();

/// XChaCha20-Poly1305 with a random nonce per cookie: the client can neither read nor forge the
/// state.
pub(crate) struct XChaCha;

/// The encryption key of one master secret, and the constant start of the associated data.
pub(crate) struct XChaChaKey {
    /// Wipes its key on drop (`chacha20poly1305`'s `zeroize` feature).
    cipher: XChaCha20Poly1305,
    /// The PAE piece count and the constant pieces, encoded once.
    ad_prefix: Vec<u8>,
}

impl XChaChaKey {
    /// The associated data of one message: the constant prefix, then its header and nonce.
    fn associated_data(&self, head: &[u8]) -> Vec<u8> {
        let mut ad = Vec::with_capacity(self.ad_prefix.len() + PAE_NUMBER_LEN + head.len());
        ad.extend_from_slice(&self.ad_prefix);
        ad.pae_piece(head);
        ad
    }
}

impl Suite for XChaCha {
    const BYTE: u8 = 0x02;
    const CONFIDENTIAL: bool = true;
    const NONCE_LEN: usize = NONCE_LEN;
    const TAG_LEN: usize = size_of::<Tag>();
    type Key = XChaChaKey;

    fn derive(master: &Hkdf<Sha256>, binding: &Binding<'_>) -> Result<Self::Key, ConfigError> {
        let mut key = Zeroizing::new([0u8; size_of::<chacha20poly1305::Key>()]);
        master
            .expand(INFO_ENC, key.as_mut_slice())
            .map_err(|_| ConfigError::Unsupported("HKDF output length"))?;
        let cipher = XChaCha20Poly1305::new_from_slice(key.as_slice())
            .map_err(|_| ConfigError::Unsupported("XChaCha20-Poly1305 key length"))?;
        let mut ad_prefix = Vec::with_capacity(binding.pae_len());
        binding.begin_pae(&mut ad_prefix, PIECES);
        Ok(XChaChaKey { cipher, ad_prefix })
    }

    fn open(key: &Self::Key, parts: &mut Parts<'_>) -> Result<(), DecodeError> {
        // Both conversions have exact lengths by construction of the parts.
        let nonce = XNonce::try_from(&*parts.nonce()).map_err(|_| DecodeError::Truncated)?;
        let tag = Tag::try_from(&*parts.tag).map_err(|_| DecodeError::Truncated)?;
        let ad = key.associated_data(parts.head);
        key.cipher
            .decrypt_inout_detached(&nonce, &ad, (&mut *parts.body).into(), &tag)
            .map_err(|_| DecodeError::BadSignature)
    }

    fn seal(key: &Self::Key, parts: &mut Parts<'_>) -> Result<(), EncodeError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| EncodeError::RandomUnavailable)?;
        parts.nonce().copy_from_slice(&nonce);
        let ad = key.associated_data(parts.head);
        // The only failure is a plaintext beyond ChaCha20's 256 GiB keystream.
        let tag = key
            .cipher
            .encrypt_inout_detached(&XNonce::from(nonce), &ad, (&mut *parts.body).into())
            .map_err(|_| EncodeError::Encryption)?;
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

    /// Written by the encrypted suite before it moved to its own file (same ring, name, purpose
    /// and session as the pinned signed cookie).
    const PINNED: &str = "AumLH9YAAAAAAGVT8QAAAAAAZVPxZFxJYmkWYfOh50XMCeXdPN6oSPl10a2sMiKc2wBIZp5FNu1Hnbcv50aY9CWpCKQbU80ix7Mp2BwhyeP6gI4";

    #[test]
    fn an_envelope_of_the_previous_layout_still_opens() {
        let decoded = pinned_codec::<XChaCha>(false).decode(PINNED).unwrap();
        assert_eq!(decoded.state, state());
        assert_eq!(
            (decoded.created, decoded.accessed),
            (1_700_000_000.0, 1_700_000_100.0)
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
