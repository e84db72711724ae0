//! Suite `0x01`: the envelope signed with HMAC-SHA256.
//!
//! ```text
//! envelope = header(22) | JSON state | tag(32)
//! tag      = HMAC-SHA256(PAE([context, cookie name, purpose, padding, header, body]))
//! ```
//!
//! `padding` is the zero bytes (0–63) that end the constant pieces on a SHA-256 block boundary:
//! each key absorbs them once when it is derived, and each cookie then hashes only its own bytes,
//! one block less per cookie (BENCHMARKS.md).

use hkdf::Hkdf;
use hmac::digest::typenum::Unsigned as _;
use hmac::digest::{KeyInit, OutputSizeUser};
use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::envelope::{Binding, PAE_NUMBER_LEN, Pae, Parts, Suite};
use crate::error::{ConfigError, DecodeError, EncodeError};

/// HKDF label of the MAC key: never the same key as another suite's.
const INFO_MAC: &[u8] = b"cookie-session/v1/mac/hmac-sha256";
/// The PAE pieces of the signed message: context, cookie name, purpose, padding, header, body.
const PIECES: usize = 6;
/// SHA-256's block length.
const BLOCK_LEN: usize = 64;

/// HMAC-SHA256 over the header and the readable JSON state.
pub(crate) struct Signed;

impl Suite for Signed {
    const BYTE: u8 = 0x01;
    const CONFIDENTIAL: bool = false;
    const NONCE_LEN: usize = 0;
    const TAG_LEN: usize = <Hmac<Sha256> as OutputSizeUser>::OutputSize::USIZE;
    /// Keyed, with the constant pieces and their padding already absorbed: each message clones
    /// it and hashes only its own bytes.
    type Key = Hmac<Sha256>;

    fn derive(master: &Hkdf<Sha256>, binding: &Binding<'_>) -> Result<Self::Key, ConfigError> {
        let mut mac_key = Zeroizing::new([0u8; 32]);
        master
            .expand(INFO_MAC, mac_key.as_mut_slice())
            .map_err(|_| ConfigError::Unsupported("HKDF output length"))?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(mac_key.as_slice())
            .map_err(|_| ConfigError::Unsupported("HMAC key length"))?;
        binding.begin_pae(&mut mac, PIECES);
        mac.pae_piece(&[0; BLOCK_LEN][..padding(binding)]);
        Ok(mac)
    }

    fn open(key: &Self::Key, parts: &mut Parts<'_>) -> Result<(), DecodeError> {
        sign(key, parts)
            .verify_slice(parts.tag)
            .map_err(|_| DecodeError::BadSignature)
    }

    fn seal(key: &Self::Key, parts: &mut Parts<'_>) -> Result<(), EncodeError> {
        parts
            .tag
            .copy_from_slice(&sign(key, parts).finalize().into_bytes());
        Ok(())
    }
}

/// The MAC of one message, on top of the key's pre-absorbed constant pieces.
fn sign(key: &Hmac<Sha256>, parts: &Parts<'_>) -> Hmac<Sha256> {
    let mut mac = key.clone();
    mac.pae_piece(parts.head);
    mac.pae_piece(parts.body);
    mac
}

/// The number of zero bytes that brings the constant part of the message (the piece count, the
/// context, cookie name and purpose, and the padding's own length) to a whole number of SHA-256
/// blocks.
fn padding(binding: &Binding<'_>) -> usize {
    let prefix = binding.pae_len() + PAE_NUMBER_LEN;
    (BLOCK_LEN - prefix % BLOCK_LEN) % BLOCK_LEN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constant_mac_prefix_fills_whole_blocks() {
        let name = "n".repeat(70);
        let purpose = [b'p'; 100];
        for name_len in 0..70 {
            for purpose_len in [0, 1, 13, 64, 100] {
                let binding = Binding::new(&name[..name_len], &purpose[..purpose_len]);
                let padding = padding(&binding);
                assert!(padding < BLOCK_LEN);
                // count, context, name, purpose, the padding's length: each length 8 bytes.
                let prefix = 8 + (8 + 17) + (8 + name_len) + (8 + purpose_len) + 8;
                assert_eq!(
                    (prefix + padding) % BLOCK_LEN,
                    0,
                    "{name_len} {purpose_len}"
                );
            }
        }
    }

    #[test]
    fn the_tag_is_hmac_sha256_sized() {
        assert_eq!(Signed::TAG_LEN, 32);
        assert_eq!(super::super::envelope::HEADER_LEN + Signed::TAG_LEN, 54);
    }
}
