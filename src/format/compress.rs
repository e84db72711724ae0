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

use super::base64url;
use crate::error::DecodeError;

/// The most bytes a compressed payload may inflate to: 64 KiB, sixteen times the largest cookie a
/// browser keeps (4 KiB). Real sessions compress by far less; anything beyond is refused as a
/// decompression bomb.
pub const MAX_INFLATED_LEN: usize = 64 * 1024;

/// CPython's `zlib.compress` default level (`Z_DEFAULT_COMPRESSION` = 6).
const LEVEL: u8 = 6;

/// Below this many bytes of input a static-Huffman block can beat `miniz_oxide`'s choice of a
/// dynamic one by more than the few bytes the contract tolerates.
const STATIC_TRIAL_MAX: usize = 1024;

/// The payload text both frameworks sign: `.` and the base64url of the zlib stream when
/// compression is worth it, else the base64url of `json` itself.
pub(crate) fn encode_payload(json: &[u8]) -> String {
    match compress_if_worth_it(json) {
        Some(compressed) => format!(".{}", base64url::encode(&compressed)),
        None => base64url::encode(json),
    }
}

/// The JSON of a verified payload text written by [`encode_payload`] (or by the frameworks):
/// inflated, within [`MAX_INFLATED_LEN`], when it starts with `.`.
pub(crate) fn decode_payload(payload: &str) -> Result<Vec<u8>, DecodeError> {
    match payload.strip_prefix('.') {
        Some(compressed) => inflate_bounded(&base64url::decode(compressed)?),
        None => base64url::decode(payload),
    }
}

/// The zlib stream of `data`, if the frameworks would keep it: shorter than `data.len() - 1`.
pub(crate) fn compress_if_worth_it(data: &[u8]) -> Option<Vec<u8>> {
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(data, LEVEL);
    if compressed.len() + 1 < data.len() {
        return Some(compressed);
    }
    // C zlib writes each block in the smallest of its stored, static and dynamic forms;
    // `miniz_oxide` keeps a dynamic block where a static one is shorter, by ten bytes on some
    // 60-byte sessions (Python: 50 bytes, compressed; miniz: 60, not). Trying the static form
    // too, on the small inputs where it can win, gives Python's decision back.
    if data.len() > STATIC_TRIAL_MAX {
        return None;
    }
    let fixed = static_zlib(data)?;
    (fixed.len() + 1 < data.len()).then_some(fixed)
}

/// `data` as one zlib stream of static-Huffman blocks (level 6), `None` if `miniz_oxide` fails.
fn static_zlib(data: &[u8]) -> Option<Vec<u8>> {
    use miniz_oxide::deflate::core::deflate_flags::TDEFL_FORCE_ALL_STATIC_BLOCKS;
    use miniz_oxide::deflate::core::{
        CompressorOxide, TDEFLFlush, TDEFLStatus, compress_to_output,
        create_comp_flags_from_zip_params,
    };
    // window_bits 1: a zlib header and Adler-32 trailer, as `zlib.compress` writes.
    let flags = create_comp_flags_from_zip_params(LEVEL.into(), 1, 0);
    let mut compressor = CompressorOxide::new(flags | TDEFL_FORCE_ALL_STATIC_BLOCKS);
    let mut out = Vec::with_capacity(data.len());
    let (status, _) = compress_to_output(&mut compressor, data, TDEFLFlush::Finish, |chunk| {
        out.extend_from_slice(chunk);
        true
    });
    (status == TDEFLStatus::Done).then_some(out)
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
    fn small_payloads_get_zlibs_static_block_decision() {
        // Python: zlib.compress gives 50 bytes for these 61, so Flask compresses; miniz's
        // dynamic block takes 60 (not worth it), its static block 50.
        let session = br#"{"csrf_token":{" di":{" t__":980}},"uid":1000000000000000000}"#;
        let compressed = compress_if_worth_it(session).expect("Python compresses it");
        assert_eq!(compressed.len(), 50);
        assert_eq!(inflate_bounded(&compressed).unwrap(), session);
        // Where miniz's dynamic block wins, it is kept (Python: 130 bytes for these 139).
        let small = br#"{"_csrft_":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b","name":"Jonathan Quincy Public","roles":["administrator","editor"],"user_id":4815162}"#;
        assert_eq!(compress_if_worth_it(small).map(|c| c.len()), Some(130));
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
