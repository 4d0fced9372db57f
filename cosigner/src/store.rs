//! The safe-to-sign store (sled). A decision, its binding and its audit entry are written in
//! one sled transaction across trees and flushed before any signature is computed, so no
//! signature can exist without its durable record.
//!
//! Decisions are staged (in memory, in the order made) and written by the next flush, all in
//! one transaction: each transaction of its own costs sled a log buffer written and synced.
//! Reads see staged decisions; any other write first writes what is staged, so the journal
//! keeps the order things happened in. A staged decision leaves the stage only once written.
//!
//! Trees: `bindings` (proposal id → [`Binding`]), `audit` (sequence, big-endian → audit
//! [`Entry`]), `meta` (`audit_head`, `freeze`, `store_id`).

use std::path::Path;

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use thiserror::Error;

use crate::audit::{self, Entry, Event, Head};
use crate::record::Binding;

#[derive(Debug, Error)]
pub enum StoreError {
    /// Sled's own text is not shown as a cause: `in_words` says it in words.
    #[error("storage: {}", hanko_runtime::storage::in_words(.0))]
    Sled(sled::Error),
    #[error("stored record {key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("storage: {0}")]
    Interrupted(#[from] hanko_runtime::commit::Interrupted),
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> StoreError {
        StoreError::Sled(e)
    }
}

/// Whether signing is stopped, by whom and why. Survives restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    pub frozen: bool,
    pub by: String,
    pub reason: String,
    pub since_ms: i64,
}

pub struct Store {
    db: sled::Db,
    bindings: sled::Tree,
    audit: sled::Tree,
    meta: sled::Tree,
    /// Where every flush also records the durable journal head, outside sled (see
    /// `integrity`): a store that silently lost its tail is then caught at the next start.
    marker: std::sync::OnceLock<crate::marker::MarkerAt>,
    /// Decisions made one after another become durable together (see `hanko_runtime::commit`).
    commit: hanko_runtime::commit::GroupCommit,
    /// Decisions made and not written yet, in order.
    staged: std::sync::Mutex<Vec<Item>>,
    /// One flush at a time writes what is staged, then flushes it.
    flushing: tokio::sync::Mutex<()>,
}

/// One write: a binding, the freeze flag, or neither, with its audit event and its time.
struct Item {
    binding: Option<Binding>,
    freeze: Option<Freeze>,
    event: Event,
    at_ms: i64,
}

impl Item {
    fn new(binding: Option<&Binding>, freeze: Option<&Freeze>, event: Event) -> Item {
        Item {
            binding: binding.cloned(),
            freeze: freeze.cloned(),
            event,
            at_ms: now_ms(),
        }
    }
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

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db = hanko_runtime::storage::open(dir)?;
        Ok(Store {
            bindings: db.open_tree("bindings")?,
            audit: db.open_tree("audit")?,
            meta: db.open_tree("meta")?,
            db,
            marker: Default::default(),
            commit: Default::default(),
            staged: Default::default(),
            flushing: Default::default(),
        })
    }

    /// Writes the binding (if any) and the audit entry in one transaction, after whatever is
    /// staged; not yet flushed.
    pub fn commit(&self, binding: Option<&Binding>, event: Event) -> Result<Entry, StoreError> {
        self.write(Item::new(binding, None, event))
    }

    /// Stages a decision (its binding and audit entry): written by the next flush, or by the
    /// next write, whichever comes first. Reads see it at once.
    pub fn stage(&self, binding: &Binding, event: Event) {
        self.stage_lock()
            .push(Item::new(Some(binding), None, event));
    }

    /// Sets the freeze flag with its audit entry, in one transaction after whatever is
    /// staged; not yet flushed.
    pub fn set_freeze(&self, freeze: &Freeze, event: Event) -> Result<Entry, StoreError> {
        self.write(Item::new(None, Some(freeze), event))
    }

    fn stage_lock(&self) -> std::sync::MutexGuard<'_, Vec<Item>> {
        self.staged.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes what is staged and then `item`, in one transaction.
    fn write(&self, item: Item) -> Result<Entry, StoreError> {
        let mut staged = self.stage_lock();
        staged.push(item);
        match self.write_staged(&mut staged) {
            Ok(entry) => entry.ok_or_else(|| StoreError::Corrupt {
                key: "audit".into(),
                reason: "a write made no journal entry".into(),
            }),
            Err(e) => {
                // Only what was staged before stays staged.
                staged.pop();
                Err(e)
            }
        }
    }

    /// Writes everything staged in one transaction; it leaves the stage only once written.
    /// Returns the last journal entry written.
    fn write_staged(&self, staged: &mut Vec<Item>) -> Result<Option<Entry>, StoreError> {
        if staged.is_empty() {
            return Ok(None);
        }
        if hanko_runtime::failpoint::fails("cosigner", "journal_write") {
            return Err(StoreError::Sled(sled::Error::Io(std::io::Error::other(
                "the audit journal cannot be written (injected)",
            ))));
        }
        let (entry, _) = self.commit.write(|| self.write_unflushed(staged))?;
        staged.clear();
        Ok(entry)
    }

    fn write_unflushed(&self, items: &[Item]) -> Result<Option<Entry>, StoreError> {
        let encoded = items
            .iter()
            .map(|i| {
                Ok((
                    i.binding.as_ref().map(encode).transpose()?,
                    i.freeze.as_ref().map(encode).transpose()?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let result = (&self.bindings, &self.audit, &self.meta).transaction(|(b, a, m)| {
            let abort = ConflictableTransactionError::Abort;
            let mut head: Option<Head> = match m.get("audit_head")? {
                Some(v) => Some(decode(b"audit_head", &v).map_err(abort)?),
                None => None,
            };
            let mut last = None;
            for (item, (binding, freeze)) in items.iter().zip(&encoded) {
                let (seq, prev) =
                    head.map_or((0, audit::GENESIS.to_string()), |h| (h.seq + 1, h.hash));
                let entry = Entry::chain(seq, item.at_ms, &prev, item.event.clone());
                a.insert(&seq.to_be_bytes(), encode(&entry).map_err(abort)?)?;
                if let Some(freeze) = freeze {
                    m.insert("freeze", freeze.clone())?;
                }
                if let (Some(b_), Some(value)) = (&item.binding, binding) {
                    b.insert(b_.proposal_id.as_bytes(), value.clone())?;
                }
                head = Some(Head {
                    seq,
                    hash: entry.hash.clone(),
                });
                last = Some(entry);
            }
            if let Some(head) = &head {
                m.insert("audit_head", encode(head).map_err(abort)?)?;
            }
            Ok(last)
        });
        result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => StoreError::Sled(e),
        })
    }

    /// The random id this store was given when it was tied to its key (see `integrity`).
    pub fn store_id(&self) -> Result<Option<String>, StoreError> {
        store_id_in(&self.meta)
    }

    /// Gives the store a random id, flushed before it returns.
    pub fn create_store_id(&self) -> Result<String, StoreError> {
        let mut raw = [0u8; 16];
        getrandom::fill(&mut raw)
            .map_err(|e| StoreError::Sled(sled::Error::Io(std::io::Error::other(e.to_string()))))?;
        let id = hex::encode(raw);
        let (_, _) = self
            .commit
            .write(|| self.meta.insert("store_id", id.as_bytes()))?;
        self.commit.flush_now(|| self.db.flush().map(|_| ()))?;
        Ok(id)
    }

    /// Records, after each flush, the journal head it made durable in the marker.
    pub fn attach_marker(&self, at: crate::marker::MarkerAt) {
        let _ = self.marker.set(at);
    }

    /// Makes every write made so far durable, and records the journal head it made durable
    /// in the marker. Writes made while another flush runs share the next one.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let _turn = self.flushing.lock().await;
        // What was staged meanwhile, in one transaction, then one flush for all of it.
        self.write_staged(&mut self.stage_lock())?;
        let flush = Flush {
            db: self.db.clone(),
            meta: self.meta.clone(),
            marker: self.marker.get().cloned(),
        };
        self.commit
            .durable(self.commit.counted(), move || flush.run())
            .await
    }

    pub fn freeze(&self) -> Result<Option<Freeze>, StoreError> {
        self.meta
            .get("freeze")?
            .map(|v| decode(b"freeze", &v))
            .transpose()
    }

    /// The binding of proposal `id`, staged or written.
    pub fn binding(&self, id: &str) -> Result<Option<Binding>, StoreError> {
        let staged = self
            .stage_lock()
            .iter()
            .rev()
            .find_map(|i| i.binding.as_ref().filter(|b| b.proposal_id == id).cloned());
        if staged.is_some() {
            return Ok(staged);
        }
        self.bindings
            .get(id.as_bytes())?
            .map(|v| decode(id.as_bytes(), &v))
            .transpose()
    }

    /// Every binding, staged or written, in proposal id order.
    pub fn bindings(&self) -> Result<Vec<Binding>, StoreError> {
        let mut all = std::collections::BTreeMap::new();
        for kv in self.bindings.iter() {
            let (k, v) = kv?;
            let b: Binding = decode(&k, &v)?;
            all.insert(b.proposal_id.clone(), b);
        }
        for i in self.stage_lock().iter() {
            if let Some(b) = &i.binding {
                all.insert(b.proposal_id.clone(), b.clone());
            }
        }
        Ok(all.into_values().collect())
    }

    /// The journal's recorded head: the last entry's sequence number and hash.
    pub fn audit_head(&self) -> Result<Option<Head>, StoreError> {
        head_in(&self.meta)
    }

    /// The journal's first entry: when this cosigner first started.
    pub fn audit_first(&self) -> Result<Option<Entry>, StoreError> {
        self.audit.first()?.map(|(k, v)| decode(&k, &v)).transpose()
    }

    /// Journal entry `seq`, if the journal has it.
    pub fn audit_entry(&self, seq: u64) -> Result<Option<Entry>, StoreError> {
        let key = seq.to_be_bytes();
        self.audit.get(key)?.map(|v| decode(&key, &v)).transpose()
    }

    /// The whole audit journal, in order.
    pub fn audit(&self) -> Result<Vec<Entry>, StoreError> {
        self.audit
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                decode(&k, &v)
            })
            .collect()
    }
}

fn head_in(meta: &sled::Tree) -> Result<Option<Head>, StoreError> {
    meta.get("audit_head")?
        .map(|v| decode(b"audit_head", &v))
        .transpose()
}

fn store_id_in(meta: &sled::Tree) -> Result<Option<String>, StoreError> {
    Ok(meta
        .get("store_id")?
        .map(|v| String::from_utf8_lossy(&v).into_owned()))
}

/// One flush of the store, run on a blocking thread.
struct Flush {
    db: sled::Db,
    meta: sled::Tree,
    marker: Option<crate::marker::MarkerAt>,
}

impl Flush {
    fn run(self) -> Result<(), StoreError> {
        // Read before the flush: everything up to this head is durable once it returns.
        let head = head_in(&self.meta)?;
        self.db.flush()?;
        if let (Some(at), Some(head)) = (&self.marker, head) {
            let id = store_id_in(&self.meta)?.unwrap_or_default();
            crate::marker::write_marker(at, &id, Some(&head)).map_err(|e| {
                StoreError::Sled(sled::Error::Io(std::io::Error::other(format!(
                    "{}: {e}",
                    at.path.display()
                ))))
            })?;
        }
        Ok(())
    }
}
