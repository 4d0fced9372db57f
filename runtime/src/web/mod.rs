//! What Hanko's web consoles share: they serve one person on their own machine, on loopback
//! only, and add no way in for anyone else.
//!
//! Safety rules (each checked by [`check`] before any handler runs):
//! - The address is loopback, or the console does not start ([`loopback`]).
//! - `Host` must name this console (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`), so a
//!   page on another name that re-points its DNS at 127.0.0.1 reaches nothing.
//! - Every page needs the session cookie, which only the address printed on the terminal can
//!   set: other users of the machine and other sites' pages get nothing.
//! - Every state-changing request also needs `Origin` equal to this console, no cross-site
//!   `Sec-Fetch-Site`, and the form's per-session `csrf` field.
//! - Every answer carries a strict Content-Security-Policy: only this console's own embedded
//!   stylesheet and script, no frames, no third-party anything; and `no-store`.

pub mod chart;
mod guard;
pub mod page;

pub use guard::{Guard, check};

use std::net::SocketAddr;

/// The consoles' default ports: `hanko console`, `hanko-cosigner console`, `hanko policy console`.
pub const TREASURY_PORT: u16 = 7480;
pub const OPERATOR_PORT: u16 = 7481;
/// `hanko policy console`.
pub const POLICY_PORT: u16 = 7482;

/// `text` as a loopback socket address, or what is wrong with it.
pub fn loopback(text: &str) -> Result<SocketAddr, String> {
    let address: SocketAddr = text
        .parse()
        .map_err(|e| format!("--listen: '{text}' is not IP:PORT ({e})"))?;
    if !address.ip().is_loopback() {
        return Err(format!(
            "--listen: {address} is not a loopback address; the console serves this machine \
             only (127.0.0.1:PORT or [::1]:PORT)"
        ));
    }
    Ok(address)
}

/// Binds `listen` (a loopback address, see [`loopback`]; port 0 picks a free one) and makes
/// the session guard for the address it got.
pub async fn listen(
    listen: &str,
) -> Result<(tokio::net::TcpListener, std::sync::Arc<Guard>), String> {
    let address = loopback(listen)?;
    let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
        format!(
            "--listen {address}: {e} (another console on this port? choose another with --listen)"
        )
    })?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("--listen {address}: {e}"))?;
    Ok((listener, std::sync::Arc::new(Guard::new(address)?)))
}

/// The embedded stylesheet and script: the only assets a console page loads.
pub fn assets() -> axum::Router {
    use axum::http::header::CONTENT_TYPE;
    axum::Router::new()
        .route(
            "/assets/console.css",
            axum::routing::get(|| async {
                (
                    [(CONTENT_TYPE, "text/css; charset=utf-8")],
                    include_str!("console.css"),
                )
            }),
        )
        .route(
            "/assets/console.js",
            axum::routing::get(|| async {
                (
                    [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    include_str!("console.js"),
                )
            }),
        )
}

/// Serves `router` behind `guard` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    guard: std::sync::Arc<Guard>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router
        .merge(assets())
        .layer(axum::middleware::from_fn_with_state(guard, check));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
