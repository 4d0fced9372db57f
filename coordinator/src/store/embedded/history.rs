//! The history: finished proposals and old journal entries, moved out of the main store (see
//! `store::archive`) into a second sled database in `<data_dir>/history`. The coordinator
//! opens the main store before it is ready and keeps it open; sled holds a page table for a
//! whole database in memory and replays what was written since it was last opened, so
//! keeping years of finished withdrawals there would make every start and the resident
//! memory grow with the history. The history is opened only when something reads or moves
//! into it, and closed again when idle: each opening writes sled's snapshot, so what the next
//! opening replays is one archive pass at most.
//!
//! Records are kept as the main store wrote them (the same keys, the same bytes), so a record
//! is identical wherever it is read from.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sled::IVec;

use crate::store::StoreError;

/// The history's directory inside a coordinator data directory.
pub fn dir_in(data_dir: &Path) -> PathBuf {
    data_dir.join("history")
}

/// Whether anything was ever moved to the history of this data directory.
pub fn exists_in(data_dir: &Path) -> bool {
    holds_store(&dir_in(data_dir))
}

/// sled writes `conf` when it creates a database.
fn holds_store(dir: &Path) -> bool {
    dir.join("conf").exists()
}

/// The open database and its two trees.
pub struct Opened {
    db: sled::Db,
    pub proposals: sled::Tree,
    pub audit: sled::Tree,
    /// When a reader last used it (the archive's own passes do not count).
    read_at: Option<Instant>,
}

pub struct History {
    dir: PathBuf,
    open: Mutex<Option<Opened>>,
}

fn open_at(dir: &Path) -> Result<Opened, StoreError> {
    let started = Instant::now();
    let db = hanko_runtime::storage::reopen(dir)?;
    tracing::info!(
        dir = %dir.display(),
        ms = started.elapsed().as_millis() as u64,
        "history opened"
    );
    Ok(Opened {
        proposals: db.open_tree("proposals")?,
        audit: db.open_tree("audit")?,
        db,
        read_at: None,
    })
}

impl History {
    pub fn new(dir: PathBuf) -> History {
        History {
            dir,
            open: Mutex::new(None),
        }
    }

    fn guard(&self) -> MutexGuard<'_, Option<Opened>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether anything was ever moved here (a store without a history never opens one to
    /// answer a read).
    pub fn exists(&self) -> bool {
        holds_store(&self.dir)
    }

    /// `f` over the open history, opening it first if needed; `read` says a reader uses it.
    fn with<T>(
        &self,
        read: bool,
        f: impl FnOnce(&Opened) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self.guard();
        let opened = match guard.take() {
            Some(o) => o,
            None => open_at(&self.dir)?,
        };
        let opened = guard.insert(opened);
        if read {
            opened.read_at = Some(Instant::now());
        }
        f(opened)
    }

    /// `f` over the history if there is one; `None` without opening anything otherwise.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Opened) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        if !self.exists() {
            return Ok(None);
        }
        self.with(true, f).map(Some)
    }

    /// A finished proposal's record as the main store wrote it.
    pub fn get(&self, id: &[u8]) -> Result<Option<IVec>, StoreError> {
        Ok(self.read(|h| Ok(h.proposals.get(id)?))?.flatten())
    }

    /// Writes records and journal entries, and returns once they are on disk.
    pub fn keep(
        &self,
        records: &[(IVec, IVec)],
        entries: &[(IVec, IVec)],
    ) -> Result<(), StoreError> {
        self.with(false, |h| {
            let mut batch = sled::Batch::default();
            for (k, v) in records {
                batch.insert(k, v);
            }
            h.proposals.apply_batch(batch)?;
            let mut batch = sled::Batch::default();
            for (k, v) in entries {
                batch.insert(k, v);
            }
            h.audit.apply_batch(batch)?;
            h.db.flush()?;
            Ok(())
        })
    }

    /// Closes the history unless a reader used it within `idle`: its memory is released, and
    /// its next opening starts from the snapshot sled wrote when it was last opened. Whether
    /// it closed it.
    pub fn close_idle(&self, idle: Duration) -> Result<bool, StoreError> {
        let mut guard = self.guard();
        match guard.take() {
            Some(o) if o.read_at.is_some_and(|t| t.elapsed() < idle) => {
                *guard = Some(o);
                Ok(false)
            }
            Some(o) => {
                o.db.flush()?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    pub fn is_open(&self) -> bool {
        self.guard().is_some()
    }
}
