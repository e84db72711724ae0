//! axum 0.8 adapter: a tower [`SessionLayer`] and a [`Session`] extractor.
//!
//! The layer hands every request a [`LazySession`](crate::LazySession) built from its `Cookie`
//! headers, runs the inner service, then appends the `Set-Cookie` that the session needs, if
//! any. The cookie is decoded on first use in the handler, at most once; a handler that never
//! touches the session pays nothing, and an untouched session sends no cookie.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use cookie_session::{CookieSessionFactory, Secret, axum::{Session, SessionLayer}};
//!
//! async fn hello(session: Session) -> String {
//!     let visits: u64 = session.get("visits").ok().flatten().unwrap_or(0) + 1;
//!     session.insert("visits", visits).expect("a number is valid JSON");
//!     format!("visit number {visits}")
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let factory = CookieSessionFactory::new(Secret::from_env("SESSION_SECRET")?)?;
//! let app = Router::new()
//!     .route("/", get(hello))
//!     // After the routes: `layer` wraps only the routes added before it.
//!     .layer(SessionLayer::new(factory));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Behaviour
//!
//! - **Bad cookies** (malformed, tampered, unknown key, expired) never fail the request: the
//!   handler sees a new session, and [`LazySession::load_error`](crate::LazySession::load_error)
//!   says why.
//! - **Set-Cookie** is appended (never replacing a `Set-Cookie` the handler set itself) only
//!   when the session changed, was re-issued after `reissue_time`, verified under a verify-only
//!   key (rotation) or was invalidated.
//! - **Error responses**: whether a 5xx response still carries the cookie is the factory's
//!   `set_on_error` setting, decided from the response status. A handler that returns
//!   `Err(...)` which becomes a 500 counts as an error response.
//! - **A session too large for a cookie** is never silently dropped: the core logs
//!   [`EncodeError::TooLarge`] with both sizes, and the layer replaces the response with an
//!   empty `500 Internal Server Error` without a `Set-Cookie`. Change that response with
//!   [`SessionLayer::on_encode_error`].
//! - **The extractor without the layer** rejects the request with `500 Internal Server Error`
//!   (body `session layer missing`) and logs the reason at error level; it never panics.
//!   `Option<Session>` extracts `None` instead, for handlers shared by routers with and without
//!   the layer.
//!
//! # Pitfalls
//!
//! - [`Router::layer`](axum::Router::layer) wraps only the routes added **before** it. A route
//!   added after `.layer(SessionLayer::new(..))` has no session, and its `Session` extractor
//!   answers 500. Add the layer last (or on each nested router that needs it).
//! - [`Router::route_layer`](axum::Router::route_layer) skips the fallback (404) handler: a
//!   fallback that uses the session needs `layer`, not `route_layer`.
//! - In a `tower::ServiceBuilder`, the first layer listed is the outermost. Layers outside the
//!   session layer that answer on their own (timeouts, authentication, panic catchers) produce
//!   responses without the session cookie; changes a handler made before such a response are
//!   lost.
//! - Headers are sent when the handler returns. Changes made to the session while a streaming
//!   body is produced are not written.
//! - Build the [`CookieSessionFactory`] once and clone the layer; a factory built per request or
//!   per worker with [`Secret::generate`](crate::Secret::generate) would give each its own key.
//! - One session layer per route: a second `SessionLayer` inside the first replaces the
//!   session the handler sees.
//! - [`LazySession::with`](crate::LazySession::with) holds the session lock while its closure
//!   runs: do not call other methods of the session from inside it, and do not hold anything
//!   across an `.await` there.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::header::{COOKIE, SET_COOKIE};
use http::request::Parts;
use http::{HeaderValue, Request, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::error::EncodeError;
use crate::factory::CookieSessionFactory;
use crate::lazy::LazySession;

type EncodeErrorHook = Arc<dyn Fn(&EncodeError) -> Response + Send + Sync>;

/// A tower [`Layer`] that gives each request a session and writes its cookie back.
///
/// Cheap to clone: it holds the factory (one `Arc`) and the error hook (one `Arc`).
///
/// ```
/// use axum::{Router, routing::get};
/// use cookie_session::{CookieSessionFactory, Secret, axum::SessionLayer};
///
/// let factory = CookieSessionFactory::new(Secret::generate())?;
/// let app: Router = Router::new()
///     .route("/", get(|| async { "no session used here, so no cookie sent" }))
///     .layer(SessionLayer::new(factory));
/// # Ok::<(), cookie_session::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct SessionLayer {
    factory: CookieSessionFactory,
    on_encode_error: EncodeErrorHook,
}

impl fmt::Debug for SessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionLayer")
            .field("factory", &self.factory)
            .finish_non_exhaustive()
    }
}

impl SessionLayer {
    /// A layer whose sessions are loaded and written by `factory`.
    #[must_use]
    pub fn new(factory: CookieSessionFactory) -> Self {
        Self {
            factory,
            on_encode_error: Arc::new(default_encode_error_response),
        }
    }

    /// Sets the response sent instead of the handler's when the session cannot be written,
    /// typically [`EncodeError::TooLarge`] (already logged with both sizes by the core). The
    /// default is an empty `500 Internal Server Error`. Whatever this returns is sent as is,
    /// without a session cookie.
    ///
    /// ```
    /// use axum::{http::StatusCode, response::IntoResponse};
    /// use cookie_session::{CookieSessionFactory, EncodeError, Secret, axum::SessionLayer};
    ///
    /// let factory = CookieSessionFactory::new(Secret::generate())?;
    /// let layer = SessionLayer::new(factory).on_encode_error(|error: &EncodeError| {
    ///     let message = match error {
    ///         EncodeError::TooLarge { .. } => "your session grew too large; please log in again",
    ///         _ => "the session could not be saved",
    ///     };
    ///     (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
    /// });
    /// # let _ = layer;
    /// # Ok::<(), cookie_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn on_encode_error<F>(mut self, hook: F) -> Self
    where
        F: Fn(&EncodeError) -> Response + Send + Sync + 'static,
    {
        self.on_encode_error = Arc::new(hook);
        self
    }

    /// The factory this layer loads and writes sessions with.
    #[must_use]
    pub fn factory(&self) -> &CookieSessionFactory {
        &self.factory
    }
}

fn default_encode_error_response(_: &EncodeError) -> Response {
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            factory: self.factory.clone(),
            on_encode_error: Arc::clone(&self.on_encode_error),
        }
    }
}

/// The [`Service`] that [`SessionLayer`] wraps around the inner service. Its responses have an
/// [`axum::body::Body`].
#[derive(Clone)]
pub struct SessionService<S> {
    inner: S,
    factory: CookieSessionFactory,
    on_encode_error: EncodeErrorHook,
}

impl<S: fmt::Debug> fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService")
            .field("inner", &self.inner)
            .field("factory", &self.factory)
            .finish_non_exhaustive()
    }
}

/// What the layer stores in the request extensions. Private, so no other code can put a
/// session there or take it out by type.
#[derive(Clone)]
struct SessionHandle(LazySession);

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // `poll_ready` was called on `self.inner`; a clone is not necessarily ready. Call the
        // ready one and keep the clone for the next request.
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);

        let cookie_headers = request.headers().get_all(COOKIE);
        let session = LazySession::from_cookie_headers(
            self.factory.clone(),
            cookie_headers.iter().map(|value| value.as_bytes()),
        );
        request
            .extensions_mut()
            .insert(SessionHandle(session.clone()));
        let on_encode_error = Arc::clone(&self.on_encode_error);

        let response = ready.call(request);
        Box::pin(async move {
            let response = response.await?.map(Body::new);
            Ok(finish(response, &session, &*on_encode_error))
        })
    }
}

/// Appends the session's `Set-Cookie` to `response`, or swaps the response for the error hook's.
fn finish(
    mut response: Response,
    session: &LazySession,
    on_encode_error: &(dyn Fn(&EncodeError) -> Response + Send + Sync),
) -> Response {
    match session.finish(response.status().as_u16()) {
        Ok(None) => response,
        Ok(Some(set_cookie)) => match HeaderValue::try_from(set_cookie.into_string()) {
            Ok(value) => {
                response.headers_mut().append(SET_COOKIE, value);
                response
            }
            Err(_) => {
                // The core validates names and attributes and writes base64 values, so this is a
                // bug, not bad input; still answer rather than send a response without its cookie.
                tracing::error!("session Set-Cookie is not a valid header value; answering 500");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
        // Already logged by the core.
        Err(error) => on_encode_error(&error),
    }
}

/// The request's session, extracted in a handler. Derefs to [`LazySession`], which has the
/// whole session API (`get`, `insert`, `remove`, `invalidate`, `flash`, CSRF tokens, ...).
///
/// Extracting it decodes nothing: the cookie is decoded on first use. Clones share the same
/// session. Needs [`SessionLayer`] around the route: without it the request is answered with
/// `500 Internal Server Error` (see [`MissingSessionLayer`]).
///
/// ```
/// use cookie_session::axum::Session;
///
/// async fn whoami(session: Session) -> String {
///     // A value of another type (e.g. written by another app) reads as absent here.
///     let username: Option<String> = session.get("username").ok().flatten();
///     username.unwrap_or_else(|| "anonymous".to_owned())
/// }
///
/// async fn logout(session: Session) -> &'static str {
///     session.invalidate();
///     "Goodbye!"
/// }
/// # let _ = (whoami, logout);
/// ```
#[derive(Clone, Debug)]
pub struct Session(LazySession);

impl Session {
    /// The underlying per-request handle.
    #[must_use]
    pub fn into_inner(self) -> LazySession {
        self.0
    }
}

impl Deref for Session {
    type Target = LazySession;

    fn deref(&self) -> &LazySession {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = MissingSessionLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<SessionHandle>() {
            Some(SessionHandle(session)) => Ok(Self(session.clone())),
            None => {
                tracing::error!(
                    path = parts.uri.path(),
                    "Session extractor used on a route without SessionLayer; answering 500 \
                     (was the route added after `Router::layer`?)"
                );
                Err(MissingSessionLayer)
            }
        }
    }
}

/// `Option<Session>`: `None` when the route has no [`SessionLayer`], instead of a 500. A request
/// without a (valid) cookie still gets `Some` new session.
impl<S: Send + Sync> OptionalFromRequestParts<S> for Session {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<SessionHandle>()
            .map(|SessionHandle(session)| Self(session.clone())))
    }
}

/// Rejection of the [`Session`] extractor on a route that [`SessionLayer`] does not wrap: a
/// configuration bug, answered with `500 Internal Server Error` and the body
/// `session layer missing` (the reason is logged at error level when it happens).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSessionLayer;

impl fmt::Display for MissingSessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("session layer missing")
    }
}

impl std::error::Error for MissingSessionLayer {}

impl IntoResponse for MissingSessionLayer {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, "session layer missing").into_response()
    }
}
