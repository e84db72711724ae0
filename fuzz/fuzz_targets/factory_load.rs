//! Fuzz target `factory_load`: An arbitrary valid configuration and key ring, two requests, arbitrary `Cookie` headers
//! (with the issued cookie intact or tampered) through `load_from_cookie_headers` and `finish`.
//! The logic and its invariants are in `cookie_session_fuzz::harness::factory_load`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cookie_session_fuzz::harness::factory_load(data));
