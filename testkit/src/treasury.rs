//! What treasury staff do, as the tests need it.

use ed25519_dalek::Signer;
use hanko_proto::v1 as pb;
use hanko_proto::v1::treasury_client::TreasuryClient;
use nem::Transaction;
use tonic::transport::Channel;

use crate::keys::{CUSTOMER, proposer};

/// Prepares `amount` XEM from `account` to the customer under `key`, checks the bytes as a
/// proposer would, signs the intent with the test proposer's key and proposes; the id.
pub async fn propose(
    t: &mut TreasuryClient<Channel>,
    account: &str,
    amount: &str,
    key: &str,
) -> String {
    let prepared = t
        .prepare(pb::PrepareRequest {
            account: account.into(),
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
    let p = proposer();
    t.propose(pb::ProposeRequest {
        proposal_id: prepared.proposal_id.clone(),
        idempotency_key: key.into(),
        inner_transaction: prepared.inner_transaction.clone(),
        proposer: p.verifying_key().to_bytes().to_vec(),
        proposer_signature: p.sign(&prepared.intent).to_bytes().to_vec(),
    })
    .await
    .unwrap();
    prepared.proposal_id
}
