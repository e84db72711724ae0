//! zlib compression as Flask (itsdangerous) and Django use it for their signed payloads.
//!
//! Both frameworks compress the JSON with `zlib.compress(data)` (level 6) and keep the compressed
//! form only when `len(compressed) < len(data) - 1`, marking it with a leading `.`. Inflating
//! happens only after the signature verified, and is bounded: a payload that inflates beyond
//! [`MAX_INFLATED_LEN`] is a typed error, and no more than that is ever allocated.
//!
//! The deflate here is `miniz_oxide`, not CPython's C zlib: near the break-even point the two may
//! produce streams a few bytes apart and so decide differently whether to compress. Either form
//! is read by both frameworks, so interoperability does not depend on the decision.

use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_zlib_with_limit};

use crate::error::DecodeError;

/// The most bytes a compressed payload may inflate to: 64 KiB, sixteen times the largest cookie a
/// browser keeps (4 KiB). Real sessions compress by far less; anything beyond is refused as a
/// decompression bomb.
pub const MAX_INFLATED_LEN: usize = 64 * 1024;

/// CPython's `zlib.compress` default level (`Z_DEFAULT_COMPRESSION` = 6).
const LEVEL: u8 = 6;

/// The zlib stream of `data`, if the frameworks would keep it: shorter than `data.len() - 1`.
pub(crate) fn compress_if_worth_it(data: &[u8]) -> Option<Vec<u8>> {
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(data, LEVEL);
    (compressed.len() + 1 < data.len()).then_some(compressed)
}

/// Inflates a zlib stream of at most [`MAX_INFLATED_LEN`] bytes of output.
pub(crate) fn inflate_bounded(compressed: &[u8]) -> Result<Vec<u8>, DecodeError> {
    decompress_to_vec_zlib_with_limit(compressed, MAX_INFLATED_LEN).map_err(|error| {
        match error.status {
            TINFLStatus::HasMoreOutput => DecodeError::InflatedTooLarge {
                limit: MAX_INFLATED_LEN,
            },
            _ => DecodeError::Decompression,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_decides_like_python() {
        let repetitive =
            br#"{"a":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#;
        let compressed = compress_if_worth_it(repetitive).expect("repetitive data compresses");
        assert!(compressed.len() + 1 < repetitive.len());
        assert_eq!(inflate_bounded(&compressed).unwrap(), repetitive);
        // Short, varied data does not: zlib's 6 bytes of framing alone outweigh any gain.
        assert_eq!(compress_if_worth_it(br#"{"u":1}"#), None);
    }

    #[test]
    fn a_bomb_is_refused_without_allocating_its_size() {
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![b'a'; 10 * 1024 * 1024], 9);
        assert!(bomb.len() < 20 * 1024);
        assert_eq!(
            inflate_bounded(&bomb),
            Err(DecodeError::InflatedTooLarge {
                limit: MAX_INFLATED_LEN
            })
        );
        let exact = miniz_oxide::deflate::compress_to_vec_zlib(&vec![b'a'; MAX_INFLATED_LEN], 9);
        assert_eq!(inflate_bounded(&exact).unwrap().len(), MAX_INFLATED_LEN);
    }

    #[test]
    fn corrupt_streams_are_typed_errors() {
        assert_eq!(inflate_bounded(b""), Err(DecodeError::Decompression));
        assert_eq!(
            inflate_bounded(b"not zlib"),
            Err(DecodeError::Decompression)
        );
        let mut truncated = miniz_oxide::deflate::compress_to_vec_zlib(b"some data here", 6);
        truncated.truncate(truncated.len() - 3);
        assert_eq!(inflate_bounded(&truncated), Err(DecodeError::Decompression));
    }
}
