//! Fuzz target `decode_flask`: Arbitrary bytes as a Flask cookie value, and as the payload bytes of a validly signed Flask cookie
//! (plain or compressed, at one of four signing times), against the Flask preset with the vectors' keys.
//! The logic and its invariants are in `cookie_session_fuzz::harness::decode_flask`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cookie_session_fuzz::harness::decode_flask(data));
