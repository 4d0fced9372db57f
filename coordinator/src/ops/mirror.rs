//! A standby's view: only the leader writes, so only its driver hears of changes as they
//! are saved. A standby reads the journal's new entries instead, every `every`, and tells
//! its watchers of each proposal they speak of, as the database holds it now, keeping its
//! view of the unfinished proposals and the freeze as the database's. While this coordinator
//! leads it reads nothing (its driver tells its watchers). On every change of role, whatever
//! fell between the two (the journal's end read on one side, the driver on the other) is
//! told to the watchers once more: each watched proposal as it is now.

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
    let mut was_leading = c.store.leading();
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        let leading = c.store.leading();
        if leading != was_leading {
            was_leading = leading;
            for id in c.watchers.ids() {
                tell(&c, pg, &id).await;
            }
        }
        if leading {
            read_to = None;
            continue;
        }
        if let Err(e) = pg.mirror_freeze().await {
            tracing::debug!(error = %e, "a standby cannot read the freeze now");
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
            tell(&c, pg, &id).await;
        }
        read_to = Some(last);
    }
}

/// Tells the watchers of proposal `id` how the database holds it now.
async fn tell(c: &Coordinator, pg: &crate::store::postgres::PgStore, id: &str) {
    let read_at = pg.generation();
    match c.store.get(id).await {
        Ok(Some(r)) => {
            pg.mirror(&r, read_at);
            c.watchers.publish(&Arc::new(r));
        }
        Ok(None) => {}
        Err(e) => tracing::debug!(proposal = %id, error = %e, "cannot read a proposal now"),
    }
}
