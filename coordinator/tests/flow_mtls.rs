//! A withdrawal end to end over real mTLS on 127.0.0.1 with the dev node: Prepare → Propose →
//! two test cosigners sign what they decode → the coordinator broadcasts one wrapper and one
//! cosignature → confirmed, and the treasury's balance drops by the amount and every fee.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::*;

use std::sync::Arc;
use std::time::Duration;

use coordinator::api::auth::{Client, Clients, Role};
use coordinator::core::build::{BuildConfig, ConfiguredAccount};
use coordinator::driver::{Coordinator, Settings};
use coordinator::store::Store;
use ed25519_dalek::{Signer, SigningKey};
use hanko_proto::v1 as pb;
use hanko_proto::v1::treasury_client::TreasuryClient;
use hanko_runtime::pki::{Usage, Validity, issue, new_ca};
use nem::{Address, Network, Transaction};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_that_differs_on_the_node_is_stopped() {
    // The node says 3 of 3; configuration says 2 of 3.
    let mut config = devnode::Config::example().unwrap();
    config.block_time_ms = 0;
    config.multisigs[0].min_cosignatories = 0;
    let node = devnode::start(
        &config,
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .unwrap();
    let nis = nem::client::NisClient::new(nem::client::ClientConfig::new(node.url())).unwrap();
    let treasury = Address::from_public_key(&nem_key(0).public_key(), Network::Testnet);
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
    let alice_cert = issue(&ca, "alice", Usage::Client, Validity::Years(1), YEAR).unwrap();
    let clients = Arc::new(
        Clients::new(vec![Client {
            name: "alice".into(),
            role: Role::Proposer,
            cosigner_key: None,
        }])
        .unwrap(),
    );
    let dir = std::env::temp_dir().join(format!("hanko-mismatch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open(&dir).unwrap());
    let settings = Settings {
        build: BuildConfig {
            network: Network::Testnet,
            deadline_seconds: 3_600,
            timestamp_lag_seconds: 2,
        },
        accounts: vec![ConfiguredAccount {
            public_key: nem_key(0).public_key(),
            cosigners: vec![
                nem_key(1).public_key(),
                nem_key(2).public_key(),
                nem_key(3).public_key(),
            ],
            required: 2,
        }],
        tick: Duration::from_millis(200),
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
    let mut t = TreasuryClient::new(channel(&ca, &alice_cert, running.addr).await);
    let e = t
        .prepare(pb::PrepareRequest {
            account: treasury.to_string(),
            recipient: CUSTOMER.into(),
            amount: "1".into(),
            mosaics: vec![],
            message: String::new(),
            idempotency_key: "m-1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::FailedPrecondition, "{e}");
    assert!(
        e.message().contains("3 of 3") && e.message().contains("stopped"),
        "{e}"
    );
    let _ = shutdown.send(());
    tokio::time::timeout(Duration::from_secs(10), running.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    node.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepare_propose_sign_broadcast_confirm() {
    // The dev node: the example 2-of-3 treasury, a block every 200 ms.
    let mut config = devnode::Config::example().unwrap();
    config.block_time_ms = 200;
    let node = devnode::start(
        &config,
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .unwrap();
    let nis = nem::client::NisClient::new(nem::client::ClientConfig::new(node.url())).unwrap();
    let treasury = Address::from_public_key(&nem_key(0).public_key(), Network::Testnet);
    let before = nis.account(&treasury).await.unwrap().account.balance;

    // PKI and the coordinator.
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
    let cert = |n: &str| issue(&ca, n, Usage::Client, Validity::Years(1), YEAR).unwrap();
    let (alice_cert, a_cert, b_cert) = (cert("alice"), cert("cosigner-a"), cert("cosigner-b"));
    let clients = Arc::new(
        Clients::new(vec![
            Client {
                name: "alice".into(),
                role: Role::Proposer,
                cosigner_key: None,
            },
            Client {
                name: "cosigner-a".into(),
                role: Role::Cosigner,
                cosigner_key: Some(nem_key(1).public_key()),
            },
            Client {
                name: "cosigner-b".into(),
                role: Role::Cosigner,
                cosigner_key: Some(nem_key(2).public_key()),
            },
        ])
        .unwrap(),
    );
    let dir = std::env::temp_dir().join(format!("hanko-flow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open(&dir).unwrap());
    let settings = Settings {
        build: BuildConfig {
            network: Network::Testnet,
            deadline_seconds: 3_600,
            timestamp_lag_seconds: 2,
        },
        accounts: vec![ConfiguredAccount {
            public_key: nem_key(0).public_key(),
            cosigners: vec![
                nem_key(1).public_key(),
                nem_key(2).public_key(),
                nem_key(3).public_key(),
            ],
            required: 2,
        }],
        tick: Duration::from_millis(200),
        limits: Default::default(),
    };
    let coordinator = Coordinator::new(store.clone(), nis.clone(), settings);
    let (stop_ticker, ticker_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(coordinator.clone().run_ticker(ticker_rx));
    let tls =
        hanko_proto::tls::server_config(&ca.cert_pem, &server.cert_pem, &server.key_pem).unwrap();
    let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
    let running = coordinator::api::serve(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        tls,
        clients,
        coordinator.clone(),
        async move {
            let _ = rx.await;
        },
    )
    .await
    .unwrap();
    let addr = running.addr;

    // Cosigners A and B online; C stays silent (2 of 3 is enough).
    let cosigner_a = tokio::spawn(test_cosigner(
        ca.clone(),
        a_cert,
        addr,
        nem_key(1),
        treasury,
    ));
    let cosigner_b = tokio::spawn(test_cosigner(
        ca.clone(),
        b_cert,
        addr,
        nem_key(2),
        treasury,
    ));

    // Treasury: prepare, check the bytes, sign the intent, propose.
    let mut t = TreasuryClient::new(channel(&ca, &alice_cert, addr).await);
    let prepared = t
        .prepare(pb::PrepareRequest {
            account: treasury.to_string(),
            recipient: CUSTOMER.into(),
            amount: "1500".into(),
            mosaics: vec![],
            message: "WD-000001".into(),
            idempotency_key: "wd-000001".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let inner = Transaction::from_bytes(&prepared.inner_transaction).unwrap();
    assert_eq!(
        inner.transfer().unwrap().amount.as_micro(),
        1_500_000_000,
        "the proposer checks the bytes it signs"
    );
    let proposer = SigningKey::from_bytes(&[42; 32]);
    let signature = proposer.sign(&prepared.intent).to_bytes().to_vec();
    let propose = pb::ProposeRequest {
        proposal_id: prepared.proposal_id.clone(),
        idempotency_key: "wd-000001".into(),
        inner_transaction: prepared.inner_transaction.clone(),
        proposer: proposer.verifying_key().to_bytes().to_vec(),
        proposer_signature: signature,
    };
    t.propose(propose.clone()).await.unwrap();
    // The same request again: the same proposal, not a second one.
    let again = t.propose(propose).await.unwrap().into_inner();
    assert_eq!(again.id, prepared.proposal_id);
    // Another withdrawal under the accepted proposal's key is refused, never answered with
    // the accepted one as if it had been prepared.
    let other = t
        .prepare(pb::PrepareRequest {
            account: treasury.to_string(),
            recipient: CUSTOMER.into(),
            amount: "15000".into(),
            mosaics: vec![],
            message: "WD-000001".into(),
            idempotency_key: "wd-000001".into(),
        })
        .await
        .expect_err("a different request under a used key");
    assert_eq!(other.code(), tonic::Code::AlreadyExists, "{other:?}");
    assert!(
        other.message().contains("wd-000001") && other.message().contains(&prepared.proposal_id),
        "names the key and the proposal it names: {}",
        other.message()
    );

    let mut confirmed = None;
    for _ in 0..150 {
        let p = t
            .get(pb::GetRequest {
                id: prepared.proposal_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        if p.state == pb::ProposalState::Confirmed as i32 {
            confirmed = Some(p);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let p = confirmed.expect("confirmed within 15 s");
    assert!(p.confirmed_height > 1 && !p.wrapper_hash.is_empty());
    let after = nis.account(&treasury).await.unwrap().account.balance;
    // 1,500 XEM + inner fee 0.10 + wrapper 0.15 + one cosignature 0.15: exactly one payment.
    assert_eq!(before - after, 1_500_000_000 + 100_000 + 150_000 + 150_000);
    let customer = nis
        .account(&Address::parse(CUSTOMER).unwrap())
        .await
        .unwrap()
        .account
        .balance;
    assert_eq!(customer, 1_500_000_000);

    // Subscription streams are endless: disconnect the cosigners, then stop within a grace time.
    cosigner_a.abort();
    cosigner_b.abort();
    let _ = shutdown.send(());
    let _ = stop_ticker.send(true);
    tokio::time::timeout(Duration::from_secs(10), running.task)
        .await
        .expect("stops within 10 s")
        .unwrap()
        .unwrap();
    node.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
