//! The axum adapter driven through `tower::ServiceExt::oneshot`: no sockets, the real router.
#![cfg(feature = "axum")]

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cookie_session::axum::{Session, SessionLayer};
use cookie_session::{
    Clock, CookieSessionFactory, EncodeError, KeyRing, ManualClock, Secret, UnixTime,
};
use http_body_util::BodyExt;
use tower::ServiceExt;

const START: u64 = 1_700_000_000;

fn secret_a() -> Secret {
    Secret::from_text("axum adapter test secret A, at least 32 bytes long")
}

fn secret_b() -> Secret {
    Secret::from_text("axum adapter test secret B, at least 32 bytes long")
}

fn clock() -> ManualClock {
    ManualClock::new(UnixTime::from_secs(START))
}

fn factory(keys: impl Into<KeyRing>, clock: &ManualClock) -> CookieSessionFactory {
    CookieSessionFactory::builder(keys)
        .clock(clock.clone())
        .build()
        .expect("valid test configuration")
}

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
                let error = session.load_error().map_or("none", |e| e.code());
                format!("new={} error={error}", session.is_new())
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
                session.flash("", body, false).unwrap();
                "flashed"
            }),
        )
        .route(
            "/flash/pop",
            get(|session: Session| async move {
                let messages: Vec<String> = session
                    .pop_flash("")
                    .iter()
                    .map(|m| m.as_str().unwrap_or("?").to_owned())
                    .collect();
                messages.join(",")
            }),
        )
        .route(
            "/csrf/new",
            get(|session: Session| async move { session.new_csrf_token() }),
        )
        .route(
            "/csrf/check",
            post(|session: Session, headers: HeaderMap| async move {
                let supplied = headers
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if session.check_csrf_token(supplied) {
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
            "/big",
            get(|session: Session| async move {
                session.insert("blob", "x".repeat(5000)).unwrap();
                "stored a lot"
            }),
        )
        .route(
            "/lazy",
            // Extracts the session but never uses it.
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
}

fn app(factory: CookieSessionFactory) -> Router {
    routes().layer(SessionLayer::new(factory))
}

struct Reply {
    status: StatusCode,
    set_cookies: Vec<String>,
    body: String,
}

impl Reply {
    /// The `session=...` pair to send back, from the one session Set-Cookie of this reply.
    fn session_cookie(&self) -> String {
        let sessions: Vec<&String> = self
            .set_cookies
            .iter()
            .filter(|c| c.starts_with("session="))
            .collect();
        assert_eq!(
            sessions.len(),
            1,
            "exactly one session Set-Cookie: {sessions:?}"
        );
        sessions[0].split(';').next().unwrap().to_owned()
    }

    fn session_value(&self) -> String {
        self.session_cookie()["session=".len()..].to_owned()
    }
}

async fn send(app: &Router, method: &str, uri: &str, cookie: Option<&str>) -> Reply {
    send_with(app, method, uri, cookie, &[], String::new()).await
}

async fn send_with(
    app: &Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
    body: String,
) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    reply(response).await
}

async fn reply(response: Response) -> Reply {
    let status = response.status();
    let set_cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        set_cookies,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

#[tokio::test]
async fn set_then_read_across_requests() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));

    let login = send(&app, "GET", "/login", None).await;
    assert_eq!(login.status, StatusCode::OK);
    let set_cookie = &login.set_cookies[0];
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
    let cookie = login.session_cookie();

    clock.advance(Duration::from_secs(5));
    let whoami = send(&app, "GET", "/whoami", Some(&cookie)).await;
    assert_eq!(whoami.body, "john");
    assert!(
        whoami.set_cookies.is_empty(),
        "a read within reissue_time sends nothing"
    );
}

#[tokio::test]
async fn session_cookie_is_found_among_other_cookies_and_headers() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));
    let cookie = send(&app, "GET", "/login", None).await.session_cookie();

    let request = Request::builder()
        .uri("/whoami")
        .header(header::COOKIE, "theme=dark; lang=en")
        .header(header::COOKIE, format!("other=1; {cookie}"))
        .body(Body::empty())
        .unwrap();
    let whoami = reply(app.clone().oneshot(request).await.unwrap()).await;
    assert_eq!(whoami.body, "john");
}

#[tokio::test]
async fn untouched_request_sends_no_cookie() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));

    let whoami = send(&app, "GET", "/whoami", None).await;
    assert_eq!(whoami.body, "anonymous");
    assert!(whoami.set_cookies.is_empty(), "{:?}", whoami.set_cookies);

    let plain = send(&app, "GET", "/plain", None).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.set_cookies.is_empty());

    let cookie = send(&app, "GET", "/login", None).await.session_cookie();
    let plain = send(&app, "GET", "/plain", Some(&cookie)).await;
    assert!(plain.set_cookies.is_empty());
}

#[tokio::test]
async fn tampered_cookie_gives_a_new_session_that_a_write_replaces() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));
    let login = send(&app, "GET", "/login", None).await;
    let value = login.session_value();

    // Flip one character in the middle of the signed value.
    let mut bytes = value.into_bytes();
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    let tampered = format!("session={}", String::from_utf8(bytes).unwrap());

    let status = send(&app, "GET", "/status", Some(&tampered)).await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.body, "new=true error=bad_signature");
    assert!(
        status.set_cookies.is_empty(),
        "reading a new session writes nothing"
    );

    let whoami = send(&app, "GET", "/whoami", Some(&tampered)).await;
    assert_eq!(whoami.body, "anonymous");

    let relogin = send(&app, "GET", "/login", Some(&tampered)).await;
    let fresh = relogin.session_cookie();
    assert_ne!(fresh, tampered);
    assert_eq!(
        send(&app, "GET", "/whoami", Some(&fresh)).await.body,
        "john"
    );
}

#[tokio::test]
async fn garbage_cookie_is_a_new_session_not_an_error() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));
    let status = send(&app, "GET", "/status", Some("session=%%%not-base64!!")).await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.body, "new=true error=malformed");
}

#[tokio::test]
async fn read_after_reissue_time_reissues_the_cookie() {
    let clock = clock();
    let factory = CookieSessionFactory::builder(secret_a())
        .clock(clock.clone())
        .reissue_time(Duration::from_secs(60))
        .build()
        .unwrap();
    let app = app(factory.clone());
    let cookie = send(&app, "GET", "/login", None).await.session_cookie();

    clock.advance(Duration::from_secs(30));
    let early = send(&app, "GET", "/whoami", Some(&cookie)).await;
    assert!(early.set_cookies.is_empty(), "not yet due");

    clock.advance(Duration::from_secs(61));
    let late = send(&app, "GET", "/whoami", Some(&cookie)).await;
    assert_eq!(late.body, "john");
    let reissued = late.session_value();
    let verified = factory.verify(&reissued, clock.now()).unwrap();
    assert_eq!(verified.accessed, UnixTime::from_secs(START + 91));
    assert_eq!(verified.created, UnixTime::from_secs(START));

    // The untouched route does not reissue: only a use of the session counts.
    let plain = send(&app, "GET", "/plain", Some(&cookie)).await;
    assert!(plain.set_cookies.is_empty());
}

#[tokio::test]
async fn cookie_under_a_verify_only_key_is_reissued_under_the_primary() {
    let clock = clock();
    let old_app = app(factory(secret_a(), &clock));
    let cookie = send(&old_app, "GET", "/login", None).await.session_cookie();

    let rotated = factory(
        KeyRing::new(secret_b()).with_verify_only(secret_a()),
        &clock,
    );
    let new_app = app(rotated);
    let whoami = send(&new_app, "GET", "/whoami", Some(&cookie)).await;
    assert_eq!(whoami.body, "john");
    let reissued = whoami.session_value();

    let b_only = factory(secret_b(), &clock);
    let verified = b_only.verify(&reissued, clock.now()).unwrap();
    assert_eq!(verified.state["username"], "john");
    assert_eq!(verified.key_index, 0);
    assert!(
        factory(secret_a(), &clock)
            .verify(&reissued, clock.now())
            .is_err()
    );

    // Once re-issued, reads send nothing more.
    let again = send(
        &new_app,
        "GET",
        "/whoami",
        Some(&format!("session={reissued}")),
    )
    .await;
    assert!(again.set_cookies.is_empty());
}

#[tokio::test]
async fn invalidate_clears_the_session() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));
    let cookie = send(&app, "GET", "/login", None).await.session_cookie();

    let logout = send(&app, "POST", "/logout", Some(&cookie)).await;
    assert_eq!(logout.body, "bye");
    let cleared = logout.session_cookie();
    assert_ne!(cleared, cookie);
    assert_eq!(
        send(&app, "GET", "/whoami", Some(&cleared)).await.body,
        "anonymous"
    );
}

#[tokio::test]
async fn flash_messages_survive_one_request_and_are_popped_once() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));
    let first = send_with(&app, "POST", "/flash", None, &[], "saved".to_owned()).await;
    let cookie = first.session_cookie();
    let second = send_with(
        &app,
        "POST",
        "/flash",
        Some(&cookie),
        &[],
        "again".to_owned(),
    )
    .await;
    let cookie = second.session_cookie();

    let popped = send(&app, "GET", "/flash/pop", Some(&cookie)).await;
    assert_eq!(popped.body, "saved,again");
    let cookie = popped.session_cookie();
    assert_eq!(
        send(&app, "GET", "/flash/pop", Some(&cookie)).await.body,
        ""
    );
}

#[tokio::test]
async fn csrf_token_round_trip() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));
    let issued = send(&app, "GET", "/csrf/new", None).await;
    let token = issued.body.clone();
    assert_eq!(token.len(), 40);
    assert!(
        token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    );
    let cookie = issued.session_cookie();

    let good = send_with(
        &app,
        "POST",
        "/csrf/check",
        Some(&cookie),
        &[("x-csrf-token", &token)],
        String::new(),
    )
    .await;
    assert_eq!((good.status, good.body.as_str()), (StatusCode::OK, "valid"));

    let wrong = "0".repeat(40);
    let bad = send_with(
        &app,
        "POST",
        "/csrf/check",
        Some(&cookie),
        &[("x-csrf-token", &wrong)],
        String::new(),
    )
    .await;
    assert_eq!(
        (bad.status, bad.body.as_str()),
        (StatusCode::FORBIDDEN, "invalid")
    );

    let no_session = send_with(
        &app,
        "POST",
        "/csrf/check",
        None,
        &[("x-csrf-token", &token)],
        String::new(),
    )
    .await;
    assert_eq!(no_session.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn error_response_carries_the_cookie_when_set_on_error() {
    let clock = clock();
    let factory = CookieSessionFactory::builder(secret_a())
        .clock(clock.clone())
        .set_on_error(true)
        .build()
        .unwrap();
    let app = app(factory.clone());
    let fail = send(&app, "GET", "/fail", None).await;
    assert_eq!(fail.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(fail.body, "boom");
    let verified = factory.verify(&fail.session_value(), clock.now()).unwrap();
    assert_eq!(verified.state["attempted"], true);
}

#[tokio::test]
async fn error_response_has_no_cookie_without_set_on_error() {
    let clock = clock();
    let factory = CookieSessionFactory::builder(secret_a())
        .clock(clock.clone())
        .set_on_error(false)
        .build()
        .unwrap();
    let app = app(factory);
    let fail = send(&app, "GET", "/fail", None).await;
    assert_eq!(fail.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(fail.body, "boom");
    assert!(fail.set_cookies.is_empty(), "{:?}", fail.set_cookies);

    // A successful response still gets its cookie.
    assert_eq!(send(&app, "GET", "/login", None).await.set_cookies.len(), 1);
}

#[tokio::test]
async fn oversized_session_becomes_an_opaque_500_without_cookie() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));
    let big = send(&app, "GET", "/big", None).await;
    assert_eq!(big.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(big.set_cookies.is_empty());
    assert!(
        big.body.is_empty(),
        "opaque body, not the handler's: {:?}",
        big.body
    );
}

#[tokio::test]
async fn oversized_session_response_is_configurable() {
    let clock = clock();
    let layer = SessionLayer::new(factory(secret_a(), &clock)).on_encode_error(|error| {
        let EncodeError::TooLarge { size, limit } = error else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        (
            StatusCode::INSUFFICIENT_STORAGE,
            format!("{size} > {limit}"),
        )
            .into_response()
    });
    let app = routes().layer(layer);
    let big = send(&app, "GET", "/big", None).await;
    assert_eq!(big.status, StatusCode::INSUFFICIENT_STORAGE);
    assert!(big.set_cookies.is_empty());
    let (size, limit) = big.body.split_once(" > ").unwrap();
    assert!(size.parse::<usize>().unwrap() > 5000);
    assert_eq!(limit, "4096");
}

#[tokio::test]
async fn extractor_without_the_layer_is_a_500() {
    let app = routes();
    let whoami = send(&app, "GET", "/whoami", None).await;
    assert_eq!(whoami.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(whoami.body, "session layer missing");
    assert!(whoami.set_cookies.is_empty());
}

#[tokio::test]
async fn route_added_after_the_layer_has_no_session() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock)).route(
        "/late",
        get(|session: Session| async move { session.insert("n", 1).map(|_| "ok").unwrap() }),
    );
    let late = send(&app, "GET", "/late", None).await;
    assert_eq!(late.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(late.body, "session layer missing");
    assert_eq!(
        send(&app, "GET", "/login", None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn optional_extractor_is_none_without_the_layer() {
    let routes = Router::new().route(
        "/maybe",
        get(|session: Option<Session>| async move {
            match session {
                Some(session) => format!("session new={}", session.is_new()),
                None => "no layer".to_owned(),
            }
        }),
    );
    let without = send(&routes, "GET", "/maybe", None).await;
    assert_eq!(
        (without.status, without.body.as_str()),
        (StatusCode::OK, "no layer")
    );

    let clock = clock();
    let with = routes.layer(SessionLayer::new(factory(secret_a(), &clock)));
    let reply = send(&with, "GET", "/maybe", None).await;
    assert_eq!(reply.body, "session new=true");
}

#[tokio::test]
async fn session_is_decoded_only_when_used() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));
    let lazy = send(&app, "GET", "/lazy", Some("session=garbage%%%; theme=dark")).await;
    assert_eq!(lazy.status, StatusCode::OK);
    assert_eq!(lazy.body, "loaded=false");
    assert!(lazy.set_cookies.is_empty());

    let plain = send(&app, "GET", "/plain", Some("session=garbage%%%")).await;
    assert_eq!(
        (plain.status, plain.body.as_str()),
        (StatusCode::OK, "no session here")
    );
    assert!(plain.set_cookies.is_empty());
}

#[tokio::test]
async fn session_cookie_is_appended_next_to_the_handlers_own() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));
    let reply = send(&app, "GET", "/own-cookie", None).await;
    assert_eq!(reply.set_cookies.len(), 2, "{:?}", reply.set_cookies);
    assert!(reply.set_cookies.iter().any(|c| c == "theme=dark; Path=/"));
    reply.session_cookie();
}

#[tokio::test]
async fn idle_timeout_expires_the_session() {
    let clock = clock();
    let app = app(factory(secret_a(), &clock));
    let cookie = send(&app, "GET", "/login", None).await.session_cookie();
    clock.advance(Duration::from_secs(1201));
    let status = send(&app, "GET", "/status", Some(&cookie)).await;
    assert_eq!(status.body, "new=false error=expired");
    assert_eq!(
        send(&app, "GET", "/whoami", Some(&cookie)).await.body,
        "anonymous"
    );
}
