//! What a cosigner remembers about each proposal it decided on: the binding of the proposal id
//! to the inner transaction's hash, the decision, and (once signed) the velocity reservation.

use hanko_proto::reason::Reason;
use nem::{Address, Hash256, NemTimestamp, PublicKey};
use policy::Outflow;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub proposal_id: String,
    pub account: Address,
    pub inner_hash: Hash256,
    #[serde(with = "hex::serde")]
    pub inner: Vec<u8>,
    pub proposer: PublicKey,
    #[serde(with = "hex::serde")]
    pub proposer_signature: Vec<u8>,
    pub deadline: NemTimestamp,
    pub first_seen_ms: i64,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Externally tagged: an internally tagged enum cannot carry the u128 amounts of a reservation.
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Refused by policy. Final.
    Refused {
        reasons: Vec<Reason>,
        policy_hash: String,
    },
    /// Policy wants operator approval; approvals count only under the policy that asked.
    AwaitingApproval {
        approvals_required: u32,
        reasons: Vec<Reason>,
        policy_hash: String,
        approvals: Vec<Approval>,
    },
    /// Refused by an operator. Final.
    RejectedByOperator { operator: String, reason: String },
    /// Signed. The reservation counts against velocity until the deadline passes or the
    /// transaction is seen on chain (then the chain's record counts instead).
    Signed {
        policy_hash: String,
        signed_at_ms: i64,
        approvals: Vec<Approval>,
        reservation: Vec<Outflow>,
    },
}

impl Status {
    pub fn name(&self) -> &'static str {
        match self {
            Status::Refused { .. } => "refused",
            Status::AwaitingApproval { .. } => "awaiting_approval",
            Status::RejectedByOperator { .. } => "rejected_by_operator",
            Status::Signed { .. } => "signed",
        }
    }
}

impl Binding {
    /// The binding of an examined offer's proposal id to exactly the offered bytes.
    pub fn of(
        x: &crate::examine::Examined,
        offer: &crate::examine::Offer,
        first_seen_ms: i64,
        status: Status,
    ) -> Binding {
        Binding {
            proposal_id: x.proposal_id.clone(),
            account: x.account,
            inner_hash: x.inner_hash,
            inner: offer.inner_transaction.clone(),
            proposer: x.proposer,
            proposer_signature: offer.proposer_signature.clone(),
            deadline: x.tx.header.deadline,
            first_seen_ms,
            status,
        }
    }
}

impl Binding {
    /// The offer this binding was made from, to examine its stored bytes again.
    pub fn offer(&self) -> crate::examine::Offer {
        crate::examine::Offer {
            proposal_id: self.proposal_id.clone(),
            account: self.account.to_string(),
            inner_transaction: self.inner.clone(),
            proposer: self.proposer.0.to_vec(),
            proposer_signature: self.proposer_signature.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The operator's Unix user id, from the socket's peer credentials (not self-declared).
    pub uid: u32,
    pub name: String,
    pub at_ms: i64,
    /// The policy version in force when it was given: it counts under that version only.
    /// (Approvals recorded before versions were kept have none, and count under none.)
    #[serde(default)]
    pub policy_hash: String,
}

/// The first 8 hex digits of the inner hash: what an operator types to confirm.
pub fn confirm_code(hash: &Hash256) -> String {
    hash.to_string().chars().take(8).collect()
}
