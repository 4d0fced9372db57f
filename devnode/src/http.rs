//! The accept loop. Hyper serves each connection directly so that fault injection can close a
//! connection without answering, which a framework's handler cannot do.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::node::{FaultKind, Node};
use crate::routes::nis_error;

/// Returned to hyper to close the connection without a response.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fault injection: connection dropped")
    }
}

impl std::error::Error for DropConnection {}

pub async fn serve(
    listener: TcpListener,
    router: Router,
    node: Arc<Node>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(stream, router.clone(), node.clone()));
                }
                Err(e) => tracing::warn!(error = %e, "accept failed"),
            },
            _ = shutdown.changed() => break,
        }
        while connections.try_join_next().is_some() {}
    }
    connections.abort_all();
}

async fn connection(stream: tokio::net::TcpStream, router: Router, node: Arc<Node>) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let router = router.clone();
        let node = node.clone();
        async move { respond(request, router, node).await }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn respond(
    request: Request<Incoming>,
    router: Router,
    node: Arc<Node>,
) -> Result<Response<Body>, DropConnection> {
    let action = node.decide_fault(request.uri().path());
    if let Some(delay) = action.delay {
        tokio::time::sleep(delay).await;
    }
    match action.kind {
        FaultKind::Drop => return Err(DropConnection),
        FaultKind::Unavailable => {
            return Ok(nis_error(
                &node,
                StatusCode::SERVICE_UNAVAILABLE,
                "fault injection: unavailable".into(),
            ));
        }
        _ => {}
    }
    let response = match router.oneshot(request.map(Body::new)).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    match action.kind {
        FaultKind::AcceptThenDrop => Err(DropConnection),
        FaultKind::Malformed => Ok(Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(Body::from("{\"code\": 1, \"type\": 1, \"mess"))
            .unwrap_or_default()),
        _ => Ok(response),
    }
}
