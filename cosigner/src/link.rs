//! The link to the coordinator: the cosigner dials out (it listens on no network port),
//! subscribes to proposals for its accounts, answers each one, and reconnects with backoff.
//!
//! What a coordinator can make it hold is bounded: at most [`MAX_IN_FLIGHT`] offers are
//! decided at once, and the stream is not read while they are (HTTP/2 flow control holds the
//! rest at the coordinator); an offer over the size limits is refused and dropped as it
//! arrives; at most [`MAX_DEFERRED`] offers the node could not decide on yet are kept to try
//! again on a timer (past that, the link subscribes again once they are done, and the
//! coordinator offers again what is still waiting). A frozen cosigner keeps no offer: the
//! unfreeze subscribes again.

use hanko_proto::reason::{Reason, lines};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hanko_proto::v1 as pb;
use hanko_proto::v1::cosigner_link_client::CosignerLinkClient;
use tokio::sync::{mpsc, watch};
use tonic::transport::Channel;

use tokio::sync::Semaphore;

use crate::engine::{Answer, Deferred as EngineDeferred, Engine, Outgoing};
use crate::examine::Offer;

#[derive(Clone)]
pub struct LinkConfig {
    /// "host:port" of the coordinator, or of each coordinator sharing a database (the link
    /// goes to the one that leads).
    pub address: hanko_proto::channel::Addresses,
    /// The name in the coordinator's certificate.
    pub server_name: String,
    pub tls: rustls::ClientConfig,
    pub heartbeat: Duration,
    pub retry: Duration,
}

const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Offers decided at once.
pub const MAX_IN_FLIGHT: usize = 32;
/// Offers kept to try again.
pub const MAX_DEFERRED: usize = 1_024;
/// The longest an answer or a heartbeat may wait for the coordinator: one that never answers
/// holds no decision slot for longer.
const CALL_DEADLINE: Duration = Duration::from_secs(30);

/// Runs until `shutdown` turns true.
pub async fn run(
    engine: Arc<Engine>,
    config: LinkConfig,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(250);
    let mut deferred = Deferred::default();
    // One bound for every connection: a coordinator that drops the link while answers hang
    // cannot make each new connection hold another MAX_IN_FLIGHT.
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    while !*shutdown.borrow() {
        let session = Session {
            engine: &engine,
            config: &config,
            permits: &permits,
        };
        let mut subscribed = false;
        let ended = session
            .run(&mut outgoing, &mut deferred, &mut shutdown, &mut subscribed)
            .await;
        // A link that was up starts over from the shortest wait: after a coordinator restart,
        // cosigners are back within a second, however many restarts came before.
        if subscribed {
            backoff = Duration::from_millis(250);
        }
        match ended {
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(coordinator = %config.address, error = %e, retry_in_ms = backoff.as_millis() as u64, "coordinator link down");
                let jitter = Duration::from_millis(u64::from(rand_jitter()) % 250);
                tokio::select! {
                    _ = tokio::time::sleep(backoff + jitter) => {}
                    _ = shutdown.changed() => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn rand_jitter() -> u16 {
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    u16::from_le_bytes(b)
}

struct Session<'a> {
    engine: &'a Arc<Engine>,
    config: &'a LinkConfig,
    permits: &'a Arc<Semaphore>,
}

/// How one offer's turn ended.
enum Done {
    Answered,
    /// Frozen: the offer comes back with the subscription the unfreeze makes.
    Frozen,
    /// Not decided now (the node is unreachable, say): to try again.
    Later(String),
}

/// The offers to try again, bounded.
#[derive(Default)]
struct Deferred {
    offers: BTreeMap<String, Offer>,
    /// Some were not kept: subscribe again once these are done.
    dropped: bool,
}

impl Deferred {
    fn keep(&mut self, offer: Offer) {
        if self.offers.len() >= MAX_DEFERRED && !self.offers.contains_key(&offer.proposal_id) {
            self.dropped = true;
            return;
        }
        self.offers.insert(offer.proposal_id.clone(), offer);
    }
}

impl Session<'_> {
    /// One connection: returns Ok when asked to resubscribe or shut down, Err when it broke;
    /// `subscribed` tells whether it got as far as a subscription.
    async fn run(
        &self,
        outgoing: &mut mpsc::UnboundedReceiver<Outgoing>,
        deferred: &mut Deferred,
        shutdown: &mut watch::Receiver<bool>,
        subscribed: &mut bool,
    ) -> Result<(), String> {
        let (channel, address) = hanko_proto::channel::connect_any(
            &self.config.address,
            &self.config.server_name,
            self.config.tls.clone(),
        )
        .await
        .map_err(|e| format!("connect: {e}"))?;
        let mut client = CosignerLinkClient::new(channel);
        let accounts = self
            .engine
            .accounts()
            .iter()
            .map(|a| a.to_string())
            .collect();
        let mut offers = client
            .subscribe(pb::SubscribeRequest { accounts })
            .await
            .map_err(|e| format!("subscribe: {} {}", e.code(), e.message()))?
            .into_inner();
        *subscribed = true;
        tracing::info!(coordinator = %address, "subscribed");
        // Every offer's task holds a permit; each ends by sending on `done`, so the channel
        // holds at most MAX_IN_FLIGHT messages.
        let permits = self.permits;
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(Offer, Done)>();
        let mut heartbeat = tokio::time::interval(self.config.heartbeat);
        let mut retry = tokio::time::interval(self.config.retry);
        loop {
            tokio::select! {
                offer = offers.message(), if permits.available_permits() > 0 => match offer {
                    Ok(Some(o)) => match Offer::from_wire(o) {
                        Ok(offer) => self.spawn(&client, offer, permits, &done_tx),
                        Err((id, refusal)) => self.refuse_on_arrival(&client, id, refusal, permits),
                    },
                    Ok(None) => return Err("the coordinator closed the subscription".into()),
                    Err(e) => return Err(format!("subscription: {} {}", e.code(), e.message())),
                },
                Some((offer, done)) = done_rx.recv() => match done {
                    Done::Answered | Done::Frozen => {}
                    Done::Later(why) => {
                        tracing::warn!(proposal = %offer.proposal_id, reason = %why, "answer deferred; will retry");
                        deferred.keep(offer);
                    }
                },
                Some(out) = outgoing.recv() => {
                    if let Err(e) = submit(&mut client.clone(), self.engine, &out.proposal_id, &out.inner_hash, out.answer).await {
                        tracing::warn!(proposal = %out.proposal_id, error = %e, "could not deliver an answer; the coordinator will offer the proposal again");
                    }
                }
                _ = retry.tick() => {
                    self.engine.flush_noise();
                    while permits.available_permits() > 0
                        && let Some((_, offer)) = deferred.offers.pop_first()
                    {
                        self.spawn(&client, offer, permits, &done_tx);
                    }
                    if deferred.dropped && deferred.offers.is_empty() && permits.available_permits() == MAX_IN_FLIGHT {
                        deferred.dropped = false;
                        tracing::info!("offers were dropped while the node was unreachable; subscribing again");
                        return Ok(());
                    }
                }
                _ = heartbeat.tick() => {
                    // The freeze flag alone: a full status reads every binding.
                    let frozen = self.engine.store().freeze().ok().flatten().is_some_and(|f| f.frozen);
                    let beat = pb::HeartbeatRequest {
                        frozen,
                        policy_hash: self.engine.policy().hash().into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                    };
                    match tokio::time::timeout(CALL_DEADLINE, client.heartbeat(beat)).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return Err(format!("heartbeat: {} {}", e.code(), e.message())),
                        Err(_) => return Err("heartbeat: the coordinator did not answer".into()),
                    }
                }
                _ = self.engine.resync.notified() => return Ok(()),
                _ = shutdown.changed() => return Ok(()),
            }
        }
    }

    /// Decides on `offer` in a task of its own, holding a permit (one must be free).
    fn spawn(
        &self,
        client: &CosignerLinkClient<Channel>,
        offer: Offer,
        permits: &Arc<Semaphore>,
        done: &mpsc::UnboundedSender<(Offer, Done)>,
    ) {
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::error!(proposal = %offer.proposal_id, "no decision slot free; the offer comes back with the next subscription");
            return;
        };
        let engine = self.engine.clone();
        let mut client = client.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let outcome = match engine.decide(offer.clone()).await {
                Ok(answer) => {
                    let hash = nem::Hash256::of(&offer.inner_transaction);
                    match submit(&mut client, &engine, &offer.proposal_id, &hash, answer).await {
                        Ok(()) => Done::Answered,
                        Err(why) => Done::Later(why),
                    }
                }
                Err(EngineDeferred::Frozen(_)) => Done::Frozen,
                Err(e) => Done::Later(e.to_string()),
            };
            let _ = done.send((offer, outcome));
        });
    }

    /// An offer over the limits: journaled (at a bounded rate) and answered under its id if
    /// the coordinator could have made that id; nothing of it is kept.
    fn refuse_on_arrival(
        &self,
        client: &CosignerLinkClient<Channel>,
        id: Option<String>,
        refusal: crate::examine::Refusal,
        permits: &Arc<Semaphore>,
    ) {
        let answer = self.engine.refused_early(id.as_deref(), None, refusal);
        let (Some(id), Ok(permit)) = (id, permits.clone().try_acquire_owned()) else {
            return;
        };
        let engine = self.engine.clone();
        let mut client = client.clone();
        tokio::spawn(async move {
            let _permit = permit;
            // No inner hash: the bytes were not kept.
            let _ = submit(&mut client, &engine, &id, &nem::Hash256([0; 32]), answer).await;
        });
    }
}

fn signed(t: &nem::SignedTransaction) -> pb::SignedTransaction {
    pb::SignedTransaction {
        data: t.data.clone(),
        signature: t.signature.0.to_vec(),
    }
}

/// Sends one answer. A refusal by the coordinator of our own signature is logged loudly: it
/// means the coordinator and this cosigner disagree about the bytes.
pub async fn submit(
    client: &mut CosignerLinkClient<Channel>,
    engine: &Engine,
    proposal_id: &str,
    inner_hash: &nem::Hash256,
    answer: Answer,
) -> Result<(), String> {
    use pb::cosigner_decision::Outcome;
    let name = answer.name();
    let outcome = match answer {
        Answer::Signed(c) => Outcome::Signed(pb::SignedPair {
            wrapper: Some(signed(&c.wrapper)),
            cosignature: Some(signed(&c.cosignature)),
        }),
        Answer::Refused {
            reasons,
            policy_hash,
        } => Outcome::Refused(pb::Refusal {
            reasons: lines(&reasons),
            policy_hash,
            details: reasons.iter().map(Reason::to_wire).collect(),
        }),
        Answer::NeedsApproval {
            approvals_required,
            reasons,
        } => Outcome::NeedsApproval(pb::NeedsApproval {
            approvals_required,
            reasons: lines(&reasons),
            details: reasons.iter().map(Reason::to_wire).collect(),
        }),
    };
    let request = pb::SubmitDecisionRequest {
        proposal_id: proposal_id.into(),
        inner_hash: inner_hash.0.to_vec(),
        decision: Some(pb::CosignerDecision {
            cosigner: engine.public_key().0.to_vec(),
            outcome: Some(outcome),
        }),
    };
    hanko_runtime::failpoint::hit("cosigner", "answer_sending");
    let sent = tokio::time::timeout(CALL_DEADLINE, client.submit_decision(request))
        .await
        .map_err(|_| {
            format!(
                "submit: no answer from the coordinator in {} s",
                CALL_DEADLINE.as_secs()
            )
        })?;
    hanko_runtime::failpoint::hit("cosigner", "answer_sent");
    match sent {
        Ok(_) => {
            tracing::info!(proposal = %proposal_id, answer = name, "answer delivered");
            Ok(())
        }
        Err(s) if s.code() == tonic::Code::Unavailable || s.code() == tonic::Code::Unknown => {
            Err(format!("submit: {} {}", s.code(), s.message()))
        }
        Err(s) => {
            // Not worth retrying: the coordinator does not want it (unknown, finished, refused).
            tracing::warn!(proposal = %proposal_id, code = ?s.code(), message = %s.message(), "the coordinator did not take the answer");
            Ok(())
        }
    }
}
