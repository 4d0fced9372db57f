//! The metrics endpoint: `GET /metrics` on the metrics port, in the OpenMetrics text format
//! (plain HTTP, loopback by default: figures only, no secrets, no control).

use std::sync::Arc;

use crate::driver::Coordinator;
use crate::ops::metrics::StoreCounts;

/// Serves `GET /metrics` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    coordinator: Arc<Coordinator>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let c = coordinator.clone();
            async move {
                let unfinished = c.store.active();
                let store = StoreCounts {
                    writes: c.store.counted(),
                    flushes: c.store.flushes(),
                    flush_seconds: c.store.flush_seconds(),
                    database: c.store.postgres().map(|pg| pg.write_seconds()),
                    leading: c.store.leading(),
                    term: c.store.postgres().and_then(|pg| pg.term()).unwrap_or(0),
                };
                let body = c.metrics.render(&unfinished, c.frozen(), store);
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    body,
                )
            }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
