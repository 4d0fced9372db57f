//! Moving finished proposals and old journal entries from the main store to the history
//! (`history`), so that the store the coordinator opens before it is ready holds
//! unfinished work, the newest finished proposals and journal entries, and the small indexes
//! (idempotency keys, inner hashes) that Propose and the chain watcher need at once.
//!
//! Copy, then delete: a pass copies records and entries into the history and waits until they
//! are on disk there, then removes them from the main store. A crash between the two leaves
//! them in both, byte for byte the same; readers look in the main store first, and the next
//! pass copies them again and removes them. A record leaves the main store only if it still
//! holds the bytes that were copied.

use serde::{Deserialize, Serialize};
use sled::IVec;

use super::{SledStore, Trees};
use crate::store::StoreError;

/// What stays in the main store (`[history]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Keep {
    /// The newest finished proposals kept in the main store (read without opening the history).
    pub finished: usize,
    /// The newest journal entries kept in the main store (at least 1: the newest is checked at
    /// every start).
    pub journal: u64,
    /// The most proposals one pass moves (and eight journal entries for each).
    pub batch: usize,
    /// Seconds between passes.
    pub interval_seconds: u64,
    /// A pass also checkpoints the main store once this many writes were made since the last
    /// checkpoint (see `checkpoint`): what a start replays.
    pub checkpoint_writes: u64,
}

impl Default for Keep {
    fn default() -> Self {
        Keep {
            finished: 1_000,
            journal: 10_000,
            batch: 20_000,
            interval_seconds: 60,
            checkpoint_writes: 100_000,
        }
    }
}

/// What one pass moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Archived {
    pub proposals: usize,
    pub entries: usize,
}

/// Key of a finished proposal written before finished proposals were queued: sorts before
/// every queued one (their keys are the journal sequence number of their last transition).
fn legacy_key(id: &[u8]) -> Vec<u8> {
    [&[0u8; 8][..], id].concat()
}

impl SledStore {
    /// One pass: moves the oldest finished proposals beyond `keep.finished`, and the journal
    /// entries before the newest `keep.journal`, at most `keep.batch` proposals at a time.
    pub fn archive(&self, keep: &Keep) -> Result<Archived, StoreError> {
        let t = self.t()?;
        queue_legacy(&t)?;
        let take = t
            .finished
            .len()
            .saturating_sub(keep.finished)
            .min(keep.batch);
        let (mut queued, mut records) = (Vec::with_capacity(take), Vec::with_capacity(take));
        for item in t.finished.iter().take(take) {
            let (key, id) = item?;
            if let Some(bytes) = t.proposals.get(&id)? {
                records.push((id, bytes));
            }
            queued.push(key);
        }
        let count = t.audit_head()?.map_or(0, |h| h.seq + 1);
        let below = count.saturating_sub(keep.journal.max(1));
        let entries = t
            .audit
            .range(..below.to_be_bytes())
            .take(keep.batch.saturating_mul(8))
            .collect::<Result<Vec<(IVec, IVec)>, _>>()?;
        if queued.is_empty() && entries.is_empty() {
            return Ok(Archived::default());
        }
        if !records.is_empty() || !entries.is_empty() {
            self.history.keep(&records, &entries)?;
        }
        hanko_runtime::failpoint::hit("coordinator", "archive_copied");
        let (moved, _) = self.write("archive", || forget(&t, &queued, &records, &entries))?;
        self.flush(&t)?;
        tracing::info!(
            proposals = moved,
            entries = entries.len(),
            "moved finished proposals and journal entries to the history"
        );
        Ok(Archived {
            proposals: moved,
            entries: entries.len(),
        })
    }
}

/// Removes from the main store what the history now holds; how many records it removed.
fn forget(
    t: &Trees,
    queued: &[IVec],
    records: &[(IVec, IVec)],
    entries: &[(IVec, IVec)],
) -> Result<usize, StoreError> {
    let mut moved = 0;
    let mut changed = std::collections::BTreeSet::new();
    for (id, bytes) in records {
        match t
            .proposals
            .compare_and_swap(id, Some(bytes), None::<&[u8]>)?
        {
            Ok(()) => moved += 1,
            // Written again since it was copied: it stays, and is copied again next time.
            Err(_) => {
                changed.insert(id.clone());
            }
        }
    }
    let mut batch = sled::Batch::default();
    for key in queued {
        let id = t.finished.get(key)?;
        if !id.is_some_and(|id| changed.contains(&id)) {
            batch.remove(key);
        }
    }
    t.finished.apply_batch(batch)?;
    let mut batch = sled::Batch::default();
    for (key, _) in entries {
        batch.remove(key);
    }
    t.audit.apply_batch(batch)?;
    Ok(moved)
}

/// Queues, once, the finished proposals of a store written before they were queued.
fn queue_legacy(t: &Trees) -> Result<(), StoreError> {
    if t.meta.contains_key(b"finished_queued")? {
        return Ok(());
    }
    let mut batch = sled::Batch::default();
    for item in t.proposals.iter() {
        let (id, _) = item?;
        if !t.active.contains_key(&id)? {
            batch.insert(legacy_key(&id), id);
        }
    }
    t.finished.apply_batch(batch)?;
    t.meta.insert(b"finished_queued", &[1u8][..])?;
    Ok(())
}
