//! Serves one variant of the `/visits` route on 127.0.0.1:$PORT, for `scripts/loadtest.sh`.
//!
//! ```sh
//! PORT=3001 cargo run --release --bin peer-server -- actix-session-cookie
//! ```
//!
//! Variants: see `cookie_session_bench_peers::VARIANTS`. Prints `listening on ...` once ready.

use std::net::Ipv4Addr;

use actix_web::App;
use actix_web::web::get;
use cookie_session_bench_peers::{VARIANTS, actix_apps, axum_apps, rocket_apps};

/// Serves an actix-web app (each variant's `App` has its own type) on 127.0.0.1:`port`.
macro_rules! serve_actix {
    ($port:expr, $app:expr) => {
        actix_web::rt::System::new().block_on(async move {
            let server =
                actix_web::HttpServer::new(move || $app).bind((Ipv4Addr::LOCALHOST, $port))?;
            println!("listening on http://{}", server.addrs()[0]);
            server.run().await
        })?
    };
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let variant = std::env::args().nth(1).unwrap_or_default();
    let port: u16 = std::env::var("PORT").map_or(Ok(3000), |p| p.parse())?;
    match variant.as_str() {
        v if v.starts_with("axum-") => {
            let router = match v {
                "axum-plain" => axum_apps::plain(),
                "axum-codec" => axum_apps::codec(),
                "axum-cookie-session" => axum_apps::cookie_session(),
                "axum-tower-sessions-memory" => axum_apps::tower_sessions_memory(),
                "axum-tower-sessions-cookie" => axum_apps::tower_sessions_cookie(),
                _ => return Err(usage(v)),
            };
            tokio::runtime::Runtime::new()?.block_on(async move {
                let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
                println!("listening on http://{}", listener.local_addr()?);
                axum::serve(listener, router).await
            })?;
        }
        "actix-plain" => serve_actix!(
            port,
            App::new().route("/visits", get().to(actix_apps::plain))
        ),
        "actix-codec" => serve_actix!(
            port,
            App::new().route("/visits", get().to(actix_apps::codec))
        ),
        "actix-cookie-session" => serve_actix!(
            port,
            App::new()
                .wrap(cookie_session::actix::SessionMiddleware::new(
                    cookie_session_bench_peers::factory()
                ))
                .route("/visits", get().to(actix_apps::cookie_session))
        ),
        v @ ("actix-session-cookie" | "actix-session-cookie-private") => {
            let private = v.ends_with("-private");
            serve_actix!(
                port,
                App::new()
                    .wrap(actix_apps::actix_session_middleware(private))
                    .route("/visits", get().to(actix_apps::actix_session))
            )
        }
        v @ ("rocket-plain" | "rocket-codec" | "rocket-cookie-session") => {
            let rocket = match v {
                "rocket-plain" => rocket_apps::plain(port),
                "rocket-codec" => rocket_apps::codec(port),
                _ => rocket_apps::cookie_session(port),
            };
            rocket::execute(async move {
                println!("listening on http://127.0.0.1:{port}");
                rocket.launch().await.map(drop)
            })?;
        }
        other => return Err(usage(other)),
    }
    Ok(())
}

fn usage(variant: &str) -> Box<dyn std::error::Error> {
    format!(
        "unknown variant {variant:?}; one of: {}",
        VARIANTS.join(", ")
    )
    .into()
}
