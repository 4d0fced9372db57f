//! A proposal as the coordinator stores it.

use std::collections::{BTreeMap, BTreeSet};

use hanko_proto::reason::Reason;
use nem::{Address, Hash256, NemTimestamp, PublicKey, Signature, SignedTransaction};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum State {
    Proposed,
    Collecting,
    Ready,
    Announced,
    Confirmed,
    Rejected,
    Cancelled,
    Expired,
    Failed,
}

impl State {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            State::Confirmed | State::Rejected | State::Cancelled | State::Expired | State::Failed
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            State::Proposed => "proposed",
            State::Collecting => "collecting",
            State::Ready => "ready",
            State::Announced => "announced",
            State::Confirmed => "confirmed",
            State::Rejected => "rejected",
            State::Cancelled => "cancelled",
            State::Expired => "expired",
            State::Failed => "failed",
        }
    }
}

/// A cosigner's two transactions, already verified by the driver: signatures valid, the wrapper
/// carries exactly the stored inner bytes, the cosignature names the stored inner hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedPair {
    pub wrapper: SignedTransaction,
    pub cosignature: SignedTransaction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CosignerDecision {
    Signed(SignedPair),
    /// Refused, saying why (reasons stored as lines before they were structured read back).
    Refused {
        reasons: Vec<Reason>,
    },
    NeedsApproval {
        reasons: Vec<Reason>,
    },
}

/// What the node has accepted so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broadcast {
    /// The cosigner whose wrapper is (being) announced. Chosen once; never changed.
    pub initiator: Option<PublicKey>,
    pub wrapper_hash: Option<Hash256>,
    pub wrapper_accepted: bool,
    /// Cosignature announces the node accepted (or already knew).
    pub signatures_accepted: BTreeSet<PublicKey>,
    /// Cosignatures the node answered 73 to: NIS repeats that answer for identical bytes for
    /// 600 s, so each is retried only after this time.
    pub blocked_until: BTreeMap<PublicKey, NemTimestamp>,
    /// Transient failures in a row, for backoff.
    pub failures: u32,
    pub next_attempt: Option<NemTimestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalRecord {
    pub id: String,
    pub idempotency_key: String,
    /// The digest of the Prepare request (account, recipient, amount, mosaics, message) made
    /// under `idempotency_key`: a later Prepare under the key must carry the same request.
    /// Empty in records written before it was kept, which a retry cannot be checked against.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_digest: String,
    pub account: Address,
    /// The inner transaction as proposed and signed; never rebuilt or re-timed.
    pub inner: Vec<u8>,
    pub inner_hash: Hash256,
    pub proposer: PublicKey,
    pub proposer_signature: Signature,
    pub deadline: NemTimestamp,
    /// The account's cosignatories and how many must sign, as read from the node and
    /// cross-checked with configuration when the proposal was accepted.
    pub cosigners: Vec<PublicKey>,
    pub required: usize,
    pub state: State,
    pub decisions: BTreeMap<PublicKey, CosignerDecision>,
    pub broadcast: Broadcast,
    pub confirmed_height: Option<u64>,
    /// Why it was rejected, cancelled, expired or failed.
    pub reason: Option<String>,
}

/// Signed / refused / still possible: m-of-n over distinct cosigners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    Pending { signed: usize, needed: usize },
    Met,
    Impossible,
}

impl ProposalRecord {
    pub fn tally(&self) -> Tally {
        let signed = self.signers().count();
        let refused = self
            .decisions
            .values()
            .filter(|d| matches!(d, CosignerDecision::Refused { .. }))
            .count();
        if signed >= self.required {
            Tally::Met
        } else if self.cosigners.len().saturating_sub(refused) < self.required {
            Tally::Impossible
        } else {
            Tally::Pending {
                signed,
                needed: self.required,
            }
        }
    }

    /// Cosigners that signed, in key order.
    pub fn signers(&self) -> impl Iterator<Item = &PublicKey> {
        self.decisions
            .iter()
            .filter(|(_, d)| matches!(d, CosignerDecision::Signed(_)))
            .map(|(k, _)| k)
    }

    pub fn pair(&self, cosigner: &PublicKey) -> Option<&SignedPair> {
        match self.decisions.get(cosigner) {
            Some(CosignerDecision::Signed(p)) => Some(p),
            _ => None,
        }
    }
}
