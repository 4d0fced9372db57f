//! Each role × each RPC over real mTLS: PermissionDenied exactly where the role is not allowed.
//! (An allowed call may still fail for other reasons here, e.g. NotFound: the point is who may
//! ask.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use coordinator::api::auth::{Client, Clients, Role};
use coordinator::core::build::{BuildConfig, ConfiguredAccount};
use coordinator::driver::{Coordinator, Settings};
use coordinator::store::Store;
use hanko_proto::v1 as pb;
use hanko_proto::v1::admin_client::AdminClient;
use hanko_proto::v1::cosigner_link_client::CosignerLinkClient;
use hanko_proto::v1::treasury_client::TreasuryClient;
use hanko_runtime::pki::{Usage, Validity, issue, new_ca};
use nem::Network;
use tonic::Code;

fn denied<T>(r: Result<tonic::Response<T>, tonic::Status>) -> bool {
    matches!(r, Err(s) if s.code() == Code::PermissionDenied)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_times_each_rpc() {
    let ca = new_ca("ca", 5, YEAR).unwrap();
    let server = issue(
        &ca,
        "coordinator",
        Usage::Server {
            names: vec!["localhost".into()],
        },
        Validity::Years(1),
        YEAR,
    )
    .unwrap();
    let clients = Arc::new(
        Clients::new(vec![
            Client {
                name: "proposer".into(),
                role: Role::Proposer,
                cosigner_key: None,
            },
            Client {
                name: "cosigner".into(),
                role: Role::Cosigner,
                cosigner_key: Some(nem_key(1).public_key()),
            },
            Client {
                name: "auditor".into(),
                role: Role::Auditor,
                cosigner_key: None,
            },
            Client {
                name: "admin".into(),
                role: Role::Admin,
                cosigner_key: None,
            },
        ])
        .unwrap(),
    );
    let dir = std::env::temp_dir().join(format!("hanko-roles-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open(&dir).unwrap());
    // Authorization comes before any node call: a closed port is enough.
    let nis =
        nem::client::NisClient::new(nem::client::ClientConfig::new("http://127.0.0.1:9")).unwrap();
    let settings = Settings {
        build: BuildConfig {
            network: Network::Testnet,
            deadline_seconds: 3_600,
            timestamp_lag_seconds: 2,
        },
        accounts: vec![ConfiguredAccount {
            public_key: nem_key(0).public_key(),
            cosigners: vec![nem_key(1).public_key()],
            required: 1,
        }],
        tick: Duration::from_secs(60),
        limits: Default::default(),
    };
    let coordinator = Coordinator::new(store.clone(), nis, settings);
    let tls =
        hanko_proto::tls::server_config(&ca.cert_pem, &server.cert_pem, &server.key_pem).unwrap();
    let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = coordinator::api::serve(listener, tls, clients, coordinator, async move {
        let _ = rx.await;
    })
    .await
    .unwrap();

    let rpcs = [
        "Prepare",
        "Propose",
        "Get",
        "List",
        "Cancel",
        "Watch",
        "Subscribe",
        "SubmitDecision",
        "Heartbeat",
        "Freeze",
        "Unfreeze",
        "Status",
    ];
    let allowed = |role: &str, rpc: &str| match rpc {
        "Prepare" | "Propose" => role == "proposer",
        "Get" | "List" | "Watch" => matches!(role, "proposer" | "auditor" | "admin"),
        "Cancel" => matches!(role, "proposer" | "admin"),
        "Subscribe" | "SubmitDecision" | "Heartbeat" => role == "cosigner",
        "Freeze" | "Unfreeze" => role == "admin",
        "Status" => matches!(role, "admin" | "auditor"),
        _ => false,
    };
    let mut checked = 0;
    let mut wrong = Vec::new();
    for who in ["proposer", "cosigner", "auditor", "admin", "stranger"] {
        let cert = issue(&ca, who, Usage::Client, Validity::Years(1), YEAR).unwrap();
        let ch = channel(&ca, &cert, running.addr).await;
        let mut t = TreasuryClient::new(ch.clone());
        let mut l = CosignerLinkClient::new(ch.clone());
        let mut a = AdminClient::new(ch);
        for rpc in rpcs {
            let was_denied = match rpc {
                "Prepare" => denied(
                    t.prepare(pb::PrepareRequest {
                        idempotency_key: "k".into(),
                        ..Default::default()
                    })
                    .await,
                ),
                "Propose" => denied(t.propose(pb::ProposeRequest::default()).await),
                "Get" => denied(t.get(pb::GetRequest { id: "none".into() }).await),
                "List" => denied(t.list(pb::ListRequest::default()).await),
                "Cancel" => denied(
                    t.cancel(pb::CancelRequest {
                        id: "none".into(),
                        reason: String::new(),
                    })
                    .await,
                ),
                "Watch" => denied(t.watch(pb::WatchRequest { id: "none".into() }).await),
                "Subscribe" => denied(l.subscribe(pb::SubscribeRequest::default()).await),
                "SubmitDecision" => denied(
                    l.submit_decision(pb::SubmitDecisionRequest::default())
                        .await,
                ),
                "Heartbeat" => denied(l.heartbeat(pb::HeartbeatRequest::default()).await),
                "Freeze" => denied(
                    a.freeze(pb::FreezeRequest {
                        reason: "drill".into(),
                    })
                    .await,
                ),
                "Unfreeze" => denied(
                    a.unfreeze(pb::FreezeRequest {
                        reason: "drill".into(),
                    })
                    .await,
                ),
                "Status" => denied(a.status(pb::StatusRequest {}).await),
                _ => unreachable!(),
            };
            checked += 1;
            if was_denied == allowed(who, rpc) {
                wrong.push(format!("{who} × {rpc}: denied = {was_denied}"));
            }
        }
    }
    println!(
        "role matrix: {checked} calls (5 identities × {} RPCs), {} wrong",
        rpcs.len(),
        wrong.len()
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    let _ = shutdown.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), running.task).await;
    let _ = std::fs::remove_dir_all(&dir);
}
