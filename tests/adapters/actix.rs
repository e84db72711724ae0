//! The actix-web harness (the real app, driven through `actix_web::test`) and the actix-only
//! tests.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{CACHE_CONTROL, COOKIE, SET_COOKIE, VARY};
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpRequest, HttpResponse, web};
use cookie_session::actix::{Session, SessionExt, SessionMiddleware};
use cookie_session::{CookieSessionFactory, EncodeError};

use crate::catch_panic::CatchPanic;
use crate::contract::{self, Harness, Reply, Request, clock, factory, secret_a};

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/login", web::get().to(login))
        .route("/whoami", web::get().to(whoami))
        .route("/status", web::get().to(status))
        .route("/logout", web::post().to(logout))
        .route("/flash", web::post().to(flash))
        .route("/flash/pop", web::get().to(pop_flash))
        .route("/csrf/new", web::get().to(new_csrf))
        .route("/csrf/check", web::post().to(check_csrf))
        .route("/fail", web::get().to(fail))
        .route("/fail-error", web::get().to(fail_with_error))
        .route("/panic", web::get().to(panic))
        .route("/big", web::get().to(big))
        .route("/lazy", web::get().to(lazy))
        .route("/plain", web::get().to(plain))
        .route("/ext", web::get().to(through_extension))
        .route("/own-cookie", web::get().to(own_cookie))
        .route("/own-cache", web::get().to(own_cache))
        .route("/own-vary", web::get().to(own_vary));
}

async fn login(session: Session) -> actix_web::Result<&'static str> {
    session.insert("username", "john")?;
    Ok("ok")
}

async fn whoami(session: Session) -> String {
    session
        .get::<String>("username")
        .ok()
        .flatten()
        .unwrap_or_else(|| "anonymous".to_owned())
}

async fn status(session: Session) -> String {
    session.with(|s| {
        let error = s.load_error().map_or("none", |e| e.code());
        format!("new={} error={error}", s.is_new())
    })
}

async fn logout(session: Session) -> &'static str {
    session.invalidate();
    "bye"
}

async fn flash(session: Session, body: String) -> actix_web::Result<&'static str> {
    session.with(|s| s.flash("", body, false))?;
    Ok("flashed")
}

async fn pop_flash(session: Session) -> String {
    let messages: Vec<String> = session
        .with(|s| s.pop_flash(""))
        .iter()
        .map(|m| m.as_str().unwrap_or("?").to_owned())
        .collect();
    messages.join(",")
}

async fn new_csrf(session: Session) -> String {
    session.with(|s| s.new_csrf_token())
}

async fn check_csrf(session: Session, token: String) -> HttpResponse {
    if session.with(|s| s.check_csrf_token(&token)) {
        HttpResponse::Ok().body("valid")
    } else {
        HttpResponse::Forbidden().body("invalid")
    }
}

async fn fail(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("attempted", true)?;
    Ok(HttpResponse::InternalServerError().body("boom"))
}

async fn fail_with_error(session: Session) -> actix_web::Result<&'static str> {
    session.insert("attempted", true)?;
    Err(actix_web::error::ErrorInternalServerError("boom"))
}

/// actix-web does not catch panics: the handler runs inside a hand-written catcher, which is
/// inside the session middleware, as a panic-catching middleware would be. (A middleware cannot
/// keep a clone of the request for its 500 while routing still needs it unshared.)
async fn panic(session: Session) -> HttpResponse {
    CatchPanic::new(panic_half_way(session))
        .await
        .unwrap_or_else(|()| HttpResponse::InternalServerError().finish())
}

async fn panic_half_way(session: Session) -> HttpResponse {
    session.insert("attempted", true).unwrap();
    // An await point first, so the session lives in the future's state.
    actix_web::rt::task::yield_now().await;
    panic!("the handler fails half-way")
}

async fn big(session: Session) -> actix_web::Result<&'static str> {
    session.insert("blob", "x".repeat(5000))?;
    Ok("stored a lot")
}

async fn lazy(session: Session) -> String {
    format!("loaded={}", session.is_loaded())
}

async fn plain() -> &'static str {
    "no session here"
}

async fn through_extension(request: HttpRequest) -> String {
    match request.session() {
        Some(session) => session
            .get::<String>("username")
            .ok()
            .flatten()
            .unwrap_or_else(|| "anonymous".to_owned()),
        None => "no session".to_owned(),
    }
}

async fn own_cookie(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("n", 1)?;
    Ok(HttpResponse::Ok()
        .append_header((SET_COOKIE, "theme=dark; Path=/"))
        .body("two cookies"))
}

async fn own_cache(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("n", 1)?;
    Ok(HttpResponse::Ok()
        .append_header((CACHE_CONTROL, "no-store"))
        .body("own cache-control"))
}

async fn own_vary(session: Session) -> HttpResponse {
    let _ = session.get::<u32>("n");
    HttpResponse::Ok()
        .append_header((VARY, "Accept-Encoding"))
        .body("own vary")
}

fn too_large_as_507(error: &EncodeError) -> HttpResponse {
    match error {
        EncodeError::TooLarge { size, limit } => {
            HttpResponse::InsufficientStorage().body(format!("{size} > {limit}"))
        }
        _ => HttpResponse::InternalServerError().finish(),
    }
}

pub struct Actix {
    middleware: Option<SessionMiddleware>,
}

impl Harness for Actix {
    fn app(factory: CookieSessionFactory) -> Self {
        Self {
            middleware: Some(SessionMiddleware::new(factory)),
        }
    }

    fn app_with_encode_error_hook(factory: CookieSessionFactory) -> Self {
        Self {
            middleware: Some(SessionMiddleware::new(factory).on_encode_error(too_large_as_507)),
        }
    }

    fn app_without_middleware() -> Self {
        Self { middleware: None }
    }

    fn send(&self, request: Request) -> Reply {
        let mut test_request = match request.method {
            "GET" => TestRequest::get(),
            "POST" => TestRequest::post(),
            other => panic!("method {other} not used in these tests"),
        }
        .uri(&request.path);
        for cookie in &request.cookies {
            test_request = test_request.append_header((COOKIE, cookie.as_str()));
        }
        let middleware = self.middleware.clone();
        actix_web::rt::System::new().block_on(async move {
            // Inside the system: actix-web builds requests from its thread-local pool.
            let test_request = test_request.set_payload(request.body).to_request();
            let app = App::new().configure(routes);
            match middleware {
                Some(middleware) => {
                    let app = test::init_service(app.wrap(middleware)).await;
                    reply(app.call(test_request).await.unwrap()).await
                }
                None => {
                    let app = test::init_service(app).await;
                    reply(app.call(test_request).await.unwrap()).await
                }
            }
        })
    }
}

async fn reply<B: MessageBody>(response: ServiceResponse<B>) -> Reply {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap().to_owned()))
        .collect();
    let body = test::read_body(response).await;
    Reply {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

contract::contract_tests!(Actix);

/// A handler's `Err` has become a 500 response by the time the middleware sees it: it counts
/// as an error response, so `set_on_error` decides.
#[test]
fn handler_error_counts_as_an_error_response() {
    let clock = clock();
    for (set_on_error, cookies) in [(true, 1), (false, 0)] {
        let factory = CookieSessionFactory::builder(secret_a())
            .clock(clock.clone())
            .set_on_error(set_on_error)
            .build()
            .unwrap();
        let reply = Actix::app(factory).get("/fail-error", None);
        assert_eq!(reply.status, 500);
        assert_eq!(reply.set_cookies().len(), cookies, "{reply:?}");
    }
}

#[test]
fn session_is_reachable_from_the_request_extensions() {
    let clock = clock();
    let app = Actix::app(factory(secret_a(), &clock));
    let cookie = app.get("/login", None).session_cookie();
    let reply = app.get("/ext", Some(&cookie));
    assert!(reply.set_cookies().is_empty());
    assert_eq!(reply.body, "john");

    let without = Actix::app_without_middleware().get("/ext", None);
    assert_eq!(without.body, "no session");
}
