//! The chain watcher: reads every watched multisig account from the node and raises an alert
//! for anything Hanko did not send: an outgoing transaction whose inner hash is no accepted
//! proposal, any multisig modification, a changed cosignatory set or threshold, a balance
//! outside its bounds, a node clock that drifts. The checks are pure; `run` does the I/O.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nem::client::{AccountMetaDataPair, NisClient, NisError, TransactionMetaDataPair};
use nem::tx::Body;
use nem::{Address, Amount, Hash256, TransactionType};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chain::follow::{MAX_PAGES, page_end};
use crate::core::build::ConfiguredAccount;
use crate::driver::Coordinator;
use crate::store::Freeze;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    UnknownOutflow,
    MultisigModification,
    CosignersChanged,
    BalanceAbove,
    BalanceBelow,
    ClockDrift,
    UnreadableTransaction,
}

impl AlertKind {
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::UnknownOutflow => "unknown_outflow",
            AlertKind::MultisigModification => "multisig_modification",
            AlertKind::CosignersChanged => "cosigners_changed",
            AlertKind::BalanceAbove => "balance_above_ceiling",
            AlertKind::BalanceBelow => "balance_below_floor",
            AlertKind::ClockDrift => "node_clock_drift",
            AlertKind::UnreadableTransaction => "unreadable_transaction",
        }
    }

    /// Funds may be leaving without Hanko: freeze (when configured) and page someone.
    pub fn critical(self) -> bool {
        matches!(
            self,
            AlertKind::UnknownOutflow
                | AlertKind::MultisigModification
                | AlertKind::CosignersChanged
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub kind: AlertKind,
    pub account: Option<Address>,
    /// Raised once per key.
    pub key: String,
    pub message: String,
}

/// `[watch]` in the coordinator's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchConfig {
    pub enabled: bool,
    pub interval_ms: u64,
    /// Freeze the coordinator on a critical alert.
    pub freeze_on_alert: bool,
    pub max_clock_drift_ms: u64,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            enabled: true,
            interval_ms: 1_000,
            freeze_on_alert: true,
            max_clock_drift_ms: 5_000,
        }
    }
}

/// A watched account: its configuration and optional balance bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    pub account: ConfiguredAccount,
    pub address: Address,
    pub max_balance: Option<Amount>,
    pub min_balance: Option<Amount>,
}

/// The inner hash of an outgoing transaction as NIS shows it (the wrapped one for a multisig
/// wrapper), if it reads.
fn inner_hash_of(json: &Value) -> Option<Hash256> {
    let parsed = nem::nis_json::from_nis_json(json).ok()?;
    match parsed.transaction.body {
        Body::Multisig(inner) => inner.hash().ok(),
        _ => parsed.transaction.hash().ok(),
    }
}

/// Which of `list`'s inner hashes Hanko approved, asked of `known` in one question; `None`
/// when the store did not answer.
async fn approved(list: &[Value], known: &impl Known) -> Option<HashSet<Hash256>> {
    let hashes: Vec<Hash256> = list.iter().filter_map(inner_hash_of).collect();
    if hashes.is_empty() {
        return Some(HashSet::new());
    }
    known(hashes).await
}

/// Asks the store which inner hashes Hanko approved; `None` when it cannot say.
pub trait Known: AsyncFn(Vec<Hash256>) -> Option<HashSet<Hash256>> {}
impl<F: AsyncFn(Vec<Hash256>) -> Option<HashSet<Hash256>>> Known for F {}

/// What one pass found.
#[derive(Debug, Default)]
pub struct Passed {
    pub alerts: Vec<Alert>,
    /// Whether the node answered every question.
    pub reachable: bool,
    /// Whether the store answered every question: when it did not, the outflows it could not
    /// place are checked again on the next pass (their heights are not marked checked), never
    /// taken for Hanko's and never raised as unknown on a guess.
    pub placed: bool,
}

/// Checks one transaction from the account's unconfirmed or confirmed outgoing list.
pub fn check_transaction(
    account: &Address,
    json: &Value,
    known: &(dyn Fn(&Hash256) -> bool + Sync),
) -> Option<Alert> {
    let parsed = match nem::nis_json::from_nis_json(json) {
        Ok(p) => p,
        Err(e) => {
            return Some(Alert {
                kind: AlertKind::UnreadableTransaction,
                account: Some(*account),
                key: format!("unreadable:{account}:{json}"),
                message: format!("an outgoing transaction of {account} cannot be read: {e}"),
            });
        }
    };
    let tx = match parsed.transaction.body {
        Body::Multisig(inner) => *inner,
        _ => parsed.transaction,
    };
    if tx.signer_address() != *account {
        return None;
    }
    let hash = tx.hash().ok()?;
    if tx.kind() == TransactionType::MultisigModification {
        return Some(Alert {
            kind: AlertKind::MultisigModification,
            account: Some(*account),
            key: format!("modification:{hash}"),
            message: format!(
                "a multisig modification of {account} (inner hash {hash}) is on its way; Hanko never proposes one"
            ),
        });
    }
    if known(&hash) {
        return None;
    }
    let what = match &tx.body {
        Body::Transfer(t) => format!("{} to {}", t.amount, t.recipient),
        _ => format!("a {} transaction", tx.kind().name()),
    };
    Some(Alert {
        kind: AlertKind::UnknownOutflow,
        account: Some(*account),
        key: format!("outflow:{hash}"),
        message: format!(
            "{what} leaves {account} (inner hash {hash}) and no Hanko proposal has that hash"
        ),
    })
}

/// Cosignatories, threshold and balance bounds of one account as the node shows it.
pub fn check_account(w: &Watched, node: &AccountMetaDataPair, network: nem::Network) -> Vec<Alert> {
    let mut out = vec![];
    if let Err(m) = crate::core::build::check_account(&w.account, node, network) {
        out.push(Alert {
            kind: AlertKind::CosignersChanged,
            account: Some(w.address),
            key: format!("cosigners:{}:{}", w.address, m.found),
            message: m.to_string(),
        });
    }
    let balance = node.account.balance;
    if let Some(max) = w.max_balance
        && balance > max.as_micro()
    {
        out.push(Alert {
            kind: AlertKind::BalanceAbove,
            account: Some(w.address),
            key: format!("above:{}", w.address),
            message: format!(
                "{} holds {} XEM, above its hot-wallet ceiling of {max}",
                w.address,
                nem::amount::format_decimal(balance, 6)
            ),
        });
    }
    if let Some(min) = w.min_balance
        && balance < min.as_micro()
    {
        out.push(Alert {
            kind: AlertKind::BalanceBelow,
            account: Some(w.address),
            key: format!("below:{}", w.address),
            message: format!(
                "{} holds {} XEM, below its floor of {min}",
                w.address,
                nem::amount::format_decimal(balance, 6)
            ),
        });
    }
    out
}

/// The node's clock against this machine's, both in milliseconds since the NEM epoch.
pub fn check_clock(node_ms: u64, local_ms: u64, max_ms: u64) -> Option<Alert> {
    let drift = node_ms.abs_diff(local_ms);
    (drift > max_ms).then(|| Alert {
        kind: AlertKind::ClockDrift,
        account: None,
        key: "clock".into(),
        message: format!(
            "the NIS node's clock is {drift} ms {} this machine's (at most {max_ms})",
            if node_ms > local_ms {
                "ahead of"
            } else {
                "behind"
            }
        ),
    })
}

fn local_network_ms() -> u64 {
    let unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    unix_ms.saturating_sub(nem::time::EPOCH_UNIX_SECONDS as u64 * 1_000)
}

/// For each watched account, the height up to which its confirmed outgoing transactions
/// were all checked.
#[derive(Debug, Default)]
pub struct Checked {
    heights: HashMap<Address, u64>,
}

impl Checked {
    pub fn height(&self, account: &Address) -> Option<u64> {
        self.heights.get(account).copied()
    }

    /// As saved in the store (accounts that no longer parse are left out: checked anew).
    pub fn from_saved(saved: &crate::store::WatchHeights) -> Checked {
        Checked {
            heights: saved
                .iter()
                .filter_map(|(a, h)| Address::parse(a).ok().map(|a| (a, *h)))
                .collect(),
        }
    }

    /// To save in the store.
    pub fn to_saved(&self) -> crate::store::WatchHeights {
        self.heights
            .iter()
            .map(|(a, h)| (a.to_string(), *h))
            .collect()
    }
}

/// The account's confirmed outgoing transactions not checked yet, newest first: back to the
/// height already checked, or only the newest page on the first look. Also the height every
/// transaction is checked to once these are, and whether the pages reached it.
async fn unchecked(
    node: &NisClient,
    account: &Address,
    checked: Option<u64>,
) -> Result<(Vec<TransactionMetaDataPair>, u64, bool), NisError> {
    let mut list: Vec<TransactionMetaDataPair> = vec![];
    let mut before = None;
    // Below the oldest block read, which may go on in the next page.
    let below_oldest = |list: &[TransactionMetaDataPair]| {
        list.last().map_or(0, |t| t.meta.height.saturating_sub(1))
    };
    for _ in 0..MAX_PAGES {
        let page = node.outgoing_transfers(account, before.as_ref()).await?;
        let (reached, next) = page_end(&page, checked);
        before = next;
        list.extend(
            page.into_iter()
                .filter(|t| checked.is_none_or(|c| t.meta.height > c)),
        );
        if reached {
            // Blocks come whole: every transaction up to the newest one read is now read.
            let top = list.first().map(|t| t.meta.height).or(checked).unwrap_or(0);
            return Ok((list, top, true));
        }
        if checked.is_none() {
            let top = below_oldest(&list);
            return Ok((list, top, true));
        }
    }
    let top = below_oldest(&list).max(checked.unwrap_or(0));
    Ok((list, top, false))
}

/// One pass over every watched account. Every confirmed outgoing transaction since the last
/// pass is checked, however many.
pub async fn pass(
    node: &NisClient,
    watched: &[Watched],
    checked: &mut Checked,
    network: nem::Network,
    max_clock_drift_ms: u64,
    known: &impl Known,
) -> Passed {
    let mut alerts = vec![];
    let mut reachable = true;
    let mut placed = true;
    for w in watched {
        match node.unconfirmed_transactions(&w.address).await {
            Ok(list) => {
                let json: Vec<Value> = list.into_iter().map(|t| t.transaction).collect();
                match approved(&json, known).await {
                    Some(ours) => {
                        alerts.extend(json.iter().filter_map(|t| {
                            check_transaction(&w.address, t, &|h| ours.contains(h))
                        }))
                    }
                    None => placed = false,
                }
            }
            Err(_) => reachable = false,
        }
        match unchecked(node, &w.address, checked.height(&w.address)).await {
            Ok((list, top, complete)) => {
                if !complete {
                    tracing::warn!(account = %w.address, read = list.len(), "more confirmed outflows since the last pass than one pass reads; the next pass reads on");
                }
                let json: Vec<Value> = list.into_iter().map(|t| t.transaction).collect();
                match approved(&json, known).await {
                    Some(ours) => {
                        alerts.extend(json.iter().filter_map(|t| {
                            check_transaction(&w.address, t, &|h| ours.contains(h))
                        }));
                        checked.heights.insert(w.address, top);
                    }
                    None => placed = false,
                }
            }
            Err(_) => reachable = false,
        }
        match node.account(&w.address).await {
            Ok(info) => alerts.extend(check_account(w, &info, network)),
            Err(_) => reachable = false,
        }
    }
    match node.network_time_millis().await {
        Ok(ms) => alerts.extend(check_clock(ms, local_network_ms(), max_clock_drift_ms)),
        Err(_) => reachable = false,
    }
    Passed {
        alerts,
        reachable,
        placed,
    }
}

/// Watches until `shutdown` changes: raises each new alert once (log, metric, audit journal,
/// webhooks) and freezes the coordinator on a critical one when so configured.
pub async fn run(
    c: Arc<Coordinator>,
    watched: Vec<Watched>,
    config: WatchConfig,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut interval = tokio::time::interval(Duration::from_millis(config.interval_ms.max(100)));
    let mut seen: HashSet<String> = HashSet::new();
    let mut checked = Checked::default();
    // Where the last watcher (this process before a restart, or the last leader) got to,
    // read whenever this coordinator starts watching: outflows confirmed while no watcher
    // ran are checked, however many (not only the newest page).
    let mut resumed = false;
    let mut saved = crate::store::WatchHeights::default();
    let mut last_ok = Instant::now();
    let network = c.settings.build.network;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = shutdown.changed() => break,
        }
        // The leader watches; the others would only repeat its alerts.
        if !c.store.leading() {
            resumed = false;
            continue;
        }
        if !resumed {
            match c.store.watch_heights().await {
                Ok(heights) => {
                    checked = Checked::from_saved(&heights);
                    saved = heights;
                    resumed = true;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read where the chain watcher got to; trying again");
                    continue;
                }
            }
        }
        let store = c.store.clone();
        let known = async move |hashes: Vec<Hash256>| {
            store
                .approved(&hashes)
                .await
                .inspect_err(|e| {
                    tracing::error!(error = %e, "cannot look up inner hashes; these outflows are checked again on the next pass");
                })
                .ok()
        };
        let Passed {
            alerts,
            reachable,
            placed,
        } = pass(
            &c.node,
            &watched,
            &mut checked,
            network,
            config.max_clock_drift_ms,
            &known,
        )
        .await;
        // The lag counts until a pass both reads the node and places every outflow.
        if reachable && placed {
            last_ok = Instant::now();
        }
        c.metrics.node_reachable.set(i64::from(reachable));
        c.metrics
            .watcher_lag_seconds
            .set(last_ok.elapsed().as_secs() as i64);
        // Alerts first, the position after: a position is saved only once every alert found
        // up to it is in the journal (and the freeze written when asked for), so a watcher
        // that dies in between (a killed leader) leaves them to the next, not unraised.
        let mut all_recorded = true;
        for alert in alerts {
            if seen.insert(alert.key.clone()) && !raise(&c, &alert, config.freeze_on_alert).await {
                seen.remove(&alert.key);
                all_recorded = false;
            }
        }
        if !all_recorded {
            // Read those outflows again on the next pass, and raise them then.
            checked = Checked::from_saved(&saved);
        } else {
            let now = checked.to_saved();
            if now != saved {
                match c.store.set_watch_heights(&now).await {
                    Ok(()) => saved = now,
                    Err(e) => {
                        tracing::debug!(error = %e, "where the chain watcher got to is not saved yet")
                    }
                }
            }
        }
        c.set_health(reachable).await;
    }
}

/// Raises `alert`: log, metric, webhook, journal entry, and the freeze when so configured;
/// whether it is in the journal (and the freeze written when it was asked for).
async fn raise(c: &Coordinator, alert: &Alert, freeze_on_alert: bool) -> bool {
    let kind = alert.kind.name();
    let account = alert.account.map(|a| a.to_string()).unwrap_or_default();
    if alert.kind.critical() {
        tracing::error!(alert = kind, %account, message = %alert.message, "CRITICAL ALERT");
    } else {
        tracing::warn!(alert = kind, %account, message = %alert.message, "alert");
    }
    c.metrics.alert(kind);
    c.alerts.push(
        kind,
        alert.kind.critical(),
        account.clone(),
        alert.message.clone(),
    );
    let event = hanko_runtime::audit::Event::new(&format!("alert_{kind}"), "chain-watcher")
        .detail(vec![alert.message.clone()]);
    let mut recorded = true;
    if let Err(e) = c.store.record(event).await {
        tracing::error!(error = %e, "cannot record the alert in the audit journal; raised again on the next pass");
        recorded = false;
    }
    c.webhooks.alert(kind, &account, &alert.message, &alert.key);
    if alert.kind.critical() && freeze_on_alert && !c.frozen() {
        let freeze = Freeze {
            frozen: true,
            reason: format!("chain watcher: {}", alert.message),
            by: "chain-watcher".into(),
            since_ms: jiff::Timestamp::now().as_millisecond(),
        };
        match c.store.set_freeze(&freeze).await {
            Ok(()) => {
                tracing::error!(reason = %freeze.reason, "coordinator frozen by the chain watcher")
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot record the freeze; tried again on the next pass");
                recorded = false;
            }
        }
    }
    recorded
}

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
