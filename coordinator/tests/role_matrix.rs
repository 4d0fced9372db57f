//! Each role × each RPC over real mTLS: PermissionDenied exactly where the role is not allowed.
//! (An allowed call may still fail for other reasons here, e.g. NotFound: the point is who may
//! ask.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::time::Duration;

use common::*;
use coordinator::api::auth::Role;
use coordinator::config::AccountConfig;
use hanko_proto::v1 as pb;
use hanko_proto::v1::admin_client::AdminClient;
use hanko_proto::v1::cosigner_link_client::CosignerLinkClient;
use hanko_proto::v1::treasury_client::TreasuryClient;
use testkit::coordinator::{Setup, client, cosigner};
use tonic::Code;

fn denied<T>(r: Result<tonic::Response<T>, tonic::Status>) -> bool {
    matches!(r, Err(s) if s.code() == Code::PermissionDenied)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_times_each_rpc() {
    let (pki, dir) = (Pki::new(), testkit::temp_dir("roles"));
    let setup = Setup {
        accounts: vec![AccountConfig {
            cosigners: vec![nem_key(1).public_key()],
            required: 1,
            ..testkit::coordinator::example_account()
        }],
        clients: vec![
            client("proposer", Role::Proposer),
            cosigner("cosigner", nem_key(1).public_key()),
            client("auditor", Role::Auditor),
            client("admin", Role::Admin),
        ],
        tick_ms: 60_000,
        ..Setup::default()
    };
    // Authorization comes before any node call: a closed port is enough.
    let running = testkit::coordinator::start(setup, &pki, "http://127.0.0.1:9", &dir).await;

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
        "Status" => matches!(role, "admin" | "auditor" | "proposer"),
        _ => false,
    };
    let mut checked = 0;
    let mut wrong = Vec::new();
    for who in ["proposer", "cosigner", "auditor", "admin", "stranger"] {
        let ch = pki.channel(&pki.client(who), running.addr).await;
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
    let _ = tokio::time::timeout(Duration::from_secs(10), running.stop()).await;
}
