//! The coordinator's gRPC over real mTLS on 127.0.0.1: each role × each Admin call, an unknown
//! certificate name, health for everyone authenticated, a persisted freeze.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use coordinator::api::auth::Role;
use coordinator::daemon::Running;
use coordinator::store::Store;
use hanko_proto::v1::admin_client::AdminClient;
use hanko_proto::v1::{FreezeRequest, StatusRequest};
use nem::PublicKey;
use testkit::coordinator::{client, cosigner};
use testkit::{Pki, TempDir};
use tonic::Code;

struct Setup {
    pki: Pki,
    running: Running,
    dir: TempDir,
}

/// A coordinator that serves no account, its node a closed port: what the Admin service needs.
async fn setup(tag: &str) -> Setup {
    let (pki, dir) = (Pki::new(), testkit::temp_dir(tag));
    let setup = testkit::coordinator::Setup {
        accounts: vec![],
        clients: vec![
            client("admin-1", Role::Admin),
            client("auditor-1", Role::Auditor),
            client("alice", Role::Proposer),
            cosigner("cosigner-a", PublicKey([1; 32])),
        ],
        ..Default::default()
    };
    let running = testkit::coordinator::start(setup, &pki, "http://127.0.0.1:9", &dir).await;
    Setup { pki, running, dir }
}

async fn admin(s: &Setup, name: &str) -> AdminClient<tonic::transport::Channel> {
    AdminClient::new(s.pki.channel(&s.pki.client(name), s.running.addr).await)
}

fn code<T>(r: Result<tonic::Response<T>, tonic::Status>) -> Code {
    match r {
        Ok(_) => Code::Ok,
        Err(s) => s.code(),
    }
}

#[tokio::test]
async fn role_matrix_for_admin_calls() {
    let s = setup("matrix").await;
    let reason = || FreezeRequest {
        reason: "drill".into(),
    };
    let expected = [
        ("admin-1", [Code::Ok, Code::Ok, Code::Ok]),
        (
            "auditor-1",
            [Code::PermissionDenied, Code::PermissionDenied, Code::Ok],
        ),
        (
            "alice",
            [Code::PermissionDenied, Code::PermissionDenied, Code::Ok],
        ),
        (
            "cosigner-a",
            [
                Code::PermissionDenied,
                Code::PermissionDenied,
                Code::PermissionDenied,
            ],
        ),
        (
            "stranger",
            [
                Code::PermissionDenied,
                Code::PermissionDenied,
                Code::PermissionDenied,
            ],
        ),
    ];
    let mut checked = 0;
    for (who, codes) in expected {
        let mut c = admin(&s, who).await;
        let got = [
            code(c.freeze(reason()).await),
            code(c.unfreeze(reason()).await),
            code(c.status(StatusRequest {}).await),
        ];
        assert_eq!(got, codes, "{who}");
        checked += 3;
    }
    println!("role matrix: {checked} calls as expected");

    // Status names its caller, so a console knows what to offer.
    let mut c = admin(&s, "alice").await;
    let status = c.status(StatusRequest {}).await.unwrap().into_inner();
    assert_eq!(
        (status.caller.as_str(), status.caller_role.as_str()),
        ("alice", "proposer")
    );

    let mut c = admin(&s, "stranger").await;
    let e = c.status(StatusRequest {}).await.unwrap_err();
    assert!(e.message().contains("not a configured client"), "{e}");
    let mut c = admin(&s, "admin-1").await;
    let e = c
        .freeze(FreezeRequest { reason: " ".into() })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().starts_with("reason:"), "{e}");

    // Standard gRPC health answers any authenticated caller.
    let channel = s.pki.channel(&s.pki.client("alice"), s.running.addr).await;
    let health = tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(
        health.into_inner().status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    s.running.stop().await;
}

#[tokio::test]
async fn a_freeze_is_recorded_and_survives_a_restart() {
    let s = setup("freeze").await;
    let mut c = admin(&s, "admin-1").await;
    let f = c
        .freeze(FreezeRequest {
            reason: "outflow we did not send".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(f.frozen && f.by == "admin-1");
    let status = c.status(StatusRequest {}).await.unwrap().into_inner();
    assert!(status.freeze.unwrap().frozen);
    s.running.stop().await;
    // Reopen the same store, as a restarted coordinator would.
    let mut reopened = None;
    for _ in 0..50 {
        match Store::open(&s.dir.join("data")) {
            Ok(store) => {
                reopened = Some(store);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    let store = reopened.expect("store reopens after the server stopped");
    let freeze = store.freeze().unwrap().unwrap();
    assert!(freeze.frozen && freeze.reason == "outflow we did not send");
    drop(store);
}
