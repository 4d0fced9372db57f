//! Prometheus metrics of the coordinator, served as text on `/metrics` of the metrics port
//! (plain HTTP, loopback by default: figures only, no secrets, no control).

use std::collections::HashSet;
use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use hanko_proto::reason::Reason;

use crate::core::{Answer, CosignerDecision, ProposalRecord};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabel {
    pub outcome: String,
    /// The policy rule a cosigner named first in its reasons.
    pub rule: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AnnounceLabel {
    /// NIS's answer: success, neutral, or the failure's name (FAILURE_…), or transient.
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AlertLabel {
    pub kind: String,
}

/// The proposal store's writes and flushes, for the group commit's figures.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreCounts {
    pub writes: u64,
    pub flushes: u64,
    pub flush_seconds: f64,
    /// On a database: where its transactions' time went.
    pub database: Option<crate::store::postgres::WriteSeconds>,
    /// Whether this coordinator leads (always with the embedded store), and its term.
    pub leading: bool,
    pub term: u64,
}

pub struct Metrics {
    pub transitions: Family<StateLabel, Counter>,
    pub unfinished: Family<StateLabel, Gauge>,
    pub decisions: Family<OutcomeLabel, Counter>,
    pub decisions_by_rule: Family<RuleLabel, Counter>,
    /// Seconds from a proposal's acceptance to each cosigner's signature arriving.
    pub signing_latency: Histogram,
    pub announces: Family<AnnounceLabel, Counter>,
    pub alerts: Family<AlertLabel, Counter>,
    pub frozen: Gauge,
    /// Seconds since the chain watcher last read every account.
    pub watcher_lag_seconds: Gauge,
    pub node_reachable: Gauge,
    /// The rule names `decisions_by_rule` counts by name.
    rules_seen: std::sync::Mutex<HashSet<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            transitions: Default::default(),
            unfinished: Default::default(),
            decisions: Default::default(),
            decisions_by_rule: Default::default(),
            signing_latency: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            announces: Default::default(),
            alerts: Default::default(),
            frozen: Default::default(),
            watcher_lag_seconds: Default::default(),
            node_reachable: Default::default(),
            rules_seen: Default::default(),
        }
    }
}

/// Distinct rule names counted by name; past them, `other`.
const MAX_RULE_LABELS: usize = 256;

/// A rule's name as a label: as the cosigner named it when it is plain and one of the first
/// [`MAX_RULE_LABELS`] seen, else `other` (a label's values must stay few and safe, whatever
/// a cosigner sends, however often it changes its reasons).
fn rule_label(reason: &Reason, seen: &std::sync::Mutex<HashSet<String>>) -> String {
    let other = || "other".to_string();
    if !hanko_proto::reason::plain(&reason.rule) {
        return other();
    }
    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    if seen.contains(&reason.rule) || seen.len() < MAX_RULE_LABELS {
        seen.insert(reason.rule.clone());
        reason.rule.clone()
    } else {
        other()
    }
}

pub fn state_label(s: crate::core::State) -> StateLabel {
    StateLabel {
        state: s.name().to_string(),
    }
}

impl Metrics {
    /// Counts what changed between two versions of a proposal.
    pub fn changed(&self, old: &ProposalRecord, new: &ProposalRecord) {
        if old.state != new.state {
            self.transitions
                .get_or_create(&state_label(new.state))
                .inc();
        }
        for (key, d) in &new.decisions {
            if old.decisions.get(key) != Some(d) {
                let (outcome, reasons) = match d {
                    CosignerDecision::Signed(_) => ("signed", &[][..]),
                    CosignerDecision::Refused { reasons } => ("refused", reasons.as_slice()),
                    CosignerDecision::NeedsApproval { reasons } => {
                        ("needs_approval", reasons.as_slice())
                    }
                };
                if let Some(first) = reasons.first() {
                    self.decisions_by_rule
                        .get_or_create(&RuleLabel {
                            outcome: outcome.into(),
                            rule: rule_label(first, &self.rules_seen),
                        })
                        .inc();
                }
                self.decisions
                    .get_or_create(&OutcomeLabel {
                        outcome: outcome.into(),
                    })
                    .inc();
            }
        }
    }

    pub fn announced(&self, answer: &Answer) {
        let result = match answer {
            Answer::Accepted => "success".to_string(),
            Answer::AlreadyKnown => "neutral".to_string(),
            Answer::NoMatchingMultisig => "FAILURE_MULTISIG_NO_MATCHING_MULTISIG".to_string(),
            Answer::Transient(_) => "transient".to_string(),
            Answer::Refused { name, .. } => name.clone(),
        };
        self.announces
            .get_or_create(&AnnounceLabel { result })
            .inc();
    }

    pub fn alert(&self, kind: &str) {
        self.alerts
            .get_or_create(&AlertLabel { kind: kind.into() })
            .inc();
    }

    /// The text exposition, after refreshing the gauges that are read at scrape time.
    pub fn render(
        &self,
        unfinished: &[Arc<ProposalRecord>],
        frozen: bool,
        store: StoreCounts,
    ) -> String {
        self.unfinished.clear();
        for r in unfinished {
            self.unfinished.get_or_create(&state_label(r.state)).inc();
        }
        self.frozen.set(i64::from(frozen));
        let mut registry = Registry::with_prefix("hanko_coordinator");
        registry.register(
            "transitions",
            "Proposals that entered each state",
            self.transitions.clone(),
        );
        registry.register(
            "unfinished_proposals",
            "Unfinished proposals by state",
            self.unfinished.clone(),
        );
        registry.register(
            "decisions",
            "Cosigner decisions counted, by outcome",
            self.decisions.clone(),
        );
        registry.register(
            "decisions_by_rule",
            "Refusals and approval requests, by the first rule the cosigner named",
            self.decisions_by_rule.clone(),
        );
        registry.register(
            "signing_latency_seconds",
            "From a proposal's acceptance to each cosigner's signature",
            self.signing_latency.clone(),
        );
        registry.register(
            "announces",
            "Announces to the NIS node, by the node's answer",
            self.announces.clone(),
        );
        registry.register("alerts", "Alerts raised, by kind", self.alerts.clone());
        registry.register(
            "frozen",
            "1 while the coordinator is frozen",
            self.frozen.clone(),
        );
        registry.register(
            "watcher_lag_seconds",
            "Seconds since the chain watcher last read every watched account",
            self.watcher_lag_seconds.clone(),
        );
        registry.register(
            "node_reachable",
            "1 when the NIS node answered the last watcher pass",
            self.node_reachable.clone(),
        );
        registry.register(
            "store_writes",
            "Writes to the proposal store since the coordinator started",
            ConstCounter::new(store.writes),
        );
        registry.register(
            "store_flushes",
            "Flushes (fsyncs) of the proposal store since the coordinator started; each \
             settles every write made before it",
            ConstCounter::new(store.flushes),
        );
        registry.register(
            "store_flush_seconds",
            "Seconds spent in those flushes (on a database: in its commits)",
            ConstCounter::new(store.flush_seconds),
        );
        registry.register(
            "leading",
            "1 while this coordinator leads (steps proposals, announces, watches the chain); \
             always 1 with the embedded store",
            prometheus_client::metrics::gauge::ConstGauge::new(i64::from(store.leading)),
        );
        registry.register(
            "leader_term",
            "The term this coordinator leads in (0 when it does not, or with the embedded store)",
            prometheus_client::metrics::gauge::ConstGauge::new(store.term as i64),
        );
        if let Some(d) = store.database {
            registry.register(
                "store_transaction_seconds",
                "Seconds the database's writing transactions took in all, from asking for a \
                 connection to the commit's answer",
                ConstCounter::new(d.all),
            );
            registry.register(
                "store_connection_wait_seconds",
                "Of those, seconds spent waiting for a connection of the pool",
                ConstCounter::new(d.waiting_for_connection),
            );
            registry.register(
                "store_turn_wait_seconds",
                "Of those, seconds spent waiting for the writers' turn (one writes at a time)",
                ConstCounter::new(d.waiting_for_turn),
            );
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// However many rule names cosigners send, the label takes at most 256 of them; the rest
    /// count as `other`, and names that are not plain never become labels.
    #[test]
    fn rule_labels_stay_few_whatever_cosigners_send() {
        let seen = Default::default();
        let label = |rule: &str| rule_label(&Reason::new(rule, "limit", "x"), &seen);
        let named = (0..1_000)
            .filter(|i| label(&format!("rule-{i}")) != "other")
            .count();
        assert_eq!(named, MAX_RULE_LABELS);
        assert_eq!(
            label("rule-0"),
            "rule-0",
            "a name seen first keeps its label"
        );
        assert_eq!(label("rule-999"), "other");
        assert_eq!(label("bad name\n"), "other");
    }
}
