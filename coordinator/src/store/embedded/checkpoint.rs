//! Checkpoints of the main store. sled 0.34 writes its snapshot only while it opens a
//! database, and every start replays what was written since (measured: 16 to 19 s after a
//! million withdrawals written since the last start). A checkpoint closes the main store and
//! opens it again, so that a start replays only what was written since the last checkpoint.
//! Every use of the store waits meanwhile, as long as a start that replays nothing takes.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{SledStore, Trees};
use crate::store::StoreError;

/// What one checkpoint took, in milliseconds: waiting for the uses under way, the flush,
/// closing the store, opening it again.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Checkpointed {
    pub wait_ms: f64,
    pub flush_ms: f64,
    pub close_ms: f64,
    pub open_ms: f64,
}

impl Checkpointed {
    /// How long every use of the store waited.
    pub fn total_ms(&self) -> f64 {
        self.wait_ms + self.flush_ms + self.close_ms + self.open_ms
    }
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// How long a checkpoint waits for the store's current uses to end before it gives up (the
/// next pass tries again).
const BUSY: Duration = Duration::from_secs(2);

impl SledStore {
    /// Whether `writes` or more writes were made since the last checkpoint (or the start).
    pub fn checkpoint_due(&self, writes: u64) -> bool {
        let since = self.checkpointed.load(Ordering::Acquire);
        self.commit.counted().saturating_sub(since) >= writes
    }

    /// Closes the main store and opens it again, and says how long each step took. `None`
    /// when the store stayed in use for `BUSY` and nothing was done. Should the store not open
    /// again, every later use is refused with [`StoreError::Closed`] (what was acknowledged is
    /// on disk).
    pub fn checkpoint(&self) -> Result<Option<Checkpointed>, StoreError> {
        let started = Instant::now();
        let mut guard = self.trees.write().unwrap_or_else(|e| e.into_inner());
        let Some(current) = guard.as_ref() else {
            return Err(StoreError::Closed);
        };
        // New uses wait for the guard; the ones under way end first.
        while Arc::strong_count(current) > 1 {
            if started.elapsed() > BUSY {
                tracing::warn!("checkpoint skipped: the store stayed in use; the next pass tries");
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut took = Checkpointed {
            wait_ms: ms_since(started),
            ..Checkpointed::default()
        };
        let step = Instant::now();
        let counted = self.commit.counted();
        self.flush(current)?;
        took.flush_ms = ms_since(step);
        hanko_runtime::failpoint::hit("coordinator", "checkpoint_flushed");
        let step = Instant::now();
        drop(guard.take());
        took.close_ms = ms_since(step);
        let step = Instant::now();
        let reopened = hanko_runtime::storage::reopen(&self.dir)
            .map_err(StoreError::from)
            .and_then(Trees::open);
        let trees = match reopened {
            Ok(trees) => trees,
            Err(e) => {
                tracing::error!(error = %e, dir = %self.dir.display(), "the main store did not open again after a checkpoint; restart the coordinator");
                return Err(e);
            }
        };
        *guard = Some(Arc::new(trees));
        took.open_ms = ms_since(step);
        let since = self.checkpointed.swap(counted, Ordering::AcqRel);
        tracing::info!(
            writes = counted - since,
            wait_ms = took.wait_ms,
            flush_ms = took.flush_ms,
            close_ms = took.close_ms,
            open_ms = took.open_ms,
            "main store checkpointed"
        );
        Ok(Some(took))
    }
}
