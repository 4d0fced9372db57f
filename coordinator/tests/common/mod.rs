//! Shared by the coordinator's component tests: keys, channels, a test cosigner, proposing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hanko_proto::v1 as pb;
use hanko_proto::v1::cosigner_link_client::CosignerLinkClient;
use hanko_proto::v1::treasury_client::TreasuryClient;
use hanko_runtime::pki::Issued;
use nem::tx::{Body, Header, MultisigSignature};
use nem::{Address, Amount, KeyPair, Network, Transaction};
#[allow(unused_imports)] // each test uses some
pub use testkit::{CUSTOMER, Pki, nem_key, proposer};
use tonic::transport::Channel;

/// A test cosigner: signs every offer after decoding it itself (no policy: that is the
/// cosigner daemon's job, tested there).
pub async fn test_cosigner(
    pki: Pki,
    cert: Issued,
    addr: std::net::SocketAddr,
    key: KeyPair,
    treasury: Address,
) {
    let mut link = CosignerLinkClient::new(pki.channel(&cert, addr).await);
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

/// Prepare, check the bytes, sign the intent with the test proposer's key, propose; the id.
pub async fn propose(
    t: &mut TreasuryClient<Channel>,
    treasury: Address,
    amount: &str,
    key: &str,
) -> String {
    testkit::treasury::propose(t, &treasury.to_string(), amount, key).await
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
