//! End to end: the `actix_hello` example's application served by a real `HttpServer` on
//! 127.0.0.1, driven over TCP by `ureq`, which keeps no cookies: the test carries them itself.

use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::http::{agent, send};
use actix_web::HttpServer;
use actix_web::dev::ServerHandle;
use cookie_session::{CookieSessionFactory, Secret};

// The example's `main` and `factory_from_env` are not used here.
#[allow(dead_code)]
// Each example includes `examples/shared`, so this binary holds it once per example.
#[allow(clippy::duplicate_mod)]
#[path = "../../examples/actix_hello.rs"]
mod example;

/// The example application on an ephemeral port, in a thread with its own actix system.
/// Dropping it stops the server, also when an assertion failed.
struct RunningServer {
    address: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    fn start(factory: CookieSessionFactory) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        let address = listener.local_addr().expect("bound address");
        let (handle_sender, handle_receiver) = mpsc::channel();
        let thread = thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                // The factory is built once, outside the per-worker closure, as documented.
                let server = HttpServer::new(move || example::app(factory.clone()))
                    .workers(2)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .listen(listener)?
                    .run();
                let _ = handle_sender.send(server.handle());
                server.await
            })
        });
        let handle = handle_receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("the server thread starts");
        Self {
            address,
            handle,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        // `stop` sends the command at once; its future only waits for the acknowledgement.
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let result = thread.join();
            if !thread::panicking() {
                result
                    .expect("server thread did not panic")
                    .expect("server ran and stopped cleanly");
            }
        }
    }
}

#[test]
fn example_routes_and_a_concurrent_burst_over_tcp() {
    let factory = CookieSessionFactory::new(Secret::generate()).expect("valid secret");
    let server = RunningServer::start(factory);
    let agent = agent();

    // GET /: the seed program.
    let reply = send(&agent, "GET", &server.url("/"), None);
    assert_eq!((reply.status, reply.body.as_str()), (200, "Hello, john!"));
    assert!(reply.set_cookies[0].contains("HttpOnly"));
    let cookie = reply.session_pair().expect("a session cookie");

    // GET /whoami: read only, so no Set-Cookie.
    let reply = send(&agent, "GET", &server.url("/whoami"), Some(&cookie));
    assert_eq!((reply.status, reply.body.as_str()), (200, "john"));
    assert!(reply.set_cookies.is_empty(), "{:?}", reply.set_cookies);
    let reply = send(&agent, "GET", &server.url("/whoami"), None);
    assert_eq!((reply.status, reply.body.as_str()), (200, "anonymous"));
    assert!(reply.set_cookies.is_empty());

    // GET /visits counts in the same session, next to the username.
    let reply = send(&agent, "GET", &server.url("/visits"), Some(&cookie));
    assert_eq!((reply.status, reply.body.as_str()), (200, "1"));
    let cookie = reply.session_pair().expect("a session cookie");
    let reply = send(&agent, "GET", &server.url("/visits"), Some(&cookie));
    assert_eq!((reply.status, reply.body.as_str()), (200, "2"));
    let cookie = reply.session_pair().expect("a session cookie");
    let reply = send(&agent, "GET", &server.url("/whoami"), Some(&cookie));
    assert_eq!(reply.body, "john");

    // POST /logout empties the session; the old cookie is replaced.
    let reply = send(&agent, "POST", &server.url("/logout"), Some(&cookie));
    assert_eq!((reply.status, reply.body.as_str()), (200, "Goodbye!"));
    let logged_out = reply.session_pair().expect("a session cookie");
    assert_ne!(logged_out, cookie);
    let reply = send(&agent, "GET", &server.url("/whoami"), Some(&logged_out));
    assert_eq!(reply.body, "anonymous");
    let reply = send(&agent, "GET", &server.url("/visits"), Some(&logged_out));
    assert_eq!(reply.body, "1");

    // A bad cookie never fails the request.
    let reply = send(
        &agent,
        "GET",
        &server.url("/whoami"),
        Some("session=garbage"),
    );
    assert_eq!((reply.status, reply.body.as_str()), (200, "anonymous"));

    // A bounded burst: 8 clients, each with its own session, 25 requests each.
    const CLIENTS: usize = 8;
    const REQUESTS: usize = 25;
    let base = server.url("");
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (agent, base) = (agent.clone(), base.clone());
            thread::spawn(move || {
                let reply = send(&agent, "GET", &format!("{base}/"), None);
                assert_eq!((reply.status, reply.body.as_str()), (200, "Hello, john!"));
                let mut cookie = reply.session_pair().expect("a session cookie");
                for visit in 1..REQUESTS {
                    let reply = send(&agent, "GET", &format!("{base}/visits"), Some(&cookie));
                    assert!(reply.status < 500, "server error {}", reply.status);
                    assert_eq!(
                        (reply.status, reply.body.as_str()),
                        (200, &*visit.to_string())
                    );
                    cookie = reply.session_pair().expect("a session cookie");
                }
                cookie
            })
        })
        .collect();
    for client in clients {
        let cookie = client.join().expect("client thread");
        let reply = send(&agent, "GET", &server.url("/visits"), Some(&cookie));
        assert_eq!((reply.status, reply.body), (200, REQUESTS.to_string()));
    }
}
