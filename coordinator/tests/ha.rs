//! Two coordinators in process on one PostgreSQL database: clients given both addresses find
//! the leader; the standby refuses writes naming the leader and serves reads; when the leader
//! stops, the standby takes over within a lease, and what was prepared on the old leader is
//! proposed on the new one. A Watch on the standby hears each change the leader saves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::time::{Duration, Instant};

use common::*;
use coordinator::api::auth::Role;
use coordinator::store::StoreConfig;
use coordinator::store::postgres::PostgresConfig;
use ed25519_dalek::Signer;
use hanko_proto::channel::Addresses;
use hanko_proto::v1 as pb;
use hanko_proto::v1::treasury_client::TreasuryClient;
use nem::{Address, Network};
use testkit::coordinator::{Setup, client};

const LEASE_MS: u64 = 900;

fn setup(url: &str, name: &str) -> Setup {
    Setup {
        clients: vec![client("alice", Role::Proposer), client("root", Role::Admin)],
        store: StoreConfig::Postgres(PostgresConfig {
            name: Some(name.into()),
            lease_ms: LEASE_MS,
            ..PostgresConfig::at(url)
        }),
        ..Setup::default()
    }
}

fn prepare(key: &str) -> pb::PrepareRequest {
    pb::PrepareRequest {
        account: Address::from_public_key(&nem_key(0).public_key(), Network::Testnet).to_string(),
        recipient: CUSTOMER.into(),
        amount: "3".into(),
        mosaics: vec![],
        message: String::new(),
        idempotency_key: key.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_find_the_leader_and_follow_a_takeover() {
    let node = testkit::node::start(0, |_| {}).await;
    let server = testkit::postgres::Postgres::start();
    let url = server.database("hanko");
    let pki = Pki::new();
    let (dir_a, dir_b) = (testkit::temp_dir("ha-a"), testkit::temp_dir("ha-b"));
    let a = testkit::coordinator::start(setup(&url, "a"), &pki, &node.url(), &dir_a).await;
    let b = testkit::coordinator::start(setup(&url, "b"), &pki, &node.url(), &dir_b).await;
    let alice = pki.client("alice");
    let tls = || {
        hanko_proto::tls::client_config(&pki.ca.cert_pem, &alice.cert_pem, &alice.key_pem).unwrap()
    };
    // The standby listed first: the client still goes to the leader.
    let both = Addresses(vec![b.addr.to_string(), a.addr.to_string()]);
    let (channel, chosen) = hanko_proto::channel::connect_any(&both, "localhost", tls())
        .await
        .unwrap();
    assert_eq!(chosen, a.addr.to_string(), "the leader is the one SERVING");
    let prepared = TreasuryClient::new(channel)
        .prepare(prepare("ha-1"))
        .await
        .unwrap()
        .into_inner();

    // The standby refuses writes, naming the leader, and serves reads.
    let mut standby = TreasuryClient::new(pki.channel(&alice, b.addr).await);
    let refused = standby.prepare(prepare("ha-2")).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    assert_eq!(
        refused
            .metadata()
            .get("hanko-leader")
            .map(|v| v.to_str().unwrap()),
        Some(a.addr.to_string().as_str()),
        "{refused:?}"
    );
    standby.list(pb::ListRequest::default()).await.unwrap();

    // The leader stops; the standby takes over within about a lease. A client retries what
    // was refused as a leader's until it is taken.
    let stopped = Instant::now();
    a.stop().await;
    let (channel, chosen) = hanko_proto::channel::connect_any(&both, "localhost", tls())
        .await
        .unwrap();
    assert_eq!(chosen, b.addr.to_string(), "the one left");
    let mut t = TreasuryClient::new(channel);
    let again = loop {
        match t.prepare(prepare("ha-1")).await {
            Ok(r) => break r.into_inner(),
            Err(e) if e.code() == tonic::Code::Unavailable => {
                assert!(
                    stopped.elapsed() < Duration::from_millis(LEASE_MS * 4),
                    "no takeover within four leases: {e:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{e:?}"),
        }
    };
    println!(
        "the standby took Prepare as leader {} ms after the leader stopped (lease {LEASE_MS} ms)",
        stopped.elapsed().as_millis()
    );

    // What was prepared on the old leader is proposed on the new one.
    assert_eq!(again.proposal_id, prepared.proposal_id, "the same draft");
    let p = proposer();
    let proposal = t
        .propose(pb::ProposeRequest {
            proposal_id: prepared.proposal_id.clone(),
            idempotency_key: "ha-1".into(),
            inner_transaction: prepared.inner_transaction.clone(),
            proposer: p.verifying_key().to_bytes().to_vec(),
            proposer_signature: p.sign(&prepared.intent).to_bytes().to_vec(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(proposal.id, prepared.proposal_id);
    b.stop().await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_on_the_standby_hears_what_the_leader_saves() {
    let node = testkit::node::start(0, |_| {}).await;
    let server = testkit::postgres::Postgres::start();
    let url = server.database("hanko");
    let pki = Pki::new();
    let (dir_a, dir_b) = (testkit::temp_dir("ha-w-a"), testkit::temp_dir("ha-w-b"));
    let a = testkit::coordinator::start(setup(&url, "a"), &pki, &node.url(), &dir_a).await;
    let b = testkit::coordinator::start(setup(&url, "b"), &pki, &node.url(), &dir_b).await;
    let alice = pki.client("alice");
    let mut leader = TreasuryClient::new(pki.channel(&alice, a.addr).await);
    let prepared = leader.prepare(prepare("w-1")).await.unwrap().into_inner();
    let p = proposer();
    let id = leader
        .propose(pb::ProposeRequest {
            proposal_id: prepared.proposal_id.clone(),
            idempotency_key: "w-1".into(),
            inner_transaction: prepared.inner_transaction.clone(),
            proposer: p.verifying_key().to_bytes().to_vec(),
            proposer_signature: p.sign(&prepared.intent).to_bytes().to_vec(),
        })
        .await
        .unwrap()
        .into_inner()
        .id;

    // Watched on the standby: first as it stands, then the leader's change as it is saved.
    let mut standby = TreasuryClient::new(pki.channel(&alice, b.addr).await);
    let mut watch = standby
        .watch(pb::WatchRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.id, id);
    let cancelled = pb::ProposalState::Cancelled as i32;
    assert_ne!(first.state, cancelled);
    let asked = Instant::now();
    leader
        .cancel(pb::CancelRequest {
            id: id.clone(),
            reason: "watched from the standby".into(),
        })
        .await
        .unwrap();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), watch.message())
            .await
            .expect("the standby's watch heard nothing of the leader's change")
            .unwrap()
            .unwrap();
        if next.state == cancelled {
            assert_eq!(next.reason, "cancelled by alice: watched from the standby");
            break;
        }
    }
    println!(
        "a watch on the standby heard the leader's change {} ms after it was asked",
        asked.elapsed().as_millis()
    );
    a.stop().await;
    b.stop().await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_leader_is_still_the_one_clients_reach_to_unfreeze() {
    let node = testkit::node::start(0, |_| {}).await;
    let server = testkit::postgres::Postgres::start();
    let url = server.database("hanko");
    let pki = Pki::new();
    let (dir_a, dir_b) = (testkit::temp_dir("ha-f-a"), testkit::temp_dir("ha-f-b"));
    let a = testkit::coordinator::start(setup(&url, "a"), &pki, &node.url(), &dir_a).await;
    let b = testkit::coordinator::start(setup(&url, "b"), &pki, &node.url(), &dir_b).await;
    let root = pki.client("root");
    let tls = || {
        hanko_proto::tls::client_config(&pki.ca.cert_pem, &root.cert_pem, &root.key_pem).unwrap()
    };
    // Status says who answered and who leads.
    let status = |addr| {
        let channel = pki.channel(&root, addr);
        async move {
            hanko_proto::v1::admin_client::AdminClient::new(channel.await)
                .status(pb::StatusRequest {})
                .await
                .unwrap()
                .into_inner()
                .leadership
                .unwrap()
        }
    };
    let (on_a, on_b) = (status(a.addr).await, status(b.addr).await);
    assert!(on_a.answered_by == "a" && on_a.leading && on_a.term == on_a.leader_term);
    assert!(on_b.answered_by == "b" && !on_b.leading && on_b.term == 0);
    assert_eq!(
        (
            on_b.leader.as_str(),
            on_b.leader_address.clone(),
            on_b.lease_live
        ),
        ("a", a.addr.to_string(), true)
    );
    let mut admin =
        hanko_proto::v1::admin_client::AdminClient::new(pki.channel(&root, a.addr).await);
    admin
        .freeze(pb::FreezeRequest {
            reason: "drill".into(),
        })
        .await
        .unwrap();
    // Frozen, the leader is not SERVING; it still leads, and the standby is listed first.
    let mut health =
        tonic_health::pb::health_client::HealthClient::new(pki.channel(&root, a.addr).await);
    let frozen = Instant::now();
    loop {
        let status = health
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .unwrap()
            .into_inner()
            .status;
        if status != tonic_health::pb::health_check_response::ServingStatus::Serving as i32 {
            break;
        }
        assert!(
            frozen.elapsed() < Duration::from_secs(5),
            "still SERVING, frozen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let both = Addresses(vec![b.addr.to_string(), a.addr.to_string()]);
    let (channel, chosen) = hanko_proto::channel::connect_any(&both, "localhost", tls())
        .await
        .unwrap();
    assert_eq!(chosen, a.addr.to_string(), "the leader, frozen");
    hanko_proto::v1::admin_client::AdminClient::new(channel)
        .unfreeze(pb::FreezeRequest {
            reason: "drill over".into(),
        })
        .await
        .unwrap();
    a.stop().await;
    b.stop().await;
    node.stop().await;
}
