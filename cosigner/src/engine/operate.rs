//! What operators do (approve, reject, freeze) and policy reloads. Each change is recorded and
//! flushed before anything it causes leaves the cosigner.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{ActivePolicy, Deferred, Engine};
use crate::audit::Event;
use crate::record::{Approval, Binding, Status, confirm_code};
use crate::store::{Freeze, StoreError};

/// Who is at the socket: the uid comes from the kernel (peer credentials), the name is what
/// the operator calls themself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub uid: u32,
    pub name: String,
}

impl Operator {
    fn actor(&self) -> String {
        format!("{} (uid {})", self.name, self.uid)
    }
}

#[derive(Debug, Error)]
pub enum OperatorError {
    #[error("no proposal {0} on this cosigner")]
    Unknown(String),
    #[error("proposal {id} is {status}, not awaiting approval")]
    NotAwaiting { id: String, status: &'static str },
    #[error(
        "--confirm {given} does not match proposal {id}: type the first 8 hex digits of the inner hash that `show {id}` prints"
    )]
    WrongConfirmation { id: String, given: String },
    #[error("uid {uid} has already approved proposal {id}; another operator must approve")]
    AlreadyApproved { id: String, uid: u32 },
    #[error(
        "proposal {id} was decided under policy {decided_under}, and policy {in_force} is in force now: it is being evaluated again; look at `show {id}` again before approving"
    )]
    PolicyChanged {
        id: String,
        decided_under: String,
        in_force: String,
    },
    #[error("--reason: must not be empty")]
    EmptyReason,
    #[error(transparent)]
    Deferred(#[from] Deferred),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `status` shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusReport {
    pub public_key: String,
    pub accounts: Vec<String>,
    pub frozen: Option<Freeze>,
    pub policy_name: String,
    pub policy_hash: String,
    pub policy_source: String,
    pub policy_signers: Vec<String>,
    pub awaiting_approval: usize,
    pub signed: usize,
    pub refused: usize,
    pub audit_entries: usize,
    pub alerts: Vec<String>,
}

impl Engine {
    pub fn pending(&self) -> Result<Vec<Binding>, StoreError> {
        Ok(self
            .store
            .bindings()?
            .into_iter()
            .filter(|b| matches!(b.status, Status::AwaitingApproval { .. }))
            .collect())
    }

    pub fn show(&self, id: &str) -> Result<Binding, OperatorError> {
        self.store
            .binding(id)?
            .ok_or_else(|| OperatorError::Unknown(id.into()))
    }

    /// Records an approval; signs once enough distinct operators approved under the policy
    /// that asked. The answer, if the proposal is now settled, goes to the coordinator.
    pub async fn approve(
        &self,
        id: &str,
        confirm: &str,
        who: &Operator,
    ) -> Result<Binding, OperatorError> {
        let mut ledger = self.ledger.lock().await;
        let mut b = self.show(id)?;
        let in_force = self.policy().hash().to_string();
        let Status::AwaitingApproval {
            approvals_required,
            approvals,
            policy_hash,
            ..
        } = &mut b.status
        else {
            return Err(OperatorError::NotAwaiting {
                id: id.into(),
                status: b.status.name(),
            });
        };
        if !confirm.eq_ignore_ascii_case(&confirm_code(&b.inner_hash)) {
            return Err(OperatorError::WrongConfirmation {
                id: id.into(),
                given: confirm.chars().take(16).collect(),
            });
        }
        if let Some(why) = self.frozen()? {
            return Err(Deferred::Frozen(why).into());
        }
        if *policy_hash != in_force {
            // What the operator read was decided under another policy: evaluate it again and
            // let them look again; this approval is not recorded.
            let decided_under = policy_hash.clone();
            let b = b.clone();
            if let Ok(answer) = self.reevaluate(&mut ledger, b.clone(), vec![]).await {
                self.send(&b, answer);
            }
            return Err(OperatorError::PolicyChanged {
                id: id.into(),
                decided_under,
                in_force,
            });
        }
        if approvals.iter().any(|a| a.uid == who.uid) {
            return Err(OperatorError::AlreadyApproved {
                id: id.into(),
                uid: who.uid,
            });
        }
        approvals.push(Approval {
            uid: who.uid,
            name: who.name.clone(),
            at_ms: self.now_ms(),
            policy_hash: in_force,
        });
        let enough = approvals.len() as u32 >= *approvals_required;
        let held = approvals.clone();
        let event = Event::new("approved", &who.actor()).proposal(id, Some(&b.inner_hash));
        self.store.commit(Some(&b), event)?;
        hanko_runtime::failpoint::hit("cosigner", "approval_recorded");
        self.store.flush().await?;
        hanko_runtime::failpoint::hit("cosigner", "approval_flushed");
        if enough {
            let answer = self.reevaluate(&mut ledger, b.clone(), held).await?;
            self.send(&b, answer);
        }
        self.show(id)
    }

    pub async fn reject(
        &self,
        id: &str,
        reason: &str,
        who: &Operator,
    ) -> Result<Binding, OperatorError> {
        if reason.trim().is_empty() {
            return Err(OperatorError::EmptyReason);
        }
        let _ledger = self.ledger.lock().await;
        let mut b = self.show(id)?;
        if !matches!(b.status, Status::AwaitingApproval { .. }) {
            return Err(OperatorError::NotAwaiting {
                id: id.into(),
                status: b.status.name(),
            });
        }
        b.status = Status::RejectedByOperator {
            operator: who.actor(),
            reason: reason.into(),
        };
        let event = Event::new("rejected", &who.actor())
            .proposal(id, Some(&b.inner_hash))
            .detail(vec![reason.into()]);
        self.store.commit(Some(&b), event)?;
        self.store.flush().await?;
        self.send(&b, self.unsigned_answer(&b.status)?);
        Ok(b)
    }

    /// Stops all signing at once; survives restarts.
    pub async fn freeze(&self, who: &Operator, reason: &str) -> Result<Freeze, OperatorError> {
        self.set_freeze(true, &who.actor(), reason).await
    }

    /// Lets signing resume. Every decision held for operators is evaluated again first,
    /// under the policy and the chain as they are now; then the coordinator is asked for its
    /// offers again.
    pub async fn unfreeze(&self, who: &Operator, reason: &str) -> Result<Freeze, OperatorError> {
        let f = self.set_freeze(false, &who.actor(), reason).await?;
        let mut ledger = self.ledger.lock().await;
        self.revisit(&mut ledger).await?;
        self.resync.notify_one();
        Ok(f)
    }

    /// Freezes on the cosigner's own initiative (an outflow it did not sign, say).
    pub async fn set_freeze(
        &self,
        frozen: bool,
        by: &str,
        reason: &str,
    ) -> Result<Freeze, OperatorError> {
        if reason.trim().is_empty() {
            return Err(OperatorError::EmptyReason);
        }
        // At once: a decision under way sees the flag before it records anything, or before
        // it gives its signature (see `answer` and `settle`).
        let freeze = Freeze {
            frozen,
            by: by.into(),
            reason: reason.into(),
            since_ms: self.now_ms(),
        };
        let kind = if frozen { "freeze" } else { "unfreeze" };
        self.store
            .set_freeze(&freeze, Event::new(kind, by).detail(vec![reason.into()]))?;
        self.store.flush().await?;
        tracing::warn!(frozen, %by, %reason, "signing {kind}");
        Ok(freeze)
    }

    pub fn status(&self) -> Result<StatusReport, StoreError> {
        let policy = self.policy();
        let bindings = self.store.bindings()?;
        let count = |name: &str| bindings.iter().filter(|b| b.status.name() == name).count();
        Ok(StatusReport {
            public_key: self.public.to_string(),
            accounts: self.accounts.iter().map(|a| a.to_string()).collect(),
            frozen: self.store.freeze()?.filter(|f| f.frozen),
            policy_name: policy.loaded.linted.policy.name.clone(),
            policy_hash: policy.hash().into(),
            policy_source: policy.source.clone(),
            policy_signers: policy.loaded.signers.clone(),
            awaiting_approval: count("awaiting_approval"),
            signed: count("signed"),
            refused: count("refused") + count("rejected_by_operator"),
            // Sequence numbers run from 0 without gaps (`hanko audit verify` checks it).
            audit_entries: self.store.audit_head()?.map_or(0, |h| h.seq as usize + 1),
            alerts: self.alerts(),
        })
    }

    /// Puts a verified policy in force. Every proposal awaiting approval is evaluated again
    /// under it; approvals given under the old version no longer count.
    pub async fn replace_policy(&self, next: ActivePolicy) -> Result<(), StoreError> {
        let mut ledger = self.ledger.lock().await;
        let hash = next.hash().to_string();
        let event = Event::new("policy_loaded", "compliance")
            .policy(&hash)
            .detail(vec![
                format!("from {}", next.source),
                format!("signed by {}", next.loaded.signers.join(", ")),
            ]);
        self.store.commit(None, event)?;
        self.store.flush().await?;
        match self.policy.write() {
            Ok(mut p) => *p = std::sync::Arc::new(next),
            Err(poisoned) => *poisoned.into_inner() = std::sync::Arc::new(next),
        }
        tracing::info!(policy = %hash, "policy in force");
        let retention = self.policy().loaded.linted.policy.longest_window_seconds();
        if i64::try_from(retention).unwrap_or(i64::MAX) != ledger.retention_seconds() {
            // Signatures count as long as the longest window now asks.
            *ledger = super::Ledger::of(
                &self.store.bindings()?,
                retention,
                self.chain.own_proposers(),
            );
        }
        self.revisit(&mut ledger).await
    }

    /// Evaluates every proposal awaiting approval again under the policy in force, and sends
    /// each new answer to the coordinator.
    async fn revisit(&self, ledger: &mut super::Ledger) -> Result<(), StoreError> {
        for b in self.pending()? {
            let Status::AwaitingApproval { approvals, .. } = &b.status else {
                continue;
            };
            let approvals = approvals.clone();
            match self.reevaluate(ledger, b.clone(), approvals).await {
                Ok(answer) => self.send(&b, answer),
                Err(e) => {
                    tracing::warn!(proposal = %b.proposal_id, error = %e, "evaluation under the policy in force deferred")
                }
            }
        }
        Ok(())
    }

    /// A policy file that failed verification: the old policy stays, and an alert is raised.
    pub fn policy_refused(&self, source: &str, why: &str) {
        self.alert(Event::new("policy_refused", "compliance").detail(vec![
            format!("{source} was not loaded; the policy in force is unchanged"),
            why.into(),
        ]));
    }
}
