//! The invariants the decision fuzz target checks, shared with the corpus replay test so that
//! CI checks the committed corpus without a fuzzer.

use nem::tx::Body;
use nem::{Address, Hash256, NemTimestamp, PublicKey, Signature, Transaction};
use prost::Message as _;

use crate::core::{self, CosignerDecision, Event, ProposalRecord, State};
use hanko_proto::v1 as pb;

/// An accepted proposal of `inner` from `account`, collecting signatures from `cosigners`.
pub fn collecting(
    id: &str,
    account: Address,
    inner: Vec<u8>,
    cosigners: Vec<PublicKey>,
) -> ProposalRecord {
    let deadline = Transaction::from_bytes(&inner)
        .map(|t| t.header.deadline)
        .unwrap_or(NemTimestamp(0));
    ProposalRecord {
        id: id.into(),
        idempotency_key: id.into(),
        request_digest: String::new(),
        account,
        inner_hash: Hash256::of(&inner),
        inner,
        proposer: PublicKey([3; 32]),
        proposer_signature: Signature([0; 64]),
        deadline,
        required: cosigners.len().min(2),
        cosigners,
        state: State::Collecting,
        decisions: Default::default(),
        broadcast: Default::default(),
        confirmed_height: None,
        reason: None,
    }
}

/// For any bytes as a cosigner's SubmitDecision on `record` from `key`: the coordinator
/// refuses it saying why, or takes a decision the state machine accepts; a signature it takes
/// carries exactly the stored inner bytes.
pub fn submitted_decision(
    record: &ProposalRecord,
    key: &PublicKey,
    data: &[u8],
) -> Result<(), String> {
    let Ok(request) = pb::SubmitDecisionRequest::decode(data) else {
        return Ok(());
    };
    let decision = match crate::api::decision_of(record, key, request) {
        Ok(d) => d,
        Err(status) if status.message().is_empty() => {
            return Err(format!("refused ({:?}) without saying why", status.code()));
        }
        Err(_) => return Ok(()),
    };
    if let CosignerDecision::Signed(pair) = &decision {
        let wrapper = Transaction::from_bytes(&pair.wrapper.data)
            .map_err(|e| format!("took a wrapper that does not decode: {e}"))?;
        let Body::Multisig(carried) = &wrapper.body else {
            return Err("took a wrapper that is not a multisig transaction".into());
        };
        if carried.to_bytes().ok().as_deref() != Some(record.inner.as_slice()) {
            return Err("took a wrapper that carries other inner bytes".into());
        }
    }
    let event = Event::Decision {
        cosigner: *key,
        decision,
    };
    core::step(
        record,
        event,
        NemTimestamp(record.deadline.0.saturating_sub(60)),
    )
    .map_err(|e| format!("took a decision the state machine refuses: {e}"))?;
    Ok(())
}
