//! Framework adapters. Each is thin: it hands the request's `Cookie` header to a
//! [`LazySession`](crate::LazySession) and appends the `Set-Cookie` that
//! [`LazySession::finish`](crate::LazySession::finish) returns. All session logic is in the core.

#[cfg(feature = "actix-web")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "rocket")]
pub mod rocket;
