//! Shared by the coordinator's component tests: keys, channels, a test cosigner, proposing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use devnode::config::EXAMPLE_KEYS;
use ed25519_dalek::{Signer, SigningKey};
use hanko_proto::v1 as pb;
use hanko_proto::v1::cosigner_link_client::CosignerLinkClient;
use hanko_proto::v1::treasury_client::TreasuryClient;
use hanko_runtime::pki::Issued;
use nem::tx::{Body, Header, MultisigSignature};
use nem::{Address, Amount, KeyPair, Network, PrivateKey, Transaction};
use tonic::transport::Channel;

pub const YEAR: i32 = 2026;
pub const CUSTOMER: &str = "TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6";

pub fn nem_key(i: usize) -> KeyPair {
    KeyPair::from_private_key(&PrivateKey::from_nis_hex(EXAMPLE_KEYS[i].1).unwrap())
}

pub async fn channel(ca: &Issued, cert: &Issued, addr: std::net::SocketAddr) -> Channel {
    let tls = hanko_proto::tls::client_config(&ca.cert_pem, &cert.cert_pem, &cert.key_pem).unwrap();
    hanko_proto::channel::connect(&addr.to_string(), "localhost", tls)
        .await
        .unwrap()
}

/// A test cosigner: signs every offer after decoding it itself (no policy: that is the
/// cosigner daemon's job, tested there).
pub async fn test_cosigner(
    ca: Issued,
    cert: Issued,
    addr: std::net::SocketAddr,
    key: KeyPair,
    treasury: Address,
) {
    let mut link = CosignerLinkClient::new(channel(&ca, &cert, addr).await);
    let mut offers = link
        .subscribe(pb::SubscribeRequest {
            accounts: vec![treasury.to_string()],
        })
        .await
        .unwrap()
        .into_inner();
    while let Ok(Some(offer)) = offers.message().await {
        let inner = Transaction::from_bytes(&offer.inner_transaction).unwrap();
        let header = |fee: u32| Header {
            network: Network::Testnet,
            version: 1,
            timestamp: inner.header.timestamp,
            signer: key.public_key(),
            fee: Amount::micro(fee),
            deadline: inner.header.deadline,
        };
        let wrapper = Transaction {
            header: header(150_000),
            body: Body::Multisig(Box::new(inner.clone())),
        }
        .sign(&key)
        .unwrap();
        let cosig = Transaction {
            header: header(150_000),
            body: Body::MultisigSignature(MultisigSignature {
                other_hash: inner.hash().unwrap(),
                other_account: treasury,
            }),
        }
        .sign(&key)
        .unwrap();
        let pb_signed = |t: &nem::SignedTransaction| pb::SignedTransaction {
            data: t.data.clone(),
            signature: t.signature.0.to_vec(),
        };
        let decision = pb::CosignerDecision {
            cosigner: key.public_key().0.to_vec(),
            outcome: Some(pb::cosigner_decision::Outcome::Signed(pb::SignedPair {
                wrapper: Some(pb_signed(&wrapper)),
                cosignature: Some(pb_signed(&cosig)),
            })),
        };
        link.submit_decision(pb::SubmitDecisionRequest {
            proposal_id: offer.proposal_id,
            inner_hash: inner.hash().unwrap().0.to_vec(),
            decision: Some(decision),
        })
        .await
        .unwrap();
    }
}

/// Prepare, check the bytes, sign the intent with a fixed proposer key, propose; the proposal id.
pub async fn propose(
    t: &mut TreasuryClient<Channel>,
    treasury: Address,
    amount: &str,
    key: &str,
) -> String {
    let prepared = t
        .prepare(pb::PrepareRequest {
            account: treasury.to_string(),
            recipient: CUSTOMER.into(),
            amount: amount.into(),
            mosaics: vec![],
            message: "WD-000001".into(),
            idempotency_key: key.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let inner = Transaction::from_bytes(&prepared.inner_transaction).unwrap();
    assert_eq!(
        inner.transfer().unwrap().recipient.to_string(),
        CUSTOMER,
        "the proposer checks the bytes it signs"
    );
    let proposer = SigningKey::from_bytes(&[42; 32]);
    t.propose(pb::ProposeRequest {
        proposal_id: prepared.proposal_id.clone(),
        idempotency_key: key.into(),
        inner_transaction: prepared.inner_transaction.clone(),
        proposer: proposer.verifying_key().to_bytes().to_vec(),
        proposer_signature: proposer.sign(&prepared.intent).to_bytes().to_vec(),
    })
    .await
    .unwrap();
    prepared.proposal_id
}

/// Polls until the proposal is confirmed; panics after `seconds`.
pub async fn wait_confirmed(
    t: &mut TreasuryClient<Channel>,
    id: &str,
    seconds: u64,
) -> pb::Proposal {
    for _ in 0..seconds * 10 {
        if let Ok(p) = t.get(pb::GetRequest { id: id.into() }).await {
            let p = p.into_inner();
            if p.state == pb::ProposalState::Confirmed as i32 {
                return p;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("proposal {id} not confirmed within {seconds} s");
}
