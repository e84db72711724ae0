//! Strict unpadded base64url (RFC 4648 §5), the alphabet of every cookie this crate writes.
//!
//! Decoding is strict on purpose: no `=`, no `+` or `/`, no whitespace, no stray trailing bits.
//! A cookie has exactly one spelling, so nothing else can smuggle bytes past the signature check.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::DecodeError;

/// Decodes strict unpadded base64url.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    if text.is_empty() {
        return Err(DecodeError::Empty);
    }
    URL_SAFE_NO_PAD
        .decode(text.as_bytes())
        .map_err(|_| DecodeError::Base64)
}

/// Encodes `bytes` as unpadded base64url.
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_decoding() {
        assert_eq!(decode("-_8").unwrap(), vec![0xfb, 0xff]);
        for bad in ["-_8=", "+/8", " -_8", "-_8\n", "-_9", "a", "ab!c"] {
            assert_eq!(decode(bad), Err(DecodeError::Base64), "{bad:?}");
        }
        assert_eq!(decode(""), Err(DecodeError::Empty));
    }

    #[test]
    fn round_trip() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
    }
}
