//! What Hanko's web consoles share: they serve one person on their own machine, on loopback
//! only, and add no way in for anyone else.
//!
//! Safety rules (each checked by [`check`] before any handler runs):
//! - The address is loopback, or the console does not start ([`loopback`]).
//! - `Host` must be exactly the address it printed (`127.0.0.1:PORT` or `[::1]:PORT`), so a
//!   page on another name that re-points its DNS at 127.0.0.1 reaches nothing.
//! - Every page lives under a random path and needs the session cookie (scoped to that path),
//!   which only the address printed on the terminal can set, once: other users of the machine,
//!   their servers on other ports and other sites' pages get nothing.
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
    let ip = address.ip();
    if ip != std::net::Ipv4Addr::LOCALHOST && ip != std::net::Ipv6Addr::LOCALHOST {
        return Err(format!(
            "--listen: {address} is not 127.0.0.1 or ::1; the console serves this machine \
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

/// Whether `text` may stand in a URL path as one segment: what proposal ids are made of.
/// Anything else (from a hostile coordinator, say) is shown as text, never linked.
pub fn segment_ok(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `text` percent-encoded for a query string.
pub fn query_value(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The embedded stylesheet and script: the only assets a console page loads. They are the
/// same for everyone and carry nothing of a session: served to anyone who asks, outside the
/// session's path (so that refusals can be styled without naming that path).
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
    let app = assets()
        .nest(guard.base(), router)
        .layer(axum::middleware::from_fn_with_state(guard, check));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
