//! Instruction-count driver for the adapters: runs one operation N times, so that
//! `valgrind --tool=callgrind` can count it (`scripts/callgrind.sh` runs it with two N and divides
//! the difference, which cancels start-up and setup).
//!
//! ```sh
//! (cd bench-peers && CARGO_TARGET_DIR=../target cargo build --release --bin adapter-ops)
//! target/release/adapter-ops --list                  # the operations
//! target/release/adapter-ops adapter-axum-session 100
//! ```
//!
//! Operations:
//! - `adapter-{axum,actix,rocket}-{plain,session}`: one `GET /visits` with the same valid
//!   session cookie through the framework's own in-process service (axum: the `Router` as a tower
//!   service; actix-web: `test::init_service` + `call_service`; rocket: the local blocking
//!   client), body read to the end. `plain` and `session` are the fair pairs of
//!   `cookie_session_bench_peers` (same route and body; only the session layer differs), so
//!   `session − plain` is what the session costs a request in that framework.
//! - `adapter-codec-visits`: the codec's own part of that request, without any adapter: load
//!   the same cookie value (one clock read), read and write the counter, finish.
//! - `adapter-rocket-client-jar`: what rocket's local client (not the server) does with the
//!   session's `Set-Cookie`: `LocalResponse` parses every `Set-Cookie` of a response into a
//!   fresh cookie jar. A server never does this, so it is subtracted from
//!   `adapter-rocket-session − adapter-rocket-plain` to get the adapter's cost in rocket.
//!
//! Every operation checks its answer once during setup (the session one must count past the
//! cookie's visits and send a new cookie), so a broken setup cannot be measured silently.

use std::hint::black_box;
use std::process::ExitCode;

use cookie_session_bench_peers::{actix_apps, axum_apps, factory, rocket_apps};

/// The visits recorded in the cookie every request sends.
const VISITS: u64 = 41;

const OPS: &[&str] = &[
    "adapter-axum-plain",
    "adapter-axum-session",
    "adapter-actix-plain",
    "adapter-actix-session",
    "adapter-rocket-plain",
    "adapter-rocket-session",
    "adapter-codec-visits",
    "adapter-rocket-client-jar",
];

/// The cookie a returning visitor sends: `session=<value>` of a session with `visits = 41`.
fn cookie_value() -> String {
    let factory = factory();
    let now = factory.now();
    let mut session = factory.load(None, now);
    session.insert("visits", VISITS).expect("a number");
    factory
        .finish(&session, now)
        .expect("fits")
        .expect("changed")
        .value()
        .to_owned()
}

/// What the handler answers, and whether it must send a cookie.
fn expected(with_session: bool) -> (String, bool) {
    if with_session {
        ((VISITS + 1).to_string(), true)
    } else {
        ("1".to_owned(), false)
    }
}

fn check(op: &str, body: &[u8], set_cookie: bool, with_session: bool) {
    let (want_body, want_cookie) = expected(with_session);
    assert_eq!(body, want_body.as_bytes(), "{op}: body");
    assert_eq!(set_cookie, want_cookie, "{op}: Set-Cookie present");
}

fn axum_op(op: &str, with_session: bool, cookie: String) -> Box<dyn FnMut()> {
    use axum::body::Body;
    use axum::http::{Request, header};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    // `with_state` turns the handlers into routes once, as serving a router does, instead of
    // on every call.
    let router = if with_session {
        axum_apps::cookie_session()
    } else {
        axum_apps::plain()
    }
    .with_state(());
    let request = move || {
        let request = Request::get("/visits")
            .header(header::COOKIE, cookie.as_str())
            .body(Body::empty())
            .expect("a request");
        runtime.block_on(async {
            let response = router.clone().oneshot(request).await.expect("infallible");
            let set_cookie = response.headers().contains_key(header::SET_COOKIE);
            let body = response.into_body().collect().await.expect("a body");
            (body.to_bytes(), set_cookie)
        })
    };
    let (body, set_cookie) = request();
    check(op, &body, set_cookie, with_session);
    Box::new(move || {
        black_box(request());
    })
}

/// An actix-web service (each `App` has its own type) as an operation.
macro_rules! actix_op {
    ($op:expr, $with_session:expr, $cookie:expr, $app:expr) => {{
        use actix_web::http::header;
        use actix_web::test;
        let system = actix_web::rt::System::new();
        let app = system.block_on(test::init_service($app));
        let cookie: String = $cookie;
        let request = move || {
            system.block_on(async {
                let request = test::TestRequest::get()
                    .uri("/visits")
                    .insert_header((header::COOKIE, cookie.as_str()))
                    .to_request();
                let response = test::call_service(&app, request).await;
                let set_cookie = response.headers().contains_key(header::SET_COOKIE);
                (test::read_body(response).await, set_cookie)
            })
        };
        let (body, set_cookie) = request();
        check($op, &body, set_cookie, $with_session);
        Box::new(move || {
            black_box(request());
        }) as Box<dyn FnMut()>
    }};
}

fn actix_op(op: &str, with_session: bool, cookie: String) -> Box<dyn FnMut()> {
    use actix_web::App;
    use actix_web::web::get;
    if with_session {
        actix_op!(
            op,
            true,
            cookie,
            App::new()
                .wrap(cookie_session::actix::SessionMiddleware::new(factory()))
                .route("/visits", get().to(actix_apps::cookie_session))
        )
    } else {
        actix_op!(
            op,
            false,
            cookie,
            App::new().route("/visits", get().to(actix_apps::plain))
        )
    }
}

fn rocket_op(op: &str, with_session: bool, cookie: String) -> Box<dyn FnMut()> {
    use rocket::http::Header;
    use rocket::local::blocking::Client;
    let rocket = if with_session {
        rocket_apps::cookie_session(0)
    } else {
        rocket_apps::plain(0)
    };
    let client = Client::untracked(rocket).expect("a valid rocket");
    let request = move || {
        let response = client
            .get("/visits")
            .header(Header::new("Cookie", cookie.clone()))
            .dispatch();
        let set_cookie = response.headers().contains("Set-Cookie");
        (response.into_bytes().unwrap_or_default(), set_cookie)
    };
    let (body, set_cookie) = request();
    check(op, &body, set_cookie, with_session);
    Box::new(move || {
        black_box(request());
    })
}

/// What rocket's `LocalResponse::new` does with one `Set-Cookie`: `Response::cookies` parses it
/// (percent-decoding), and it is added, owned, to a new jar.
fn rocket_client_jar_op() -> Box<dyn FnMut()> {
    use rocket::http::Cookie;
    use rocket::http::private::cookie::CookieJar;
    let factory = factory();
    let now = factory.now();
    let mut session = factory.load(None, now);
    session.insert("visits", VISITS + 1).expect("a number");
    let set_cookie = factory
        .finish(&session, now)
        .expect("fits")
        .expect("changed")
        .into_string();
    Box::new(move || {
        let mut jar = CookieJar::new();
        for cookie in std::iter::once(black_box(set_cookie.as_str()))
            .filter_map(|header| Cookie::parse_encoded(header).ok())
        {
            jar.add_original(cookie.into_owned());
        }
        black_box(jar);
    })
}

/// The codec's part of one `/visits` request: what any adapter has to pay.
fn codec_op(value: String) -> Box<dyn FnMut()> {
    let factory = factory();
    Box::new(move || {
        let now = factory.now();
        let mut session = factory.load(Some(black_box(value.as_str())), now);
        let previous: u64 = session.get("visits").ok().flatten().unwrap_or(0);
        assert_eq!(previous, VISITS);
        session
            .insert("visits", previous.saturating_add(1))
            .expect("a number");
        black_box(factory.finish(&session, now).expect("fits"));
    })
}

fn operation(op: &str) -> Option<Box<dyn FnMut()>> {
    let value = cookie_value();
    let cookie = format!("session={value}");
    Some(match op {
        "adapter-axum-plain" => axum_op(op, false, cookie),
        "adapter-axum-session" => axum_op(op, true, cookie),
        "adapter-actix-plain" => actix_op(op, false, cookie),
        "adapter-actix-session" => actix_op(op, true, cookie),
        "adapter-rocket-plain" => rocket_op(op, false, cookie),
        "adapter-rocket-session" => rocket_op(op, true, cookie),
        "adapter-codec-visits" => codec_op(value),
        "adapter-rocket-client-jar" => rocket_client_jar_op(),
        _ => return None,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [list] if list == "--list" => {
            for op in OPS {
                println!("{op}");
            }
            ExitCode::SUCCESS
        }
        [op, count] => {
            let (Some(mut run), Ok(count)) = (operation(op), count.parse::<u64>()) else {
                eprintln!("usage: adapter-ops [--list | OPERATION COUNT]; unknown {op:?}");
                return ExitCode::from(2);
            };
            for _ in 0..count {
                run();
            }
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: adapter-ops [--list | OPERATION COUNT]");
            ExitCode::from(2)
        }
    }
}
