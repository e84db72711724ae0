//! End to end: the `axum_hello` example's router served over TCP on 127.0.0.1, driven by a real
//! HTTP client (ureq, blocking, on its own threads) that keeps its cookies by hand.

#[allow(dead_code)]
// The example's `main`, `serve` and `factory_from_env` are not used here.
// Each example includes `examples/shared`, so this binary holds it once per example.
#[allow(clippy::duplicate_mod)]
#[path = "../../examples/axum_hello.rs"]
mod example;

use std::net::SocketAddr;
use std::time::Duration;

use crate::http::Browser;
use cookie_session::{CookieSessionFactory, Secret};

const THREADS: usize = 8;
const REQUESTS_PER_THREAD: usize = 25;

/// A client with one cookie, like a browser with one site open.
fn contract_routes(addr: SocketAddr) {
    let mut client = Browser::new(addr);

    let whoami = client.get("/whoami");
    assert_eq!((whoami.status, whoami.body.as_str()), (200, "anonymous"));
    assert!(
        whoami.session_pair().is_none(),
        "a read of no session writes nothing"
    );

    let hello = client.get("/");
    assert_eq!((hello.status, hello.body.as_str()), (200, "Hello, john!"));
    assert!(hello.session_pair().is_some());

    let whoami = client.get("/whoami");
    assert_eq!(whoami.body, "john");
    assert!(
        whoami.session_pair().is_none(),
        "a read within reissue_time writes nothing"
    );

    for expected in ["1", "2", "3"] {
        let visits = client.get("/visits");
        assert_eq!((visits.status, visits.body.as_str()), (200, expected));
    }
    assert_eq!(
        client.get("/whoami").body,
        "john",
        "visits kept the username"
    );

    let logout = client.post("/logout");
    assert_eq!((logout.status, logout.body.as_str()), (200, "Goodbye!"));
    assert!(
        logout.session_pair().is_some(),
        "invalidation sends the cleared cookie"
    );
    assert_eq!(client.get("/whoami").body, "anonymous");
    assert_eq!(client.get("/visits").body, "1");

    // GET on the POST-only route is refused by the router, not by the session layer.
    assert_eq!(client.get("/logout").status, 405);
}

/// Each thread is its own user: its counter must go 1..=N with no lost update and no 5xx.
fn concurrent_burst(addr: SocketAddr) {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(move || {
                    let mut client = Browser::new(addr);
                    for expected in 1..=REQUESTS_PER_THREAD {
                        let visits = client.get("/visits");
                        assert!(visits.status < 500, "5xx under load: {}", visits.status);
                        assert_eq!(visits.body, expected.to_string());
                    }
                    assert_eq!(client.get("/").body, "Hello, john!");
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a client thread failed");
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_routes_over_tcp() {
    let factory = CookieSessionFactory::builder(Secret::from_text(
        "axum end-to-end test secret, at least 32 bytes",
    ))
    .build()
    .expect("valid configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().unwrap();

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, example::app(factory))
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });

    let clients = tokio::task::spawn_blocking(move || {
        contract_routes(addr);
        concurrent_burst(addr);
    });
    let outcome = tokio::time::timeout(Duration::from_secs(120), clients).await;

    let _ = stop.send(());
    // Keep-alive connections may hold a graceful shutdown open; past the timeout the runtime's
    // end closes them.
    if let Ok(result) = tokio::time::timeout(Duration::from_secs(10), server).await {
        result.expect("server task").expect("server I/O");
    }
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic.into_panic()),
        Err(_) => panic!("the HTTP clients did not finish within 120 s"),
    }
}
