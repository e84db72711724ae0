//! Framework adapters: only the glue between a framework and [`LazySession`](crate::LazySession),
//! whose [adapter contract](crate::LazySession#the-adapter-contract) describes the behaviour all
//! of them share.
//!
//! Each adapter module offers the same names:
//!
//! - the middleware, in the framework's idiom (`SessionLayer` for axum, `SessionMiddleware` for
//!   actix-web, `SessionFairing` for rocket), with `new(factory)`, `on_encode_error(hook)` and
//!   `factory()`;
//! - `Session`, the extractor (request guard), which dereferences to
//!   [`LazySession`](crate::LazySession);
//! - `MissingSessionMiddleware`, the extractor's rejection when the middleware is missing;
//! - `EncodeErrorHook`, the type of the hook that answers a session too large for its cookie.

/// The `Session` newtype every adapter exposes around [`LazySession`](crate::LazySession):
/// `Deref`, `into_inner` and `From<Session> for LazySession`, written once.
#[cfg(any(feature = "actix-web", feature = "axum", feature = "rocket"))]
macro_rules! session_newtype {
    ($(#[$meta:meta])*) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        pub struct Session(crate::lazy::LazySession);

        impl Session {
            /// The underlying per-request handle.
            #[must_use]
            pub fn into_inner(self) -> crate::lazy::LazySession {
                self.0
            }
        }

        impl std::ops::Deref for Session {
            type Target = crate::lazy::LazySession;

            fn deref(&self) -> &crate::lazy::LazySession {
                &self.0
            }
        }

        impl From<Session> for crate::lazy::LazySession {
            fn from(session: Session) -> Self {
                session.0
            }
        }
    };
}
#[cfg(any(feature = "actix-web", feature = "axum", feature = "rocket"))]
pub(crate) use session_newtype;

/// `fn header_name(&'static str) -> HeaderName` for an adapter on an `http` crate (axum's and
/// actix-web's differ in version): the crate's constants for the three names
/// [`SessionHeaders`](crate::SessionHeaders) lists, so nothing is parsed per request. The
/// caller's module has `HeaderName`, `SET_COOKIE`, `VARY` and `CACHE_CONTROL` in scope.
#[cfg(any(feature = "actix-web", feature = "axum"))]
macro_rules! header_name_fn {
    () => {
        /// The header name of one [`SessionHeaders`](crate::SessionHeaders) entry.
        fn header_name(name: &'static str) -> HeaderName {
            match name {
                "set-cookie" => SET_COOKIE,
                "vary" => VARY,
                "cache-control" => CACHE_CONTROL,
                other => HeaderName::from_static(other),
            }
        }
    };
}
#[cfg(any(feature = "actix-web", feature = "axum"))]
pub(crate) use header_name_fn;

/// The rejection of every adapter's `Session` extractor on a request that the session
/// middleware does not wrap: a configuration bug, answered with an empty
/// `500 Internal Server Error` (the reason is logged at error level, never sent to the client).
#[cfg(any(feature = "actix-web", feature = "axum", feature = "rocket"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "session middleware missing: the Session extractor needs the session middleware around its route"
)]
pub struct MissingSessionMiddleware;

#[cfg(any(feature = "actix-web", feature = "axum", feature = "rocket"))]
impl MissingSessionMiddleware {
    /// Logs the mistake, with the request path, and returns the rejection.
    fn logged(path: &str) -> Self {
        tracing::error!(path, "{Self}; answering 500");
        Self
    }
}

#[cfg(feature = "actix-web")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "rocket")]
pub mod rocket;
