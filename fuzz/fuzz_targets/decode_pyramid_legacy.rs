//! Fuzz target `decode_pyramid_legacy`: arbitrary bytes as a Pyramid 1.x cookie value (hex
//! signature, base64 pickle) against the vectors' key ring.
//! The logic and its invariants are in `cookie_session_fuzz::harness::decode_pyramid_legacy`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cookie_session_fuzz::harness::decode_pyramid_legacy(data));
