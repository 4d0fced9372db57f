//! A standby's Watch: only the leader writes, so only its driver hears of changes as they
//! are saved. A standby reads the journal's new entries instead, every `every`, and tells
//! its watchers of each proposal they speak of, as the database holds it now. While this
//! coordinator leads it reads nothing (its driver tells its watchers); when it stops
//! leading, it starts from the journal's end.

use std::sync::Arc;
use std::time::Duration;

use crate::driver::Coordinator;

/// Journal entries read per look at most; the next look reads on.
const PER_LOOK: i64 = 1_000;

pub async fn run(
    c: Arc<Coordinator>,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Some(pg) = c.store.postgres() else { return };
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Where reading goes on: unknown until the journal's end is read; then after an entry,
    // or from the first when the journal was empty.
    let mut read_to: Option<Option<u64>> = None;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        if c.store.leading() {
            read_to = None;
            continue;
        }
        let Some(after) = read_to else {
            read_to = pg.journal_end().await.ok();
            continue;
        };
        let (ids, last) = match pg.changed_since(after, PER_LOOK).await {
            Ok(found) => found,
            Err(e) => {
                tracing::debug!(error = %e, "a standby cannot read the journal now");
                continue;
            }
        };
        for id in ids {
            match c.store.get(&id).await {
                Ok(Some(r)) => c.watchers.publish(&Arc::new(r)),
                Ok(None) => {}
                Err(e) => {
                    tracing::debug!(proposal = %id, error = %e, "a standby cannot read a proposal now")
                }
            }
        }
        read_to = Some(last);
    }
}
