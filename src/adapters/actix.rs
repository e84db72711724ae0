//! actix-web 4 adapter (feature `actix-web`): a [`SessionMiddleware`] and a [`Session`]
//! extractor.
//!
//! The middleware hands every request's `Cookie` headers to a [`LazySession`], stores it in the
//! request extensions and, once the handler has answered, appends the `Set-Cookie` the core asks
//! for (a change, a re-issue, a rotation to the primary key or an invalidation). The cookie is
//! decoded on the first use of the session in a request, at most once; a handler that never
//! touches the session pays nothing and its response carries no `Set-Cookie`.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use cookie_session::CookieSessionFactory;
//! use cookie_session::actix::{Session, SessionMiddleware};
//!
//! async fn index(session: Session) -> actix_web::Result<String> {
//!     session.insert("username", "john")?;
//!     let username: Option<String> = session.get("username")?;
//!     Ok(format!("Hello, {}!", username.unwrap_or_default()))
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     // Build the factory (and load its secret) once, outside the `HttpServer::new` closure.
//!     let secret = cookie_session::Secret::from_env("SESSION_SECRET").map_err(std::io::Error::other)?;
//!     let factory = CookieSessionFactory::new(secret).map_err(std::io::Error::other)?;
//!     HttpServer::new(move || {
//!         App::new()
//!             .wrap(SessionMiddleware::new(factory.clone()))
//!             .route("/", web::get().to(index))
//!     })
//!     .bind(("127.0.0.1", 3000))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! What the middleware does with bad cookies, error responses, panics, caches and oversized
//! sessions is the same in every adapter: see the
//! [adapter contract](crate::LazySession#the-adapter-contract). A handler's error has already
//! become a response when the middleware sees it, so its status decides.
//!
//! # Pitfalls
//!
//! * **`.wrap()` order is reversed**: the middleware registered *last* runs *first* (outermost).
//!   The session middleware must wrap every service that uses the session: a middleware
//!   registered *before* it (so nested inside it) can use the session through [`SessionExt`],
//!   one registered *after* it cannot.
//! * **Never build the factory inside the `HttpServer::new` closure.** The closure runs once per
//!   worker thread; build the factory once and move clones into the closure.
//! * **Panics**: actix-web does not catch a handler's panic (the connection is dropped). A
//!   panic-catching middleware inside this one turns it into a response; the session is still
//!   not written.
//! * An inner middleware that returns `Err` instead of a response bypasses this one: actix-web
//!   renders that error itself, without a session cookie.

use std::borrow::Cow;
use std::fmt;
use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    CACHE_CONTROL, COOKIE, HeaderName, HeaderValue, InvalidHeaderValue, SET_COOKIE, VARY,
};
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;

pub use super::MissingSessionMiddleware;
use crate::error::EncodeError;
use crate::factory::CookieSessionFactory;
use crate::lazy::{AfterResponse, LazySession, ResponseFacts};

/// The hook that answers a session too large for its cookie: see
/// [`SessionMiddleware::on_encode_error`].
pub type EncodeErrorHook = Arc<dyn Fn(&EncodeError) -> HttpResponse + Send + Sync>;

/// The middleware: one per application, built from a [`CookieSessionFactory`].
///
/// It is `Clone + Send + Sync`, so it can be built once and cloned into the `HttpServer::new`
/// closure. See the [module documentation](self) for a full example and the `.wrap()` ordering.
///
/// ```
/// use actix_web::{App, HttpResponse};
/// use cookie_session::{CookieSessionFactory, Secret};
/// use cookie_session::actix::SessionMiddleware;
///
/// let factory = CookieSessionFactory::new(Secret::generate())?;
/// let middleware = SessionMiddleware::new(factory)
///     .on_encode_error(|_error| HttpResponse::InternalServerError().body("session too large"));
/// let app = App::new().wrap(middleware);
/// # let _ = app;
/// # Ok::<(), cookie_session::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct SessionMiddleware {
    factory: CookieSessionFactory,
    on_encode_error: EncodeErrorHook,
}

impl fmt::Debug for SessionMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("factory", &self.factory)
            .finish_non_exhaustive()
    }
}

impl SessionMiddleware {
    /// A middleware that loads and finishes sessions with `factory`.
    #[must_use]
    pub fn new(factory: CookieSessionFactory) -> Self {
        Self {
            factory,
            on_encode_error: Arc::new(default_encode_error_response),
        }
    }

    /// Replaces the response sent when the session cannot be written as a cookie (usually
    /// [`EncodeError::TooLarge`], already logged with both sizes). The handler's response is
    /// discarded either way, and no `Set-Cookie` is added. Default: an empty
    /// `500 Internal Server Error`.
    ///
    /// Keep the response opaque: it goes to the client.
    #[must_use]
    pub fn on_encode_error(
        mut self,
        handler: impl Fn(&EncodeError) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        self.on_encode_error = Arc::new(handler);
        self
    }

    /// The factory this middleware uses.
    #[must_use]
    pub fn factory(&self) -> &CookieSessionFactory {
        &self.factory
    }
}

fn default_encode_error_response(_error: &EncodeError) -> HttpResponse {
    HttpResponse::InternalServerError().finish()
}

impl<S, B> Transform<S, ServiceRequest> for SessionMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = SessionService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionService {
            service,
            factory: self.factory.clone(),
            on_encode_error: Arc::clone(&self.on_encode_error),
        }))
    }
}

/// The service [`SessionMiddleware`] wraps around the application; built by actix-web, not by
/// users.
pub struct SessionService<S> {
    service: S,
    factory: CookieSessionFactory,
    on_encode_error: EncodeErrorHook,
}

impl<S> fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService")
            .field("factory", &self.factory)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for SessionService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let session = LazySession::new(
            self.factory.clone(),
            request
                .headers()
                .get_all(COOKIE)
                .map(|value| value.as_bytes()),
        );
        request
            .extensions_mut()
            .insert(SessionInRequest(session.clone()));
        let on_encode_error = Arc::clone(&self.on_encode_error);
        let response = self.service.call(request);

        Box::pin(async move {
            let mut response = response.await?;
            let facts = ResponseFacts {
                status: response.status().as_u16(),
                has_cache_control: response.headers().contains_key(CACHE_CONTROL),
            };
            let replacement = match session.after_response(facts) {
                AfterResponse::Unchanged => return Ok(response.map_into_left_body()),
                AfterResponse::AppendHeaders(headers) => {
                    let mut replacement = None;
                    for (name, value) in headers {
                        let Ok(value) = header_value(value) else {
                            // The core only builds header-safe values; should that ever break,
                            // the session must not be lost silently.
                            tracing::error!(name, "session header is not a valid header value");
                            replacement = Some(HttpResponse::InternalServerError().finish());
                            break;
                        };
                        response.headers_mut().append(header_name(name), value);
                    }
                    match replacement {
                        None => return Ok(response.map_into_left_body()),
                        Some(replacement) => replacement,
                    }
                }
                AfterResponse::Replace(error) => on_encode_error(&error),
            };
            let (request, _discarded) = response.into_parts();
            Ok(ServiceResponse::new(request, replacement).map_into_right_body())
        })
    }
}

super::header_name_fn!();

/// A session header's value: a constant one (`Cookie`, `private`: the only borrowed values,
/// both valid) without allocating, the `Set-Cookie` string moved into the header value without a
/// copy (it is still checked byte by byte).
fn header_value(value: Cow<'static, str>) -> Result<HeaderValue, InvalidHeaderValue> {
    match value {
        Cow::Borrowed(value) => Ok(HeaderValue::from_static(value)),
        Cow::Owned(value) => HeaderValue::from_maybe_shared(Bytes::from(value)),
    }
}

/// The handle the middleware stores in the request extensions; private, so only the middleware
/// can put one there.
#[derive(Clone)]
struct SessionInRequest(LazySession);

super::session_newtype! {
    /// The request's session, as an extractor. It dereferences to [`LazySession`]: `get`,
    /// `insert`, `remove`, `invalidate`, and the whole [`Session`](crate::Session) API through
    /// [`with`](LazySession::with). Clones share the same session.
    ///
    /// Needs [`SessionMiddleware`]; without it extraction fails with
    /// [`MissingSessionMiddleware`] (a 500).
    ///
    /// ```
    /// use cookie_session::actix::Session;
    ///
    /// async fn visits(session: Session) -> actix_web::Result<String> {
    ///     let visits = session.get::<u64>("visits")?.unwrap_or(0) + 1;
    ///     session.insert("visits", visits)?;
    ///     Ok(visits.to_string())
    /// }
    /// ```
}

impl FromRequest for Session {
    type Error = MissingSessionMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            request
                .session()
                .ok_or_else(|| MissingSessionMiddleware::logged(request.path())),
        )
    }
}

impl ResponseError for MissingSessionMiddleware {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    // Opaque: the reason is for the logs, not for the client.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::new(self.status_code())
    }
}

/// The session of a request, from anything that carries the request extensions: for guards,
/// other middleware and handlers that take an [`HttpRequest`].
///
/// ```
/// use actix_web::HttpRequest;
/// use cookie_session::actix::SessionExt;
///
/// async fn whoami(request: HttpRequest) -> String {
///     let username = request
///         .session()
///         .and_then(|session| session.get::<String>("username").ok().flatten());
///     username.unwrap_or_else(|| "anonymous".to_owned())
/// }
/// ```
pub trait SessionExt {
    /// The session, or `None` when [`SessionMiddleware`] does not wrap this request.
    fn session(&self) -> Option<Session>;
}

impl SessionExt for HttpRequest {
    fn session(&self) -> Option<Session> {
        self.extensions()
            .get::<SessionInRequest>()
            .map(|slot| Session(slot.0.clone()))
    }
}

impl SessionExt for ServiceRequest {
    fn session(&self) -> Option<Session> {
        self.extensions()
            .get::<SessionInRequest>()
            .map(|slot| Session(slot.0.clone()))
    }
}
