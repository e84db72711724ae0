//! Suite `0x01`: the envelope signed with HMAC-SHA256.
//!
//! ```text
//! envelope = header(22) | JSON state | tag(32)
//! tag      = HMAC-SHA256(key, header | JSON state)
//! key      = HKDF-Expand(master, PAE([label, cookie name, purpose]), 32)
//! ```
//!
//! The header has a fixed length, so `header | state` splits one way only. The cookie name and
//! purpose are bound through the key, derived once per factory, rather than hashed into every
//! message: a cookie hashes its own 22 + n bytes and nothing else (BENCHMARKS.md).

use hkdf::Hkdf;
use hmac::digest::typenum::Unsigned as _;
use hmac::digest::{KeyInit, OutputSizeUser};
use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::envelope::{Binding, Parts, Suite};
use crate::error::{ConfigError, DecodeError, EncodeError};

/// HKDF label of the MAC key: never the same key as another suite's.
const INFO_MAC: &[u8] = b"cookie-session/v2/mac/hmac-sha256";

/// HMAC-SHA256 over the header and the readable JSON state.
pub(crate) struct Signed;

impl Suite for Signed {
    const BYTE: u8 = 0x01;
    const CONFIDENTIAL: bool = false;
    const NONCE_LEN: usize = 0;
    const TAG_LEN: usize = <Hmac<Sha256> as OutputSizeUser>::OutputSize::USIZE;
    /// Keyed once (the key's block absorbed): each message clones it.
    type Key = Hmac<Sha256>;

    fn derive(master: &Hkdf<Sha256>, binding: &Binding<'_>) -> Result<Self::Key, ConfigError> {
        let mut mac_key = Zeroizing::new([0u8; 32]);
        binding.expand_key(master, INFO_MAC, mac_key.as_mut_slice())?;
        <Hmac<Sha256> as KeyInit>::new_from_slice(mac_key.as_slice())
            .map_err(|_| ConfigError::Unsupported("HMAC key length"))
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

/// The MAC of one message: the header (fixed length), then the body.
fn sign(key: &Hmac<Sha256>, parts: &Parts<'_>) -> Hmac<Sha256> {
    let mut mac = key.clone();
    mac.update(parts.head);
    mac.update(parts.body);
    mac
}

#[cfg(test)]
mod tests {
    use super::super::envelope::tests::{codec, ring, state};
    use super::*;
    use crate::format::{Stamp, WireFormat};

    #[test]
    fn the_tag_is_hmac_sha256_sized() {
        assert_eq!(Signed::TAG_LEN, 32);
        assert_eq!(super::super::envelope::HEADER_LEN + Signed::TAG_LEN, 54);
    }

    #[test]
    fn the_key_binds_the_cookie_name_and_purpose_injectively() {
        let value = codec::<Signed>(&ring(7), "ab", "c")
            .encode(&state(), 0.0, Stamp::Whole(0))
            .unwrap();
        assert!(codec::<Signed>(&ring(7), "ab", "c").decode(&value).is_ok());
        // "ab" + "c" and "a" + "bc" concatenate alike; the PAE info keeps their keys apart.
        for (name, purpose) in [("a", "bc"), ("ab", ""), ("abc", ""), ("ab", "d")] {
            assert_eq!(
                codec::<Signed>(&ring(7), name, purpose).decode(&value),
                Err(DecodeError::BadSignature),
                "{name:?} {purpose:?}"
            );
        }
    }
}
