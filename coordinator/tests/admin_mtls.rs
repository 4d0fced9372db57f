//! The coordinator's gRPC over real mTLS on 127.0.0.1: each role × each Admin call, an unknown
//! certificate name, health for everyone authenticated, a persisted freeze.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::sync::Arc;

use coordinator::api::auth::{Client, Clients, Role};
use coordinator::store::Store;
use hanko_proto::v1::admin_client::AdminClient;
use hanko_proto::v1::{FreezeRequest, StatusRequest};
use hanko_runtime::pki::{Issued, Usage, Validity, issue, new_ca};
use nem::PublicKey;
use tonic::Code;

const YEAR: i32 = 2026;

struct Setup {
    ca: Issued,
    clients: Vec<(String, Issued)>,
    addr: std::net::SocketAddr,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
    dir: std::path::PathBuf,
}

async fn setup(tag: &str) -> Setup {
    let ca = new_ca("test-ca", 5, YEAR).unwrap();
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
    let names = ["admin-1", "auditor-1", "alice", "cosigner-a", "stranger"];
    let clients: Vec<(String, Issued)> = names
        .iter()
        .map(|n| {
            (
                n.to_string(),
                issue(&ca, n, Usage::Client, Validity::Years(1), YEAR).unwrap(),
            )
        })
        .collect();
    let configured = Clients::new(vec![
        Client {
            name: "admin-1".into(),
            role: Role::Admin,
            cosigner_key: None,
        },
        Client {
            name: "auditor-1".into(),
            role: Role::Auditor,
            cosigner_key: None,
        },
        Client {
            name: "alice".into(),
            role: Role::Proposer,
            cosigner_key: None,
        },
        Client {
            name: "cosigner-a".into(),
            role: Role::Cosigner,
            cosigner_key: Some(PublicKey([1; 32])),
        },
    ])
    .unwrap();
    let dir = std::env::temp_dir().join(format!("hanko-admin-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open(&dir).unwrap());
    let tls =
        hanko_proto::tls::server_config(&ca.cert_pem, &server.cert_pem, &server.key_pem).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
    let running = coordinator::api::serve(
        listener,
        tls,
        Arc::new(configured),
        offline(store),
        async move {
            let _ = rx.await;
        },
    )
    .await
    .unwrap();
    Setup {
        ca,
        clients,
        addr: running.addr,
        shutdown,
        task: running.task,
        dir,
    }
}

async fn admin(s: &Setup, name: &str) -> AdminClient<tonic::transport::Channel> {
    let cert = &s.clients.iter().find(|(n, _)| n == name).unwrap().1;
    let tls =
        hanko_proto::tls::client_config(&s.ca.cert_pem, &cert.cert_pem, &cert.key_pem).unwrap();
    let channel = hanko_proto::channel::connect(&s.addr.to_string(), "localhost", tls)
        .await
        .unwrap();
    AdminClient::new(channel)
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
            [
                Code::PermissionDenied,
                Code::PermissionDenied,
                Code::PermissionDenied,
            ],
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
    let cert = &s.clients.iter().find(|(n, _)| n == "alice").unwrap().1;
    let tls =
        hanko_proto::tls::client_config(&s.ca.cert_pem, &cert.cert_pem, &cert.key_pem).unwrap();
    let channel = hanko_proto::channel::connect(&s.addr.to_string(), "localhost", tls)
        .await
        .unwrap();
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
    let _ = s.shutdown.send(());
    s.task.await.unwrap().unwrap();
    std::fs::remove_dir_all(&s.dir).unwrap();
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
    let _ = s.shutdown.send(());
    s.task.await.unwrap().unwrap();
    // Reopen the same store, as a restarted coordinator would.
    let mut reopened = None;
    for _ in 0..50 {
        match Store::open(&s.dir) {
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
    std::fs::remove_dir_all(&s.dir).unwrap();
}

/// A coordinator on `store` whose node never answers and which serves no account: what the
/// Admin service needs.
fn offline(store: Arc<Store>) -> Arc<coordinator::driver::Coordinator> {
    use coordinator::core::build::BuildConfig;
    use coordinator::driver::{Coordinator, Settings};
    let node =
        nem::client::NisClient::new(nem::client::ClientConfig::new("http://127.0.0.1:9")).unwrap();
    let settings = Settings {
        build: BuildConfig {
            network: nem::Network::Testnet,
            deadline_seconds: 3_600,
            timestamp_lag_seconds: 2,
        },
        accounts: vec![],
        tick: std::time::Duration::from_secs(3_600),
        limits: Default::default(),
    };
    Coordinator::new(store, node, settings)
}
