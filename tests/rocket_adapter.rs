//! The Rocket adapter through Rocket's own local client. Cookies are carried by hand (an
//! untracked client plus an explicit `Cookie` header), so each test sees exactly which
//! `Set-Cookie` headers a response carries.
#![cfg(feature = "rocket")]

use std::io::Cursor;
use std::time::Duration;

use cookie_session::rocket::{Session, SessionFairing};
use cookie_session::{Clock, CookieSessionFactory, KeyRing, ManualClock, Secret, UnixTime};
use rocket::config::LogLevel;
use rocket::http::{CookieJar, Header, Status};
use rocket::local::asynchronous::Client;
use rocket::{Build, Response, Rocket, get, post, routes};

// ----- routes ----------------------------------------------------------------------------------

#[get("/set/<value>")]
fn set(session: Session, value: &str) -> &'static str {
    session.insert("name", value).expect("a string is JSON");
    "stored"
}

/// The stored name (or `-`) and whether the session is new, e.g. `alice|false`.
#[get("/get")]
fn read(session: Session) -> String {
    let name: Option<String> = session.get("name").expect("only strings are stored");
    format!("{}|{}", name.as_deref().unwrap_or("-"), session.is_new())
}

#[get("/load-error")]
fn load_error(session: Session) -> String {
    session
        .load_error()
        .map_or_else(|| "none".to_owned(), |error| error.code().to_owned())
}

#[get("/untouched")]
fn untouched() -> &'static str {
    "plain"
}

/// Takes the guard but never uses the session: the cookie must not be decoded.
#[get("/guard-only")]
fn guard_only(session: Session) -> &'static str {
    if session.is_loaded() {
        "loaded"
    } else {
        "not loaded"
    }
}

/// Two guards in one handler see the same session.
#[get("/two-guards")]
fn two_guards(first: Session, second: Session) -> String {
    first.insert("name", "shared").expect("a string is JSON");
    second
        .get::<String>("name")
        .expect("a string")
        .unwrap_or_default()
}

#[post("/logout")]
fn logout(session: Session) -> &'static str {
    session.invalidate();
    "bye"
}

#[get("/flash/<message>")]
fn flash(session: Session, message: &str) -> &'static str {
    session
        .flash("info", message, false)
        .expect("a string is JSON");
    "flashed"
}

#[get("/flash")]
fn pop_flash(session: Session) -> String {
    serde_json::to_string(&session.pop_flash("info")).expect("JSON values serialize")
}

#[get("/csrf")]
fn csrf_token(session: Session) -> String {
    session.get_csrf_token()
}

#[post("/csrf", data = "<token>")]
fn csrf_check(session: Session, token: String) -> &'static str {
    if session.check_csrf_token(&token) {
        "valid"
    } else {
        "invalid"
    }
}

/// Writes the session, then fails: whether the cookie is still sent is `set_on_error`'s call.
#[get("/fail")]
fn fail(session: Session) -> Status {
    session.insert("name", "failing").expect("a string is JSON");
    Status::InternalServerError
}

/// A session far over the 4096-byte cookie limit, plus an unrelated jar cookie that must not
/// leak into the 500 that replaces this response.
#[get("/big")]
fn big(session: Session, jar: &CookieJar<'_>) -> &'static str {
    session
        .insert("blob", "x".repeat(5000))
        .expect("a string is JSON");
    jar.add(("theme", "dark"));
    "should not be seen"
}

fn all_routes() -> Vec<rocket::Route> {
    routes![
        set, read, load_error, untouched, guard_only, two_guards, logout, flash, pop_flash,
        csrf_token, csrf_check, fail, big
    ]
}

// ----- harness ---------------------------------------------------------------------------------

fn quiet_rocket() -> Rocket<Build> {
    rocket::custom(rocket::Config {
        log_level: LogLevel::Off,
        ..rocket::Config::debug_default()
    })
}

async fn client_with(fairing: SessionFairing) -> Client {
    let rocket = quiet_rocket().attach(fairing).mount("/", all_routes());
    Client::untracked(rocket).await.expect("a valid rocket")
}

async fn client(factory: &CookieSessionFactory) -> Client {
    client_with(SessionFairing::new(factory.clone())).await
}

fn factory(keys: impl Into<KeyRing>) -> CookieSessionFactory {
    CookieSessionFactory::new(keys).expect("a valid factory")
}

/// What a test needs from a response.
#[derive(Debug)]
struct Reply {
    status: Status,
    set_cookies: Vec<String>,
    body: String,
}

impl Reply {
    /// The value of the one session cookie this response sets.
    fn session_value(&self) -> String {
        assert_eq!(
            self.set_cookies.len(),
            1,
            "expected exactly one Set-Cookie, got {:?}",
            self.set_cookies
        );
        let pair = self.set_cookies[0].split(';').next().unwrap_or_default();
        pair.strip_prefix("session=")
            .unwrap_or_else(|| panic!("not the session cookie: {pair:?}"))
            .to_owned()
    }
}

async fn send(client: &Client, method: &str, path: &str, cookie: Option<&str>) -> Reply {
    send_body(client, method, path, cookie, "").await
}

async fn send_body(
    client: &Client,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: &str,
) -> Reply {
    let mut request = match method {
        "GET" => client.get(path.to_owned()),
        "POST" => client.post(path.to_owned()),
        other => panic!("method {other} not used in these tests"),
    };
    if let Some(value) = cookie {
        request = request.header(Header::new("Cookie", format!("session={value}")));
    }
    let response = request.body(body).dispatch().await;
    let status = response.status();
    let set_cookies = response
        .headers()
        .get("Set-Cookie")
        .map(str::to_owned)
        .collect();
    let body = response.into_string().await.unwrap_or_default();
    Reply {
        status,
        set_cookies,
        body,
    }
}

// ----- tests -----------------------------------------------------------------------------------

#[rocket::async_test]
async fn set_then_read_across_requests() {
    let factory = factory(Secret::generate());
    let client = client(&factory).await;

    let first = send(&client, "GET", "/set/alice", None).await;
    assert_eq!(first.status, Status::Ok);
    assert_eq!(first.body, "stored");
    let cookie = first.session_value();
    assert!(
        first.set_cookies[0].ends_with("; HttpOnly; SameSite=Lax; Secure; Path=/"),
        "{:?}",
        first.set_cookies
    );

    let second = send(&client, "GET", "/get", Some(&cookie)).await;
    assert_eq!(second.status, Status::Ok);
    assert_eq!(second.body, "alice|false");
    assert!(
        second.set_cookies.is_empty(),
        "a read within reissue_time sends nothing: {:?}",
        second.set_cookies
    );
}

#[rocket::async_test]
async fn untouched_request_sends_no_cookie() {
    let factory = factory(Secret::generate());
    let client = client(&factory).await;
    let cookie = send(&client, "GET", "/set/alice", None)
        .await
        .session_value();

    for (path, cookie) in [
        ("/untouched", None),
        ("/untouched", Some(cookie.as_str())),
        ("/guard-only", None),
        ("/guard-only", Some(cookie.as_str())),
    ] {
        let reply = send(&client, "GET", path, cookie).await;
        assert_eq!(reply.status, Status::Ok, "{path}");
        assert!(
            reply.set_cookies.is_empty(),
            "{path}: {:?}",
            reply.set_cookies
        );
    }
    // An unknown route goes through the 404 catcher; the fairing still sends nothing.
    let missing = send(&client, "GET", "/nowhere", Some(&cookie)).await;
    assert_eq!(missing.status, Status::NotFound);
    assert!(missing.set_cookies.is_empty());
}

#[rocket::async_test]
async fn lazy_decode_with_a_garbage_cookie() {
    let factory = factory(Secret::generate());
    let client = client(&factory).await;

    let plain = send(&client, "GET", "/untouched", Some("%%garbage%%")).await;
    assert_eq!((plain.status, plain.body.as_str()), (Status::Ok, "plain"));
    assert!(plain.set_cookies.is_empty());

    let guarded = send(&client, "GET", "/guard-only", Some("%%garbage%%")).await;
    assert_eq!(
        (guarded.status, guarded.body.as_str()),
        (Status::Ok, "not loaded")
    );
    assert!(guarded.set_cookies.is_empty());

    // The same cookie, once used, is decoded and rejected: a new session, not a failed request.
    let used = send(&client, "GET", "/load-error", Some("%%garbage%%")).await;
    assert_eq!((used.status, used.body.as_str()), (Status::Ok, "malformed"));
}

#[rocket::async_test]
async fn tampered_cookie_gives_a_new_session_and_is_replaced_on_write() {
    let factory = factory(Secret::generate());
    let client = client(&factory).await;
    let cookie = send(&client, "GET", "/set/alice", None)
        .await
        .session_value();

    // Flip one character in the middle of the value (a valid base64url character either way).
    let mut tampered = cookie.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ASCII");

    let read = send(&client, "GET", "/get", Some(&tampered)).await;
    assert_eq!(read.status, Status::Ok);
    assert_eq!(read.body, "-|true", "the handler sees a new session");
    assert!(
        read.set_cookies.is_empty(),
        "a read of a new session sends nothing"
    );

    let why = send(&client, "GET", "/load-error", Some(&tampered)).await;
    assert_ne!(why.body, "none", "the reason is visible");

    let write = send(&client, "GET", "/set/bob", Some(&tampered)).await;
    let replacement = write.session_value();
    assert_ne!(replacement, tampered);
    let read_back = send(&client, "GET", "/get", Some(&replacement)).await;
    assert_eq!(read_back.body, "bob|false");
}

#[rocket::async_test]
async fn reissue_after_reissue_time() {
    let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
    let factory = CookieSessionFactory::builder(Secret::generate())
        .clock(clock.clone())
        .reissue_time(Duration::from_secs(120))
        .timeout(Duration::from_secs(1200))
        .build()
        .expect("a valid factory");
    let client = client(&factory).await;
    let cookie = send(&client, "GET", "/set/alice", None)
        .await
        .session_value();

    clock.advance(Duration::from_secs(60));
    let early = send(&client, "GET", "/get", Some(&cookie)).await;
    assert_eq!(early.body, "alice|false");
    assert!(
        early.set_cookies.is_empty(),
        "not yet due: {:?}",
        early.set_cookies
    );

    clock.advance(Duration::from_secs(61));
    let due = send(&client, "GET", "/get", Some(&cookie)).await;
    assert_eq!(due.body, "alice|false");
    let reissued = due.session_value();
    assert_ne!(reissued, cookie);
    let verified = factory
        .verify(&reissued, clock.now())
        .expect("the re-issued cookie verifies");
    assert_eq!(
        verified.accessed,
        clock.now(),
        "with a fresh accessed stamp"
    );

    // The old cookie would have expired where the re-issued one is still good.
    clock.advance(Duration::from_secs(1200 - 121 + 60));
    assert!(factory.verify(&cookie, clock.now()).is_err());
    let later = send(&client, "GET", "/get", Some(&reissued)).await;
    assert_eq!(later.body, "alice|false");
}

#[rocket::async_test]
async fn rotation_reissues_under_the_primary_key() {
    let (old, new) = (Secret::generate(), Secret::generate());
    let before = factory(old.clone());
    let cookie = send(&client(&before).await, "GET", "/set/carol", None)
        .await
        .session_value();

    let after = factory(KeyRing::new(new.clone()).with_verify_only(old.clone()));
    let client = client(&after).await;
    let read = send(&client, "GET", "/get", Some(&cookie)).await;
    assert_eq!(read.body, "carol|false");
    let rotated = read.session_value();

    let new_only = factory(new);
    let verified = new_only
        .verify(&rotated, new_only.now())
        .expect("the re-issued cookie verifies under the new key alone");
    assert_eq!(verified.key_index, 0);
    assert_eq!(verified.state.get("name"), Some(&"carol".into()));
    assert!(factory(old).verify(&rotated, before.now()).is_err());

    // Once rotated, reads send nothing again.
    let again = send(&client, "GET", "/get", Some(&rotated)).await;
    assert!(again.set_cookies.is_empty(), "{:?}", again.set_cookies);
}

#[rocket::async_test]
async fn invalidate_empties_the_session() {
    let factory = factory(Secret::generate());
    let client = client(&factory).await;
    let cookie = send(&client, "GET", "/set/alice", None)
        .await
        .session_value();

    let logout = send(&client, "POST", "/logout", Some(&cookie)).await;
    assert_eq!((logout.status, logout.body.as_str()), (Status::Ok, "bye"));
    let emptied = logout.session_value();
    let verified = factory.verify(&emptied, factory.now()).expect("valid");
    assert!(verified.state.is_empty(), "{:?}", verified.state);

    let read = send(&client, "GET", "/get", Some(&emptied)).await;
    assert!(read.body.starts_with("-|"), "{}", read.body);
}

#[rocket::async_test]
async fn flash_messages_survive_until_popped() {
    let factory = factory(Secret::generate());
    let client = client(&factory).await;

    let cookie = send(&client, "GET", "/flash/hello", None)
        .await
        .session_value();
    let cookie = send(&client, "GET", "/flash/world", Some(&cookie))
        .await
        .session_value();

    let popped = send(&client, "GET", "/flash", Some(&cookie)).await;
    assert_eq!(popped.body, r#"["hello","world"]"#);
    let cookie = popped.session_value();

    let empty = send(&client, "GET", "/flash", Some(&cookie)).await;
    assert_eq!(empty.body, "[]");
}

#[rocket::async_test]
async fn csrf_token_round_trip() {
    let factory = factory(Secret::generate());
    let client = client(&factory).await;

    let issued = send(&client, "GET", "/csrf", None).await;
    let token = issued.body.clone();
    assert_eq!(token.len(), 40);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    let cookie = issued.session_value();

    let same = send(&client, "GET", "/csrf", Some(&cookie)).await;
    assert_eq!(same.body, token, "the token is stable within the session");

    let valid = send_body(&client, "POST", "/csrf", Some(&cookie), &token).await;
    assert_eq!(valid.body, "valid");
    let forged = "0".repeat(40);
    let invalid = send_body(&client, "POST", "/csrf", Some(&cookie), &forged).await;
    assert_eq!(invalid.body, "invalid");
    let no_session = send_body(&client, "POST", "/csrf", None, &token).await;
    assert_eq!(no_session.body, "invalid");
}

#[rocket::async_test]
async fn set_on_error_true_sends_the_cookie_with_a_500() {
    let factory = CookieSessionFactory::builder(Secret::generate())
        .set_on_error(true)
        .build()
        .expect("a valid factory");
    let client = client(&factory).await;

    let reply = send(&client, "GET", "/fail", None).await;
    assert_eq!(reply.status, Status::InternalServerError);
    let cookie = reply.session_value();
    let read = send(&client, "GET", "/get", Some(&cookie)).await;
    assert_eq!(read.body, "failing|false");
}

#[rocket::async_test]
async fn set_on_error_false_sends_no_cookie_with_a_500() {
    let factory = CookieSessionFactory::builder(Secret::generate())
        .set_on_error(false)
        .build()
        .expect("a valid factory");
    let client = client(&factory).await;

    let reply = send(&client, "GET", "/fail", None).await;
    assert_eq!(reply.status, Status::InternalServerError);
    assert!(reply.set_cookies.is_empty(), "{:?}", reply.set_cookies);
    // The same session change on a successful response is sent.
    let ok = send(&client, "GET", "/set/alice", None).await;
    assert_eq!(ok.set_cookies.len(), 1);
}

#[rocket::async_test]
async fn oversized_session_becomes_an_opaque_500() {
    let factory = factory(Secret::generate());
    let client = client(&factory).await;

    let reply = send(&client, "GET", "/big", None).await;
    assert_eq!(reply.status, Status::InternalServerError);
    assert!(reply.set_cookies.is_empty(), "{:?}", reply.set_cookies);
    assert_eq!(reply.body, "", "opaque: nothing about why");
}

#[rocket::async_test]
async fn oversized_session_uses_the_configured_hook() {
    let fairing =
        SessionFairing::new(factory(Secret::generate())).on_encode_error(|request, error| {
            let body = format!("{} failed: {error}", request.uri().path());
            Response::build()
                .status(Status::InsufficientStorage)
                .sized_body(body.len(), Cursor::new(body))
                .finalize()
        });
    let client = client_with(fairing).await;

    let reply = send(&client, "GET", "/big", None).await;
    assert_eq!(reply.status, Status::InsufficientStorage);
    assert!(reply.set_cookies.is_empty(), "{:?}", reply.set_cookies);
    assert!(
        reply
            .body
            .starts_with("/big failed: the session cookie would be "),
        "{}",
        reply.body
    );
    assert!(
        reply.body.ends_with("over the limit of 4096 bytes"),
        "{}",
        reply.body
    );
}

#[rocket::async_test]
async fn guard_without_the_fairing_is_a_500() {
    let rocket = quiet_rocket().mount("/", all_routes());
    let client = Client::untracked(rocket).await.expect("a valid rocket");

    let reply = send(&client, "GET", "/get", None).await;
    assert_eq!(reply.status, Status::InternalServerError);
    assert!(reply.set_cookies.is_empty());
    // Routes that do not ask for the session are unaffected.
    let plain = send(&client, "GET", "/untouched", None).await;
    assert_eq!((plain.status, plain.body.as_str()), (Status::Ok, "plain"));
}

#[rocket::async_test]
async fn guards_in_one_request_share_the_session() {
    let factory = factory(Secret::generate());
    let client = client(&factory).await;
    let reply = send(&client, "GET", "/two-guards", None).await;
    assert_eq!(reply.body, "shared");
    let verified = factory
        .verify(&reply.session_value(), factory.now())
        .expect("valid");
    assert_eq!(verified.state.get("name"), Some(&"shared".into()));
}

#[rocket::async_test]
async fn attaching_twice_sends_one_cookie() {
    let factory = factory(Secret::generate());
    let rocket = quiet_rocket()
        .attach(SessionFairing::new(factory.clone()))
        .attach(SessionFairing::new(factory))
        .mount("/", all_routes());
    let client = Client::untracked(rocket).await.expect("a valid rocket");
    let reply = send(&client, "GET", "/set/alice", None).await;
    assert_eq!(reply.set_cookies.len(), 1, "{:?}", reply.set_cookies);
}

/// A tracked client keeps cookies in Rocket's jar and sends no `Cookie` header; the fairing
/// reads the jar then.
#[rocket::async_test]
async fn tracked_local_client_keeps_the_session() {
    let rocket = quiet_rocket()
        .attach(SessionFairing::new(factory(Secret::generate())))
        .mount("/", all_routes());
    let client = Client::tracked(rocket).await.expect("a valid rocket");

    let set = client.get("/set/dave").dispatch().await;
    assert_eq!(set.status(), Status::Ok);
    let read = client.get("/get").dispatch().await;
    assert_eq!(read.into_string().await.as_deref(), Some("dave|false"));
}
