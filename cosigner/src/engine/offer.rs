//! Deciding on an offer from the coordinator.

use std::sync::Arc;

use nem::Hash256;

use super::{Answer, Deferred, Engine, Ledger};
use crate::audit::Event;
use crate::decide;
use crate::examine::{Examined, Offer, check_facts, examine};
use crate::record::{Binding, Status};

/// A decision written to the store and counted in the ledger, not yet on disk.
pub(super) struct Recorded {
    binding: Binding,
    policy_hash: String,
}

impl Engine {
    /// Decides on one offer. The work runs in its own task: a caller that gives up (a cancelled
    /// RPC, a dropped connection) cannot cut a decision in half.
    pub async fn decide(self: &Arc<Self>, offer: Offer) -> Result<Answer, Deferred> {
        let this = self.clone();
        tokio::spawn(async move { this.decide_now(offer).await })
            .await
            .map_err(|e| Deferred::Sign(format!("decision task failed: {e}")))?
    }

    async fn decide_now(&self, offer: Offer) -> Result<Answer, Deferred> {
        let mut ledger = self.ledger.lock().await;
        let offered = Hash256(nem::hash::keccak256(&offer.inner_transaction));
        if let Some(b) = self.store.binding(&offer.proposal_id)? {
            if b.inner == offer.inner_transaction {
                return self.settle(&mut ledger, b).await;
            }
            return self.conflict(&b, offered);
        }
        if let Some(why) = self.frozen()? {
            return Err(Deferred::Frozen(why));
        }
        let policy_hash = self.policy().hash().to_string();
        let x = match examine(&offer, &self.identity()) {
            Ok(x) => x,
            Err(refusal) => {
                let reason = refusal.to_string();
                tracing::warn!(proposal = %offer.proposal_id, code = refusal.code(), %reason, "refused before policy");
                let event = Event::new("refused", "examination")
                    .proposal(&offer.proposal_id, Some(&offered))
                    .policy(&policy_hash)
                    .detail(vec![refusal.code().into(), reason.clone()]);
                self.store.commit(None, event)?;
                self.store.flush().await?;
                return Ok(Answer::Refused {
                    reasons: vec![reason],
                    policy_hash,
                });
            }
        };
        let pending = Status::AwaitingApproval {
            approvals_required: 0,
            reasons: vec![],
            policy_hash,
            approvals: vec![],
        };
        let binding = Binding::of(&x, &offer, self.now_ms(), pending);
        let recorded = self
            .evaluate_and_record(&mut ledger, binding, &x, vec![])
            .await?;
        // The next offer may be decided while this one is flushed: the ledger already
        // counts it, and its answer leaves only once it is on disk.
        drop(ledger);
        self.answer(recorded).await
    }

    /// A known proposal id with other bytes: never signed, always alerted.
    fn conflict(&self, b: &Binding, offered: Hash256) -> Result<Answer, Deferred> {
        let reason = format!(
            "AlreadyExists: proposal {} is bound to inner hash {}; refusing other bytes (hash {offered})",
            b.proposal_id, b.inner_hash
        );
        self.alert(
            Event::new("conflict", "coordinator")
                .proposal(&b.proposal_id, Some(&offered))
                .detail(vec![reason.clone()]),
        );
        Ok(Answer::Refused {
            reasons: vec![reason],
            policy_hash: self.policy().hash().to_string(),
        })
    }

    /// The answer for a proposal already decided: the same bytes again for a signed one (the
    /// signature is deterministic), the stored refusal, or, for one awaiting approval with
    /// enough approvals (a signing that the node deferred), another attempt.
    pub(super) async fn settle(&self, ledger: &mut Ledger, b: Binding) -> Result<Answer, Deferred> {
        match &b.status {
            Status::Signed { .. } => {
                if let Some(why) = self.frozen()? {
                    return Err(Deferred::Frozen(why));
                }
                // The record may be in memory only if an earlier flush was interrupted.
                self.store.flush().await?;
                self.signature(&b)
            }
            Status::AwaitingApproval {
                approvals_required,
                approvals,
                policy_hash,
                ..
            } if approvals.len() as u32 >= *approvals_required
                && *policy_hash == self.policy().hash() =>
            {
                let approvals = approvals.clone();
                self.reevaluate(ledger, b, approvals).await
            }
            _ => self.unsigned_answer(&b.status),
        }
    }

    /// Examines the stored bytes again and asks the current policy, keeping `approvals`.
    pub(super) async fn reevaluate(
        &self,
        ledger: &mut Ledger,
        b: Binding,
        approvals: Vec<crate::record::Approval>,
    ) -> Result<Answer, Deferred> {
        if let Some(why) = self.frozen()? {
            return Err(Deferred::Frozen(why));
        }
        let offer = Offer {
            proposal_id: b.proposal_id.clone(),
            account: b.account.to_string(),
            inner_transaction: b.inner.clone(),
            proposer: b.proposer.0.to_vec(),
            proposer_signature: b.proposer_signature.clone(),
        };
        let x = examine(&offer, &self.identity()).map_err(|r| Deferred::Sign(r.to_string()))?;
        let recorded = self.evaluate_and_record(ledger, b, &x, approvals).await?;
        self.answer(recorded).await
    }

    /// Reads the chain, asks the policy and writes the outcome, counted in the ledger; the
    /// answer waits for [`Engine::answer`].
    async fn evaluate_and_record(
        &self,
        ledger: &mut Ledger,
        mut binding: Binding,
        x: &Examined,
        approvals: Vec<crate::record::Approval>,
    ) -> Result<Recorded, Deferred> {
        let snapshot = self
            .chain
            .current(&x.account)
            .await
            .map_err(|e| Deferred::Node(e.to_string()))?;
        let policy = self.policy();
        let policy_hash = policy.hash().to_string();
        if let Err(refusal) = check_facts(x, &snapshot.facts, &self.identity()) {
            binding.status = Status::Refused {
                reasons: vec![refusal.to_string()],
                policy_hash,
            };
        } else {
            let now_nem = self.now_nem();
            ledger.prune(now_nem);
            let decision = decide::verdict(
                &policy.loaded.linted.policy,
                x,
                &snapshot.facts,
                &snapshot.history,
                ledger.unconfirmed(&snapshot.history),
                self.now(),
            );
            binding.status = decide::status(&decision, &x.tx, x.proposer, approvals, self.now_ms());
        }
        let event = Event::new(binding.status.name(), "policy")
            .proposal(&binding.proposal_id, Some(&binding.inner_hash))
            .policy(policy.hash())
            .detail(match &binding.status {
                Status::Refused { reasons, .. } | Status::AwaitingApproval { reasons, .. } => {
                    reasons.clone()
                }
                _ => vec![],
            });
        // Written with the decisions staged meanwhile by the flush its answer waits for.
        self.store.stage(&binding, event);
        hanko_proto::failpoint::hit("cosigner", "decision_recorded");
        ledger.note(&binding);
        Ok(Recorded {
            binding,
            policy_hash: policy.hash().to_string(),
        })
    }

    /// Flushes a recorded decision (with every one written before it), then signs if it
    /// allows: no signature leaves before its record is on disk.
    pub(super) async fn answer(&self, recorded: Recorded) -> Result<Answer, Deferred> {
        let Recorded {
            binding,
            policy_hash,
        } = recorded;
        self.store.flush().await?;
        hanko_proto::failpoint::hit("cosigner", "decision_flushed");
        tracing::info!(
            proposal = %binding.proposal_id,
            inner_hash = %binding.inner_hash,
            outcome = binding.status.name(),
            policy = %policy_hash,
            "decided"
        );
        match &binding.status {
            Status::Signed { .. } => {
                // A freeze that came while this was flushed holds the signature back; the
                // recorded decision is signed again once unfrozen.
                if let Some(why) = self.frozen()? {
                    return Err(Deferred::Frozen(why));
                }
                self.signature(&binding)
            }
            _ => self.unsigned_answer(&binding.status),
        }
    }

    /// Signs a recorded, signed binding. Deterministic: the same bytes every time.
    fn signature(&self, b: &Binding) -> Result<Answer, Deferred> {
        let tx =
            nem::Transaction::from_bytes(&b.inner).map_err(|e| Deferred::Sign(e.to_string()))?;
        let pair = crate::sign::cosign(&self.key, &tx, b.account)
            .map_err(|e| Deferred::Sign(e.to_string()))?;
        hanko_proto::failpoint::hit("cosigner", "signature_made");
        Ok(Answer::Signed(pair))
    }
}
