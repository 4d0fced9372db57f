//! The NIS REST client against a local HTTP server speaking NIS's JSON shapes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use nem::client::{ClientConfig, Endpoint, NisClient, NisError};
use nem::validation::ValidationResult;
use nem::{Address, Hash256, Signature, SignedTransaction};
use serde_json::{Value, json};

const MULTISIG: &str = "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2";

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

async fn record(State(seen): State<Seen>, uri: Uri) -> impl IntoResponse {
    seen.0.lock().unwrap().push(uri.path().to_string());
    let body = match uri.path() {
        "/heartbeat" => json!({"code": 1, "type": 2, "message": "ok"}),
        "/status" => json!({"code": 6, "type": 4, "message": "status"}),
        "/chain/height" => json!({"height": 4242}),
        "/time-sync/network-time" => {
            json!({"sendTimeStamp": 300_000_123_456u64, "receiveTimeStamp": 300_000_123_456u64})
        }
        "/node/info" => json!({
            "metaData": {"features": 1, "application": null, "networkId": -104, "version": "0.6.100", "platform": "hanko"},
            "endpoint": {"protocol": "http", "port": 7890, "host": "127.0.0.1"},
            "identity": {"name": "dev", "public-key": "00"}
        }),
        "/account/get" => json!({
            "account": {"address": MULTISIG, "balance": 1_000_000_000u64, "vestedBalance": 0, "importance": 0.0,
                "publicKey": "c5f54ba980fcbb657dbaaa42700539b207873e134d2375efeab5f1ab52f87844", "label": null,
                "harvestedBlocks": 0, "multisigInfo": {"cosignatoriesCount": 3, "minCosignatories": 2}},
            "meta": {"status": "LOCKED", "remoteStatus": "INACTIVE", "cosignatoryOf": [],
                "cosignatories": [{"address": "TABHFGE5ORQD3LE4O6B7JUFN47ECOFBFATE53N2I", "balance": 0,
                    "publicKey": "96eb2a145211b1b7ab5f0d4b14f8abc8d695c7aee31a3cfc2d4881313c68eea3", "multisigInfo": {}}]}
        }),
        "/account/unconfirmedTransactions" => {
            json!({"data": [{"meta": {"data": "9a0a7c94204c53186c088c3a8cbae02e55123c98f118476314457dfdfc71f72e"}, "transaction": {"type": 4100}}]})
        }
        "/account/transfers/outgoing" | "/account/transfers/incoming" => json!({"data": [{
            "meta": {"height": 10, "id": 3, "hash": {"data": "250e6c26a06d90bf27c41387e9c4bbcedca60f2d56eee497c753423b9e381141"},
                     "innerHash": {"data": "9a0a7c94204c53186c088c3a8cbae02e55123c98f118476314457dfdfc71f72e"}},
            "transaction": {"type": 4100}}]}),
        "/transaction/get" => {
            return (
                StatusCode::BAD_REQUEST,
                Json(
                    json!({"timeStamp": 1, "error": "Bad Request", "message": "Hash was not found in cache", "status": 400}),
                ),
            );
        }
        _ => {
            return (
                StatusCode::NOT_FOUND,
                Json(
                    json!({"timeStamp": 1, "error": "Not Found", "message": "No handler", "status": 404}),
                ),
            );
        }
    };
    (StatusCode::OK, Json(body))
}

async fn announce(State(seen): State<Seen>, Json(body): Json<Value>) -> Json<Value> {
    seen.0.lock().unwrap().push("/transaction/announce".into());
    let data = body["data"].as_str().unwrap_or_default();
    let code = if data.starts_with("0210") {
        (73, "FAILURE_MULTISIG_NO_MATCHING_MULTISIG")
    } else {
        (1, "SUCCESS")
    };
    Json(json!({"type": 1, "code": code.0, "message": code.1,
        "transactionHash": {"data": "250e6c26a06d90bf27c41387e9c4bbcedca60f2d56eee497c753423b9e381141"},
        "innerTransactionHash": {}}))
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn signed(data: &str) -> SignedTransaction {
    SignedTransaction {
        data: hex::decode(data).unwrap(),
        signature: Signature([1; 64]),
    }
}

#[tokio::test]
async fn every_method_speaks_nis_shapes_and_never_prepare_announce() {
    let seen = Seen::default();
    let router = Router::new()
        .route("/transaction/announce", post(announce))
        .fallback(get(record))
        .with_state(seen.clone());
    let client = NisClient::new(ClientConfig::new(serve(router).await)).unwrap();
    let multisig = Address::parse(MULTISIG).unwrap();

    assert_eq!(client.heartbeat().await.unwrap().code, 1);
    assert_eq!(client.status().await.unwrap().code, 6);
    assert_eq!(client.chain_height().await.unwrap(), 4242);
    assert_eq!(client.network_time().await.unwrap().0, 300_000_123);
    assert_eq!(
        client.node_info().await.unwrap().network(),
        Some(nem::Network::Testnet)
    );
    let account = client.account(&multisig).await.unwrap();
    let info = account.account.multisig_info.unwrap();
    assert_eq!(
        (
            info.cosignatories_count,
            info.min_cosignatories,
            info.required_signatures()
        ),
        (3, 2, 2)
    );
    assert_eq!(account.meta.cosignatories.len(), 1);
    assert!(
        account.meta.cosignatories[0].multisig_info.is_none(),
        "{{}} is no multisig info"
    );
    let pending = client.unconfirmed_transactions(&multisig).await.unwrap();
    assert_eq!(pending[0].meta.data.unwrap().short(), "9a0a7c94");
    let out = client.outgoing_transfers(&multisig, None).await.unwrap();
    assert_eq!(out[0].meta.height, 10);
    assert_eq!(out[0].meta.inner_hash.data.unwrap().short(), "9a0a7c94");
    assert_eq!(client.incoming_transfers(&multisig).await.unwrap().len(), 1);
    let missing = client.transaction(&Hash256([0; 32])).await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    assert!(!missing.is_retryable());

    let accepted = client.announce(&signed("0410")).await.unwrap();
    assert!(!accepted.neutral);
    assert_eq!(accepted.transaction_hash.unwrap().short(), "250e6c26");
    assert_eq!(accepted.inner_transaction_hash, None, "{{}} is no hash");
    match client.announce(&signed("0210")).await.unwrap_err() {
        NisError::Rejected { result, message } => {
            assert_eq!(
                result,
                ValidationResult::FAILURE_MULTISIG_NO_MATCHING_MULTISIG
            );
            assert_eq!(message, "FAILURE_MULTISIG_NO_MATCHING_MULTISIG");
        }
        other => panic!("expected a rejection, got {other}"),
    }

    let paths = seen.0.lock().unwrap().clone();
    assert_eq!(paths.len(), 12);
    assert!(paths.iter().all(|p| !p.contains("prepare")), "{paths:?}");
    for endpoint in Endpoint::ALL {
        assert!(!endpoint.path().contains("prepare"), "{endpoint:?}");
    }
}

#[tokio::test]
async fn transport_faults_become_typed_errors() {
    let router = Router::new()
        .route("/chain/height", get(|| async { "not json" }))
        .route(
            "/heartbeat",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "busy") }),
        )
        .route(
            "/status",
            get(|| async { Json(json!({"unexpected": true})) }),
        )
        .route(
            "/time-sync/network-time",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Json(json!({}))
            }),
        )
        .route(
            "/account/get",
            get(|Query(q): Query<Value>| async move { Json(q) }),
        );
    let base = serve(router).await;
    let mut config = ClientConfig::new(base);
    config.timeout = Duration::from_millis(300);
    let client = NisClient::new(config).unwrap();

    let e = client.chain_height().await.unwrap_err();
    assert!(
        matches!(e, NisError::Malformed { .. }) && e.to_string().contains("not JSON"),
        "{e}"
    );
    let e = client.heartbeat().await.unwrap_err();
    assert!(
        matches!(e, NisError::Http { status: 503, .. }) && e.is_retryable(),
        "{e}"
    );
    let e = client.status().await.unwrap_err();
    assert!(matches!(e, NisError::Malformed { .. }), "{e}");
    let e = client.network_time().await.unwrap_err();
    assert!(
        matches!(e, NisError::Timeout { .. }) && e.is_retryable(),
        "{e}"
    );

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let dead = NisClient::new(ClientConfig::new(format!("http://{closed}"))).unwrap();
    let e = dead.heartbeat().await.unwrap_err();
    assert!(
        matches!(e, NisError::Unreachable { .. }) && e.is_retryable(),
        "{e}"
    );

    assert!(matches!(
        NisClient::new(ClientConfig::new("127.0.0.1:7890")),
        Err(NisError::Config(_))
    ));
}
