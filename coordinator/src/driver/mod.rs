//! The driver: applies events to the pure core one at a time, persists the result, then acts.
//! Announces go to the NIS node and their answers come back as events; a ticker drives retries
//! and deadline checks. While frozen, nothing is distributed or broadcast.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nem::client::{NisClient, NisError};
use nem::validation::ValidationResult;
use nem::{NemTimestamp, SignedTransaction};
use tokio::sync::broadcast;

use crate::chain::follow::{Follower, Found};
use crate::core::build::{BuildConfig, ConfiguredAccount};
use crate::core::{self, Action, Answer, Event, ProposalRecord};
use crate::driver::transitions::Work;
use crate::store::{Store, StoreError};
use batch::{Queued, QueuedDraft};
pub use error::DriverError;
pub use operations::{Overview, Prepare, Propose, Query, Subscription, checked};

mod batch;
mod error;
mod operations;
pub(crate) mod own_bytes;
pub(crate) mod transitions;

pub struct Settings {
    pub build: BuildConfig,
    pub accounts: Vec<ConfiguredAccount>,
    pub tick: Duration,
    pub limits: crate::config::limits::Limits,
}

pub struct Coordinator {
    pub store: Arc<Store>,
    pub node: NisClient,
    pub settings: Settings,
    /// Serializes transitions: one batch at a time, written before anything acts on it.
    lock: tokio::sync::Mutex<()>,
    /// Work waiting for the next batch.
    queue: Mutex<Vec<Queued>>,
    /// Drafts waiting for the next batch.
    drafts: Mutex<Vec<QueuedDraft>>,
    /// Transitions written and waiting for their flush, in write order, with what they do.
    outbox: Mutex<VecDeque<Committed>>,
    /// Announces under way, so a tick does not send the same bytes twice at once.
    in_flight: Mutex<HashSet<(String, [u8; 32])>>,
    /// Proposals to offer cosigners (Distribute).
    pub offers: broadcast::Sender<Arc<ProposalRecord>>,
    /// Every saved change, to the watchers of its proposal (Watch).
    pub watchers: crate::ops::watchers::Watchers,
    /// Subscriptions and heartbeats of cosigners (Admin.Status).
    pub board: Arc<crate::ops::board::Board>,
    /// The newest alerts raised here (Admin.Status).
    pub alerts: crate::ops::alerts::Recent,
    pub metrics: crate::ops::metrics::Metrics,
    /// When each unfinished proposal was accepted by this process (signing latency).
    accepted_at: Mutex<std::collections::HashMap<String, std::time::Instant>>,
    pub webhooks: crate::ops::webhook::Webhooks,
    /// The deadline shifts handed to the last few seconds' identical withdrawals.
    shifts: own_bytes::Shifts,
    /// Standard gRPC health: SERVING only while not frozen, the node answers and storage writes.
    pub health: std::sync::Mutex<Option<tonic_health::server::HealthReporter>>,
    /// Whether the node answered the chain watcher's last pass.
    node_reachable: std::sync::atomic::AtomicBool,
}

/// A transition written to the store: once it is on disk, watchers, metrics and webhooks
/// hear of it (if it changed the record) and its actions run.
struct Committed {
    seq: u64,
    old: Option<ProposalRecord>,
    next: Arc<ProposalRecord>,
    actions: Vec<Action>,
}

pub(crate) fn now() -> NemTimestamp {
    NemTimestamp::now().unwrap_or_default()
}

/// How a NIS answer feeds back into the core.
pub fn answer_of(result: Result<nem::client::Announced, NisError>) -> Answer {
    match result {
        Ok(a) if a.neutral => Answer::AlreadyKnown,
        Ok(_) => Answer::Accepted,
        Err(NisError::Rejected {
            result: ValidationResult::FAILURE_MULTISIG_NO_MATCHING_MULTISIG,
            ..
        }) => Answer::NoMatchingMultisig,
        Err(e) if e.is_retryable() => Answer::Transient(e.to_string()),
        Err(NisError::Rejected { result, .. }) => Answer::Refused {
            code: result.code(),
            name: result.name().into(),
        },
        Err(e) => Answer::Transient(e.to_string()),
    }
}

impl Coordinator {
    pub fn new(store: Arc<Store>, node: NisClient, settings: Settings) -> Arc<Coordinator> {
        Coordinator::with_webhooks(store, node, settings, Default::default())
    }

    pub fn with_webhooks(
        store: Arc<Store>,
        node: NisClient,
        settings: Settings,
        webhooks: crate::ops::webhook::Webhooks,
    ) -> Arc<Coordinator> {
        let (offers, _) = broadcast::channel(1024);
        Arc::new(Coordinator {
            store,
            node,
            settings,
            lock: tokio::sync::Mutex::new(()),
            queue: Default::default(),
            drafts: Default::default(),
            outbox: Default::default(),
            in_flight: Mutex::new(HashSet::new()),
            offers,
            watchers: Default::default(),
            board: Default::default(),
            alerts: Default::default(),
            metrics: Default::default(),
            accepted_at: Default::default(),
            webhooks,
            shifts: Default::default(),
            health: Default::default(),
            node_reachable: std::sync::atomic::AtomicBool::new(true),
        })
    }

    /// Starts the signing-latency clock of a just-accepted proposal.
    fn accepted(&self, id: &str) {
        if let Ok(mut m) = self.accepted_at.lock() {
            m.insert(id.to_string(), std::time::Instant::now());
        }
    }

    fn observe_signing(&self, old: &ProposalRecord, new: &ProposalRecord) {
        let Ok(mut m) = self.accepted_at.lock() else {
            return;
        };
        if let Some(at) = m.get(&new.id) {
            let fresh = new.decisions.iter().filter(|(k, d)| {
                matches!(d, core::CosignerDecision::Signed(_)) && old.decisions.get(k) != Some(d)
            });
            for _ in fresh {
                self.metrics
                    .signing_latency
                    .observe(at.elapsed().as_secs_f64());
            }
        }
        if new.state.is_terminal() {
            m.remove(&new.id);
        }
    }

    /// Reports readiness on the standard health service, with what the chain watcher last
    /// found of the node.
    pub async fn set_health(&self, node_reachable: bool) {
        self.node_reachable
            .store(node_reachable, std::sync::atomic::Ordering::Relaxed);
        self.refresh_health().await;
    }

    /// SERVING only while this coordinator leads, is not frozen, its node answered last and
    /// its storage takes writes: what clients with several coordinators look for. The
    /// service [`LEADER_HEALTH`] is SERVING exactly while it leads: where a client goes when
    /// no coordinator is ready (all frozen, say), to unfreeze it.
    ///
    /// [`LEADER_HEALTH`]: hanko_proto::channel::LEADER_HEALTH
    pub async fn refresh_health(&self) {
        let leading = self.store.leading();
        let ready = leading
            && self
                .node_reachable
                .load(std::sync::atomic::Ordering::Relaxed)
            && !self.frozen()
            && self.store.probe().await.is_ok();
        let reporter = self.health.lock().ok().and_then(|h| h.clone());
        if let Some(reporter) = reporter {
            let status = if ready {
                tonic_health::ServingStatus::Serving
            } else {
                tonic_health::ServingStatus::NotServing
            };
            reporter.set_service_status("", status).await;
            let leads = if leading {
                tonic_health::ServingStatus::Serving
            } else {
                tonic_health::ServingStatus::NotServing
            };
            reporter
                .set_service_status(hanko_proto::channel::LEADER_HEALTH, leads)
                .await;
        }
    }

    pub fn frozen(&self) -> bool {
        self.store.freeze().ok().flatten().is_some_and(|f| f.frozen)
    }

    /// A proposal as saved: once everything a reader could see is on disk, so a reader
    /// never sees a change that a crash could still take back.
    pub async fn saved(&self, id: &str) -> Result<Option<ProposalRecord>, StoreError> {
        let record = self.store.get(id).await?;
        self.store.settled(record).await
    }

    /// Applies one event: queued with the events that arrive meanwhile, stepped and written
    /// with them in one transaction under the transition lock, then, once the write is on disk
    /// (one flush serves every transition waiting with it), acted on. Effects run in the order
    /// the transitions were written, and only once they are durable.
    pub async fn apply(
        self: &Arc<Self>,
        id: &str,
        event: Event,
    ) -> Result<ProposalRecord, DriverError> {
        let id = id.to_string();
        let mut answers = self.submit(vec![Work::Event { id, event }]).await;
        answers.pop().unwrap_or(Err(DriverError::Dropped))
    }

    /// Accepts a proposal (its draft becomes it, unless its account already has `max_pending`
    /// unfinished ones) and gives it its first tick, in the same batch: on disk before it
    /// returns the proposal as the tick left it.
    pub async fn accept(
        self: &Arc<Self>,
        record: ProposalRecord,
        max_pending: usize,
    ) -> Result<ProposalRecord, DriverError> {
        let id = record.id.clone();
        let accept = Work::Accept {
            record,
            max_pending,
        };
        // The signing-latency clock starts before any cosigner can hear of it.
        self.accepted(&id);
        let tick = Work::Event {
            id: id.clone(),
            event: Event::Tick,
        };
        let mut answers = self.submit(vec![accept, tick]).await.into_iter();
        let accepted = answers.next().unwrap_or(Err(DriverError::Dropped));
        if accepted.is_err()
            && let Ok(mut m) = self.accepted_at.lock()
        {
            m.remove(&id);
        }
        accepted?;
        answers.next().unwrap_or(Err(DriverError::Dropped))
    }

    /// Runs, in write order, the effects of every transition now on disk.
    fn release(self: &Arc<Self>) {
        let flushed = self.store.flushed();
        let mut outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
        while outbox.front().is_some_and(|c| c.seq <= flushed) {
            let Some(c) = outbox.pop_front() else { break };
            if let Some(old) = &c.old {
                self.metrics.changed(old, &c.next);
                self.observe_signing(old, &c.next);
                if c.next.state != old.state {
                    self.webhooks.state_changed(&c.next);
                }
                // Watchers see every saved change: decisions as they arrive, not only states.
                self.watchers.publish(&c.next);
            }
            self.perform(&c.next, c.actions);
        }
    }

    fn perform(self: &Arc<Self>, r: &Arc<ProposalRecord>, actions: Vec<Action>) {
        let frozen = self.frozen();
        for action in actions {
            match action {
                // Sent above with every saved change.
                Action::Notify => {}
                Action::Distribute if !frozen => {
                    let _ = self.offers.send(r.clone());
                    let me = self.clone();
                    let id = r.id.clone();
                    tokio::spawn(async move {
                        let _ = me.apply(&id, Event::Distributed).await;
                    });
                }
                Action::AnnounceWrapper { transaction, .. } if !frozen => {
                    self.announce(&r.id, "wrapper", transaction, Event::WrapperAnswer);
                }
                Action::AnnounceCosignature {
                    cosigner,
                    transaction,
                } if !frozen => {
                    self.announce(&r.id, "cosignature", transaction, move |answer| {
                        Event::CosignatureAnswer { cosigner, answer }
                    });
                }
                // The ticker's chain follower finds it from the next new block.
                Action::TrackConfirmation => {}
                Action::CheckChain => self.look_on_chain(r),
                Action::Alert { cosigner, message } => {
                    tracing::error!(proposal = %r.id, %cosigner, %message, "cosigner alert");
                    self.alerts.push(
                        "cosigner_alert",
                        true,
                        r.account.to_string(),
                        format!("proposal {}: cosigner {cosigner}: {message}", r.id),
                    );
                }
                _ => {}
            }
        }
    }

    /// Announces `transaction` (a `what`: wrapper or cosignature) and feeds the answer back.
    fn announce(
        self: &Arc<Self>,
        id: &str,
        what: &'static str,
        transaction: SignedTransaction,
        event: impl FnOnce(Answer) -> Event + Send + 'static,
    ) {
        let key = (id.to_string(), *transaction.hash().as_bytes());
        if !self
            .in_flight
            .lock()
            .map(|mut s| s.insert(key.clone()))
            .unwrap_or(false)
        {
            return;
        }
        let me = self.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            hanko_runtime::failpoint::hit_step("coordinator", what, "_announcing");
            let answer = answer_of(me.node.announce(&transaction).await);
            hanko_runtime::failpoint::hit_step("coordinator", what, "_announced");
            tracing::info!(proposal = %id, hash = %transaction.hash(), ?answer, "announce");
            me.metrics.announced(&answer);
            if let Ok(mut s) = me.in_flight.lock() {
                s.remove(&key);
            }
            let _ = me.apply(&id, event(answer)).await;
        });
    }

    /// Looks for the proposal on chain: its announced wrapper by hash (one lookup, whatever
    /// the account's history), else, once its deadline passed, its inner hash among the
    /// newest outgoing transfers.
    fn look_on_chain(self: &Arc<Self>, r: &Arc<ProposalRecord>) {
        let me = self.clone();
        let r = r.clone();
        tokio::spawn(async move {
            if let Ok(Some(found)) = crate::chain::follow::look_up(&me.node, &r).await {
                me.confirm(found).await;
                return;
            }
            // Announced and not confirmed yet: the chain follower finds it when it is, unless
            // the deadline passed, when the account's outgoing transfers are a second check.
            if r.broadcast.wrapper_hash.is_some() && now() <= r.deadline {
                return;
            }
            match me.node.outgoing_transfers(&r.account, None).await {
                Ok(list) => {
                    let found = list
                        .iter()
                        .find(|t| t.meta.inner_hash.data == Some(r.inner_hash));
                    match found.and_then(|f| f.meta.hash.data.map(|h| (f.meta.height, h))) {
                        Some((height, wrapper_hash)) => {
                            let id = r.id.clone();
                            me.confirm(Found {
                                id,
                                height,
                                wrapper_hash,
                            })
                            .await;
                        }
                        None if found.is_none() && now() > r.deadline => {
                            let _ = me.apply(&r.id, Event::NotOnChain).await;
                        }
                        None => {}
                    }
                }
                Err(e) => tracing::warn!(proposal = %r.id, error = %e, "cannot read the chain"),
            }
        });
    }

    /// Whether the confirmation is written (or the proposal needs none any more).
    async fn confirm(self: &Arc<Self>, found: Found) -> bool {
        let event = Event::Confirmed {
            height: found.height,
            wrapper_hash: found.wrapper_hash,
        };
        match self.apply(&found.id, event).await {
            Ok(_) => true,
            Err(DriverError::Store(e)) => {
                tracing::warn!(proposal = %found.id, error = %e, "confirmation not written; looked up again");
                false
            }
            Err(_) => true,
        }
    }

    /// One look at the chain: every unfinished proposal confirmed since the last new block.
    async fn follow(self: &Arc<Self>, follower: &mut Follower) {
        let height = match self.node.chain_height().await {
            Ok(h) => h,
            // The chain watcher reports an unreachable node; the next tick looks again.
            Err(e) => {
                tracing::debug!(error = %e, "cannot read the chain height");
                return;
            }
        };
        // Read after the height: whatever was confirmed up to it was announced, so accepted,
        // before this read.
        let active = self.store.active();
        let found = follower.pass(&self.node, height, &active).await;
        // Together, so the confirmations share their flushes.
        let mut confirming = tokio::task::JoinSet::new();
        for f in found {
            let me = self.clone();
            confirming.spawn(async move { me.confirm(f).await });
        }
        let mut written = true;
        while let Some(done) = confirming.join_next().await {
            written &= done.unwrap_or(false);
        }
        // A confirmation the store did not take (its database failing over, say) is found
        // again: a new follower looks every announced proposal up by its own hash.
        if !written {
            *follower = Follower::default();
        }
    }

    /// Every tick: a look at the chain for confirmations, then a `Tick` for each unfinished
    /// proposal that has something to do (retries, expiry).
    pub async fn run_ticker(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut interval = tokio::time::interval(self.settings.tick);
        let mut follower = Follower::default();
        loop {
            tokio::select! {
                _ = interval.tick() => {
                    // Only the leader steps proposals and announces.
                    if !self.store.leading() {
                        continue;
                    }
                    self.follow(&mut follower).await;
                    // All at once: the ticks share the flushes of what they wait for, so a
                    // pass over many unfinished proposals is not one flush wait per proposal.
                    // The next pass starts only when this one is done.
                    let now = now();
                    let mut pass = tokio::task::JoinSet::new();
                    for r in self.store.active() {
                        if core::idle(&r, now) {
                            continue;
                        }
                        let me = self.clone();
                        pass.spawn(async move {
                            let _ = me.apply(&r.id, Event::Tick).await;
                        });
                    }
                    while pass.join_next().await.is_some() {}
                }
                _ = shutdown.changed() => break,
            }
        }
    }
}
