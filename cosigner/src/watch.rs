//! The cosigner's own chain watcher: on its own NIS node, any confirmed outflow of a served
//! account whose inner hash this cosigner never decided on, and any change of the account's
//! cosignatories, raises an alert (log, status, audit journal) and, when configured, freezes
//! this cosigner. An outflow it never saw means it was down, or the coordinator routed a
//! withdrawal around it, or keys were used outside Hanko: each is for a person to look at.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use nem::{Hash256, PublicKey};
use serde::{Deserialize, Serialize};

use crate::audit::Event;
use crate::chain::ChainOutflow;
use crate::engine::Engine;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchConfig {
    pub enabled: bool,
    pub interval_ms: u64,
    /// Off by default: a cosigner that was down would freeze on outflows its peers signed.
    pub freeze_on_alert: bool,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            enabled: true,
            interval_ms: 5_000,
            freeze_on_alert: false,
        }
    }
}

/// How much earlier than this cosigner's first start a watched outflow may be timestamped.
pub const TIMESTAMP_MARGIN_MS: i64 = 3_600_000;

/// Alerts remembered as raised: a node that keeps showing the same outflow alerts once; one
/// that makes up new ones forever cannot grow this past its bound.
pub const MAX_REMEMBERED: usize = 4_096;

/// The keys of alerts raised, the newest [`MAX_REMEMBERED`].
#[derive(Default)]
pub struct Raised {
    order: std::collections::VecDeque<String>,
    keys: HashSet<String>,
}

impl Raised {
    /// True the first time `key` is seen (among the newest remembered).
    pub fn first(&mut self, key: String) -> bool {
        if self.keys.contains(&key) {
            return false;
        }
        if self.order.len() >= MAX_REMEMBERED
            && let Some(old) = self.order.pop_front()
        {
            self.keys.remove(&old);
        }
        self.keys.insert(key.clone());
        self.order.push_back(key);
        true
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// Outflows at or after `since_ms` whose inner hash is not in `decided`.
pub fn unknown_outflows<'a>(
    outflows: &'a [ChainOutflow],
    decided: &HashSet<Hash256>,
    since_ms: i64,
) -> Vec<&'a ChainOutflow> {
    outflows
        .iter()
        .filter(|o| !decided.contains(&o.inner_hash))
        .filter(|o| o.at.as_millisecond() >= since_ms)
        .collect()
}

fn describe(o: &ChainOutflow) -> String {
    let moved: Vec<String> = o
        .outflows
        .iter()
        .map(|f| match f.destination {
            Some(to) => format!("{} {} to {to}", f.amount, f.asset),
            None => format!("{} {} in fees", f.amount, f.asset),
        })
        .collect();
    format!(
        "outflow {} ({}) was never decided by this cosigner",
        o.inner_hash,
        moved.join(", ")
    )
}

pub async fn run(
    engine: Arc<Engine>,
    config: WatchConfig,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(Duration::from_millis(config.interval_ms.max(200)));
    let mut raised = Raised::default();
    let mut cosignatories: std::collections::HashMap<nem::Address, BTreeSet<PublicKey>> =
        Default::default();
    let mut decided: HashSet<Hash256> = HashSet::new();
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => break,
        }
        // Watch from this cosigner's first start (its journal's first entry), less a margin:
        // a transaction's timestamp may precede its confirmation.
        let since_ms = engine
            .store()
            .audit_first()
            .ok()
            .flatten()
            .map_or(i64::MAX, |e| e.at_ms.saturating_sub(TIMESTAMP_MARGIN_MS));
        for account in engine.accounts().to_vec() {
            let snapshot = match engine.chain().current(&account).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(%account, error = %e, "chain watcher cannot read the node");
                    continue;
                }
            };

            // A new outflow is most often this cosigner's own recent signature, in its ledger;
            // every binding is read from the store only when one is still not known.
            if !unknown_outflows(&snapshot.outflows, &decided, since_ms).is_empty() {
                decided.extend(engine.signed_hashes().await);
            }
            if !unknown_outflows(&snapshot.outflows, &decided, since_ms).is_empty() {
                match engine.store().bindings() {
                    Ok(b) => decided = b.iter().map(|b| b.inner_hash).collect(),
                    Err(e) => {
                        tracing::error!(error = %e, "chain watcher cannot read its bindings");
                        continue;
                    }
                }
            }
            let mut alerts = vec![];
            for o in unknown_outflows(&snapshot.outflows, &decided, since_ms) {
                alerts.push((format!("outflow:{}", o.inner_hash), describe(o)));
            }
            let now: BTreeSet<PublicKey> = snapshot.facts.cosignatories.iter().copied().collect();
            match cosignatories.get(&account) {
                Some(before) if *before != now => alerts.push((
                    format!("cosignatories:{account}:{now:?}"),
                    format!("the cosignatories of {account} changed: {} now", now.len()),
                )),
                _ => {}
            }
            cosignatories.insert(account, now);
            for (key, text) in alerts {
                if !raised.first(key) {
                    continue;
                }
                engine.raise_bounded(
                    Event::new("alert_chain_watcher", "chain-watcher")
                        .detail(vec![format!("account {account}"), text.clone()]),
                );
                if config.freeze_on_alert {
                    let reason = format!("chain watcher: {text}");
                    if let Err(e) = engine.set_freeze(true, "chain-watcher", &reason).await {
                        tracing::error!(error = %e, "the chain watcher could not freeze");
                    }
                }
            }
        }
    }
}
