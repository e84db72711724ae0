//! Untrusted input: the hostile-input catalogue, property tests, and the replay of fuzzing finds.
//!
//! One test binary (one link of every dependency) for these suites; each file is one module.

mod fuzz_regressions;
mod hostile_inputs;
mod properties;
mod properties_django;
mod properties_flask;
mod properties_pyramid_legacy;

// The fuzz crate's harness and seeds, at the crate root where they expect each other.
#[path = "../../fuzz/src/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../../fuzz/src/seeds.rs"]
#[allow(dead_code)]
mod seeds;
