//! Stored records ↔ wire types. Generated types stay at this edge.

use hanko_proto::reason::{Reason, lines};
use hanko_proto::v1 as pb;
use nem::Transaction;
use nem::tx::Body;

use crate::core::{CosignerDecision, ProposalRecord, State};

pub fn state(s: State) -> pb::ProposalState {
    match s {
        State::Proposed => pb::ProposalState::Proposed,
        State::Collecting => pb::ProposalState::Collecting,
        State::Ready => pb::ProposalState::Ready,
        State::Announced => pb::ProposalState::Announced,
        State::Confirmed => pb::ProposalState::Confirmed,
        State::Rejected => pb::ProposalState::Rejected,
        State::Cancelled => pb::ProposalState::Cancelled,
        State::Expired => pb::ProposalState::Expired,
        State::Failed => pb::ProposalState::Failed,
    }
}

/// The state a wire state names; none for the unspecified one.
pub fn state_of(s: pb::ProposalState) -> Option<State> {
    Some(match s {
        pb::ProposalState::Unspecified => return None,
        pb::ProposalState::Proposed => State::Proposed,
        pb::ProposalState::Collecting => State::Collecting,
        pb::ProposalState::Ready => State::Ready,
        pb::ProposalState::Announced => State::Announced,
        pb::ProposalState::Confirmed => State::Confirmed,
        pb::ProposalState::Rejected => State::Rejected,
        pb::ProposalState::Cancelled => State::Cancelled,
        pb::ProposalState::Expired => State::Expired,
        pb::ProposalState::Failed => State::Failed,
    })
}

pub fn signed(t: &nem::SignedTransaction) -> pb::SignedTransaction {
    pb::SignedTransaction {
        data: t.data.clone(),
        signature: t.signature.0.to_vec(),
    }
}

pub fn proposal(r: &ProposalRecord) -> pb::Proposal {
    let inner = Transaction::from_bytes(&r.inner).ok();
    let transfer = inner.as_ref().and_then(|t| match &t.body {
        Body::Transfer(x) => Some(x.clone()),
        _ => None,
    });
    let decisions = r
        .decisions
        .iter()
        .map(|(k, d)| pb::CosignerDecision {
            cosigner: k.0.to_vec(),
            outcome: Some(match d {
                CosignerDecision::Signed(p) => {
                    pb::cosigner_decision::Outcome::Signed(pb::SignedPair {
                        wrapper: Some(signed(&p.wrapper)),
                        cosignature: Some(signed(&p.cosignature)),
                    })
                }
                CosignerDecision::Refused { reasons } => {
                    pb::cosigner_decision::Outcome::Refused(pb::Refusal {
                        reasons: lines(reasons),
                        policy_hash: String::new(),
                        details: reasons.iter().map(Reason::to_wire).collect(),
                    })
                }
                CosignerDecision::NeedsApproval { reasons } => {
                    pb::cosigner_decision::Outcome::NeedsApproval(pb::NeedsApproval {
                        approvals_required: 1,
                        reasons: lines(reasons),
                        details: reasons.iter().map(Reason::to_wire).collect(),
                    })
                }
            }),
        })
        .collect();
    pb::Proposal {
        id: r.id.clone(),
        state: state(r.state) as i32,
        account: r.account.to_string(),
        recipient: transfer
            .as_ref()
            .map(|t| t.recipient.to_string())
            .unwrap_or_default(),
        amount: transfer.as_ref().map_or(0, |t| t.amount.as_micro()),
        mosaics: transfer
            .as_ref()
            .map(|t| {
                t.mosaics
                    .iter()
                    .map(|m| pb::Mosaic {
                        id: m.id.to_string(),
                        quantity: m.quantity,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        message: transfer
            .as_ref()
            .and_then(|t| t.message.as_ref())
            .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
            .unwrap_or_default(),
        inner_transaction: r.inner.clone(),
        inner_hash: r.inner_hash.to_string(),
        proposer: r.proposer.0.to_vec(),
        proposer_signature: r.proposer_signature.0.to_vec(),
        idempotency_key: r.idempotency_key.clone(),
        timestamp: inner.as_ref().map_or(0, |t| t.header.timestamp.0),
        deadline: r.deadline.0,
        required_signatures: r.required as u32,
        decisions,
        wrapper_hash: r
            .broadcast
            .wrapper_hash
            .map(|h| h.to_string())
            .unwrap_or_default(),
        confirmed_height: r.confirmed_height.unwrap_or(0),
        reason: r.reason.clone().unwrap_or_default(),
        created_at_ms: 0,
        updated_at_ms: 0,
    }
}

pub fn offer(r: &ProposalRecord) -> pb::ProposalForSigning {
    pb::ProposalForSigning {
        proposal_id: r.id.clone(),
        account: r.account.to_string(),
        inner_transaction: r.inner.clone(),
        proposer: r.proposer.0.to_vec(),
        proposer_signature: r.proposer_signature.0.to_vec(),
        required_signatures: r.required as u32,
    }
}
