//! What a domain operation can answer instead of its result. Each says which field or what
//! state was wrong and what to do; `api::status` turns each into exactly one gRPC status.

use nem::Address;
use thiserror::Error;

use crate::core::TransitionError;
use crate::core::build::{AccountMismatch, FieldError};
use crate::store::StoreError;

#[derive(Debug, Error)]
pub enum DriverError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("no proposal {0}")]
    NotFound(String),
    #[error("proposal_id: no prepared proposal {0}; call Prepare first")]
    NoDraft(String),
    #[error("proposal {0} exists with a different signed intent")]
    Exists(String),
    /// The step of this event did not finish (the task stepping it failed): nothing of it was
    /// written.
    #[error("the transition was not made; try again")]
    Dropped,
    #[error("the coordinator is frozen; no new proposals")]
    Frozen,
    /// A request field that cannot be used as it is.
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("request: {len} bytes; at most {max} (limits.max_request_bytes)")]
    TooLarge { len: usize, max: usize },
    #[error(
        "account: {account} has {pending} unfinished proposals, the most allowed \
         (limits.max_pending_per_account = {max}); wait for some to finish or cancel them"
    )]
    TooManyPending {
        account: Address,
        pending: usize,
        max: usize,
    },
    /// Every earlier deadline allowed is taken by a withdrawal alike in every field.
    #[error(
        "{alike} withdrawals with this account, recipient, amount and message were prepared \
         within one second (the last like proposal {last}); NIS would take the same bytes as \
         one payment: prepare again in a second, or tell them apart with the message"
    )]
    Crowded { alike: u32, last: String },
    /// The NIS node did not answer what was asked of it.
    #[error("NIS node: {0}")]
    Node(String),
    /// The account on chain is not the one configured (cosignatories, m of n): never guessed
    /// around.
    #[error(transparent)]
    AccountMismatch(#[from] AccountMismatch),
    #[error("account {0} is no longer configured")]
    Unconfigured(Address),
    /// The proposer's signature over the intent does not verify.
    #[error("proposer_signature: {0}")]
    Forged(String),
    /// A cosigner's decision about other bytes than the proposal's (an old offer, say).
    #[error("{0}")]
    Stale(String),
    /// A cosigner sent transactions that do not verify against the proposal.
    #[error("{0}")]
    Unusable(String),
    #[error("random: {0}")]
    Random(String),
}
