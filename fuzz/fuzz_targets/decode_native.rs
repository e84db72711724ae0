//! Fuzz target `decode_native`: Arbitrary bytes as a native cookie value and as a raw native envelope, against a fixed ring
//! (signed, and encrypted with the `encryption` feature).
//! The logic and its invariants are in `cookie_session_fuzz::harness::decode_native`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cookie_session_fuzz::harness::decode_native(data));
