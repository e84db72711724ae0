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
//! What the layer does with bad cookies, error responses, panics, caches and oversized sessions
//! is the same in every adapter: see the
//! [adapter contract](crate::LazySession#the-adapter-contract). `Option<Session>` extracts
//! `None` on a route without the layer, for handlers shared by routers with and without it.
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
//!   lost. A panic catcher inside the session layer works too: the panic still commits nothing.
//! - One session layer per route: a second `SessionLayer` inside the first replaces the
//!   session the handler sees.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, COOKIE, HeaderName, SET_COOKIE, VARY};
use http::request::Parts;
use http::{HeaderValue, Request, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

pub use super::MissingSessionMiddleware;
use crate::error::EncodeError;
use crate::factory::CookieSessionFactory;
use crate::lazy::{AfterResponse, LazySession, ResponseFacts};

/// The hook that answers a session too large for its cookie: see
/// [`SessionLayer::on_encode_error`].
pub type EncodeErrorHook = Arc<dyn Fn(&EncodeError) -> Response + Send + Sync>;

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
struct SessionInRequest(LazySession);

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
        let cookie_headers = request.headers().get_all(COOKIE);
        let session = LazySession::new(
            self.factory.clone(),
            cookie_headers.iter().map(|value| value.as_bytes()),
        );
        request
            .extensions_mut()
            .insert(SessionInRequest(session.clone()));
        let on_encode_error = Arc::clone(&self.on_encode_error);

        // `self.inner` is the service `poll_ready` was called on, and it is called right here
        // (the future below only holds its response future), so no clone of it is needed.
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?.map(Body::new);
            Ok(finish(response, &session, &*on_encode_error))
        })
    }
}

/// Does what the session asks of the response (see [`AfterResponse`]).
fn finish(
    mut response: Response,
    session: &LazySession,
    on_encode_error: &(dyn Fn(&EncodeError) -> Response + Send + Sync),
) -> Response {
    let facts = ResponseFacts {
        status: response.status().as_u16(),
        has_cache_control: response.headers().contains_key(CACHE_CONTROL),
    };
    match session.after_response(facts) {
        AfterResponse::Unchanged => response,
        AfterResponse::AppendHeaders(headers) => {
            for (name, value) in headers {
                let Ok(value) = header_value(value) else {
                    // The core only builds header-safe values; should that ever break, answer
                    // rather than send a response without its cookie.
                    tracing::error!(
                        name,
                        "session header is not a valid header value; answering 500"
                    );
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                };
                response.headers_mut().append(header_name(name), value);
            }
            response
        }
        AfterResponse::Replace(error) => on_encode_error(&error),
    }
}

super::header_name_fn!();

/// A session header's value: a constant one (`Cookie`, `private`: the only borrowed values,
/// both valid) without allocating, the `Set-Cookie` string moved into the header value without a
/// copy (it is still checked byte by byte).
fn header_value(value: Cow<'static, str>) -> Result<HeaderValue, http::header::InvalidHeaderValue> {
    match value {
        Cow::Borrowed(value) => Ok(HeaderValue::from_static(value)),
        Cow::Owned(value) => HeaderValue::from_maybe_shared(Bytes::from(value)),
    }
}

super::session_newtype! {
    /// The request's session, extracted in a handler. Derefs to [`LazySession`]: `get`,
    /// `insert`, `remove`, `invalidate`, and the whole [`Session`](crate::Session) API through
    /// [`with`](LazySession::with).
    ///
    /// Extracting it decodes nothing: the cookie is decoded on first use. Clones share the same
    /// session. Needs [`SessionLayer`] around the route: without it the request is answered with
    /// `500 Internal Server Error` (see [`MissingSessionMiddleware`]).
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
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = MissingSessionMiddleware;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<SessionInRequest>() {
            Some(SessionInRequest(session)) => Ok(Self(session.clone())),
            // Was the route added after `Router::layer`?
            None => Err(MissingSessionMiddleware::logged(parts.uri.path())),
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
            .get::<SessionInRequest>()
            .map(|SessionInRequest(session)| Self(session.clone())))
    }
}

impl IntoResponse for MissingSessionMiddleware {
    fn into_response(self) -> Response {
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}
