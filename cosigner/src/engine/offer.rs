//! Deciding on an offer from the coordinator.

use std::sync::Arc;

use hanko_proto::reason::{Reason, lines};
use nem::Hash256;

use super::{Answer, Deferred, Engine, Ledger};
use crate::audit::Event;
use crate::decide::{self, Context};
use crate::examine::{Examined, Offer, Refusal, check_facts, examine, precheck};
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
        // Sizes and the id first: nothing is looked up, hashed or kept for an offer that
        // fails them.
        let sizes = precheck(
            &offer.proposal_id,
            offer.inner_transaction.len(),
            offer.proposer_signature.len(),
        );
        if let Err(refusal) = sizes {
            return Ok(self.refused_early(None, None, refusal));
        }
        let mut ledger = self.ledger.lock().await;
        let offered = Hash256::of(&offer.inner_transaction);
        if let Some(b) = self.store.binding(&offer.proposal_id)? {
            if b.inner == offer.inner_transaction {
                return self.settle(&mut ledger, b).await;
            }
            return self.conflict(&b, offered);
        }
        if let Some(why) = self.frozen()? {
            return Err(Deferred::Frozen(why));
        }
        let x = match examine(&offer, &self.identity()) {
            Ok(x) => x,
            Err(refusal) => {
                return Ok(self.refused_early(Some(&offer.proposal_id), Some(&offered), refusal));
            }
        };
        let pending = Status::AwaitingApproval {
            approvals_required: 0,
            reasons: vec![],
            policy_hash: self.policy().hash().to_string(),
            approvals: vec![],
        };
        let binding = Binding::of(&x, &offer, self.now_ms(), pending);
        let recorded = match self
            .evaluate_and_record(&mut ledger, binding, &x, vec![])
            .await?
        {
            Ok(recorded) => recorded,
            // A refusal past the budget for keeping them: answered, not kept.
            Err(answer) => return Ok(answer),
        };
        // The next offer may be decided while this one is flushed: the ledger already
        // counts it, and its answer leaves only once it is on disk.
        drop(ledger);
        self.answer(recorded).await
    }

    /// A refusal before policy: nothing is kept about the offer but a journal entry, written
    /// at a bounded rate and not flushed (no signature depends on it).
    pub(crate) fn refused_early(
        &self,
        proposal: Option<&str>,
        offered: Option<&Hash256>,
        refusal: Refusal,
    ) -> Answer {
        let reason = refusal.to_string();
        let policy_hash = self.policy().hash().to_string();
        let mut event = Event::new("refused", "examination")
            .policy(&policy_hash)
            .detail(vec![refusal.code().into(), reason.clone()]);
        if let Some(id) = proposal {
            event = event.proposal(id, offered);
        }
        if self.journal_noise("examination", refusal.code(), event) {
            tracing::warn!(proposal = proposal.unwrap_or("(invalid id)"), code = refusal.code(), %reason, "refused before policy");
        }
        Answer::Refused {
            reasons: vec![refusal.reason()],
            policy_hash,
        }
    }

    /// A known proposal id with other bytes: never signed, always alerted (at a bounded rate).
    fn conflict(&self, b: &Binding, offered: Hash256) -> Result<Answer, Deferred> {
        let reason = format!(
            "AlreadyExists: proposal {} is bound to inner hash {}; refusing other bytes (hash {offered})",
            b.proposal_id, b.inner_hash
        );
        let event = Event::new("conflict", "coordinator")
            .proposal(&b.proposal_id, Some(&offered))
            .detail(vec![reason.clone()]);
        if self.journal_noise("conflict", "conflict", event) {
            tracing::error!(proposal = %b.proposal_id, %reason, "ALERT");
            self.keep_alert(format!("conflict: {reason}"));
        }
        Ok(Answer::Refused {
            reasons: vec![Reason::new("conflict", "safety", reason)],
            policy_hash: self.policy().hash().to_string(),
        })
    }

    /// The answer for a proposal already decided: the same bytes again for a signed one (the
    /// signature is deterministic), the stored refusal, or, for one awaiting approval with
    /// enough approvals (a signing that the node deferred), another attempt.
    pub(super) async fn settle(&self, ledger: &mut Ledger, b: Binding) -> Result<Answer, Deferred> {
        match &b.status {
            Status::Signed {
                signed_at_ms,
                approvals,
                ..
            } => {
                if let Some(why) = self.frozen()? {
                    return Err(Deferred::Frozen(why));
                }
                // The record may be in memory only if an earlier flush was interrupted.
                self.store.flush().await?;
                if self.unfrozen_since(*signed_at_ms)? {
                    // Decided before a freeze that may have held its signature back: given
                    // only if the policy in force and the chain as it is now still allow it.
                    if let Some(refused) = self.look_again(ledger, &b, approvals.clone()).await? {
                        return Ok(refused);
                    }
                }
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

    /// Whether signing was unfrozen after `signed_at_ms`.
    fn unfrozen_since(&self, signed_at_ms: i64) -> Result<bool, Deferred> {
        Ok(self
            .store
            .freeze()?
            .is_some_and(|f| !f.frozen && f.since_ms > signed_at_ms))
    }

    /// A signed decision evaluated again (without counting itself) before its signature is
    /// given once more: `None` if it still stands, else the answer to give instead. The
    /// record stays as it is, and keeps counting: its signature may have left before.
    async fn look_again(
        &self,
        ledger: &mut Ledger,
        b: &Binding,
        approvals: Vec<crate::record::Approval>,
    ) -> Result<Option<Answer>, Deferred> {
        let offer = b.offer();
        let policy = self.policy();
        let hash = policy.hash().to_string();
        let refused = |reasons: Vec<Reason>| Answer::Refused {
            reasons,
            policy_hash: hash.clone(),
        };
        let x = match examine(&offer, &self.identity()) {
            Ok(x) => x,
            Err(r) => return Ok(Some(refused(vec![r.reason()]))),
        };
        let snapshot = self
            .chain
            .current(&x.account)
            .await
            .map_err(|e| Deferred::Node(e.to_string()))?;
        let now = self.now();
        ledger.prune(now);
        let context = Context {
            snapshot: &snapshot,
            own: ledger
                .uncounted(&snapshot.history)
                .filter(|o| o.proposal_id != b.proposal_id)
                .collect(),
            now,
        };
        let decision = decide::verdict(&policy.loaded.linted.policy, &x, &context);
        match decide::status(&decision, &x, &snapshot.facts, approvals, now) {
            Status::Signed { .. } => Ok(None),
            other => {
                let mut reasons = vec![Reason::new(
                    "frozen_then_changed",
                    "safety",
                    format!(
                        "decided before a freeze; the policy in force does not allow it now ({})",
                        other.name()
                    ),
                )];
                reasons.extend(decide::reasons_of(&decision));
                Ok(Some(refused(reasons)))
            }
        }
    }

    /// Examines the stored bytes again and asks the current policy, keeping `approvals` (which
    /// count only if given under that policy).
    pub(super) async fn reevaluate(
        &self,
        ledger: &mut Ledger,
        b: Binding,
        approvals: Vec<crate::record::Approval>,
    ) -> Result<Answer, Deferred> {
        if let Some(why) = self.frozen()? {
            return Err(Deferred::Frozen(why));
        }
        let offer = b.offer();
        let recorded = match examine(&offer, &self.identity()) {
            Ok(x) => self.evaluate_and_record(ledger, b, &x, approvals).await?,
            // The policy in force no longer lists its proposer, say: refused for good.
            Err(refusal) => Ok(self.record_refusal(ledger, b, refusal)),
        };
        match recorded {
            Ok(recorded) => self.answer(recorded).await,
            Err(answer) => Ok(answer),
        }
    }

    fn record_refusal(&self, ledger: &mut Ledger, mut b: Binding, refusal: Refusal) -> Recorded {
        let policy_hash = self.policy().hash().to_string();
        b.status = Status::Refused {
            reasons: vec![refusal.reason()],
            policy_hash: policy_hash.clone(),
        };
        self.stage(ledger, &b, &policy_hash);
        Recorded {
            binding: b,
            policy_hash,
        }
    }

    /// Reads the chain, asks the policy and writes the outcome, counted in the ledger; the
    /// answer waits for [`Engine::answer`]. `Err(answer)`: a refusal past the budget for
    /// keeping them (see `noise`), answered at once, counted in a summary, not kept.
    async fn evaluate_and_record(
        &self,
        ledger: &mut Ledger,
        mut binding: Binding,
        x: &Examined,
        approvals: Vec<crate::record::Approval>,
    ) -> Result<Result<Recorded, Answer>, Deferred> {
        let snapshot = self
            .chain
            .current(&x.account)
            .await
            .map_err(|e| Deferred::Node(e.to_string()))?;
        // A freeze that came while the node was read: nothing is decided.
        if let Some(why) = self.frozen()? {
            return Err(Deferred::Frozen(why));
        }
        let policy = self.policy();
        let policy_hash = policy.hash().to_string();
        let confirmed = snapshot.history.on_chain.get(&x.inner_hash);
        if let Err(refusal) = check_facts(x, &snapshot.facts, &self.identity()) {
            binding.status = Status::Refused {
                reasons: vec![refusal.reason()],
                policy_hash: policy_hash.clone(),
            };
        } else if let Some(block) = confirmed {
            // Signing what the chain shows paid would only count it twice.
            binding.status = Status::Refused {
                reasons: vec![Reason::new(
                    "already_confirmed",
                    "safety",
                    format!(
                        "this cosigner's node shows it confirmed in a block of {block}; no signature is needed"
                    ),
                )],
                policy_hash: policy_hash.clone(),
            };
        } else {
            let now = self.now();
            ledger.prune(now);
            let id = binding.proposal_id.clone();
            let context = Context {
                snapshot: &snapshot,
                // A proposal evaluated again does not count against itself.
                own: ledger
                    .uncounted(&snapshot.history)
                    .filter(|b| b.proposal_id != id)
                    .collect(),
                now,
            };
            let decision = decide::verdict(&policy.loaded.linted.policy, x, &context);
            binding.status = decide::status(&decision, x, &snapshot.facts, approvals, now);
        }
        if let Status::Refused { reasons, .. } = &binding.status
            && !self.admit_noise(
                "policy_refusal",
                "refused",
                super::noise::STORED_REFUSALS_PER_MINUTE,
                None,
            )
        {
            return Ok(Err(Answer::Refused {
                reasons: reasons.clone(),
                policy_hash,
            }));
        }
        self.stage(ledger, &binding, &policy_hash);
        Ok(Ok(Recorded {
            binding,
            policy_hash,
        }))
    }

    /// Stages a decision with its journal entry (written by the flush its answer waits for)
    /// and counts it in the ledger at once.
    fn stage(&self, ledger: &mut Ledger, binding: &Binding, policy_hash: &str) {
        let event = Event::new(binding.status.name(), "policy")
            .proposal(&binding.proposal_id, Some(&binding.inner_hash))
            .policy(policy_hash)
            .detail(match &binding.status {
                Status::Refused { reasons, .. } | Status::AwaitingApproval { reasons, .. } => {
                    lines(reasons)
                }
                _ => vec![],
            });
        self.store.stage(binding, event);
        hanko_runtime::failpoint::hit("cosigner", "decision_recorded");
        ledger.note(binding);
    }

    /// Flushes a recorded decision (with every one written before it), then signs if it
    /// allows: no signature leaves before its record is on disk.
    pub(super) async fn answer(&self, recorded: Recorded) -> Result<Answer, Deferred> {
        let Recorded {
            binding,
            policy_hash,
        } = recorded;
        self.store.flush().await?;
        hanko_runtime::failpoint::hit("cosigner", "decision_flushed");
        let reasons: &[Reason] = match &binding.status {
            Status::Refused { reasons, .. } | Status::AwaitingApproval { reasons, .. } => reasons,
            _ => &[],
        };
        // The rules by name, for a search; each reason in full beside them.
        let rules: Vec<&str> = reasons.iter().map(|r| r.rule.as_str()).collect();
        tracing::info!(
            proposal = %binding.proposal_id,
            inner_hash = %binding.inner_hash,
            outcome = binding.status.name(),
            policy = %policy_hash,
            rules = %rules.join(","),
            reasons = %lines(reasons).join("; "),
            "decided"
        );
        match &binding.status {
            Status::Signed { .. } => {
                // A freeze that came while this was flushed holds the signature back; it is
                // looked at again before it is given after the unfreeze (see `settle`).
                if let Some(why) = self.frozen()? {
                    return Err(Deferred::Frozen(why));
                }
                self.signature(&binding)
            }
            _ => self.unsigned_answer(&binding.status),
        }
    }

    /// Signs a recorded, signed binding. Deterministic: the same bytes every time. The stored
    /// bytes must still decode, re-encode to themselves and hash to the inner hash the
    /// decision was bound to: damaged storage is never signed.
    fn signature(&self, b: &Binding) -> Result<Answer, Deferred> {
        let damaged = |why: String| {
            let reason = format!(
                "proposal {}: the stored bytes {why}; refusing to sign (the store is damaged)",
                b.proposal_id
            );
            let event = Event::new("store_damaged", "integrity")
                .proposal(&b.proposal_id, Some(&b.inner_hash))
                .detail(vec![reason.clone()]);
            if self.journal_noise("store_damaged", "store_damaged", event) {
                tracing::error!(proposal = %b.proposal_id, %reason, "ALERT");
                self.keep_alert(format!("store_damaged: {reason}"));
            }
            Deferred::Sign(reason)
        };
        let tx = nem::Transaction::from_bytes(&b.inner)
            .map_err(|e| damaged(format!("do not decode: {e}")))?;
        let again = tx
            .to_bytes()
            .map_err(|e| damaged(format!("do not re-encode: {e}")))?;
        if again != b.inner || Hash256::of(&again) != b.inner_hash {
            return Err(damaged(format!(
                "hash to {}, not to the bound inner hash {}",
                Hash256::of(&again),
                b.inner_hash
            )));
        }
        let pair = crate::sign::cosign(&self.key, &tx, b.account)
            .map_err(|e| Deferred::Sign(e.to_string()))?;
        hanko_runtime::failpoint::hit("cosigner", "signature_made");
        Ok(Answer::Signed(pair))
    }
}
