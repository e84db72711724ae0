//! Fuzzing support for `cookie-session`.
//!
//! The targets' logic lives in [`harness`] rather than in the `fuzz_targets/*.rs` binaries, so
//! the library's own test suite (`tests/fuzz_regressions.rs`) can replay seeds and recorded crash
//! inputs through exactly the same checks without libFuzzer. [`seeds`] builds the seed corpora.

pub mod harness;
pub mod seeds;
