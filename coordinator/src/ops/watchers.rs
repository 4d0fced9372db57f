//! Who hears of each saved change: a Watch of one proposal is woken only by that proposal's
//! changes (not by every change of every proposal), a Watch of everything by all of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::core::ProposalRecord;

type Change = Arc<ProposalRecord>;

/// Changes one slow watcher may fall behind by before it reads its proposal again.
const PER_PROPOSAL: usize = 64;

pub struct Watchers {
    each: Mutex<HashMap<String, broadcast::Sender<Change>>>,
    all: broadcast::Sender<Change>,
}

impl Default for Watchers {
    fn default() -> Self {
        Watchers {
            each: Default::default(),
            all: broadcast::channel(1024).0,
        }
    }
}

impl Watchers {
    /// Changes of proposal `id`, or of every proposal when `id` is empty.
    pub fn subscribe(&self, id: &str) -> broadcast::Receiver<Change> {
        if id.is_empty() {
            return self.all.subscribe();
        }
        let mut each = self.each.lock().unwrap_or_else(|e| e.into_inner());
        // Channels whose watchers all left (after their proposal's last change) go here.
        each.retain(|_, sender| sender.receiver_count() > 0);
        each.entry(id.to_string())
            .or_insert_with(|| broadcast::channel(PER_PROPOSAL).0)
            .subscribe()
    }

    /// Tells the watchers of `change`'s proposal and those of everything. A proposal nobody
    /// watches any more is forgotten (here, or at the next subscription).
    pub fn publish(&self, change: &Change) {
        let _ = self.all.send(change.clone());
        let mut each = self.each.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = each.get(&change.id)
            && sender.send(change.clone()).is_err()
        {
            each.remove(&change.id);
        }
    }

    /// The proposals watched one by one now.
    pub fn ids(&self) -> Vec<String> {
        let each = self.each.lock().unwrap_or_else(|e| e.into_inner());
        each.iter()
            .filter(|(_, sender)| sender.receiver_count() > 0)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Proposals with a channel now (watched, or watched since their last change).
    pub fn watched(&self) -> usize {
        self.each.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> Change {
        let account =
            nem::Address::from_public_key(&nem::PublicKey([1; 32]), nem::Network::Testnet);
        Arc::new(crate::testing::collecting(id, account, vec![], vec![]))
    }

    #[test]
    fn a_watcher_hears_only_its_proposal_and_channels_are_dropped_once_unwatched() {
        let w = Watchers::default();
        let mut one = w.subscribe("p-1");
        let mut all = w.subscribe("");
        w.publish(&record("p-2"));
        w.publish(&record("p-1"));
        assert_eq!(
            one.try_recv().map(|r| r.id.clone()).ok().as_deref(),
            Some("p-1")
        );
        assert!(one.try_recv().is_err());
        assert_eq!(
            all.try_recv().map(|r| r.id.clone()).ok().as_deref(),
            Some("p-2")
        );
        drop(one);
        w.publish(&record("p-1"));
        assert_eq!(w.watched(), 0);
        // Left before any further change: dropped at the next subscription.
        drop(w.subscribe("p-3"));
        let _kept = w.subscribe("p-4");
        assert_eq!(w.watched(), 1);
    }
}
