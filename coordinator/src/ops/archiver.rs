//! The archive task: every `[history] interval_seconds`, one pass moves finished proposals
//! and old journal entries to the history (`Store::archive`), closes the history unless a
//! reader used it since the previous pass, and checkpoints the main store once
//! `checkpoint_writes` writes were made since the last checkpoint. The first pass comes one
//! interval after the start, so a start never waits for it.

use std::sync::Arc;
use std::time::Duration;

use crate::store::{Keep, Store};

pub async fn run(store: Arc<Store>, keep: Keep, mut stop: tokio::sync::watch::Receiver<bool>) {
    let interval = Duration::from_secs(keep.interval_seconds);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(interval) => {}
        }
        let s = store.clone();
        let pass = tokio::task::spawn_blocking(move || {
            // Only the embedded store keeps a history of its own.
            let Some(s) = s.embedded() else {
                return Ok((Default::default(), false));
            };
            let moved = s.archive(&keep)?;
            let closed = s.close_history(interval)?;
            if s.checkpoint_due(keep.checkpoint_writes) {
                s.checkpoint()?;
            }
            Ok::<_, crate::store::StoreError>((moved, closed))
        })
        .await;
        match pass {
            Ok(Ok((moved, closed))) => tracing::debug!(
                proposals = moved.proposals,
                entries = moved.entries,
                history_closed = closed,
                "archive pass"
            ),
            Ok(Err(e)) => tracing::warn!(
                error = %e,
                "archive pass failed; finished proposals stay in the main store until the next"
            ),
            Err(e) => tracing::error!(error = %e, "archive pass stopped"),
        }
    }
}
