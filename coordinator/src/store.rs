//! Durable proposals (sled). Every write is flushed to disk before it returns, so an
//! acknowledged proposal survives a crash; multi-tree updates are sled transactions, so a crash
//! never leaves half of one.
//!
//! Trees: `proposals` (id → record), `idempotency` (key → id), `active` (ids of unfinished
//! proposals only: listing pending work costs the same whatever the history's size), `drafts`
//! (prepared, not yet signed), `meta` (the freeze flag).

use std::path::Path;

use nem::{Address, NemTimestamp};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use thiserror::Error;

use crate::core::ProposalRecord;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("storage: {0}")]
    Sled(#[from] sled::Error),
    #[error("stored record {key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("idempotency key '{key}' already names proposal {existing} with a different request")]
    IdempotencyConflict { key: String, existing: String },
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
    /// different request is recognised.
    pub request_digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    pub frozen: bool,
    pub reason: String,
    pub by: String,
    pub since_ms: i64,
}

pub struct Store {
    db: sled::Db,
    proposals: sled::Tree,
    idempotency: sled::Tree,
    active: sled::Tree,
    drafts: sled::Tree,
    meta: sled::Tree,
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        key: "(encoding)".into(),
        reason: e.to_string(),
    })
}

fn decode<T: for<'de> Deserialize<'de>>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db = sled::Config::new().path(dir).open()?;
        Ok(Store {
            proposals: db.open_tree("proposals")?,
            idempotency: db.open_tree("idempotency")?,
            active: db.open_tree("active")?,
            drafts: db.open_tree("drafts")?,
            meta: db.open_tree("meta")?,
            db,
        })
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Stores a draft under its idempotency key, or returns the draft (or proposal id) the key
    /// already names. A different request under a known key is a conflict.
    pub fn put_draft(&self, draft: &Draft) -> Result<Draft, StoreError> {
        let value = encode(draft)?;
        let result = (&self.idempotency, &self.drafts, &self.proposals).transaction(
            |(idem, drafts, proposals)| {
                if let Some(existing) = idem.get(draft.idempotency_key.as_bytes())? {
                    let id = String::from_utf8_lossy(&existing).into_owned();
                    let stored = match drafts.get(existing.as_ref())? {
                        Some(bytes) => Some(
                            decode::<Draft>(&existing, &bytes)
                                .map_err(ConflictableTransactionError::Abort)?,
                        ),
                        None => proposals
                            .get(existing.as_ref())?
                            .map(
                                |bytes| -> Result<Draft, ConflictableTransactionError<StoreError>> {
                                    let r: ProposalRecord = decode(&existing, &bytes)
                                        .map_err(ConflictableTransactionError::Abort)?;
                                    Ok(Draft {
                                        id: r.id,
                                        idempotency_key: r.idempotency_key,
                                        account: r.account,
                                        inner: r.inner,
                                        deadline: r.deadline,
                                        request_digest: draft.request_digest.clone(),
                                    })
                                },
                            )
                            .transpose()?,
                    };
                    return match stored {
                        Some(d) if d.request_digest == draft.request_digest => Ok(d),
                        _ => Err(ConflictableTransactionError::Abort(
                            StoreError::IdempotencyConflict {
                                key: draft.idempotency_key.clone(),
                                existing: id,
                            },
                        )),
                    };
                }
                idem.insert(draft.idempotency_key.as_bytes(), draft.id.as_bytes())?;
                drafts.insert(draft.id.as_bytes(), value.clone())?;
                Ok(draft.clone())
            },
        );
        let stored = result.map_err(tx_error)?;
        self.flush()?;
        Ok(stored)
    }

    pub fn draft(&self, id: &str) -> Result<Option<Draft>, StoreError> {
        self.drafts
            .get(id.as_bytes())?
            .map(|b| decode(id.as_bytes(), &b))
            .transpose()
    }

    /// Turns a draft into an accepted proposal, in one step; flushed before it returns.
    pub fn accept(&self, record: &ProposalRecord) -> Result<(), StoreError> {
        let value = encode(record)?;
        (&self.proposals, &self.active, &self.drafts)
            .transaction(|(proposals, active, drafts)| {
                proposals.insert(record.id.as_bytes(), value.clone())?;
                active.insert(record.id.as_bytes(), &[])?;
                drafts.remove(record.id.as_bytes())?;
                Ok(())
            })
            .map_err(tx_error)?;
        self.flush()
    }

    /// Saves a record after a transition; a finished proposal leaves the active index.
    pub fn update(&self, record: &ProposalRecord) -> Result<(), StoreError> {
        let value = encode(record)?;
        let terminal = record.state.is_terminal();
        (&self.proposals, &self.active)
            .transaction(|(proposals, active)| {
                proposals.insert(record.id.as_bytes(), value.clone())?;
                if terminal {
                    active.remove(record.id.as_bytes())?;
                } else {
                    active.insert(record.id.as_bytes(), &[])?;
                }
                Ok(())
            })
            .map_err(tx_error)?;
        self.flush()
    }

    pub fn get(&self, id: &str) -> Result<Option<ProposalRecord>, StoreError> {
        self.proposals
            .get(id.as_bytes())?
            .map(|b| decode(id.as_bytes(), &b))
            .transpose()
    }

    pub fn id_for_key(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .idempotency
            .get(key.as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Every unfinished proposal: what a restart resumes.
    pub fn active(&self) -> Result<Vec<ProposalRecord>, StoreError> {
        let mut out = Vec::new();
        for item in self.active.iter() {
            let (id, _) = item?;
            let bytes = self
                .proposals
                .get(&id)?
                .ok_or_else(|| StoreError::Corrupt {
                    key: String::from_utf8_lossy(&id).into_owned(),
                    reason: "listed as active but missing".into(),
                })?;
            out.push(decode(&id, &bytes)?);
        }
        Ok(out)
    }

    /// A page of proposals in id order, after `after` (exclusive).
    pub fn page(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&ProposalRecord) -> bool,
    ) -> Result<(Vec<ProposalRecord>, Option<String>), StoreError> {
        let start = after.map(|a| a.as_bytes().to_vec());
        let iter = match &start {
            Some(s) => self.proposals.range::<&[u8], _>((
                std::ops::Bound::Excluded(s.as_slice()),
                std::ops::Bound::Unbounded,
            )),
            None => self.proposals.iter(),
        };
        let mut out = Vec::new();
        for item in iter {
            let (id, bytes) = item?;
            let record: ProposalRecord = decode(&id, &bytes)?;
            if keep(&record) {
                let next = record.id.clone();
                out.push(record);
                if out.len() == limit {
                    return Ok((out, Some(next)));
                }
            }
        }
        Ok((out, None))
    }

    pub fn freeze(&self) -> Result<Option<Freeze>, StoreError> {
        self.meta
            .get(b"freeze")?
            .map(|b| decode(b"freeze", &b))
            .transpose()
    }

    pub fn set_freeze(&self, freeze: &Freeze) -> Result<(), StoreError> {
        self.meta.insert(b"freeze", encode(freeze)?)?;
        self.flush()
    }
}
