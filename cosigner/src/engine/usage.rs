//! What the operators' console draws: each velocity rule's use, counted under the decision
//! lock exactly as the next decision would count it.

use super::{Deferred, Engine};
use crate::decide::Context;
use crate::usage::{RuleUsage, usage};

impl Engine {
    /// Every velocity rule of the policy in force, for each account this cosigner serves.
    pub async fn usage(&self) -> Result<Vec<RuleUsage>, Deferred> {
        let policy = self.policy();
        let mut out = Vec::new();
        for account in &self.accounts {
            let snapshot = self
                .chain
                .current(account)
                .await
                .map_err(|e| Deferred::Node(e.to_string()))?;
            let mut ledger = self.ledger.lock().await;
            let now = self.now();
            ledger.prune(now);
            let context = Context {
                snapshot: &snapshot,
                own: ledger.uncounted(&snapshot.history).collect(),
                now,
            };
            out.extend(usage(&policy.loaded.linted.policy, *account, &context));
        }
        Ok(out)
    }
}
