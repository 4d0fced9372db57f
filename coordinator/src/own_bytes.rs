//! Bytes of its own for every withdrawal. Two withdrawals with the same account, recipient,
//! amount and message prepared in the same second build the same bytes, so the same hash:
//! NIS takes them as one transaction and pays once, while both proposals would read as
//! confirmed when that hash does. Prepare makes the deadline one second earlier until the
//! bytes are new. The store refuses bytes another proposal or draft has (the check that
//! counts); a hint remembers how far the current second's identical withdrawals went, so a
//! burst of them does not try every earlier deadline again.

use std::collections::HashMap;
use std::sync::Mutex;

use nem::{Hash256, NemTimestamp, Transaction};

use crate::store::{Draft, Store, StoreError};

/// How much earlier than configured a deadline is made at most (and never by more than half
/// the time the configuration gives a withdrawal).
pub const MAX_SHIFT_SECONDS: u32 = 600;

/// For the current second: the bytes built first (hash) → the next deadline shift to try.
#[derive(Default)]
pub struct Shifts {
    second: Mutex<(NemTimestamp, HashMap<Hash256, u32>)>,
}

impl Shifts {
    fn start(&self, timestamp: NemTimestamp, first: &Hash256) -> u32 {
        let mut s = self.second.lock().unwrap_or_else(|e| e.into_inner());
        if s.0 != timestamp {
            *s = (timestamp, HashMap::new());
        }
        s.1.get(first).copied().unwrap_or(0)
    }

    fn taken(&self, timestamp: NemTimestamp, first: Hash256, shift: u32) {
        let mut s = self.second.lock().unwrap_or_else(|e| e.into_inner());
        if s.0 == timestamp {
            let next = s.1.entry(first).or_default();
            *next = (*next).max(shift.saturating_add(1));
        }
    }
}

/// What a draft is made of, besides its bytes.
pub struct Request {
    pub id: String,
    pub idempotency_key: String,
    pub request_digest: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Every earlier deadline allowed is taken by a withdrawal alike in every field.
    #[error(
        "{alike} withdrawals with this account, recipient, amount and message were prepared \
         within one second (the last like proposal {last}); NIS would take the same bytes as \
         one payment: prepare again in a second, or tell them apart with the message"
    )]
    Crowded { alike: u32, last: String },
    #[error("inner_transaction: {0}")]
    Encode(String),
}

fn encode(tx: &Transaction) -> Result<Vec<u8>, DraftError> {
    tx.to_bytes().map_err(|e| DraftError::Encode(e.to_string()))
}

/// Stores a draft of `tx` whose bytes no other proposal has: its deadline as built, or up to
/// [`MAX_SHIFT_SECONDS`] earlier. The stored draft (a retry of the same idempotency key
/// answers with the first).
pub async fn draft(
    store: &Store,
    shifts: &Shifts,
    mut tx: Transaction,
    request: Request,
) -> Result<Draft, DraftError> {
    let (timestamp, deadline) = (tx.header.timestamp, tx.header.deadline);
    let first = Hash256::of(&encode(&tx)?);
    let most = MAX_SHIFT_SECONDS.min(deadline.0.saturating_sub(timestamp.0) / 2);
    let mut shift = shifts.start(timestamp, &first).min(most);
    loop {
        tx.header.deadline = NemTimestamp(deadline.0.saturating_sub(shift));
        let draft = Draft {
            id: request.id.clone(),
            idempotency_key: request.idempotency_key.clone(),
            account: tx.signer_address(),
            inner: encode(&tx)?,
            deadline: tx.header.deadline,
            request_digest: request.request_digest.clone(),
        };
        match store.put_draft(&draft).await {
            Err(StoreError::SameBytes { .. }) if shift < most => {
                shifts.taken(timestamp, first, shift);
                shift += 1;
            }
            Err(StoreError::SameBytes { existing }) => {
                return Err(DraftError::Crowded {
                    alike: most + 1,
                    last: existing,
                });
            }
            stored => {
                shifts.taken(timestamp, first, shift);
                return Ok(stored?);
            }
        }
    }
}
