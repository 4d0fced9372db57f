//! A withdrawal end to end over real mTLS on 127.0.0.1 with the dev node: Prepare → Propose →
//! two test cosigners sign what they decode → the coordinator broadcasts one wrapper and one
//! cosignature → confirmed, and the treasury's balance drops by the amount and every fee.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::*;

use std::time::Duration;

use coordinator::api::auth::Role;
use coordinator::store::StoreConfig;
use coordinator::store::postgres::PostgresConfig;
use ed25519_dalek::Signer;
use hanko_proto::v1 as pb;
use hanko_proto::v1::treasury_client::TreasuryClient;
use nem::{Address, Network, Transaction};
use testkit::coordinator::{Setup, cosigner};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_that_differs_on_the_node_is_stopped() {
    // The node says 3 of 3; configuration says 2 of 3.
    let node = testkit::node::start(0, |c| c.multisigs[0].min_cosignatories = 0).await;
    let treasury = Address::from_public_key(&nem_key(0).public_key(), Network::Testnet);
    let (pki, dir) = (Pki::new(), testkit::temp_dir("mismatch"));
    let running = testkit::coordinator::start(Setup::default(), &pki, &node.url(), &dir).await;
    let alice_cert = pki.client("alice");
    let mut t = TreasuryClient::new(pki.channel(&alice_cert, running.addr).await);
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
    running.stop().await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepare_propose_sign_broadcast_confirm() {
    withdrawal_end_to_end(StoreConfig::Embedded).await;
}

/// The same withdrawal with the coordinator's state in PostgreSQL (a server of the test's own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepare_propose_sign_broadcast_confirm_on_postgres() {
    let server = testkit::postgres::Postgres::start();
    let store = StoreConfig::Postgres(PostgresConfig::at(&server.database("hanko")));
    withdrawal_end_to_end(store).await;
}

async fn withdrawal_end_to_end(store: StoreConfig) {
    // The dev node: the example 2-of-3 treasury, a block every 200 ms.
    let node = testkit::node::start(200, |_| {}).await;
    let nis = testkit::node::client(&node);
    let treasury = Address::from_public_key(&nem_key(0).public_key(), Network::Testnet);
    let before = nis.account(&treasury).await.unwrap().account.balance;

    // PKI and the coordinator.
    let (pki, dir) = (Pki::new(), testkit::temp_dir("flow"));
    let setup = Setup {
        clients: vec![
            testkit::coordinator::client("alice", Role::Proposer),
            cosigner("cosigner-a", nem_key(1).public_key()),
            cosigner("cosigner-b", nem_key(2).public_key()),
        ],
        store,
        ..Setup::default()
    };
    let running = testkit::coordinator::start(setup, &pki, &node.url(), &dir).await;
    let addr = running.addr;
    let (alice_cert, a_cert, b_cert) = (
        pki.client("alice"),
        pki.client("cosigner-a"),
        pki.client("cosigner-b"),
    );

    // Cosigners A and B online; C stays silent (2 of 3 is enough).
    let cosigner_a = tokio::spawn(test_cosigner(
        pki.clone(),
        a_cert,
        addr,
        nem_key(1),
        treasury,
    ));
    let cosigner_b = tokio::spawn(test_cosigner(
        pki.clone(),
        b_cert,
        addr,
        nem_key(2),
        treasury,
    ));

    // Treasury: prepare, check the bytes, sign the intent, propose.
    let mut t = TreasuryClient::new(pki.channel(&alice_cert, addr).await);
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
    let proposer = proposer();
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
    tokio::time::timeout(Duration::from_secs(10), running.stop())
        .await
        .expect("stops within 10 s");
    node.stop().await;
}
