//! One test binary for the end-to-end tests: each example served over real TCP on 127.0.0.1 and
//! driven by a real HTTP client, and each example binary started as outside checks start it.

#![cfg(any(feature = "axum", feature = "actix-web", feature = "rocket"))]

#[allow(dead_code)] // Each framework's tests use part of it.
mod http;

#[cfg(feature = "actix-web")]
mod actix;
#[cfg(feature = "axum")]
mod axum;
mod examples_contract;
#[cfg(feature = "rocket")]
mod rocket;
