//! Strict unpadded base64url (RFC 4648 §5), the alphabet of every cookie this crate writes.
//!
//! Decoding is strict on purpose: no `=`, no `+` or `/`, no whitespace, no stray trailing bits.
//! A cookie has exactly one spelling, so nothing else can smuggle bytes past the signature check.
//!
//! The engine is the `base64` crate's runtime-detected SIMD one (AVX2 on x86-64, NEON on
//! aarch64, its scalar engine elsewhere), with the same strict configuration as
//! `URL_SAFE_NO_PAD`: a 2 KB cookie decodes in a fraction of the scalar engine's instructions
//! (BENCHMARKS.md). Its `unsafe` is the `base64` crate's, behind CPU detection.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::Simd;
use base64::engine::general_purpose::NO_PAD;

use crate::error::DecodeError;

/// Strict unpadded base64url, on the fastest instructions this CPU has.
static ENGINE: LazyLock<Simd> = LazyLock::new(|| Simd::url_safe(NO_PAD));

/// Symbols decoded per step: a multiple of 4, so every step but the last is whole quads.
const DECODE_STEP: usize = 1024;

/// Decodes strict unpadded base64url.
///
/// Decoded in steps through a small stack buffer into a vector allocated at its final size,
/// rather than into a zero-filled vector: zeroing a 2 KB buffer costs as much as decoding it.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    if text.is_empty() {
        return Err(DecodeError::Empty);
    }
    let input = text.as_bytes();
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    if input.len() <= SMALL {
        // Most cookies: a step buffer of their own size, not the large one to zero.
        decode_steps::<{ SMALL / 4 * 3 }>(input, &mut out)?;
    } else {
        decode_steps::<{ DECODE_STEP / 4 * 3 }>(input, &mut out)?;
    }
    Ok(out)
}

/// Decodes `input` into `out` through a stack buffer of `N` bytes (`N` a multiple of 3).
fn decode_steps<const N: usize>(input: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let mut step = [0u8; N];
    for symbols in input.chunks(N / 3 * 4) {
        let written = ENGINE
            .decode_slice(symbols, &mut step)
            .map_err(|_| DecodeError::Base64)?;
        out.extend_from_slice(step.get(..written).ok_or(DecodeError::Base64)?);
    }
    Ok(())
}

/// The length of `len` bytes encoded.
pub(crate) fn encoded_len(len: usize) -> usize {
    len / 3 * 4 + [0, 2, 3][len % 3]
}

/// Encodes `bytes` as unpadded base64url.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(encoded_len(bytes.len()));
    encode_into(bytes, &mut out);
    out
}

/// Bytes encoded through a small stack buffer rather than the engine's 1 KB one: most cookies.
const SMALL: usize = 144;

/// Appends `bytes` encoded as unpadded base64url to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    // A small value goes through a buffer of its own size: zeroing the engine's 1 KB chunk
    // buffer costs more than encoding it.
    let mut small = [0u8; SMALL / 3 * 4];
    if let Some(symbols) = small.get_mut(..encoded_len(bytes.len()))
        && ENGINE.encode_slice(bytes, &mut *symbols).is_ok()
        && let Ok(text) = std::str::from_utf8(symbols)
    {
        out.push_str(text);
    } else {
        ENGINE.encode_string(bytes, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use proptest::prelude::*;

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
        for len in 0..=3000 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let text = encode(&bytes);
            assert_eq!(text, URL_SAFE_NO_PAD.encode(&bytes), "{len}");
            assert_eq!(text.len(), encoded_len(len));
            if len > 0 {
                assert_eq!(decode(&text).unwrap(), bytes, "{len}");
            }
        }
    }

    /// Base64url text of any length with, now and then, a symbol from outside the alphabet.
    fn almost_base64() -> impl Strategy<Value = String> {
        let symbol = prop_oneof![
            40 => proptest::sample::select(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".to_vec()
            ),
            1 => proptest::sample::select(b"=+/ \n.!\x00\x7f".to_vec()),
        ];
        proptest::collection::vec(symbol, 0..2100)
            .prop_map(|symbols| String::from_utf8(symbols).expect("ASCII"))
    }

    proptest! {
        /// The SIMD engine, stepped, gives the scalar engine's verdict and bytes on every input
        /// (the quads straddling a step and the trailing bits included).
        #[test]
        fn decoding_agrees_with_the_scalar_engine(text in almost_base64()) {
            let expected = URL_SAFE_NO_PAD.decode(text.as_bytes()).ok();
            let got = decode(&text).ok();
            if text.is_empty() {
                prop_assert_eq!(got, None);
            } else {
                prop_assert_eq!(got, expected);
            }
        }

        #[test]
        fn encoding_agrees_with_the_scalar_engine(bytes in proptest::collection::vec(any::<u8>(), 0..2100)) {
            prop_assert_eq!(encode(&bytes), URL_SAFE_NO_PAD.encode(&bytes));
        }
    }
}
