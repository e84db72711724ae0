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
//! # What happens when
//!
//! * **A bad cookie** (malformed, forged, expired, made with a retired key) never fails the
//!   request: the handler gets a new session; [`LazySession::load_error`] says why.
//! * **Error responses**: a handler's error has already become a response when the middleware
//!   sees it, so the session is finished with that response's status. With
//!   [`set_on_error(false)`](crate::CookieSessionConfig::set_on_error) a 5xx response carries no
//!   cookie (the session changes of that request are dropped).
//! * **A session too large for a cookie** ([`EncodeError::TooLarge`], logged by the core with both
//!   sizes) is never silently dropped: the response is replaced by an empty `500 Internal Server
//!   Error` without `Set-Cookie`. [`SessionMiddleware::on_encode_error`] replaces that response.
//! * **The extractor without the middleware**: extracting [`Session`] fails with
//!   [`SessionMiddlewareMissing`], logged at error level and rendered as an empty 500.
//!
//! # Pitfalls
//!
//! * **`.wrap()` order is reversed**: the middleware registered *last* runs *first* (outermost).
//!   The session middleware must wrap every service that uses the session: a middleware
//!   registered *before* it (so nested inside it) can use the session through [`SessionExt`],
//!   one registered *after* it cannot.
//! * **Never call [`Secret::generate`](crate::Secret::generate) (or build the factory) inside the
//!   `HttpServer::new` closure.** The closure runs once per worker thread, so each worker would
//!   sign with a different key and reject the others' cookies, at random. Build the factory once
//!   and move clones into the closure.
//! * **Streaming bodies**: the `Set-Cookie` is decided when the handler returns its response;
//!   session changes made while a streaming body is produced are lost (the headers are gone).
//! * An inner middleware that returns `Err` instead of a response bypasses this one: actix-web
//!   renders that error itself, without a session cookie.

use std::fmt;
use std::future::{Ready, ready};
use std::ops::Deref;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{COOKIE, HeaderValue, SET_COOKIE};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;

use crate::error::EncodeError;
use crate::factory::CookieSessionFactory;
use crate::lazy::LazySession;

type EncodeErrorHandler = Arc<dyn Fn(&EncodeError) -> HttpResponse + Send + Sync>;

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
    on_encode_error: EncodeErrorHandler,
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
    on_encode_error: EncodeErrorHandler,
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
        let session = LazySession::from_cookie_headers(
            self.factory.clone(),
            request
                .headers()
                .get_all(COOKIE)
                .map(|value| value.as_bytes()),
        );
        request
            .extensions_mut()
            .insert(SessionSlot(session.clone()));
        let on_encode_error = Arc::clone(&self.on_encode_error);
        let response = self.service.call(request);

        Box::pin(async move {
            let mut response = response.await?;
            let set_cookie = match session.finish(response.status().as_u16()) {
                Ok(None) => return Ok(response.map_into_left_body()),
                Ok(Some(set_cookie)) => set_cookie,
                Err(error) => {
                    // Already logged by the core.
                    let replacement = on_encode_error(&error);
                    let (request, _discarded) = response.into_parts();
                    return Ok(ServiceResponse::new(request, replacement).map_into_right_body());
                }
            };
            match HeaderValue::from_str(set_cookie.as_str()) {
                Ok(value) => {
                    response.headers_mut().append(SET_COOKIE, value);
                    Ok(response.map_into_left_body())
                }
                Err(_) => {
                    // The core only builds header-safe values; should that ever break, the
                    // session must not be lost silently.
                    tracing::error!("session Set-Cookie is not a valid header value; not sent");
                    let (request, _discarded) = response.into_parts();
                    let replacement = HttpResponse::InternalServerError().finish();
                    Ok(ServiceResponse::new(request, replacement).map_into_right_body())
                }
            }
        })
    }
}

/// The handle the middleware stores in the request extensions; private, so only the middleware
/// can put one there.
#[derive(Clone)]
struct SessionSlot(LazySession);

/// The request's session, as an extractor. It dereferences to [`LazySession`], which has the
/// whole API (`get`, `insert`, `remove`, `invalidate`, flash, CSRF, ...). Clones share the same
/// session.
///
/// Needs [`SessionMiddleware`]; without it extraction fails with [`SessionMiddlewareMissing`]
/// (a 500).
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
#[derive(Clone, Debug)]
pub struct Session(LazySession);

impl Session {
    /// The underlying [`LazySession`].
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

impl From<Session> for LazySession {
    fn from(session: Session) -> Self {
        session.0
    }
}

impl FromRequest for Session {
    type Error = SessionMiddlewareMissing;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(request.session().ok_or_else(|| {
            tracing::error!(
                path = request.path(),
                "cookie_session::actix::Session extracted, but SessionMiddleware is not installed \
                 around this route; answering 500"
            );
            SessionMiddlewareMissing
        }))
    }
}

/// The error when [`Session`] is extracted on a route that [`SessionMiddleware`] does not wrap:
/// a configuration mistake, answered with an empty 500 and logged at error level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionMiddlewareMissing;

impl fmt::Display for SessionMiddlewareMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the session extractor was used without cookie_session::actix::SessionMiddleware \
             (add it with App::wrap, after any middleware that uses the session)",
        )
    }
}

impl std::error::Error for SessionMiddlewareMissing {}

impl ResponseError for SessionMiddlewareMissing {
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
            .get::<SessionSlot>()
            .map(|slot| Session(slot.0.clone()))
    }
}

impl SessionExt for ServiceRequest {
    fn session(&self) -> Option<Session> {
        self.extensions()
            .get::<SessionSlot>()
            .map(|slot| Session(slot.0.clone()))
    }
}
