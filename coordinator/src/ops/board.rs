//! What the coordinator last heard from each cosigner: open subscriptions and heartbeats.
//! Kept in memory only; Admin.Status reports it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use nem::PublicKey;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Open Subscribe streams.
    pub streams: u32,
    pub last_heartbeat_ms: i64,
    pub frozen: bool,
    pub policy_hash: String,
    pub version: String,
}

#[derive(Debug, Default)]
pub struct Board {
    seen: Mutex<HashMap<PublicKey, Seen>>,
}

/// Counts one open subscription until dropped (when the stream ends or is cancelled).
pub struct Subscribed {
    board: Arc<Board>,
    key: PublicKey,
}

impl Drop for Subscribed {
    fn drop(&mut self) {
        self.board
            .edit(&self.key, |s| s.streams = s.streams.saturating_sub(1));
    }
}

impl Board {
    fn edit(&self, key: &PublicKey, f: impl FnOnce(&mut Seen)) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        f(seen.entry(*key).or_default());
    }

    pub fn subscribed(self: &Arc<Self>, key: PublicKey) -> Subscribed {
        self.edit(&key, |s| s.streams += 1);
        Subscribed {
            board: self.clone(),
            key,
        }
    }

    pub fn heartbeat(
        &self,
        key: &PublicKey,
        at_ms: i64,
        frozen: bool,
        policy: &str,
        version: &str,
    ) {
        self.edit(key, |s| {
            s.last_heartbeat_ms = at_ms;
            s.frozen = frozen;
            s.policy_hash = policy.to_string();
            s.version = version.to_string();
        });
    }

    /// What is known of `key` (default: never heard from).
    pub fn get(&self, key: &PublicKey) -> Seen {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.get(key).cloned().unwrap_or_default()
    }
}
