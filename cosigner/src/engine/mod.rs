//! The cosigner's engine: one decision at a time, each recorded and flushed before any
//! signature is computed. The gRPC link and the operator socket are thin edges around it.

mod ledger;
pub mod noise;
mod offer;
mod operate;
mod usage;

use std::sync::{Arc, RwLock};

use hanko_proto::reason::Reason;
use nem::{Address, Hash256, KeyPair, Network, PublicKey};
use policy::signing::Loaded;
use thiserror::Error;
use tokio::sync::{Mutex, Notify, mpsc};

use crate::audit::Event;
use crate::chain::ChainView;
use crate::examine::Identity;
use crate::record::{Binding, Status};
use crate::sign::Cosigned;
use crate::store::{Store, StoreError};
use ledger::Ledger;
use noise::Noise;

pub use operate::{Operator, OperatorError, StatusReport};

/// What the cosigner answers about one proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Signed(Cosigned),
    Refused {
        reasons: Vec<Reason>,
        policy_hash: String,
    },
    NeedsApproval {
        approvals_required: u32,
        reasons: Vec<Reason>,
    },
}

impl Answer {
    pub fn name(&self) -> &'static str {
        match self {
            Answer::Signed(_) => "signed",
            Answer::Refused { .. } => "refused",
            Answer::NeedsApproval { .. } => "needs_approval",
        }
    }
}

/// An answer the engine produced on its own (an operator approved, a policy reloaded), for
/// the link to deliver.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub proposal_id: String,
    pub inner_hash: Hash256,
    pub answer: Answer,
}

/// Why no answer can be given now; the proposal is offered again later.
#[derive(Debug, Error)]
pub enum Deferred {
    #[error("signing is frozen: {0}")]
    Frozen(String),
    #[error("this cosigner's NIS node cannot be read, so velocity cannot be bounded: {0}")]
    Node(String),
    #[error("the decision could not be recorded, so nothing was signed: {0}")]
    Store(#[from] StoreError),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// A clock, so tests can move time; the daemon uses the system clock.
pub type Clock = Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(jiff::Timestamp::now)
}

/// The policy in force and where it came from.
#[derive(Debug, Clone)]
pub struct ActivePolicy {
    pub loaded: Loaded,
    pub source: String,
}

impl ActivePolicy {
    pub fn hash(&self) -> &str {
        &self.loaded.linted.policy.hash
    }
}

pub struct Engine {
    key: KeyPair,
    public: PublicKey,
    network: Network,
    accounts: Vec<Address>,
    store: Store,
    chain: ChainView,
    policy: RwLock<Arc<ActivePolicy>>,
    ledger: Mutex<Ledger>,
    /// One rate budget per kind of repeated entry, so that a flood of one kind (refused
    /// offers from the coordinator) cannot crowd out another (the chain watcher's alerts).
    noise: std::sync::Mutex<std::collections::BTreeMap<&'static str, Noise>>,
    clock: Clock,
    outbox: mpsc::UnboundedSender<Outgoing>,
    /// Woken when proposals should be fetched again (unfreeze).
    pub resync: Notify,
    alerts: std::sync::Mutex<Vec<String>>,
}

pub struct Parts {
    pub key: KeyPair,
    pub network: Network,
    pub accounts: Vec<Address>,
    pub store: Store,
    pub chain: ChainView,
    pub policy: ActivePolicy,
    pub clock: Clock,
}

impl Engine {
    /// The engine and the receiver of the answers it makes on its own.
    pub fn new(
        parts: Parts,
    ) -> Result<(Arc<Engine>, mpsc::UnboundedReceiver<Outgoing>), StoreError> {
        let (outbox, rx) = mpsc::unbounded_channel();
        let retention = parts.policy.loaded.linted.policy.longest_window_seconds();
        let ledger = Ledger::of(
            &parts.store.bindings()?,
            retention,
            parts.chain.own_proposers(),
        );
        let public = parts.key.public_key();
        let engine = Engine {
            key: parts.key,
            public,
            network: parts.network,
            accounts: parts.accounts,
            store: parts.store,
            chain: parts.chain,
            policy: RwLock::new(Arc::new(parts.policy)),
            ledger: Mutex::new(ledger),
            noise: Default::default(),
            clock: parts.clock,
            outbox,
            resync: Notify::new(),
            alerts: std::sync::Mutex::new(vec![]),
        };
        Ok((Arc::new(engine), rx))
    }

    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    pub fn accounts(&self) -> &[Address] {
        &self.accounts
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn policy(&self) -> Arc<ActivePolicy> {
        match self.policy.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn identity(&self) -> Identity<'_> {
        let policy = self.policy();
        let p = &policy.loaded.linted.policy;
        Identity {
            key: self.public,
            network: self.network,
            accounts: &self.accounts,
            proposers: (!p.any_proposer).then(|| p.proposers.iter().map(|p| p.key).collect()),
        }
    }

    fn now(&self) -> jiff::Timestamp {
        (self.clock)()
    }

    /// Raises an alert: logged at ERROR, kept for `status`, and written to the audit journal.
    fn alert(&self, event: Event) {
        let text = format!("{}: {}", event.kind, event.detail.join("; "));
        tracing::error!(kind = %event.kind, proposal = ?event.proposal, detail = ?event.detail, "ALERT");
        self.keep_alert(text);
        if let Err(e) = self.store.commit(None, event) {
            tracing::error!(error = %e, "the alert could not be written to the audit journal");
        }
    }

    /// An alert a hostile node could repeat without end with new details: journaled, logged
    /// and kept at a bounded rate (see `noise`).
    pub fn raise_bounded(&self, event: Event) {
        let text = format!("{}: {}", event.kind, event.detail.join("; "));
        if self.journal_noise("chain_watcher", "alert", event) {
            tracing::error!(%text, "ALERT");
            self.keep_alert(text);
        }
    }

    /// Keeps an alert's text for `status`: the newest 50.
    fn keep_alert(&self, text: String) {
        if let Ok(mut alerts) = self.alerts.lock() {
            alerts.push(text);
            let excess = alerts.len().saturating_sub(50);
            alerts.drain(..excess);
        }
    }

    /// An alert from outside the decision path (the chain watcher).
    pub fn raise(&self, event: Event) {
        self.alert(event);
    }

    /// Journals (at a bounded rate, see `noise`) something a coordinator can repeat without
    /// end; returns whether it was journaled one by one.
    fn journal_noise(&self, kind: &'static str, code: &'static str, event: Event) -> bool {
        self.admit_noise(kind, code, noise::PER_MINUTE, Some(event))
    }

    /// Whether one more entry of `kind` fits its budget of `per_minute`; writes `event` (if
    /// any) when it does, and the summary of a minute just over.
    fn admit_noise(
        &self,
        kind: &'static str,
        code: &'static str,
        per_minute: u32,
        event: Option<Event>,
    ) -> bool {
        let (one_by_one, summary) = match self.noise.lock() {
            Ok(mut noise) => {
                noise
                    .entry(kind)
                    .or_default()
                    .admit(kind, code, per_minute, self.now_ms())
            }
            Err(_) => (false, None),
        };
        let event = event.filter(|_| one_by_one);
        for e in summary.into_iter().chain(event) {
            if let Err(e) = self.store.commit(None, e) {
                tracing::error!(error = %e, "the audit journal cannot be written");
            }
        }
        one_by_one
    }

    /// Writes the summary of a minute of suppressed refusals, if one is due (called on a
    /// timer, so the last minute of a flood is journaled too).
    pub fn flush_noise(&self) {
        let now = self.now_ms();
        let summaries: Vec<Event> = match self.noise.lock() {
            Ok(mut noise) => noise
                .iter_mut()
                .filter_map(|(kind, n)| n.roll(kind, now))
                .collect(),
            Err(_) => vec![],
        };
        for e in summaries {
            if let Err(e) = self.store.commit(None, e) {
                tracing::error!(error = %e, "the audit journal cannot be written");
            }
        }
    }

    /// The inner hashes of this cosigner's signatures that still count against velocity: the
    /// chain watcher looks a new outflow up here before reading every binding from the store.
    pub async fn signed_hashes(&self) -> Vec<Hash256> {
        let ledger = self.ledger.lock().await;
        ledger.signed.values().map(|b| b.inner_hash).collect()
    }

    pub fn chain(&self) -> &ChainView {
        &self.chain
    }

    pub fn alerts(&self) -> Vec<String> {
        self.alerts.lock().map(|a| a.clone()).unwrap_or_default()
    }

    fn frozen(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .store
            .freeze()?
            .filter(|f| f.frozen)
            .map(|f| {
                let since = jiff::Timestamp::from_millisecond(f.since_ms)
                    .map_or_else(|_| format!("{} ms", f.since_ms), |t| t.to_string());
                format!(
                    "frozen by {} since {since} ({}); unfreeze with: hanko-cosigner unfreeze --reason TEXT",
                    f.by, f.reason
                )
            }))
    }

    fn send(&self, b: &Binding, answer: Answer) {
        let _ = self.outbox.send(Outgoing {
            proposal_id: b.proposal_id.clone(),
            inner_hash: b.inner_hash,
            answer,
        });
    }

    /// The answer a record that holds no signature gives: its refusal, or its wait for
    /// operators. A signed record's answer is the signature itself (see `settle`).
    fn unsigned_answer(&self, status: &Status) -> Result<Answer, Deferred> {
        match status {
            Status::Refused {
                reasons,
                policy_hash,
            } => Ok(Answer::Refused {
                reasons: reasons.clone(),
                policy_hash: policy_hash.clone(),
            }),
            Status::RejectedByOperator { operator, reason } => Ok(Answer::Refused {
                reasons: vec![Reason::new(
                    "operator",
                    "operator",
                    format!("rejected by operator {operator}: {reason}"),
                )],
                policy_hash: self.policy().hash().to_string(),
            }),
            Status::AwaitingApproval {
                approvals_required,
                reasons,
                ..
            } => Ok(Answer::NeedsApproval {
                approvals_required: *approvals_required,
                reasons: reasons.clone(),
            }),
            Status::Signed { .. } => Err(Deferred::Sign(
                "a signed record is answered with its signature".into(),
            )),
        }
    }

    fn now_ms(&self) -> i64 {
        self.now().as_millisecond()
    }
}
