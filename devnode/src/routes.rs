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

/// Query parameters, as text: each endpoint reads and answers for its own as NIS does.
#[derive(Deserialize)]
struct AddressQuery {
    address: Option<String>,
    hash: Option<String>,
    id: Option<String>,
    #[serde(rename = "pageSize")]
    page_size: Option<String>,
}

/// The `address` query parameter, valid and of the node's network; else NIS's 400 answer.
/// NIS upper-cases it but takes no dashes or spaces.
fn parse_address(node: &Node, text: Option<&str>) -> Result<Address, Box<Response>> {
    let bad = |m: String| Box::new(nis_error(node, StatusCode::BAD_REQUEST, m));
    let text = text.ok_or_else(|| bad("address: missing query parameter".into()))?;
    let address = Address::from_canonical(text.to_ascii_uppercase().as_bytes())
        .map_err(|e| bad(format!("address '{text}': {e}")))?;
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

/// NIS reads `pageSize` as a Java short and clamps it to 5..100; anything else is a 400.
fn page_size(node: &Node, text: Option<&str>) -> Result<usize, Box<Response>> {
    match text {
        None | Some("") => Ok(25),
        Some(t) => t
            .parse::<i16>()
            .map(|n| n.clamp(5, 100) as usize)
            .map_err(|e| {
                Box::new(nis_error(
                    node,
                    StatusCode::BAD_REQUEST,
                    format!("pageSize '{t}': {e}"),
                ))
            }),
    }
}

/// `/account/transfers/*`: an `id` wins over a `hash`; an empty hash is none; a hash that is
/// not hex is NIS's 500, one it does not know its 400.
fn transfers(node: &Node, q: AddressQuery, direction: Direction) -> Response {
    let address = match parse_address(node, q.address.as_deref()) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let page_size = match page_size(node, q.page_size.as_deref()) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let id = match q
        .id
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(str::parse::<i64>)
        .transpose()
    {
        Ok(id) => id,
        Err(e) => return nis_error(node, StatusCode::BAD_REQUEST, format!("id: {e}")),
    };
    let hash = match q.hash.as_deref().filter(|t| !t.is_empty() && id.is_none()) {
        None => None,
        Some(t) => match nis_hex(t) {
            Err(e) => {
                return nis_error(
                    node,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("hash: {e}"),
                );
            }
            Ok(bytes) => match <[u8; 32]>::try_from(bytes.as_slice())
                .ok()
                .map(Hash256)
                .filter(|h| node.lock_chain().is_confirmed(h))
            {
                Some(h) => Some(h),
                None => {
                    return nis_error(
                        node,
                        StatusCode::BAD_REQUEST,
                        "Neither transaction id was supplied nor hash was found in cache".into(),
                    );
                }
            },
        },
    };
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
            .transfers_json(&address, direction, hash.as_ref(), id, page_size),
    )
    .into_response()
}

async fn outgoing(State(node): State<Arc<Node>>, Query(q): Query<AddressQuery>) -> Response {
    transfers(&node, q, Direction::Outgoing)
}

async fn incoming(State(node): State<Arc<Node>>, Query(q): Query<AddressQuery>) -> Response {
    transfers(&node, q, Direction::Incoming)
}

/// `/transaction/get`: a missing or non-hex hash is NIS's 500; one of the wrong length or
/// not in its cache its 400.
async fn transaction_get(State(node): State<Arc<Node>>, Query(q): Query<AddressQuery>) -> Response {
    let server = |m: String| nis_error(&node, StatusCode::INTERNAL_SERVER_ERROR, m);
    let bytes = match q.hash.as_deref().map(nis_hex) {
        None => return server("hash: missing query parameter".into()),
        Some(Err(e)) => return server(format!("hash: {e}")),
        Some(Ok(bytes)) => bytes,
    };
    let found = <[u8; 32]>::try_from(bytes.as_slice())
        .ok()
        .and_then(|h| node.lock_chain().transaction_json(&Hash256(h)));
    match found {
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

/// `/transaction/announce`. NIS answers a body that is not a JSON object 400, a missing,
/// null or non-string `data` or `signature` (or an empty body) 500, hex it cannot read 400.
async fn announce(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    let bad = |m: String| nis_error(&node, StatusCode::BAD_REQUEST, m);
    let server = |m: String| nis_error(&node, StatusCode::INTERNAL_SERVER_ERROR, m);
    if body.is_empty() {
        return server("Required request body is missing".into());
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return bad("JSON Object was expected".into()),
        Err(e) => return bad(format!("request body is not JSON: {e}")),
    };
    let (Some(data), Some(signature)) = (
        request.get("data").and_then(Value::as_str),
        request.get("signature").and_then(Value::as_str),
    ) else {
        return server("expected {\"data\": hex, \"signature\": hex}".into());
    };
    if data.is_empty() {
        return server("data: no transaction".into());
    }
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
            tracing::info!(error = %e, status = e.status, "announce refused: malformed");
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
            nis_error(&node, status, e.message)
        }
    }
}

/// `/block/at/public`: a body that is not JSON is NIS's 400, a missing or non-integer height
/// its 500, a height below 1 its 400, one past the chain's end its 404.
async fn block_at(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return nis_error(
                &node,
                StatusCode::BAD_REQUEST,
                format!("request body is not JSON: {e}"),
            );
        }
    };
    let Some(height) = request.get("height").and_then(Value::as_i64) else {
        return nis_error(
            &node,
            StatusCode::INTERNAL_SERVER_ERROR,
            "expected {\"height\": integer}".into(),
        );
    };
    let Ok(height) = u64::try_from(height)
        .map_err(|_| ())
        .and_then(|h| if h == 0 { Err(()) } else { Ok(h) })
    else {
        return nis_error(
            &node,
            StatusCode::BAD_REQUEST,
            format!("height {height} must be positive"),
        );
    };
    match node.lock_chain().block_json(height) {
        Some(block) => Json(block).into_response(),
        None => nis_error(
            &node,
            StatusCode::NOT_FOUND,
            format!("block at height {height} not found"),
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
