//! The NIS REST endpoints (NIS's paths, JSON shapes and error object) and `/dev/*` controls.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use nem::{Address, Hash256, Signature, SignedTransaction};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::chain::query::Direction;
use crate::config::Faults;
use crate::node::Node;

pub fn router(node: Arc<Node>) -> Router {
    Router::new()
        .route(
            "/heartbeat",
            get(|| async { Json(json!({"code": 1, "type": 2, "message": "ok"})) }),
        )
        .route(
            "/status",
            get(|| async { Json(json!({"code": 6, "type": 4, "message": "status"})) }),
        )
        .route("/node/info", get(node_info))
        .route("/chain/height", get(chain_height))
        .route("/time-sync/network-time", get(network_time))
        .route("/account/get", get(account_get))
        .route("/account/unconfirmedTransactions", get(unconfirmed))
        .route("/account/transfers/outgoing", get(outgoing))
        .route("/account/transfers/incoming", get(incoming))
        .route("/transaction/get", get(transaction_get))
        .route("/transaction/announce", post(announce))
        .route("/block/at/public", post(block_at))
        .route("/dev/block", post(dev_block))
        .route("/dev/clock", post(dev_clock))
        .route("/dev/faults", get(dev_faults_get).post(dev_faults_set))
        .fallback(|State(node): State<Arc<Node>>| async move {
            nis_error(
                &node,
                StatusCode::NOT_FOUND,
                "no such endpoint on the Hanko dev node".into(),
            )
        })
        .with_state(node)
}

/// NIS's error object: `{timeStamp, error, message, status}`.
pub fn nis_error(node: &Node, status: StatusCode, message: String) -> Response {
    let body = json!({
        "timeStamp": node.now().0,
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message,
        "status": status.as_u16(),
    });
    (status, Json(body)).into_response()
}

async fn node_info(State(node): State<Arc<Node>>) -> Json<Value> {
    let network = node.lock_chain().network;
    Json(json!({
        "metaData": {"features": 1, "application": null, "networkId": network.node_id(),
                     "version": concat!("hanko-devnode/", env!("CARGO_PKG_VERSION")), "platform": "hanko"},
        "endpoint": {"protocol": "http", "port": 7890, "host": "127.0.0.1"},
        "identity": {"name": "hanko-devnode", "public-key": ""},
    }))
}

async fn chain_height(State(node): State<Arc<Node>>) -> Json<Value> {
    Json(json!({ "height": node.lock_chain().height }))
}

async fn network_time(State(node): State<Arc<Node>>) -> Json<Value> {
    let ms = node.network_millis();
    Json(json!({ "sendTimeStamp": ms, "receiveTimeStamp": ms }))
}

#[derive(Deserialize)]
struct AddressQuery {
    address: Option<String>,
    hash: Option<String>,
    id: Option<i64>,
    #[serde(rename = "pageSize")]
    page_size: Option<usize>,
}

/// The `address` query parameter, valid and of the node's network; else NIS's 400 answer.
fn parse_address(node: &Node, text: Option<&str>) -> Result<Address, Box<Response>> {
    let bad = |m: String| Box::new(nis_error(node, StatusCode::BAD_REQUEST, m));
    let text = text.ok_or_else(|| bad("address: missing query parameter".into()))?;
    let address = Address::parse(text).map_err(|e| bad(format!("address '{text}': {e}")))?;
    let network = node.lock_chain().network;
    address
        .require_network(network)
        .map_err(|e| bad(format!("address: {e}")))?;
    Ok(address)
}

async fn account_get(State(node): State<Arc<Node>>, Query(q): Query<AddressQuery>) -> Response {
    match parse_address(&node, q.address.as_deref()) {
        Ok(a) => Json(node.lock_chain().account_json(&a)).into_response(),
        Err(r) => *r,
    }
}

async fn unconfirmed(State(node): State<Arc<Node>>, Query(q): Query<AddressQuery>) -> Response {
    match parse_address(&node, q.address.as_deref()) {
        Ok(a) => Json(node.lock_chain().unconfirmed_json(&a)).into_response(),
        Err(r) => *r,
    }
}

fn transfers(node: &Node, q: AddressQuery, direction: Direction) -> Response {
    let address = match parse_address(node, q.address.as_deref()) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let hash = match q.hash.as_deref().map(str::parse::<Hash256>).transpose() {
        Ok(h) => h,
        Err(e) => return nis_error(node, StatusCode::BAD_REQUEST, format!("hash: {e}")),
    };
    let page_size = q.page_size.unwrap_or(25).clamp(5, 100);
    if direction == Direction::Outgoing && node.faults().hide_outgoing {
        return Json(json!({ "data": [] })).into_response();
    }
    if direction == Direction::Outgoing && node.faults().endless_outgoing {
        let page = node
            .lock_chain()
            .transfers_json(&address, direction, None, None, page_size);
        let items = page["data"].as_array().cloned().unwrap_or_default();
        let full: Vec<Value> = items.iter().cycle().take(page_size).cloned().collect();
        return Json(json!({ "data": full })).into_response();
    }
    Json(
        node.lock_chain()
            .transfers_json(&address, direction, hash.as_ref(), q.id, page_size),
    )
    .into_response()
}

async fn outgoing(State(node): State<Arc<Node>>, Query(q): Query<AddressQuery>) -> Response {
    transfers(&node, q, Direction::Outgoing)
}

async fn incoming(State(node): State<Arc<Node>>, Query(q): Query<AddressQuery>) -> Response {
    transfers(&node, q, Direction::Incoming)
}

async fn transaction_get(State(node): State<Arc<Node>>, Query(q): Query<AddressQuery>) -> Response {
    let hash = match q.hash.as_deref().map(str::parse::<Hash256>) {
        Some(Ok(h)) => h,
        Some(Err(e)) => return nis_error(&node, StatusCode::BAD_REQUEST, format!("hash: {e}")),
        None => {
            return nis_error(
                &node,
                StatusCode::BAD_REQUEST,
                "hash: missing query parameter".into(),
            );
        }
    };
    match node.lock_chain().transaction_json(&hash) {
        Some(v) => Json(v).into_response(),
        None => nis_error(
            &node,
            StatusCode::BAD_REQUEST,
            "Hash was not found in cache".into(),
        ),
    }
}

/// NIS reads hex case-insensitively and left-pads an odd-length string with `0`.
fn nis_hex(text: &str) -> Result<Vec<u8>, nem::HexError> {
    if text.len() % 2 == 1 {
        nem::decode_hex(&format!("0{text}"))
    } else {
        nem::decode_hex(text)
    }
}

async fn announce(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    let bad = |m: String| nis_error(&node, StatusCode::BAD_REQUEST, m);
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad(format!("request body is not JSON: {e}")),
    };
    let (Some(data), Some(signature)) = (
        request.get("data").and_then(Value::as_str),
        request.get("signature").and_then(Value::as_str),
    ) else {
        return bad("expected {\"data\": hex, \"signature\": hex}".into());
    };
    node.log_announce(data, signature);
    let data = match nis_hex(data) {
        Ok(d) => d,
        Err(e) => return bad(format!("data: {e}")),
    };
    let signature = match nis_hex(signature)
        .ok()
        .and_then(|s| <[u8; 64]>::try_from(s).ok())
    {
        Some(s) => Signature(s),
        None => return bad("signature: expected 128 hex digits".into()),
    };
    let now = node.now();
    let outcome = node
        .lock_chain()
        .announce(&SignedTransaction { data, signature }, now);
    match outcome {
        Ok(o) => {
            tracing::info!(hash = %o.hash, code = o.result.code(), result = o.result.name(), detail = %o.detail, "announce");
            let inner = o
                .inner_hash
                .map_or(json!({}), |h| json!({ "data": h.to_string() }));
            Json(json!({
                "type": 1,
                "code": o.result.code(),
                "message": o.result.name(),
                "transactionHash": { "data": o.hash.to_string() },
                "innerTransactionHash": inner,
            }))
            .into_response()
        }
        Err(e) => {
            tracing::info!(error = %e, "announce refused: malformed");
            bad(e.to_string())
        }
    }
}

#[derive(Deserialize)]
struct HeightRequest {
    height: u64,
}

/// NIS answers a height past its chain's end with 404 and its error object.
async fn block_at(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    let request: HeightRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return nis_error(
                &node,
                StatusCode::BAD_REQUEST,
                format!("expected {{\"height\": number}}: {e}"),
            );
        }
    };
    match node.lock_chain().block_json(request.height) {
        Some(block) => Json(block).into_response(),
        None => nis_error(
            &node,
            StatusCode::NOT_FOUND,
            format!("block at height {} not found", request.height),
        ),
    }
}

async fn dev_block(State(node): State<Arc<Node>>) -> Json<Value> {
    let now = node.now();
    let summary = node.lock_chain().harvest(now);
    Json(serde_json::to_value(summary).unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockRequest {
    offset_ms: Option<i64>,
    advance_ms: Option<i64>,
}

async fn dev_clock(State(node): State<Arc<Node>>, Json(req): Json<ClockRequest>) -> Json<Value> {
    if let Some(offset) = req.offset_ms {
        node.set_clock_offset_ms(offset);
    }
    if let Some(advance) = req.advance_ms {
        node.set_clock_offset_ms(node.clock_offset_ms().saturating_add(advance));
    }
    Json(json!({ "offset_ms": node.clock_offset_ms(), "network_time_ms": node.network_millis() }))
}

async fn dev_faults_get(State(node): State<Arc<Node>>) -> Json<Faults> {
    Json(node.faults())
}

async fn dev_faults_set(State(node): State<Arc<Node>>, Json(faults): Json<Faults>) -> Response {
    if let Err(e) = faults.validate() {
        return nis_error(&node, StatusCode::BAD_REQUEST, e);
    }
    node.set_faults(faults);
    Json(node.faults()).into_response()
}
