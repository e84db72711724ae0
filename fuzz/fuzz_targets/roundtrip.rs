//! Fuzz target `roundtrip`: Arbitrary states encoded then decoded in every format; and arbitrary payloads validly signed
//! in the Pyramid format, so the fuzzer reaches the payload parser behind the MAC.
//! The logic and its invariants are in `cookie_session_fuzz::harness::roundtrip`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cookie_session_fuzz::harness::roundtrip(data));
