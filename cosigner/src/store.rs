//! The safe-to-sign store (sled). A decision, its binding and its audit entry are written in
//! one sled transaction across trees and flushed before any signature is computed, so no
//! signature can exist without its durable record.
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
    #[error("storage: {}", hanko_proto::storage::in_words(.0))]
    Sled(sled::Error),
    #[error("stored record {key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("storage: {0}")]
    Interrupted(#[from] hanko_proto::commit::Interrupted),
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
    marker: std::sync::OnceLock<std::path::PathBuf>,
    /// Decisions made one after another become durable together (see `hanko_proto::commit`).
    commit: hanko_proto::commit::GroupCommit,
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
        let db = hanko_proto::storage::open(dir)?;
        Ok(Store {
            bindings: db.open_tree("bindings")?,
            audit: db.open_tree("audit")?,
            meta: db.open_tree("meta")?,
            db,
            marker: Default::default(),
            commit: Default::default(),
        })
    }

    /// Writes the binding (if any) and the audit entry in one transaction; not yet flushed.
    pub fn commit(&self, binding: Option<&Binding>, event: Event) -> Result<Entry, StoreError> {
        if hanko_proto::failpoint::fails("cosigner", "journal_write") {
            return Err(StoreError::Sled(sled::Error::Io(std::io::Error::other(
                "the audit journal cannot be written (injected)",
            ))));
        }
        self.write(binding, None, event)
    }

    /// Sets the freeze flag with its audit entry, in one transaction; not yet flushed.
    pub fn set_freeze(&self, freeze: &Freeze, event: Event) -> Result<Entry, StoreError> {
        self.write(None, Some(freeze), event)
    }

    fn write(
        &self,
        binding: Option<&Binding>,
        freeze: Option<&Freeze>,
        event: Event,
    ) -> Result<Entry, StoreError> {
        let (entry, _) = self
            .commit
            .write(|| self.write_unflushed(binding, freeze, event))?;
        Ok(entry)
    }

    fn write_unflushed(
        &self,
        binding: Option<&Binding>,
        freeze: Option<&Freeze>,
        event: Event,
    ) -> Result<Entry, StoreError> {
        let value = binding.map(encode).transpose()?;
        let freeze = freeze.map(encode).transpose()?;
        let at_ms = now_ms();
        let result = (&self.bindings, &self.audit, &self.meta).transaction(|(b, a, m)| {
            let head: Option<Head> = match m.get("audit_head")? {
                Some(v) => {
                    Some(decode(b"audit_head", &v).map_err(ConflictableTransactionError::Abort)?)
                }
                None => None,
            };
            let (seq, prev) = head.map_or((0, audit::GENESIS.to_string()), |h| (h.seq + 1, h.hash));
            let entry = Entry::chain(seq, at_ms, &prev, event.clone());
            let bytes = encode(&entry).map_err(ConflictableTransactionError::Abort)?;
            a.insert(&seq.to_be_bytes(), bytes)?;
            let head = encode(&Head {
                seq,
                hash: entry.hash.clone(),
            })
            .map_err(ConflictableTransactionError::Abort)?;
            m.insert("audit_head", head)?;
            if let Some(freeze) = &freeze {
                m.insert("freeze", freeze.clone())?;
            }
            if let (Some(binding), Some(value)) = (binding, &value) {
                b.insert(binding.proposal_id.as_bytes(), value.clone())?;
            }
            Ok(entry)
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

    /// Records, after each flush, the journal head it made durable in the marker at `path`.
    pub fn attach_marker(&self, path: std::path::PathBuf) {
        let _ = self.marker.set(path);
    }

    /// Makes every write made so far durable, and records the journal head it made durable
    /// in the marker. Writes made while another flush runs share the next one.
    pub async fn flush(&self) -> Result<(), StoreError> {
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

    pub fn binding(&self, id: &str) -> Result<Option<Binding>, StoreError> {
        self.bindings
            .get(id.as_bytes())?
            .map(|v| decode(id.as_bytes(), &v))
            .transpose()
    }

    pub fn bindings(&self) -> Result<Vec<Binding>, StoreError> {
        self.bindings
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                decode(&k, &v)
            })
            .collect()
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
    marker: Option<std::path::PathBuf>,
}

impl Flush {
    fn run(self) -> Result<(), StoreError> {
        // Read before the flush: everything up to this head is durable once it returns.
        let head = head_in(&self.meta)?;
        self.db.flush()?;
        if let (Some(path), Some(head)) = (&self.marker, head) {
            let id = store_id_in(&self.meta)?.unwrap_or_default();
            crate::integrity::write_marker(path, &id, Some(&head)).map_err(|e| {
                StoreError::Sled(sled::Error::Io(std::io::Error::other(format!(
                    "{}: {e}",
                    path.display()
                ))))
            })?;
        }
        Ok(())
    }
}
