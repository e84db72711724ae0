//! The adapter contract, once: every scenario is a function generic over a [`Harness`], and
//! [`contract_tests!`] turns the whole list into `#[test]`s for one framework.
//!
//! Each framework's harness serves the same routes:
//!
//! | route                  | handler                                                         |
//! |------------------------|-----------------------------------------------------------------|
//! | `GET /login`           | inserts `username = "john"`                                     |
//! | `GET /whoami`          | the username, or `anonymous`                                    |
//! | `GET /status`          | `new=<is_new> error=<load_error code or none>`                  |
//! | `POST /logout`         | invalidates, answers `bye`                                      |
//! | `POST /flash`          | flashes the body to the default queue                           |
//! | `GET /flash/pop`       | pops the default queue, joined with `,`                         |
//! | `GET /csrf/new`        | a new CSRF token                                                |
//! | `POST /csrf/check`     | the body checked as CSRF token: 200 `valid` or 403 `invalid`    |
//! | `GET /fail`            | inserts `attempted = true`, answers 500 `boom`                  |
//! | `GET /panic`           | inserts `attempted = true`, then panics                         |
//! | `GET /big`             | inserts 5000 bytes                                              |
//! | `GET /lazy`            | takes the session, never uses it: `loaded=<is_loaded>`          |
//! | `GET /plain`           | no session at all: `no session here`                            |
//! | `GET /own-cookie`      | inserts, and sets `Set-Cookie: theme=dark; Path=/` itself       |
//! | `GET /own-cache`       | inserts, and sets `Cache-Control: no-store` itself              |
//! | `GET /own-vary`        | reads, and sets `Vary: Accept-Encoding` itself                  |
//!
//! The panic route sits inside a panic catcher (the framework's own, or a hand-written one
//! inside the middleware), so the middleware sees the 500 that a production catcher makes.

use std::time::Duration;

use cookie_session::{
    Clock, CookieSessionBuilder, CookieSessionFactory, DjangoHash, KeyRing, ManualClock,
    PyramidHash, Secret, UnixTime,
};

pub const START: u64 = 1_700_000_000;

pub fn secret_a() -> Secret {
    Secret::from_text("adapter contract test secret A, at least 32 bytes")
}

pub fn secret_b() -> Secret {
    Secret::from_text("adapter contract test secret B, at least 32 bytes")
}

pub fn clock() -> ManualClock {
    ManualClock::new(UnixTime::from_secs(START))
}

pub fn factory(keys: impl Into<KeyRing>, clock: &ManualClock) -> CookieSessionFactory {
    CookieSessionFactory::builder(keys)
        .clock(clock.clone())
        .build()
        .expect("valid test configuration")
}

/// A request to a harness.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    /// One `Cookie` header per entry.
    pub cookies: Vec<String>,
    pub body: String,
}

impl Request {
    pub fn get(path: &str) -> Self {
        Self {
            method: "GET",
            path: path.to_owned(),
            ..Self::default()
        }
    }

    pub fn post(path: &str) -> Self {
        Self {
            method: "POST",
            ..Self::get(path)
        }
    }

    pub fn cookie(mut self, cookie: &str) -> Self {
        self.cookies.push(cookie.to_owned());
        self
    }

    pub fn body(mut self, body: &str) -> Self {
        self.body = body.to_owned();
        self
    }
}

/// What a test needs from a response; header names lowercase.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.header_values("set-cookie")
    }

    /// The `session=...` pair to send back, from the one session `Set-Cookie` of this reply.
    pub fn session_cookie(&self) -> String {
        let sessions: Vec<&str> = self
            .set_cookies()
            .into_iter()
            .filter(|c| c.starts_with("session="))
            .collect();
        assert_eq!(
            sessions.len(),
            1,
            "exactly one session Set-Cookie: {self:?}"
        );
        sessions[0].split(';').next().unwrap().to_owned()
    }

    pub fn session_value(&self) -> String {
        self.session_cookie()["session=".len()..].to_owned()
    }
}

/// One framework's test app (the routes above) and its real test client.
pub trait Harness: Sized {
    /// The routes wrapped in the session middleware built from `factory`.
    fn app(factory: CookieSessionFactory) -> Self;
    /// As [`app`](Self::app), with an `on_encode_error` hook answering
    /// `507 Insufficient Storage` with the body `<size> > <limit>` to `EncodeError::TooLarge`.
    fn app_with_encode_error_hook(factory: CookieSessionFactory) -> Self;
    /// The routes without the session middleware.
    fn app_without_middleware() -> Self;
    fn send(&self, request: Request) -> Reply;

    fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let request = Request::get(path);
        self.send(match cookie {
            Some(cookie) => request.cookie(cookie),
            None => request,
        })
    }
}

/// `#[test]`s for every scenario of this module, against the harness `$harness`.
macro_rules! contract_tests {
    ($harness:ty) => {
        $crate::contract::contract_tests!(@each $harness;
            set_then_read_across_requests,
            session_cookie_is_found_among_other_cookies_and_headers,
            untouched_request_sends_no_cookie,
            session_is_decoded_only_when_used,
            tampered_cookie_gives_a_new_session_that_a_write_replaces,
            garbage_cookie_is_a_new_session_not_an_error,
            read_after_reissue_time_reissues_the_cookie,
            cookie_under_a_verify_only_key_is_reissued_under_the_primary,
            invalidate_clears_the_session,
            flash_messages_survive_until_popped_once,
            csrf_token_round_trip,
            error_response_carries_the_cookie_when_set_on_error,
            error_response_has_no_cookie_without_set_on_error,
            panicking_handler_commits_nothing_even_with_set_on_error,
            oversized_session_becomes_an_opaque_500_without_cookie,
            oversized_session_response_is_configurable,
            extractor_without_the_middleware_is_a_500,
            session_cookie_is_appended_next_to_the_handlers_own,
            idle_timeout_expires_the_session,
            used_session_varies_on_cookie_and_its_set_cookie_is_private,
            handlers_own_cache_control_and_vary_are_kept,
            cache_headers_can_be_turned_off,
            python_formats_round_trip_through_the_adapter,
        );
    };
    (@each $harness:ty; $($scenario:ident,)*) => {
        $(
            #[test]
            fn $scenario() {
                $crate::contract::$scenario::<$harness>();
            }
        )*
    };
}
pub(crate) use contract_tests;

pub fn set_then_read_across_requests<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));

    let login = app.get("/login", None);
    assert_eq!(login.status, 200);
    let set_cookie = login.set_cookies()[0];
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
    let cookie = login.session_cookie();

    clock.advance(Duration::from_secs(5));
    let whoami = app.get("/whoami", Some(&cookie));
    assert_eq!(whoami.body, "john");
    assert!(
        whoami.set_cookies().is_empty(),
        "a read within reissue_time sends nothing"
    );
}

pub fn session_cookie_is_found_among_other_cookies_and_headers<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let cookie = app.get("/login", None).session_cookie();

    let request = Request::get("/whoami")
        .cookie("theme=dark; lang=en")
        .cookie(&format!("other=1; {cookie}"));
    assert_eq!(app.send(request).body, "john");
}

pub fn untouched_request_sends_no_cookie<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));

    let whoami = app.get("/whoami", None);
    assert_eq!(whoami.body, "anonymous");
    assert!(whoami.set_cookies().is_empty(), "{whoami:?}");

    let plain = app.get("/plain", None);
    assert_eq!(plain.status, 200);
    assert!(plain.set_cookies().is_empty());
    assert!(plain.header_values("vary").is_empty(), "{plain:?}");

    let cookie = app.get("/login", None).session_cookie();
    let plain = app.get("/plain", Some(&cookie));
    assert!(plain.set_cookies().is_empty());
    assert!(plain.header_values("vary").is_empty(), "{plain:?}");
}

pub fn session_is_decoded_only_when_used<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let lazy = app.get("/lazy", Some("session=garbage%%%; theme=dark"));
    assert_eq!((lazy.status, lazy.body.as_str()), (200, "loaded=false"));
    assert!(lazy.set_cookies().is_empty());

    let plain = app.get("/plain", Some("session=garbage%%%"));
    assert_eq!(
        (plain.status, plain.body.as_str()),
        (200, "no session here")
    );
    assert!(plain.set_cookies().is_empty());
}

pub fn tampered_cookie_gives_a_new_session_that_a_write_replaces<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let value = app.get("/login", None).session_value();

    // Flip one character in the middle of the signed value.
    let mut bytes = value.into_bytes();
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    let tampered = format!("session={}", String::from_utf8(bytes).unwrap());

    let status = app.get("/status", Some(&tampered));
    assert_eq!(status.status, 200);
    assert_eq!(status.body, "new=true error=bad_signature");
    assert!(
        status.set_cookies().is_empty(),
        "reading a new session writes nothing"
    );
    assert_eq!(app.get("/whoami", Some(&tampered)).body, "anonymous");

    let fresh = app.get("/login", Some(&tampered)).session_cookie();
    assert_ne!(fresh, tampered);
    assert_eq!(app.get("/whoami", Some(&fresh)).body, "john");
}

pub fn garbage_cookie_is_a_new_session_not_an_error<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let status = app.get("/status", Some("session=%%%not-base64!!"));
    assert_eq!(status.status, 200);
    assert_eq!(status.body, "new=true error=malformed");
}

pub fn read_after_reissue_time_reissues_the_cookie<H: Harness>() {
    let clock = clock();
    let factory = CookieSessionFactory::builder(secret_a())
        .clock(clock.clone())
        .reissue_time(Duration::from_secs(60))
        .build()
        .unwrap();
    let app = H::app(factory.clone());
    let cookie = app.get("/login", None).session_cookie();

    clock.advance(Duration::from_secs(30));
    assert!(
        app.get("/whoami", Some(&cookie)).set_cookies().is_empty(),
        "not yet due"
    );

    clock.advance(Duration::from_secs(61));
    let late = app.get("/whoami", Some(&cookie));
    assert_eq!(late.body, "john");
    let verified = factory.verify(&late.session_value(), clock.now()).unwrap();
    assert_eq!(verified.accessed, UnixTime::from_secs(START + 91));
    assert_eq!(verified.created, UnixTime::from_secs(START));

    // The untouched route does not reissue: only a use of the session counts.
    assert!(app.get("/plain", Some(&cookie)).set_cookies().is_empty());
}

pub fn cookie_under_a_verify_only_key_is_reissued_under_the_primary<H: Harness>() {
    let clock = clock();
    let old_app = H::app(factory(secret_a(), &clock));
    let cookie = old_app.get("/login", None).session_cookie();

    let rotated = factory(
        KeyRing::new(secret_b()).with_verify_only(secret_a()),
        &clock,
    );
    let new_app = H::app(rotated);
    let whoami = new_app.get("/whoami", Some(&cookie));
    assert_eq!(whoami.body, "john");
    let reissued = whoami.session_value();

    let verified = factory(secret_b(), &clock)
        .verify(&reissued, clock.now())
        .unwrap();
    assert_eq!(verified.state["username"], "john");
    assert_eq!(verified.key_index, 0);
    assert!(
        factory(secret_a(), &clock)
            .verify(&reissued, clock.now())
            .is_err()
    );

    // Once re-issued, reads send nothing more.
    let again = new_app.get("/whoami", Some(&format!("session={reissued}")));
    assert!(again.set_cookies().is_empty());
}

pub fn invalidate_clears_the_session<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let cookie = app.get("/login", None).session_cookie();

    let logout = app.send(Request::post("/logout").cookie(&cookie));
    assert_eq!(logout.body, "bye");
    let cleared = logout.session_cookie();
    assert_ne!(cleared, cookie);
    assert_eq!(app.get("/whoami", Some(&cleared)).body, "anonymous");
}

pub fn flash_messages_survive_until_popped_once<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let cookie = app
        .send(Request::post("/flash").body("saved"))
        .session_cookie();
    let cookie = app
        .send(Request::post("/flash").cookie(&cookie).body("again"))
        .session_cookie();

    let popped = app.get("/flash/pop", Some(&cookie));
    assert_eq!(popped.body, "saved,again");
    let cookie = popped.session_cookie();
    assert_eq!(app.get("/flash/pop", Some(&cookie)).body, "");
}

pub fn csrf_token_round_trip<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let issued = app.get("/csrf/new", None);
    let token = issued.body.clone();
    assert_eq!(token.len(), 40);
    assert!(
        token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    );
    let cookie = issued.session_cookie();

    let check = |cookie: Option<&str>, token: &str| {
        let request = Request::post("/csrf/check").body(token);
        let reply = app.send(match cookie {
            Some(cookie) => request.cookie(cookie),
            None => request,
        });
        (reply.status, reply.body)
    };
    assert_eq!(check(Some(&cookie), &token), (200, "valid".to_owned()));
    assert_eq!(
        check(Some(&cookie), &"0".repeat(40)),
        (403, "invalid".to_owned())
    );
    assert_eq!(check(None, &token), (403, "invalid".to_owned()));
}

fn factory_with_set_on_error(set_on_error: bool, clock: &ManualClock) -> CookieSessionFactory {
    CookieSessionFactory::builder(secret_a())
        .clock(clock.clone())
        .set_on_error(set_on_error)
        .build()
        .unwrap()
}

pub fn error_response_carries_the_cookie_when_set_on_error<H: Harness>() {
    let clock = clock();
    let factory = factory_with_set_on_error(true, &clock);
    let app = H::app(factory.clone());
    let fail = app.get("/fail", None);
    assert_eq!((fail.status, fail.body.as_str()), (500, "boom"));
    let verified = factory.verify(&fail.session_value(), clock.now()).unwrap();
    assert_eq!(verified.state["attempted"], true);
}

pub fn error_response_has_no_cookie_without_set_on_error<H: Harness>() {
    let clock = clock();
    let app = H::app(factory_with_set_on_error(false, &clock));
    let fail = app.get("/fail", None);
    assert_eq!((fail.status, fail.body.as_str()), (500, "boom"));
    assert!(fail.set_cookies().is_empty(), "{fail:?}");

    // A successful response still gets its cookie.
    assert_eq!(app.get("/login", None).set_cookies().len(), 1);
}

/// The handler changed the session and then panicked: its half-done session is never written,
/// although `set_on_error` would write a 500's session.
pub fn panicking_handler_commits_nothing_even_with_set_on_error<H: Harness>() {
    let clock = clock();
    let app = H::app(factory_with_set_on_error(true, &clock));
    let cookie = app.get("/login", None).session_cookie();

    let panicked = app.get("/panic", Some(&cookie));
    assert_eq!(panicked.status, 500);
    assert!(panicked.set_cookies().is_empty(), "{panicked:?}");

    let fresh = app.get("/panic", None);
    assert_eq!(fresh.status, 500);
    assert!(fresh.set_cookies().is_empty(), "{fresh:?}");

    // The app keeps working, and the earlier session is intact.
    assert_eq!(app.get("/whoami", Some(&cookie)).body, "john");
}

pub fn oversized_session_becomes_an_opaque_500_without_cookie<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let big = app.get("/big", None);
    assert_eq!(big.status, 500);
    assert!(big.set_cookies().is_empty(), "{big:?}");
    assert!(
        big.body.is_empty(),
        "opaque body, not the handler's: {big:?}"
    );
}

pub fn oversized_session_response_is_configurable<H: Harness>() {
    let clock = clock();
    let app = H::app_with_encode_error_hook(factory(secret_a(), &clock));
    let big = app.get("/big", None);
    assert_eq!(big.status, 507);
    assert!(big.set_cookies().is_empty(), "{big:?}");
    let (size, limit) = big.body.split_once(" > ").unwrap();
    assert!(size.parse::<usize>().unwrap() > 5000);
    assert_eq!(limit, "4096");
}

pub fn extractor_without_the_middleware_is_a_500<H: Harness>() {
    let app = H::app_without_middleware();
    let whoami = app.get("/whoami", None);
    assert_eq!(whoami.status, 500);
    assert!(whoami.set_cookies().is_empty());
    assert!(
        !whoami.body.contains("middleware"),
        "the reason goes to the log, not the client: {whoami:?}"
    );
    // Routes that do not ask for the session are unaffected.
    let plain = app.get("/plain", None);
    assert_eq!(
        (plain.status, plain.body.as_str()),
        (200, "no session here")
    );
}

pub fn session_cookie_is_appended_next_to_the_handlers_own<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let reply = app.get("/own-cookie", None);
    assert_eq!(reply.set_cookies().len(), 2, "{reply:?}");
    assert!(reply.set_cookies().contains(&"theme=dark; Path=/"));
    reply.session_cookie();
}

pub fn idle_timeout_expires_the_session<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let cookie = app.get("/login", None).session_cookie();
    clock.advance(Duration::from_secs(1201));
    assert_eq!(
        app.get("/status", Some(&cookie)).body,
        "new=false error=expired"
    );
    assert_eq!(app.get("/whoami", Some(&cookie)).body, "anonymous");
}

pub fn used_session_varies_on_cookie_and_its_set_cookie_is_private<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let login = app.get("/login", None);
    assert_eq!(login.header_values("vary"), ["Cookie"], "{login:?}");
    assert_eq!(
        login.header_values("cache-control"),
        ["private"],
        "{login:?}"
    );

    // A read that sends no cookie still varies on it, and needs no Cache-Control.
    let whoami = app.get("/whoami", Some(&login.session_cookie()));
    assert!(whoami.set_cookies().is_empty());
    assert_eq!(whoami.header_values("vary"), ["Cookie"], "{whoami:?}");
    assert!(
        whoami.header_values("cache-control").is_empty(),
        "{whoami:?}"
    );
}

pub fn handlers_own_cache_control_and_vary_are_kept<H: Harness>() {
    let clock = clock();
    let app = H::app(factory(secret_a(), &clock));
    let own_cache = app.get("/own-cache", None);
    own_cache.session_cookie();
    assert_eq!(
        own_cache.header_values("cache-control"),
        ["no-store"],
        "{own_cache:?}"
    );

    let own_vary = app.get("/own-vary", None);
    assert_eq!(
        own_vary.header_values("vary"),
        ["Accept-Encoding", "Cookie"],
        "appended, not replacing: {own_vary:?}"
    );
}

pub fn cache_headers_can_be_turned_off<H: Harness>() {
    let clock = clock();
    let factory = CookieSessionFactory::builder(secret_a())
        .clock(clock.clone())
        .cache_headers(false)
        .build()
        .unwrap();
    let app = H::app(factory);
    let login = app.get("/login", None);
    login.session_cookie();
    assert!(login.header_values("vary").is_empty(), "{login:?}");
    assert!(login.header_values("cache-control").is_empty(), "{login:?}");
}

/// Every migration format through this adapter: a Python app's cookie, with its framework's
/// cookie name, is written, read back, and refused once tampered with.
pub fn python_formats_round_trip_through_the_adapter<H: Harness>() {
    type Preset = fn(CookieSessionBuilder) -> CookieSessionBuilder;
    let presets: [(&str, Preset); 4] = [
        ("pyramid", |b| b.pyramid(PyramidHash::Sha512)),
        ("pyramid-legacy", |b| b.pyramid_legacy()),
        ("flask", |b| b.flask()),
        ("django", |b| b.django(DjangoHash::Sha256)),
    ];
    for (name, preset) in presets {
        let clock = clock();
        let factory = preset(CookieSessionFactory::builder(secret_a()))
            .clock(clock.clone())
            .build()
            .expect("valid preset");
        let app = H::app(factory.clone());
        let cookie_name = factory.cookie_name().to_owned();

        let login = app.get("/login", None);
        let pair = login
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{cookie_name}=")))
            .unwrap_or_else(|| panic!("{name}: a {cookie_name} cookie in {login:?}"))
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let value = &pair[cookie_name.len() + 1..];
        let verified = factory
            .verify(value, clock.now())
            .expect("the adapter's cookie verifies");
        assert_eq!(verified.state["username"], "john", "{name}");

        clock.advance(Duration::from_secs(5));
        assert_eq!(app.get("/whoami", Some(&pair)).body, "john", "{name}");

        let middle = pair.len() - 3;
        let flipped = if &pair[middle..middle + 1] == "A" {
            "B"
        } else {
            "A"
        };
        let tampered = format!("{}{flipped}{}", &pair[..middle], &pair[middle + 1..]);
        assert_eq!(
            app.get("/whoami", Some(&tampered)).body,
            "anonymous",
            "{name}"
        );
    }
}
