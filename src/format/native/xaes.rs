//! XAES-256-GCM (C2SP): AES-256-GCM with a 192-bit nonce, on the `aes` 0.8 and `aes-gcm` 0.10
//! crates.
//!
//! ```text
//! L  = AES-256(K, 0^128);  K1 = L << 1, xor 0x87 into its last byte if L's top bit was set
//! Kx = AES-256(K, [0, 1, 'X', 0] ‖ N[..12] ⊕ K1) ‖ AES-256(K, [0, 2, 'X', 0] ‖ N[..12] ⊕ K1)
//! XAES-256-GCM(K, N, P, A) = AES-256-GCM(Kx, N[12..], P, A)
//! ```
//!
//! The first 96 bits of the nonce pick a fresh AES-256-GCM key (two block encryptions under the
//! long-lived key, whose schedule is expanded once), the last 96 bits are that key's GCM nonce.
//!
//! Why not RustCrypto's `xaes-256-gcm` crate, which computes exactly this (the tests check the
//! two agree)? It runs on `aes` 0.9, whose AVX-512 back end re-broadcasts the 15 round keys on
//! every call into the cipher, and XAES calls it four times per message for a handful of
//! blocks: on this project's machines a 150-byte seal took 2.1× as long as this one
//! (BENCHMARKS.md, "Encrypted"). `aes-gcm` 0.10 is the audited (NCC Group) release line.
//!
//! Built without the `aes` and `pclmulqdq` target features (the default for `x86_64`), `aes`
//! detects AES-NI at run time and calls its intrinsics instead of inlining them, which triples the
//! cost of a message key; the README says how to build with them.

use aes::Aes256Enc;
use aes::cipher::{BlockEncrypt, KeyInit as _};
use aes_gcm::AesGcm;
use aes_gcm::aead::AeadInPlace;
use aes_gcm::aead::consts::U12;
use zeroize::{Zeroize, Zeroizing};

/// The nonce: 24 bytes, random for every message.
pub(crate) const NONCE_LEN: usize = 24;
/// The GCM tag.
pub(crate) const TAG_LEN: usize = 16;
/// The key.
pub(crate) const KEY_LEN: usize = 32;

/// The bytes of the nonce that derive the per-message key; the rest is GCM's nonce.
const DERIVING_LEN: usize = 12;

/// AES-256-GCM with a 96-bit nonce on the encryption-only key schedule: GCM never decrypts a
/// block, so neither key needs the decryption round keys `aes::Aes256` would also expand.
type Aes256Gcm = AesGcm<Aes256Enc, U12>;

/// An XAES-256-GCM key: the AES-256 key schedule and the derived subkey `K1`. Both are wiped on
/// drop (`aes`'s `zeroize` feature, and `Drop` below).
pub(crate) struct Xaes256Gcm {
    aes: Aes256Enc,
    k1: [u8; 16],
}

/// The message failed authentication, or was too long for GCM (gigabytes).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AeadFailure;

impl Xaes256Gcm {
    /// Expands `key` once for every message it will seal or open.
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        let aes = Aes256Enc::new(key.into());
        let mut l = aes::Block::default();
        aes.encrypt_block(&mut l);
        let mut k1 = [0u8; 16];
        let mut carry = 0;
        for (out, byte) in k1.iter_mut().zip(l.iter()).rev() {
            *out = (byte << 1) | carry;
            carry = byte >> 7;
        }
        k1[15] ^= carry * 0b1000_0111;
        l.zeroize();
        Self { aes, k1 }
    }

    /// Encrypts `body` in place and returns the tag; `ad` is authenticated too.
    pub(crate) fn seal(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        body: &mut [u8],
    ) -> Result<[u8; TAG_LEN], AeadFailure> {
        let (deriving, gcm_nonce) = nonce.split_at(DERIVING_LEN);
        let tag = self
            .message_key(deriving)
            .encrypt_in_place_detached(gcm_nonce.into(), ad, body)
            .map_err(|_| AeadFailure)?;
        Ok(tag.into())
    }

    /// Checks the tag over `ad` and `body` and decrypts `body` in place. On failure `body` holds
    /// nothing of the plaintext (`aes-gcm` checks the tag before decrypting).
    pub(crate) fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        body: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), AeadFailure> {
        let (deriving, gcm_nonce) = nonce.split_at(DERIVING_LEN);
        self.message_key(deriving)
            .decrypt_in_place_detached(gcm_nonce.into(), ad, body, tag.into())
            .map_err(|_| AeadFailure)
    }

    /// The AES-256-GCM key the first 96 bits of a nonce select.
    fn message_key(&self, deriving: &[u8]) -> Aes256Gcm {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        for (counter, half) in (1u8..).zip(key.chunks_exact_mut(16)) {
            half[..4].copy_from_slice(&[0, counter, b'X', 0]);
            half[4..].copy_from_slice(deriving);
            for (byte, k) in half.iter_mut().zip(self.k1) {
                *byte ^= k;
            }
            self.aes.encrypt_block(aes::Block::from_mut_slice(half));
        }
        Aes256Gcm::new(aes::cipher::Key::<Aes256Gcm>::from_slice(&*key))
    }
}

impl Drop for Xaes256Gcm {
    fn drop(&mut self) {
        self.k1.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        base16ct::mixed::decode_vec(text).expect("hex")
    }

    /// C2SP's two test vectors (c2sp.org/XAES-256-GCM).
    #[test]
    fn c2sp_vectors() {
        for (key, ad, ciphertext, tag) in [
            (
                [1u8; 32],
                &b""[..],
                "ce546ef63c9cc60765923609",
                "b33a9a1974e96e52daf2fcf7075e2271",
            ),
            (
                [3u8; 32],
                &b"c2sp.org/XAES-256-GCM"[..],
                "986ec1832593df5443a17943",
                "7fd083bf3fdb41abd740a21f71eb769d",
            ),
        ] {
            let cipher = Xaes256Gcm::new(&key);
            let nonce = *b"ABCDEFGHIJKLMNOPQRSTUVWX";
            let mut body = *b"XAES-256-GCM";
            let sealed = cipher.seal(&nonce, ad, &mut body).unwrap();
            assert_eq!(body.to_vec(), hex(ciphertext));
            assert_eq!(sealed.to_vec(), hex(tag));
            cipher.open(&nonce, ad, &mut body, &sealed).unwrap();
            assert_eq!(&body, b"XAES-256-GCM");
        }
    }

    /// Every bit of the nonce, the associated data, the body and the tag is authenticated.
    #[test]
    fn tampering_anywhere_fails() {
        let cipher = Xaes256Gcm::new(&[9u8; 32]);
        let nonce = [7u8; NONCE_LEN];
        let mut body = *b"a session";
        let tag = cipher.seal(&nonce, b"header", &mut body).unwrap();
        let ciphertext = body;
        let opens = |nonce: &[u8; NONCE_LEN], ad: &[u8], body: &[u8], tag: &[u8; TAG_LEN]| {
            let mut body = body.to_vec();
            cipher.open(nonce, ad, &mut body, tag).map(|()| body)
        };
        assert_eq!(
            opens(&nonce, b"header", &ciphertext, &tag).unwrap(),
            b"a session"
        );
        for bit in 0..NONCE_LEN * 8 {
            let mut flipped = nonce;
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                opens(&flipped, b"header", &ciphertext, &tag),
                Err(AeadFailure)
            );
        }
        assert_eq!(
            opens(&nonce, b"headeR", &ciphertext, &tag),
            Err(AeadFailure)
        );
        let mut body = ciphertext;
        body[0] ^= 1;
        assert_eq!(opens(&nonce, b"header", &body, &tag), Err(AeadFailure));
        let mut forged = tag;
        forged[15] ^= 0x80;
        assert_eq!(
            opens(&nonce, b"header", &ciphertext, &forged),
            Err(AeadFailure)
        );
    }

    proptest::proptest! {
        /// The same bytes as RustCrypto's `xaes-256-gcm`, for any key, nonce, data and length
        /// (across GCM's block boundaries), and both open each other's output.
        #[test]
        fn agrees_with_the_reference_crate(
            key: [u8; KEY_LEN],
            nonce: [u8; NONCE_LEN],
            ad in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            plain in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
        ) {
            use xaes_256_gcm::aead::{AeadInOut, KeyInit};
            let reference = xaes_256_gcm::Xaes256Gcm::new(&key.into());
            let ours = Xaes256Gcm::new(&key);
            let mut theirs = plain.clone();
            let their_tag = reference
                .encrypt_inout_detached(&nonce.into(), &ad, theirs.as_mut_slice().into())
                .unwrap();
            let mut mine = plain.clone();
            let my_tag = ours.seal(&nonce, &ad, &mut mine).unwrap();
            proptest::prop_assert_eq!(&mine, &theirs);
            proptest::prop_assert_eq!(&my_tag[..], &their_tag[..]);
            ours.open(&nonce, &ad, &mut theirs, &my_tag).unwrap();
            proptest::prop_assert_eq!(&theirs, &plain);
            reference
                .decrypt_inout_detached(&nonce.into(), &ad, mine.as_mut_slice().into(), &their_tag)
                .unwrap();
            proptest::prop_assert_eq!(&mine, &plain);
        }
    }
}
