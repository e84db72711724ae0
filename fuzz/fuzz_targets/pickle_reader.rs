//! Fuzz target `pickle_reader`: arbitrary bytes as the pickle behind a valid Pyramid 1.x
//! signature, so the data-only pickle reader sees every input.
//! The logic and its invariants are in `cookie_session_fuzz::harness::pickle_reader`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cookie_session_fuzz::harness::pickle_reader(data));
