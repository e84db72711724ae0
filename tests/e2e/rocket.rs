//! End to end over real TCP: the `rocket_hello` example's own routes, served on 127.0.0.1 with a
//! port picked by the OS, driven by `ureq`, with cookies carried by hand from `Set-Cookie`.

use std::net::Ipv4Addr;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::http::{agent, send};
use cookie_session::{CookieSessionFactory, Secret};
use rocket::config::LogLevel;
use rocket::fairing::AdHoc;

// The example's `main` and environment helpers are not used here, only `app`.
#[allow(dead_code)]
// Each example includes `examples/shared`, so this binary holds it once per example.
#[allow(clippy::duplicate_mod)]
#[path = "../../examples/rocket_hello.rs"]
mod example;

/// The example app, running on its own thread and Tokio runtime; stopped when dropped, also when
/// a test assertion fails.
struct Server {
    port: u16,
    shutdown: rocket::Shutdown,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(factory: CookieSessionFactory) -> Self {
        let (ready, started) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a Tokio runtime");
            runtime.block_on(async move {
                let mut shutdown = rocket::config::Shutdown {
                    ctrlc: false,
                    grace: 1,
                    mercy: 1,
                    ..Default::default()
                };
                #[cfg(unix)]
                shutdown.signals.clear();
                let config = rocket::Config {
                    address: Ipv4Addr::LOCALHOST.into(),
                    port: 0,
                    log_level: LogLevel::Off,
                    shutdown,
                    ..rocket::Config::debug_default()
                };
                let rocket = example::app(rocket::custom(config), factory).attach(
                    AdHoc::on_liftoff("report the bound port", move |rocket| {
                        Box::pin(async move {
                            // The port in the config is the one actually bound by now.
                            let _ = ready.send((rocket.config().port, rocket.shutdown()));
                        })
                    }),
                );
                if let Err(error) = rocket.launch().await {
                    panic!("the server failed: {error}");
                }
            });
        });
        let (port, shutdown) = started
            .recv_timeout(Duration::from_secs(60))
            .expect("the server starts");
        Self {
            port,
            shutdown,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
        if let Some(thread) = self.thread.take() {
            let result = thread.join();
            if !std::thread::panicking() {
                result.expect("the server thread ends cleanly");
            }
        }
    }
}

#[test]
fn example_routes_over_tcp() {
    let server = Server::start(CookieSessionFactory::new(Secret::generate()).expect("a factory"));
    let agent = agent();
    let get = |path: &str, cookie: Option<&str>| send(&agent, "GET", &server.url(path), cookie);

    let anonymous = get("/whoami", None);
    assert_eq!(
        (anonymous.status, anonymous.body.as_str()),
        (200, "anonymous")
    );
    assert!(
        anonymous.set_cookies.is_empty(),
        "{:?}",
        anonymous.set_cookies
    );

    let hello = get("/", None);
    assert_eq!((hello.status, hello.body.as_str()), (200, "Hello, john!"));
    let attributes = &hello.set_cookies[0];
    assert!(attributes.contains("; HttpOnly"), "{attributes}");
    assert!(attributes.contains("; Secure"), "{attributes}");
    let cookie = hello.session_pair().expect("the session cookie");

    let whoami = get("/whoami", Some(&cookie));
    assert_eq!((whoami.status, whoami.body.as_str()), (200, "john"));
    assert!(
        whoami.set_cookies.is_empty(),
        "a read sends nothing: {whoami:?}"
    );

    let first = get("/visits", Some(&cookie));
    assert_eq!((first.status, first.body.as_str()), (200, "1"));
    let cookie = first.session_pair().expect("a changed session is sent");
    let second = get("/visits", Some(&cookie));
    assert_eq!(second.body, "2");
    let cookie = second.session_pair().expect("a changed session is sent");
    assert_eq!(get("/whoami", Some(&cookie)).body, "john");

    let logout = send(&agent, "POST", &server.url("/logout"), Some(&cookie));
    assert_eq!((logout.status, logout.body.as_str()), (200, "Goodbye!"));
    let cookie = logout.session_pair().expect("the emptied session is sent");
    assert_eq!(get("/whoami", Some(&cookie)).body, "anonymous");
    assert_eq!(get("/visits", Some(&cookie)).body, "1");

    let garbage = get("/whoami", Some("session=not-a-session"));
    assert_eq!((garbage.status, garbage.body.as_str()), (200, "anonymous"));
    assert_eq!(get("/nowhere", None).status, 404);
}

#[test]
fn concurrent_burst_has_no_server_errors() {
    const CLIENTS: usize = 8;
    const REQUESTS: u64 = 25;
    let server = Server::start(CookieSessionFactory::new(Secret::generate()).expect("a factory"));

    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let server = &server;
                scope.spawn(move || {
                    let agent = agent();
                    let hello = send(&agent, "GET", &server.url("/"), None);
                    assert_eq!((hello.status, hello.body.as_str()), (200, "Hello, john!"));
                    let mut cookie = hello.session_pair().expect("the session cookie");
                    // Each client's counter counts only its own visits: sessions never mix.
                    for expected in 1..REQUESTS {
                        let reply = send(&agent, "GET", &server.url("/visits"), Some(&cookie));
                        assert!(reply.status < 500, "{reply:?}");
                        assert_eq!(reply.body, expected.to_string());
                        cookie = reply.session_pair().expect("a changed session is sent");
                    }
                    let whoami = send(&agent, "GET", &server.url("/whoami"), Some(&cookie));
                    assert_eq!(whoami.body, "john");
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a client thread");
        }
    });
}
