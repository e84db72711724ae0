//! Wire formats: the vectors made by the real Python frameworks, byte-exact re-issue of their sessions, the native envelope and its encrypted suite.
//!
//! One test binary (one link of every dependency) for these suites; each file is one module.

mod django_vectors;
mod encryption;
mod flask_vectors;
mod native_envelope;
mod pyramid_legacy_vectors;
mod pyramid_vectors;
mod reissue_exact;
