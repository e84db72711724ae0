//! Fuzz target `decode_pyramid`: Arbitrary bytes as a Pyramid cookie value and as raw signature-plus-payload bytes, against a
//! fixed ring, for every Pyramid hash.
//! The logic and its invariants are in `cookie_session_fuzz::harness::decode_pyramid`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cookie_session_fuzz::harness::decode_pyramid(data));
