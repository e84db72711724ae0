//! The three example programs as outside checks run them: the built binary, started with only
//! `PORT` set (no `SESSION_SECRET`), answering the contract routes on 127.0.0.1 over real TCP.
//! The end-to-end tests serve the examples' routers in-process; this one checks each `main`.

use std::net::{SocketAddr, TcpListener, TcpStream};

use crate::http::Browser;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The example's binary, built by `cargo test` with the other targets, or built here when this
/// test runs alone.
fn example_binary(name: &str, feature: &str) -> PathBuf {
    let test_exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<this test> -> target/<profile>/examples/<name>
    let profile_dir = test_exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = profile_dir.join("examples").join(name);
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "--example", name, "--features", feature])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building example {name}");
    }
    binary
}

/// A running example, killed when dropped (also when an assertion fails).
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(name: &str, feature: &str) -> Server {
    // A port that was free a moment ago; the example binds it itself.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(example_binary(name, feature))
        .env("PORT", port.to_string())
        .env_remove("SESSION_SECRET")
        .env_remove("SESSION_INSECURE_COOKIE")
        .env_remove("ROCKET_PORT")
        .env_remove("ROCKET_ADDRESS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the example starts");
    let server = Server {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(server.addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "{name} never listened on {}",
            server.addr
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// (status, trimmed body) of one request.
fn answer(browser: &mut Browser, method: &str, path: &str) -> (u16, String) {
    let reply = match method {
        "GET" => browser.get(path),
        _ => browser.post(path),
    };
    (reply.status, reply.body.trim().to_owned())
}

fn check_contract(name: &str, feature: &str) {
    let server = start(name, feature);
    let mut browser = Browser::new(server.addr);
    assert_eq!(
        answer(&mut browser, "GET", "/"),
        (200, "Hello, john!".to_owned()),
        "{name}"
    );
    assert!(
        browser.cookie.is_some(),
        "{name}: / sets the session cookie"
    );
    assert_eq!(
        answer(&mut browser, "GET", "/whoami"),
        (200, "john".to_owned()),
        "{name}"
    );
    assert_eq!(
        answer(&mut browser, "GET", "/visits"),
        (200, "1".to_owned()),
        "{name}"
    );
    assert_eq!(
        answer(&mut browser, "GET", "/visits"),
        (200, "2".to_owned()),
        "{name}"
    );
    assert_eq!(answer(&mut browser, "POST", "/logout").0, 200, "{name}");
    assert_eq!(
        answer(&mut browser, "GET", "/whoami"),
        (200, "anonymous".to_owned()),
        "{name}"
    );

    let mut stranger = Browser::new(server.addr);
    assert_eq!(
        answer(&mut stranger, "GET", "/whoami"),
        (200, "anonymous".to_owned()),
        "{name}"
    );
    assert_eq!(
        answer(&mut stranger, "GET", "/visits"),
        (200, "1".to_owned()),
        "{name}"
    );
}

#[cfg(feature = "axum")]
#[test]
fn axum_hello_keeps_the_contract() {
    check_contract("axum_hello", "axum");
}

#[cfg(feature = "actix-web")]
#[test]
fn actix_hello_keeps_the_contract() {
    check_contract("actix_hello", "actix-web");
}

#[cfg(feature = "rocket")]
#[test]
fn rocket_hello_keeps_the_contract() {
    check_contract("rocket_hello", "rocket");
}
