//! Group commit: writes made by many requests at once become durable with one flush.
//!
//! Every write to a store is counted under one lock, so a number read under that lock covers
//! every write already visible to readers. A writer (or a reader about to show what it read)
//! waits until a flush that started after its number has returned. One flush runs at a time,
//! off the async workers, and a waiter whose number an earlier flush covered does not flush
//! again: under load one fsync settles every write that arrived while the previous one ran.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The flush task ended without an answer (it panicked): nothing it covered is durable.
#[derive(Debug, thiserror::Error)]
#[error("the flush did not finish: {0}")]
pub struct Interrupted(pub String);

#[derive(Default)]
pub struct GroupCommit {
    /// Writes made so far; held while a write is made, so the count and the store agree.
    written: Mutex<u64>,
    /// Every write up to this number is on disk.
    flushed: AtomicU64,
    /// One flush at a time; the others wait for it and then look again.
    turn: tokio::sync::Mutex<()>,
    /// Flushes that returned, and the time they took, for the figures.
    flushes: AtomicU64,
    flush_micros: AtomicU64,
}

impl GroupCommit {
    /// Makes one write with `write` and counts it: returns its number.
    pub fn write<T, E>(&self, write: impl FnOnce() -> Result<T, E>) -> Result<(T, u64), E> {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        let value = write()?;
        *written += 1;
        Ok((value, *written))
    }

    /// The number of writes made so far: every write a reader can see is among them.
    pub fn counted(&self) -> u64 {
        *self.written.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every write up to this number is on disk.
    pub fn flushed(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }

    /// Flushes that returned since the store was opened.
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// Returns once every write up to `seq` is on disk, running `flush` (on a blocking
    /// thread) if no flush that covers it has run. `flush` must make durable every write
    /// made before it is called. An error means this flush failed; nothing is reported
    /// durable that was not flushed.
    pub async fn durable<E>(
        &self,
        seq: u64,
        flush: impl FnOnce() -> Result<(), E> + Send + 'static,
    ) -> Result<(), E>
    where
        E: From<Interrupted> + Send + 'static,
    {
        if self.flushed() >= seq {
            return Ok(());
        }
        let _turn = self.turn.lock().await;
        if self.flushed() >= seq {
            return Ok(());
        }
        let target = self.counted();
        let started = std::time::Instant::now();
        tokio::task::spawn_blocking(flush)
            .await
            .map_err(|e| Interrupted(e.to_string()))??;
        self.done(target, started);
        Ok(())
    }

    /// As [`GroupCommit::durable`] for everything written so far, flushing on this thread
    /// (imports, alerts, the freeze: rare writes outside the async paths).
    pub fn flush_now<E>(&self, flush: impl FnOnce() -> Result<(), E>) -> Result<(), E> {
        let target = self.counted();
        let started = std::time::Instant::now();
        flush()?;
        self.done(target, started);
        Ok(())
    }

    fn done(&self, target: u64, started: std::time::Instant) {
        self.flushed.fetch_max(target, Ordering::AcqRel);
        self.flushes.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.flush_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Seconds spent in flushes that returned.
    pub fn flush_seconds(&self) -> f64 {
        self.flush_micros.load(Ordering::Relaxed) as f64 / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_is_durable_only_after_a_flush_that_began_after_it() {
        let commit = GroupCommit::default();
        let ((), first) = commit.write(|| Ok::<_, Interrupted>(())).unwrap();
        let ((), second) = commit.write(|| Ok::<_, Interrupted>(())).unwrap();
        assert_eq!((first, second, commit.flushed()), (1, 2, 0));
        commit
            .durable(second, || Ok::<_, Interrupted>(()))
            .await
            .unwrap();
        assert_eq!(commit.flushed(), 2);
        // Already covered: no second flush.
        commit
            .durable(first, || Err(Interrupted("must not run".into())))
            .await
            .unwrap();
        assert_eq!(commit.flushes(), 1);
        // A failed flush reports nothing durable.
        let ((), third) = commit.write(|| Ok::<_, Interrupted>(())).unwrap();
        assert!(
            commit
                .durable(third, || Err(Interrupted("disk".into())))
                .await
                .is_err()
        );
        assert_eq!(commit.flushed(), 2);
        // A failed write is not counted.
        assert!(
            commit
                .write(|| Err::<(), _>(Interrupted("no".into())))
                .is_err()
        );
        assert_eq!(commit.counted(), 3);
    }
}
