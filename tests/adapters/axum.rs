//! The axum harness (the real router, driven through `tower::ServiceExt::oneshot`) and the
//! axum-only tests.

use axum::Router;
use axum::body::Body;
use axum::extract::Request as AxumRequest;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cookie_session::CookieSessionFactory;
use cookie_session::EncodeError;
use cookie_session::axum::{Session, SessionLayer};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::catch_panic::CatchPanic;
use crate::contract::{self, Harness, Reply, Request, clock, factory, secret_a};

fn routes() -> Router {
    Router::new()
        .route(
            "/login",
            get(|session: Session| async move {
                session.insert("username", "john").unwrap();
                "ok"
            }),
        )
        .route(
            "/whoami",
            get(|session: Session| async move {
                session
                    .get::<String>("username")
                    .unwrap()
                    .unwrap_or_else(|| "anonymous".to_owned())
            }),
        )
        .route(
            "/status",
            get(|session: Session| async move {
                session.with(|s| {
                    let error = s.load_error().map_or("none", |e| e.code());
                    format!("new={} error={error}", s.is_new())
                })
            }),
        )
        .route(
            "/logout",
            post(|session: Session| async move {
                session.invalidate();
                "bye"
            }),
        )
        .route(
            "/flash",
            post(|session: Session, body: String| async move {
                session.with(|s| s.flash("", body, false)).unwrap();
                "flashed"
            }),
        )
        .route(
            "/flash/pop",
            get(|session: Session| async move {
                let messages: Vec<String> = session
                    .with(|s| s.pop_flash(""))
                    .iter()
                    .map(|m| m.as_str().unwrap_or("?").to_owned())
                    .collect();
                messages.join(",")
            }),
        )
        .route(
            "/csrf/new",
            get(|session: Session| async move { session.with(|s| s.new_csrf_token()) }),
        )
        .route(
            "/csrf/check",
            post(|session: Session, token: String| async move {
                if session.with(|s| s.check_csrf_token(&token)) {
                    (StatusCode::OK, "valid")
                } else {
                    (StatusCode::FORBIDDEN, "invalid")
                }
            }),
        )
        .route(
            "/fail",
            get(|session: Session| async move {
                session.insert("attempted", true).unwrap();
                (StatusCode::INTERNAL_SERVER_ERROR, "boom")
            }),
        )
        .route(
            "/panic",
            get(|session: Session| async move {
                session.insert("attempted", true).unwrap();
                // An await point first, so the session lives in the future's state.
                tokio::task::yield_now().await;
                panic!("the handler fails half-way");
                #[allow(unreachable_code)]
                "unreachable"
            }),
        )
        .route(
            "/big",
            get(|session: Session| async move {
                session.insert("blob", "x".repeat(5000)).unwrap();
                "stored a lot"
            }),
        )
        .route(
            "/lazy",
            get(|session: Session| async move { format!("loaded={}", session.is_loaded()) }),
        )
        .route("/plain", get(|| async { "no session here" }))
        .route(
            "/own-cookie",
            get(|session: Session| async move {
                session.insert("n", 1).unwrap();
                ([(header::SET_COOKIE, "theme=dark; Path=/")], "two cookies")
            }),
        )
        .route(
            "/own-cache",
            get(|session: Session| async move {
                session.insert("n", 1).unwrap();
                ([(header::CACHE_CONTROL, "no-store")], "own cache-control")
            }),
        )
        .route(
            "/own-vary",
            get(|session: Session| async move {
                let _ = session.get::<u32>("n");
                ([(header::VARY, "Accept-Encoding")], "own vary")
            }),
        )
        // Inside the session layer, as tower-http's `CatchPanicLayer` would be.
        .layer(middleware::from_fn(catch_panic))
}

async fn catch_panic(request: AxumRequest, next: Next) -> Response {
    CatchPanic::new(next.run(request))
        .await
        .unwrap_or_else(|()| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn too_large_as_507(error: &EncodeError) -> Response {
    let EncodeError::TooLarge { size, limit } = error else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    (
        StatusCode::INSUFFICIENT_STORAGE,
        format!("{size} > {limit}"),
    )
        .into_response()
}

pub struct Axum {
    router: Router,
    runtime: tokio::runtime::Runtime,
}

impl Axum {
    fn new(router: Router) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Self { router, runtime }
    }
}

impl Harness for Axum {
    fn app(factory: CookieSessionFactory) -> Self {
        Self::new(routes().layer(SessionLayer::new(factory)))
    }

    fn app_with_encode_error_hook(factory: CookieSessionFactory) -> Self {
        Self::new(routes().layer(SessionLayer::new(factory).on_encode_error(too_large_as_507)))
    }

    fn app_without_middleware() -> Self {
        Self::new(routes())
    }

    fn send(&self, request: Request) -> Reply {
        let mut builder = AxumRequest::builder()
            .method(request.method)
            .uri(&request.path);
        for cookie in &request.cookies {
            builder = builder.header(header::COOKIE, cookie);
        }
        let request = builder.body(Body::from(request.body)).unwrap();
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.unwrap();
            reply(response).await
        })
    }
}

async fn reply(response: Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap().to_owned()))
        .collect();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

contract::contract_tests!(Axum);

#[test]
fn route_added_after_the_layer_has_no_session() {
    let clock = clock();
    let router = routes()
        .layer(SessionLayer::new(factory(secret_a(), &clock)))
        .route(
            "/late",
            get(|session: Session| async move { session.insert("n", 1).map(|_| "ok").unwrap() }),
        );
    let app = Axum::new(router);
    let late = app.get("/late", None);
    assert_eq!(late.status, 500);
    assert!(late.body.is_empty(), "{late:?}");
    assert_eq!(app.get("/login", None).status, 200);
}

#[test]
fn optional_extractor_is_none_without_the_layer() {
    let routes = Router::new().route(
        "/maybe",
        get(|session: Option<Session>| async move {
            match session {
                Some(session) => format!("session new={}", session.with(|s| s.is_new())),
                None => "no layer".to_owned(),
            }
        }),
    );
    let without = Axum::new(routes.clone()).get("/maybe", None);
    assert_eq!((without.status, without.body.as_str()), (200, "no layer"));

    let clock = clock();
    let with = Axum::new(routes.layer(SessionLayer::new(factory(secret_a(), &clock))));
    assert_eq!(with.get("/maybe", None).body, "session new=true");
}
