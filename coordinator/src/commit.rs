//! Group commit: writes made by many requests at once become durable with one flush.
//!
//! Every write to the store is counted under one lock, so a number read under that lock
//! covers every write already visible to readers. A writer (or a reader about to show what it
//! read) waits until a flush that started after its number has returned. One flush runs at a
//! time, and a waiter whose number an earlier flush covered does not flush again: under load
//! one fsync settles every write that arrived while the previous one ran.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::StoreError;

/// A write that is not durable yet: `seq` is its place in the store's count of writes, `step`
/// names it for the crash points (`<step>_written`, `<step>_saved`).
#[must_use = "a write is acknowledged only after it is settled"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub seq: u64,
    pub step: &'static str,
}

#[derive(Default)]
pub struct GroupCommit {
    /// Writes made so far; held while a write is made, so the count and sled agree.
    written: Mutex<u64>,
    /// Every write up to this number is on disk.
    flushed: AtomicU64,
    /// One flush at a time; the others wait for it and then look again.
    turn: tokio::sync::Mutex<()>,
    /// Flushes that returned, for the figures.
    flushes: AtomicU64,
}

impl GroupCommit {
    /// Makes one write with `write` and counts it.
    pub fn write<T>(
        &self,
        step: &'static str,
        write: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<(T, Ticket), StoreError> {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        let value = write()?;
        *written += 1;
        let ticket = Ticket {
            seq: *written,
            step,
        };
        drop(written);
        hanko_proto::failpoint::hit_step("coordinator", step, "_written");
        Ok((value, ticket))
    }

    /// The number of writes made so far: every write a reader can see is among them.
    pub fn counted(&self) -> u64 {
        *self.written.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Flushes now, on this thread (imports, alerts, the freeze: rare writes).
    pub fn flush_now(&self, db: &sled::Db) -> Result<(), StoreError> {
        let target = self.counted();
        db.flush()?;
        self.flushed.fetch_max(target, Ordering::AcqRel);
        self.flushes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Flushes that returned since the store was opened.
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    pub fn flushed(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }

    /// Returns once every write up to `seq` is on disk, flushing `db` if no flush that
    /// covers it has run. An error means this flush failed; nothing is reported durable
    /// that was not flushed.
    pub async fn durable(&self, db: &sled::Db, seq: u64) -> Result<(), StoreError> {
        if self.flushed() >= seq {
            return Ok(());
        }
        let _turn = self.turn.lock().await;
        if self.flushed() >= seq {
            return Ok(());
        }
        let target = self.counted();
        let db = db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(|e| StoreError::Interrupted(e.to_string()))??;
        self.flushed.fetch_max(target, Ordering::AcqRel);
        self.flushes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
