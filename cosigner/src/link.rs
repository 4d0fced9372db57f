//! The link to the coordinator: the cosigner dials out (it listens on no network port),
//! subscribes to proposals for its accounts, answers each one, and reconnects with backoff.
//! Deferred proposals (frozen, node unreachable) are tried again on a timer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use hanko_proto::v1 as pb;
use hanko_proto::v1::cosigner_link_client::CosignerLinkClient;
use tokio::sync::{mpsc, watch};
use tonic::transport::Channel;

use crate::engine::{Answer, Deferred, Engine, Outgoing};
use crate::examine::Offer;

#[derive(Clone)]
pub struct LinkConfig {
    /// "host:port" of the coordinator.
    pub address: String,
    /// The name in the coordinator's certificate.
    pub server_name: String,
    pub tls: rustls::ClientConfig,
    pub heartbeat: Duration,
    pub retry: Duration,
}

const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Runs until `shutdown` turns true.
pub async fn run(
    engine: Arc<Engine>,
    config: LinkConfig,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(250);
    let mut deferred: HashMap<String, Offer> = HashMap::new();
    while !*shutdown.borrow() {
        let session = Session {
            engine: &engine,
            config: &config,
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
}

type Done = (Offer, Result<(), String>);

impl Session<'_> {
    /// One connection: returns Ok when asked to resubscribe or shut down, Err when it broke;
    /// `subscribed` tells whether it got as far as a subscription.
    async fn run(
        &self,
        outgoing: &mut mpsc::UnboundedReceiver<Outgoing>,
        deferred: &mut HashMap<String, Offer>,
        shutdown: &mut watch::Receiver<bool>,
        subscribed: &mut bool,
    ) -> Result<(), String> {
        let channel = hanko_proto::channel::connect(
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
        tracing::info!(coordinator = %self.config.address, "subscribed");
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
        let mut heartbeat = tokio::time::interval(self.config.heartbeat);
        let mut retry = tokio::time::interval(self.config.retry);
        loop {
            tokio::select! {
                offer = offers.message() => match offer {
                    Ok(Some(o)) => self.spawn(&client, offer_of(o), &done_tx),
                    Ok(None) => return Err("the coordinator closed the subscription".into()),
                    Err(e) => return Err(format!("subscription: {} {}", e.code(), e.message())),
                },
                Some((offer, result)) = done_rx.recv() => match result {
                    Ok(()) => { deferred.remove(&offer.proposal_id); }
                    Err(why) => {
                        tracing::warn!(proposal = %offer.proposal_id, reason = %why, "answer deferred; will retry");
                        deferred.insert(offer.proposal_id.clone(), offer);
                    }
                },
                Some(out) = outgoing.recv() => {
                    if let Err(e) = submit(&mut client.clone(), self.engine, &out.proposal_id, &out.inner_hash, out.answer).await {
                        tracing::warn!(proposal = %out.proposal_id, error = %e, "could not deliver an answer; the coordinator will offer the proposal again");
                    }
                }
                _ = retry.tick() => {
                    for offer in deferred.values() {
                        self.spawn(&client, offer.clone(), &done_tx);
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
                    if let Err(e) = client.heartbeat(beat).await {
                        return Err(format!("heartbeat: {} {}", e.code(), e.message()));
                    }
                }
                _ = self.engine.resync.notified() => return Ok(()),
                _ = shutdown.changed() => return Ok(()),
            }
        }
    }

    fn spawn(
        &self,
        client: &CosignerLinkClient<Channel>,
        offer: Offer,
        done: &mpsc::UnboundedSender<Done>,
    ) {
        let engine = self.engine.clone();
        let mut client = client.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let result = match engine.decide(offer.clone()).await {
                Ok(answer) => {
                    let hash = nem::Hash256(nem::hash::keccak256(&offer.inner_transaction));
                    submit(&mut client, &engine, &offer.proposal_id, &hash, answer).await
                }
                Err(Deferred::Frozen(why)) => Err(format!("frozen: {why}")),
                Err(e) => Err(e.to_string()),
            };
            let _ = done.send((offer, result));
        });
    }
}

/// An offer as the cosigner's own type (nothing is checked here: see `examine`).
pub fn offer_of(o: pb::ProposalForSigning) -> Offer {
    Offer {
        proposal_id: o.proposal_id,
        account: o.account,
        inner_transaction: o.inner_transaction,
        proposer: o.proposer,
        proposer_signature: o.proposer_signature,
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
            reasons,
            policy_hash,
        }),
        Answer::NeedsApproval {
            approvals_required,
            reasons,
        } => Outcome::NeedsApproval(pb::NeedsApproval {
            approvals_required,
            reasons,
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
    hanko_proto::failpoint::hit("cosigner", "answer_sending");
    let sent = client.submit_decision(request).await;
    hanko_proto::failpoint::hit("cosigner", "answer_sent");
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
