//! End to end on each framework's own in-process harness (no sockets): one `GET /visits` that
//! reads and writes the session, carrying the cookie a first request obtained, for
//! cookie-session, the framework's session crate, and no session at all.
//!
//! ```sh
//! cd bench-peers && cargo bench --bench e2e
//! ```
//!
//! * axum 0.8 (`tower::ServiceExt::oneshot`): cookie-session's layer; tower-sessions 0.15 with
//!   its memory store (the cookie holds only an id); tower-sessions-cookie-store 0.5 (the whole
//!   record in a signed cookie; it is built on tower-sessions-core 0.14, none exists for 0.15);
//! * actix-web 4 (`actix_web::test::call_service`): cookie-session's middleware; actix-session
//!   0.11's `CookieSessionStore`, signed and private.

use std::hint::black_box;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use cookie_session_bench_peers::{actix_apps, axum_apps};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

/// `name=value` of a `Set-Cookie` header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

fn axum(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let variants = [
        ("no session", axum_apps::plain()),
        ("cookie-session", axum_apps::cookie_session()),
        ("tower-sessions memory", axum_apps::tower_sessions_memory()),
        (
            "tower-sessions-cookie-store",
            axum_apps::tower_sessions_cookie(),
        ),
    ];
    let mut group = c.benchmark_group("axum visits");
    for (name, router) in variants {
        let request = |cookie: Option<&str>| {
            let mut request = Request::get("/visits");
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            request.body(Body::empty()).expect("a request")
        };
        let first = runtime
            .block_on(router.clone().oneshot(request(None)))
            .expect("infallible");
        let cookie = first
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .map(cookie_pair);
        assert_eq!(cookie.is_some(), name != "no session", "{name}");
        group.bench_function(name, |b| {
            b.iter(|| {
                let response = runtime
                    .block_on(router.clone().oneshot(request(cookie.as_deref())))
                    .expect("infallible");
                assert!(response.status().is_success());
                black_box(response)
            })
        });
    }
    group.finish();
}

/// Benchmarks one actix-web app under `name`.
macro_rules! bench_actix {
    ($group:expr, $system:expr, $name:expr, $app:expr) => {{
        use actix_web::test;
        let app = $system.block_on(test::init_service($app));
        let first = $system.block_on(test::call_service(
            &app,
            test::TestRequest::get().uri("/visits").to_request(),
        ));
        let cookie = first
            .headers()
            .get(actix_web::http::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .map(cookie_pair);
        assert_eq!(cookie.is_some(), $name != "no session", "{}", $name);
        $group.bench_function($name, |b| {
            b.iter(|| {
                let mut request = test::TestRequest::get().uri("/visits");
                if let Some(cookie) = &cookie {
                    request =
                        request.insert_header((actix_web::http::header::COOKIE, cookie.as_str()));
                }
                let response = $system.block_on(test::call_service(&app, request.to_request()));
                assert!(response.status().is_success());
                black_box(response)
            })
        });
    }};
}

fn actix(c: &mut Criterion) {
    use actix_web::App;
    use actix_web::web::get;
    let system = actix_web::rt::System::new();
    let mut group = c.benchmark_group("actix visits");
    bench_actix!(
        group,
        system,
        "no session",
        App::new().route("/visits", get().to(actix_apps::plain))
    );
    bench_actix!(
        group,
        system,
        "cookie-session",
        App::new()
            .wrap(cookie_session::actix::SessionMiddleware::new(
                cookie_session_bench_peers::factory()
            ))
            .route("/visits", get().to(actix_apps::cookie_session))
    );
    bench_actix!(
        group,
        system,
        "actix-session cookie signed",
        App::new()
            .wrap(actix_apps::actix_session_middleware(false))
            .route("/visits", get().to(actix_apps::actix_session))
    );
    bench_actix!(
        group,
        system,
        "actix-session cookie private",
        App::new()
            .wrap(actix_apps::actix_session_middleware(true))
            .route("/visits", get().to(actix_apps::actix_session))
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40);
    targets = axum, actix
}
criterion_main!(benches);
