//! One test binary for the three framework adapters: the same contract scenarios
//! ([`contract`]) run against each framework's test app through its real test client, and each
//! framework's own tests next to its harness.

#![cfg(any(feature = "axum", feature = "actix-web", feature = "rocket"))]

mod catch_panic;
mod contract;

#[cfg(feature = "actix-web")]
mod actix;
#[cfg(feature = "axum")]
mod axum;
#[cfg(feature = "rocket")]
mod rocket;
