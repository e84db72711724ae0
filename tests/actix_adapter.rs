//! The actix-web adapter, driven through `actix_web::test` (no network).
#![cfg(feature = "actix-web")]

use std::time::Duration;

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{COOKIE, SET_COOKIE};
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpRequest, HttpResponse, web};
use cookie_session::actix::{Session, SessionExt, SessionMiddleware};
use cookie_session::{CookieSessionFactory, EncodeError, KeyRing, ManualClock, Secret, UnixTime};

// ----- the application under test -------------------------------------------------------------

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/set/{value}", web::get().to(set_value))
        .route("/get", web::get().to(get_value))
        .route("/untouched", web::get().to(untouched))
        .route("/lazy", web::get().to(lazy))
        .route("/ext", web::get().to(through_extension))
        .route("/invalidate", web::post().to(invalidate))
        .route("/flash/{message}", web::get().to(push_flash))
        .route("/flash", web::get().to(pop_flash))
        .route("/csrf", web::get().to(csrf_token))
        .route("/csrf", web::post().to(csrf_check))
        .route("/fail-response", web::get().to(fail_with_response))
        .route("/fail-error", web::get().to(fail_with_error))
        .route("/big", web::get().to(big))
        .route("/own-cookie", web::get().to(own_cookie));
}

async fn set_value(session: Session, value: web::Path<String>) -> actix_web::Result<&'static str> {
    session.insert("value", value.into_inner())?;
    Ok("stored")
}

/// Describes what the handler saw: whether the session is new, the stored value, the load error.
async fn get_value(session: Session) -> String {
    let value = session.get::<String>("value").ok().flatten();
    let error = session.load_error().map(|error| error.code());
    format!(
        "new={};value={};error={}",
        session.is_new(),
        value.as_deref().unwrap_or("none"),
        error.unwrap_or("none")
    )
}

async fn untouched() -> &'static str {
    "plain"
}

/// Whether the cookie was decoded before and after the first read.
async fn lazy(session: Session) -> String {
    let before = session.is_loaded();
    let _ = session.get::<String>("value");
    format!("{before}->{}", session.is_loaded())
}

async fn through_extension(request: HttpRequest) -> String {
    match request.session() {
        Some(session) => session
            .get::<String>("value")
            .ok()
            .flatten()
            .unwrap_or_else(|| "none".to_owned()),
        None => "no session".to_owned(),
    }
}

async fn invalidate(session: Session) -> &'static str {
    session.invalidate();
    "invalidated"
}

async fn push_flash(
    session: Session,
    message: web::Path<String>,
) -> actix_web::Result<&'static str> {
    session.flash("notice", message.into_inner(), false)?;
    Ok("queued")
}

async fn pop_flash(session: Session) -> String {
    serde_json::Value::Array(session.pop_flash("notice")).to_string()
}

async fn csrf_token(session: Session) -> String {
    session.get_csrf_token()
}

async fn csrf_check(session: Session, request: HttpRequest) -> HttpResponse {
    let supplied = request
        .headers()
        .get("x-csrf-token")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if session.check_csrf_token(supplied) {
        HttpResponse::Ok().body("accepted")
    } else {
        HttpResponse::Forbidden().body("bad csrf token")
    }
}

async fn fail_with_response(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("value", "failed")?;
    Ok(HttpResponse::InternalServerError().body("handler failed"))
}

async fn fail_with_error(session: Session) -> actix_web::Result<&'static str> {
    session.insert("value", "failed")?;
    Err(actix_web::error::ErrorInternalServerError("handler failed"))
}

async fn big(session: Session) -> actix_web::Result<&'static str> {
    session.insert("value", "x".repeat(5000))?;
    Ok("too much")
}

/// Sets a cookie of its own next to the session's.
async fn own_cookie(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("value", "alice")?;
    Ok(HttpResponse::Ok()
        .append_header((SET_COOKIE, "theme=dark; Path=/"))
        .body("two cookies"))
}

// ----- helpers --------------------------------------------------------------------------------

fn factory() -> CookieSessionFactory {
    CookieSessionFactory::new(Secret::generate()).expect("valid secret")
}

/// The test service: `routes` wrapped in `$middleware`. (A macro because the request type of
/// `init_service` is not nameable without a direct `actix-http` dependency.)
macro_rules! app {
    ($middleware:expr) => {
        test::init_service(App::new().wrap($middleware).configure(routes)).await
    };
}

/// Sends a `TestRequest` through the service.
macro_rules! call {
    ($app:expr, $request:expr) => {
        test::call_service(&$app, $request.to_request()).await
    };
}

/// Every `Set-Cookie` header of the response.
fn set_cookies<B>(response: &ServiceResponse<B>) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .map(|value| value.to_str().expect("ASCII header").to_owned())
        .collect()
}

/// The `name=value` pair to send back, from the response's only `Set-Cookie`.
fn cookie_pair<B>(response: &ServiceResponse<B>) -> String {
    let headers = set_cookies(response);
    assert_eq!(
        headers.len(),
        1,
        "expected exactly one Set-Cookie, got {headers:?}"
    );
    let pair = headers[0].split(';').next().expect("split yields one item");
    assert!(pair.starts_with("session="), "{pair}");
    pair.to_owned()
}

fn cookie_value(pair: &str) -> &str {
    pair.strip_prefix("session=").expect("session cookie")
}

fn get(uri: &str, cookie: Option<&str>) -> TestRequest {
    let mut request = TestRequest::get().uri(uri);
    if let Some(cookie) = cookie {
        request = request.insert_header((COOKIE, cookie));
    }
    request
}

fn post(uri: &str, cookie: Option<&str>) -> TestRequest {
    let mut request = TestRequest::post().uri(uri);
    if let Some(cookie) = cookie {
        request = request.insert_header((COOKIE, cookie));
    }
    request
}

async fn body_of<B: actix_web::body::MessageBody>(response: ServiceResponse<B>) -> String {
    let bytes = test::read_body(response).await;
    String::from_utf8(bytes.to_vec()).expect("UTF-8 body")
}

// ----- tests ----------------------------------------------------------------------------------

#[actix_web::test]
async fn set_then_read_across_requests() {
    let app = app!(SessionMiddleware::new(factory()));

    let response = call!(app, get("/set/alice", None));
    assert_eq!(response.status(), StatusCode::OK);
    let header = &set_cookies(&response)[0];
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(
            header.contains(attribute),
            "{attribute} missing from {header}"
        );
    }
    let cookie = cookie_pair(&response);

    let response = call!(app, get("/get", Some(&cookie)));
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        set_cookies(&response).is_empty(),
        "a fresh read re-sends nothing"
    );
    assert_eq!(body_of(response).await, "new=false;value=alice;error=none");

    // Our cookie among others, and split over two Cookie headers.
    let request = TestRequest::get()
        .uri("/get")
        .append_header((COOKIE, "theme=dark; lang=fr"))
        .append_header((COOKIE, format!("tracking=1; {cookie}")));
    let response = call!(app, request);
    assert_eq!(body_of(response).await, "new=false;value=alice;error=none");
}

#[actix_web::test]
async fn untouched_request_sends_no_cookie() {
    let app = app!(SessionMiddleware::new(factory()));

    let response = call!(app, get("/untouched", None));
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookies(&response).is_empty());

    let cookie = cookie_pair(&call!(app, get("/set/alice", None)));
    let response = call!(app, get("/untouched", Some(&cookie)));
    assert!(set_cookies(&response).is_empty());
    assert_eq!(body_of(response).await, "plain");

    // Reading a brand-new session changes nothing either.
    let response = call!(app, get("/get", None));
    assert!(set_cookies(&response).is_empty());
    assert_eq!(body_of(response).await, "new=true;value=none;error=none");
}

#[actix_web::test]
async fn lazy_decode_skips_untouched_sessions() {
    let app = app!(SessionMiddleware::new(factory()));

    // A garbage cookie on a route that never uses the session: nothing happens at all.
    let response = call!(app, get("/untouched", Some("session=%%%not-a-cookie")));
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(body_of(response).await, "plain");

    // Extracting the session does not decode it; the first read does.
    let cookie = cookie_pair(&call!(app, get("/set/alice", None)));
    let response = call!(app, get("/lazy", Some(&cookie)));
    assert_eq!(body_of(response).await, "false->true");
}

#[actix_web::test]
async fn tampered_cookie_gives_a_new_session() {
    let app = app!(SessionMiddleware::new(factory()));
    let cookie = cookie_pair(&call!(app, get("/set/alice", None)));

    // Flip one character in the middle of the value.
    let value = cookie_value(&cookie);
    let middle = value.len() / 2;
    let flipped = if &value[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let tampered = format!(
        "session={}{flipped}{}",
        &value[..middle],
        &value[middle + 1..]
    );
    assert_ne!(tampered, cookie);

    let response = call!(app, get("/get", Some(&tampered)));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        body_of(response).await,
        "new=true;value=none;error=bad_signature"
    );

    // Writing to that new session replaces the bad cookie with a good one.
    let response = call!(app, get("/set/bob", Some(&tampered)));
    assert_eq!(response.status(), StatusCode::OK);
    let replaced = cookie_pair(&response);
    assert_ne!(replaced, tampered);
    let response = call!(app, get("/get", Some(&replaced)));
    assert_eq!(body_of(response).await, "new=false;value=bob;error=none");
}

#[actix_web::test]
async fn read_after_reissue_time_resends_the_cookie() {
    let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
    let factory = CookieSessionFactory::builder(Secret::generate())
        .timeout(Duration::from_secs(1200))
        .reissue_time(Duration::from_secs(120))
        .clock(clock.clone())
        .build()
        .expect("valid config");
    let app = app!(SessionMiddleware::new(factory));
    let original = cookie_pair(&call!(app, get("/set/alice", None)));

    clock.advance(Duration::from_secs(60));
    let response = call!(app, get("/get", Some(&original)));
    assert!(set_cookies(&response).is_empty(), "within reissue_time");

    clock.advance(Duration::from_secs(61));
    let response = call!(app, get("/get", Some(&original)));
    let reissued = cookie_pair(&response);
    assert_ne!(reissued, original);
    assert_eq!(body_of(response).await, "new=false;value=alice;error=none");

    // 1221 s after the first cookie, 1100 s after the re-issue: only the re-issued one is alive.
    clock.advance(Duration::from_secs(1100));
    let response = call!(app, get("/get", Some(&reissued)));
    assert_eq!(body_of(response).await, "new=false;value=alice;error=none");
    let response = call!(app, get("/get", Some(&original)));
    assert_eq!(
        body_of(response).await,
        "new=false;value=none;error=expired"
    );
}

#[actix_web::test]
async fn cookie_under_a_verify_only_key_is_reissued_under_the_primary() {
    let (old_key, new_key) = (Secret::generate(), Secret::generate());
    let before = CookieSessionFactory::new(old_key.clone()).expect("valid secret");
    let mut session = before.load(None, UnixTime::now());
    session.insert("value", "alice").expect("serializable");
    let old_cookie = before
        .finish(&session, UnixTime::now())
        .expect("small session")
        .expect("changed session is written");

    let ring = KeyRing::new(new_key.clone()).with_verify_only(old_key);
    let after = CookieSessionFactory::new(ring).expect("valid ring");
    let app = app!(SessionMiddleware::new(after));
    let sent = format!("session={}", old_cookie.value());
    let response = call!(app, get("/get", Some(&sent)));
    let rotated = cookie_pair(&response);
    assert_eq!(body_of(response).await, "new=false;value=alice;error=none");

    let new_only = CookieSessionFactory::new(new_key).expect("valid secret");
    let session = new_only.load(Some(cookie_value(&rotated)), UnixTime::now());
    assert_eq!(session.load_error(), None);
    assert_eq!(session.key_index(), Some(0));
    assert_eq!(
        session.get::<String>("value").unwrap().as_deref(),
        Some("alice")
    );
    assert!(
        new_only
            .load(Some(old_cookie.value()), UnixTime::now())
            .is_new(),
        "the old cookie does not verify under the new key alone"
    );
}

#[actix_web::test]
async fn invalidate_sends_an_empty_session() {
    let app = app!(SessionMiddleware::new(factory()));
    let cookie = cookie_pair(&call!(app, get("/set/alice", None)));

    let response = call!(app, post("/invalidate", Some(&cookie)));
    assert_eq!(response.status(), StatusCode::OK);
    let emptied = cookie_pair(&response);
    assert_ne!(emptied, cookie);

    let response = call!(app, get("/get", Some(&emptied)));
    assert_eq!(body_of(response).await, "new=false;value=none;error=none");
}

#[actix_web::test]
async fn flash_messages_survive_until_popped() {
    let app = app!(SessionMiddleware::new(factory()));
    let cookie = cookie_pair(&call!(app, get("/flash/hello", None)));
    let cookie = cookie_pair(&call!(app, get("/flash/world", Some(&cookie))));

    let response = call!(app, get("/flash", Some(&cookie)));
    let popped = cookie_pair(&response);
    assert_eq!(body_of(response).await, r#"["hello","world"]"#);

    let response = call!(app, get("/flash", Some(&popped)));
    assert_eq!(body_of(response).await, "[]");
}

#[actix_web::test]
async fn csrf_token_is_checked_against_the_session() {
    let app = app!(SessionMiddleware::new(factory()));
    let response = call!(app, get("/csrf", None));
    let cookie = cookie_pair(&response);
    let token = body_of(response).await;
    assert_eq!(token.len(), 40);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );

    let check = |cookie: Option<&str>, token: &str| {
        let mut request = TestRequest::post()
            .uri("/csrf")
            .insert_header(("x-csrf-token", token));
        if let Some(cookie) = cookie {
            request = request.insert_header((COOKIE, cookie));
        }
        request
    };
    let response = call!(app, check(Some(&cookie), &token));
    assert_eq!(response.status(), StatusCode::OK);
    let wrong = "0".repeat(40);
    let response = call!(app, check(Some(&cookie), &wrong));
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = call!(app, check(None, &token));
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "the token belongs to the session"
    );
}

#[actix_web::test]
async fn error_responses_carry_the_cookie_when_set_on_error_is_on() {
    let app = app!(SessionMiddleware::new(factory()));
    for uri in ["/fail-response", "/fail-error"] {
        let response = call!(app, get(uri, None));
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{uri}"
        );
        let cookie = cookie_pair(&response);
        let response = call!(app, get("/get", Some(&cookie)));
        assert_eq!(
            body_of(response).await,
            "new=false;value=failed;error=none",
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn error_responses_carry_no_cookie_when_set_on_error_is_off() {
    let factory = CookieSessionFactory::builder(Secret::generate())
        .set_on_error(false)
        .build()
        .expect("valid config");
    let app = app!(SessionMiddleware::new(factory));
    for uri in ["/fail-response", "/fail-error"] {
        let response = call!(app, get(uri, None));
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{uri}"
        );
        assert!(set_cookies(&response).is_empty(), "{uri}");
    }
    // Successful responses are unaffected.
    let response = call!(app, get("/set/alice", None));
    assert_eq!(set_cookies(&response).len(), 1);
}

#[actix_web::test]
async fn oversized_session_becomes_a_500() {
    let app = app!(SessionMiddleware::new(factory()));
    let response = call!(app, get("/big", None));
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(
        body_of(response).await,
        "",
        "the handler's body is not sent"
    );
}

#[actix_web::test]
async fn oversized_session_response_is_configurable() {
    let middleware = SessionMiddleware::new(factory()).on_encode_error(|error| match error {
        EncodeError::TooLarge { size, limit } => {
            HttpResponse::ServiceUnavailable().body(format!("session {size} > {limit}"))
        }
        _ => HttpResponse::InternalServerError().finish(),
    });
    let app = app!(middleware);
    let response = call!(app, get("/big", None));
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(set_cookies(&response).is_empty());
    let body = body_of(response).await;
    let (size, limit) = body
        .strip_prefix("session ")
        .and_then(|rest| rest.split_once(" > "))
        .expect("hook body");
    assert_eq!(limit, "4096");
    assert!(size.parse::<usize>().unwrap() > 5000, "{body}");
}

#[actix_web::test]
async fn extractor_without_middleware_is_a_500() {
    let app = test::init_service(App::new().configure(routes)).await;
    let response = call!(app, get("/get", None));
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(
        body_of(response).await,
        "",
        "the reason goes to the log, not the client"
    );

    let response = call!(app, get("/ext", None));
    assert_eq!(body_of(response).await, "no session");
}

#[actix_web::test]
async fn session_is_reachable_from_the_request_extensions() {
    let app = app!(SessionMiddleware::new(factory()));
    let cookie = cookie_pair(&call!(app, get("/set/alice", None)));
    let response = call!(app, get("/ext", Some(&cookie)));
    assert!(set_cookies(&response).is_empty());
    assert_eq!(body_of(response).await, "alice");
}

#[actix_web::test]
async fn session_cookie_is_appended_next_to_the_handlers_cookies() {
    let app = app!(SessionMiddleware::new(factory()));
    let response = call!(app, get("/own-cookie", None));
    let headers = set_cookies(&response);
    assert_eq!(headers.len(), 2, "{headers:?}");
    assert_eq!(headers[0], "theme=dark; Path=/");
    assert!(headers[1].starts_with("session="), "{headers:?}");
}
