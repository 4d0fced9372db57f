//! What every backend stores and answers with.

use nem::{Address, NemTimestamp};
use serde::{Deserialize, Serialize};

use crate::core::ProposalRecord;

/// A write that is not durable yet: `seq` is its place in the store's count of writes, `step`
/// names it for the crash points (`<step>_written`, `<step>_saved`).
#[must_use = "a write is acknowledged only after it is settled"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub seq: u64,
    pub step: &'static str,
}

/// A proposal the coordinator built and the proposer has not signed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub id: String,
    pub idempotency_key: String,
    pub account: Address,
    pub inner: Vec<u8>,
    pub deadline: NemTimestamp,
    /// What was asked (recipient, amount, mosaics, message), so a retry with the same key and a
    /// different request is recognised (see `digest`).
    pub request_digest: String,
    /// For a request being asked: its digest in the older form, which drafts and proposals
    /// stored before the stable encoding carry. Never stored.
    #[serde(skip)]
    pub legacy_digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    pub frozen: bool,
    pub reason: String,
    pub by: String,
    pub since_ms: i64,
}

/// One transition to write: `old` to `new`, made by the step `step` (for the crash points).
/// Without `old`, `new` is a proposal being accepted: its draft becomes it.
pub struct Transition<'a> {
    pub old: Option<&'a ProposalRecord>,
    pub new: &'a ProposalRecord,
    pub step: &'static str,
}

/// What writing a draft found.
#[derive(Debug)]
pub enum DraftWrite {
    /// Stored under its key.
    New,
    /// Its key already names proposal `id`; `stored` is that draft while it is still one.
    Known { id: String, stored: Option<Draft> },
    /// Another draft or proposal has these bytes: NIS would take both as one payment.
    SameBytes { existing: String },
}

/// How far the chain watcher checked each watched account's confirmed outflows: the
/// account's address (as written) → the height every outflow up to which was checked.
pub type WatchHeights = std::collections::BTreeMap<String, u64>;
