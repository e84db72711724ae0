//! Fuzz target `decode_django`: arbitrary bytes as a Django `signed_cookies` cookie value, as a
//! message signed with the fixture's key, and as the JSON or zlib payload of a signed cookie,
//! for both Django hashes.
//! The logic and its invariants are in `cookie_session_fuzz::harness::decode_django`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cookie_session_fuzz::harness::decode_django(data));
