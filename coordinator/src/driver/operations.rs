//! The door: every domain operation the gRPC services call. Each reads what it needs from
//! configuration, the store and the node itself, and answers with a typed [`DriverError`];
//! the services only check a request's shape, call one of these, and map the answer.

use std::sync::Arc;

use nem::{Address, PublicKey, Signature};
use tokio::sync::broadcast;

use super::{Coordinator, DriverError};
use crate::core::build::{WithdrawalRequest, build_inner, check_account};
use crate::core::digest::RequestDigest;
use crate::core::verify::{check_inner_hash, verify_intent, verify_pair};
use crate::core::{CosignerDecision, Event, ProposalRecord, State};
use crate::driver::own_bytes;
use crate::ops::board::{Seen, Subscribed};
use crate::store::{Draft, Freeze, StoreError};

/// A Prepare: build the inner transaction for `withdrawal`, under the proposer's key.
pub struct Prepare {
    pub idempotency_key: String,
    pub withdrawal: WithdrawalRequest,
}

/// A Propose: the prepared bytes, signed by the proposer over the intent.
pub struct Propose {
    pub proposal_id: String,
    pub idempotency_key: String,
    pub inner: Vec<u8>,
    pub proposer: PublicKey,
    pub signature: Signature,
}

/// A page of proposals: those after `after` (exclusive) in id order, at most `size`, in
/// `states` (any when none) and of `account` (any when none).
pub struct Query {
    pub after: Option<String>,
    pub size: usize,
    pub states: Option<Vec<State>>,
    pub account: Option<String>,
}

/// What a cosigner's subscription reads: changes from here on, then what is waiting now
/// (`active`, read after subscribing so nothing falls between), and the board's count of it
/// (`held`, kept as long as the stream).
pub struct Subscription {
    pub changes: broadcast::Receiver<Arc<ProposalRecord>>,
    pub active: Box<dyn Fn() -> Vec<Arc<ProposalRecord>> + Send>,
    pub held: Subscribed,
}

/// What Admin.Status shows.
pub struct Overview {
    pub freeze: Option<Freeze>,
    pub unfinished: usize,
    /// Every configured cosigner, once, with what was last heard from it.
    pub cosigners: Vec<(PublicKey, Seen)>,
    pub node_reachable: bool,
    /// The newest alerts raised here, newest first.
    pub alerts: Vec<crate::ops::alerts::Note>,
    /// On a database: this coordinator's name, its term if it leads, and the database's word.
    pub leadership: Option<(
        String,
        Option<u64>,
        Option<crate::store::postgres::Leadership>,
    )>,
}

fn new_id() -> Result<String, DriverError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| DriverError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Coordinator {
    /// TooLarge for a request of `len` bytes above `limits.max_request_bytes`.
    pub fn check_size(&self, len: usize) -> Result<(), DriverError> {
        let max = self.request_limit();
        if len > max {
            return Err(DriverError::TooLarge { len, max });
        }
        Ok(())
    }

    /// NotLeader (naming the leader) unless this coordinator leads: only the leader writes.
    pub async fn check_leading(&self) -> Result<(), DriverError> {
        if self.store.leading() {
            return Ok(());
        }
        let leader = match self.store.postgres() {
            Some(pg) => pg
                .leadership()
                .await
                .ok()
                .filter(|l| l.live && !l.address.is_empty())
                .map(|l| l.address),
            None => None,
        };
        Err(DriverError::Store(StoreError::NotLeader { leader }))
    }

    /// Frozen while the coordinator is frozen: no new proposals then.
    pub fn check_open(&self) -> Result<(), DriverError> {
        if self.frozen() {
            return Err(DriverError::Frozen);
        }
        Ok(())
    }

    /// The largest request a client may send, in bytes (`limits.max_request_bytes`).
    pub fn request_limit(&self) -> usize {
        self.settings.limits.max_request_bytes
    }

    /// TooManyPending when `account` already has the most unfinished proposals allowed: an
    /// early answer; acceptance counts again in the same step as it stores.
    fn check_pending(&self, account: &Address) -> Result<(), DriverError> {
        super::transitions::within_pending(
            account,
            self.store.count_active(account),
            self.settings.limits.max_pending_per_account,
        )
    }

    /// Builds and stores the inner transaction of a withdrawal (a draft), or answers a retry
    /// under the same key with what was prepared (or proposed) then.
    pub async fn prepare(self: &Arc<Self>, p: Prepare) -> Result<Draft, DriverError> {
        self.check_leading().await?;
        self.check_open()?;
        let w = &p.withdrawal;
        let digest = RequestDigest::of(&w.account, &w.recipient, &w.amount, &w.mosaics, &w.message);
        if let Some(known) = self
            .store
            .retry(&p.idempotency_key, &digest.canonical, Some(&digest.legacy))
            .await?
        {
            return Ok(known);
        }
        let time = self
            .node
            .network_time()
            .await
            .map_err(|e| DriverError::Node(e.to_string()))?;
        let tx = build_inner(
            w,
            &self.settings.build,
            &self.settings.accounts,
            time,
            &nem::fees::XemOnly,
        )?;
        // The node's view of the account must match configuration: never guess around it.
        let account = tx.signer_address();
        self.check_pending(&account)?;
        let configured = self
            .settings
            .accounts
            .iter()
            .find(|a| a.public_key == tx.header.signer)
            .ok_or_else(|| DriverError::Invalid {
                field: "account",
                problem: format!("{account} is not served"),
            })?;
        let on_chain = self
            .node
            .account(&account)
            .await
            .map_err(|e| DriverError::Node(e.to_string()))?;
        if let Err(mismatch) = check_account(configured, &on_chain, self.settings.build.network) {
            tracing::error!(%account, %mismatch, "multisig account does not match configuration; account stopped");
            return Err(mismatch.into());
        }
        let request = own_bytes::Request {
            id: new_id()?,
            idempotency_key: p.idempotency_key,
            request_digest: digest.canonical,
            legacy_digest: digest.legacy,
        };
        own_bytes::draft(self, tx, request).await
    }

    /// Accepts a prepared proposal signed by its proposer: on disk before it answers. The same
    /// call again answers with the proposal as it is.
    pub async fn propose(self: &Arc<Self>, p: Propose) -> Result<ProposalRecord, DriverError> {
        self.check_leading().await?;
        if let Some(existing) = self.store.get(&p.proposal_id).await? {
            if existing.inner == p.inner && existing.proposer_signature == p.signature {
                return Ok(existing);
            }
            return Err(DriverError::Exists(p.proposal_id));
        }
        let draft = self
            .store
            .draft(&p.proposal_id)
            .await?
            .ok_or_else(|| DriverError::NoDraft(p.proposal_id.clone()))?;
        if draft.idempotency_key != p.idempotency_key {
            return Err(DriverError::Invalid {
                field: "idempotency_key",
                problem: "differs from the one this proposal was prepared with".into(),
            });
        }
        if draft.inner != p.inner {
            return Err(DriverError::Invalid {
                field: "inner_transaction",
                problem: "differs from the prepared bytes".into(),
            });
        }
        verify_intent(&draft.id, &draft.inner, &p.proposer, &p.signature)
            .map_err(|e| DriverError::Forged(e.to_string()))?;
        self.check_pending(&draft.account)?;
        let network = self.settings.build.network;
        let account = self
            .settings
            .accounts
            .iter()
            .find(|a| Address::from_public_key(&a.public_key, network) == draft.account)
            .ok_or(DriverError::Unconfigured(draft.account))?;
        let record = ProposalRecord {
            id: draft.id.clone(),
            idempotency_key: draft.idempotency_key.clone(),
            request_digest: draft.request_digest.clone(),
            account: draft.account,
            inner_hash: nem::Hash256::of(&draft.inner),
            inner: draft.inner,
            proposer: p.proposer,
            proposer_signature: p.signature,
            deadline: draft.deadline,
            cosigners: account.cosigners.clone(),
            required: account.required,
            state: State::Proposed,
            decisions: Default::default(),
            broadcast: Default::default(),
            confirmed_height: None,
            reason: None,
        };
        let (id, account, inner_hash) = (record.id.clone(), record.account, record.inner_hash);
        let stored = self
            .accept(record, self.settings.limits.max_pending_per_account)
            .await?;
        tracing::info!(proposal = %id, %account, %inner_hash, "proposal accepted");
        hanko_runtime::failpoint::hit("coordinator", "proposal_answering");
        Ok(stored)
    }

    /// A proposal as saved (see [`Coordinator::saved`]).
    pub async fn proposal(&self, id: &str) -> Result<ProposalRecord, DriverError> {
        self.saved(id)
            .await?
            .ok_or_else(|| DriverError::NotFound(id.to_string()))
    }

    /// A page of proposals and the token of the next, once on disk.
    pub async fn list(
        &self,
        q: Query,
    ) -> Result<(Vec<ProposalRecord>, Option<String>), DriverError> {
        // Only unfinished states asked for: the active index has them all, whatever the history.
        let unfinished_only = q
            .states
            .as_ref()
            .is_some_and(|s| s.iter().all(|s| !s.is_terminal()));
        let Query {
            after,
            size,
            states,
            account,
        } = q;
        let keep = move |p: &ProposalRecord| {
            states.as_ref().is_none_or(|s| s.contains(&p.state))
                && account.as_ref().is_none_or(|a| p.account.to_string() == *a)
        };
        let after = after.as_deref();
        let page = if unfinished_only {
            self.store.page_active(after, size, keep).await?
        } else {
            self.store.page(after, size, keep).await?
        };
        // Shown only once on disk, as Get and Watch do.
        Ok(self.store.settled(page).await?)
    }

    /// Cancels a proposal not yet announced; `reason` is kept in the record.
    pub async fn cancel(
        self: &Arc<Self>,
        id: &str,
        reason: String,
    ) -> Result<ProposalRecord, DriverError> {
        self.check_leading().await?;
        self.apply(id, Event::Cancel { reason }).await
    }

    /// Takes cosigner `key`'s decision on proposal `id`, made about the inner hash `named`:
    /// a signature counts only once both transactions verify against the stored proposal.
    pub async fn submit_decision(
        self: &Arc<Self>,
        id: &str,
        key: PublicKey,
        named: nem::Hash256,
        decision: CosignerDecision,
    ) -> Result<ProposalRecord, DriverError> {
        self.check_leading().await?;
        let record = self
            .store
            .get(id)
            .await?
            .ok_or_else(|| DriverError::NotFound(id.to_string()))?;
        let decision = checked(&record, &key, &named, decision)?;
        let event = Event::Decision {
            cosigner: key,
            decision,
        };
        self.apply(&record.id, event).await
    }

    /// Freezes (or unfreezes) the coordinator, stored durably before it answers.
    pub async fn set_frozen(
        &self,
        frozen: bool,
        by: &str,
        reason: String,
    ) -> Result<Freeze, DriverError> {
        self.check_leading().await?;
        let freeze = Freeze {
            frozen,
            reason,
            by: by.to_string(),
            since_ms: now_ms(),
        };
        self.store.set_freeze(&freeze).await?;
        tracing::warn!(frozen, %by, reason = %freeze.reason, "coordinator freeze changed");
        Ok(freeze)
    }

    /// The freeze, the unfinished count, every configured cosigner as last heard from, and
    /// whether the node answers now.
    pub async fn overview(&self) -> Result<Overview, DriverError> {
        let freeze = self.store.freeze()?;
        let mut keys: Vec<PublicKey> = self
            .settings
            .accounts
            .iter()
            .flat_map(|a| a.cosigners.iter().copied())
            .collect();
        keys.sort_by_key(|k| k.0);
        keys.dedup();
        Ok(Overview {
            freeze,
            unfinished: self.store.unfinished(),
            cosigners: keys.into_iter().map(|k| (k, self.board.get(&k))).collect(),
            node_reachable: self.node.heartbeat().await.is_ok(),
            alerts: self.alerts.list(),
            // The database's word when it answers; this process's own otherwise (a status
            // is most wanted when the database is in trouble).
            leadership: match self.store.postgres() {
                Some(pg) => Some((pg.name().to_string(), pg.term(), pg.leadership().await.ok())),
                None => None,
            },
        })
    }

    /// A cosigner's subscription to the proposals offered to it.
    /// Only the leader offers proposals: a cosigner subscribed to another is told where the
    /// leader is.
    pub async fn subscribe(&self, key: PublicKey) -> Result<Subscription, DriverError> {
        self.check_leading().await?;
        // Subscribed before the first read, so no change falls between the two.
        let changes = self.offers.subscribe();
        let store = self.store.clone();
        Ok(Subscription {
            changes,
            active: Box::new(move || store.active()),
            held: self.board.subscribed(key),
        })
    }

    /// A cosigner's heartbeat: what it says of itself, kept for Admin.Status. The time now
    /// in milliseconds, which it is told back.
    /// Refused (naming the leader) by a coordinator that does not lead, so that a cosigner
    /// linked to it goes to the leader.
    pub async fn heartbeat(
        &self,
        key: &PublicKey,
        frozen: bool,
        policy_hash: &str,
        version: &str,
    ) -> Result<i64, DriverError> {
        self.check_leading().await?;
        let ms = now_ms();
        self.board.heartbeat(key, ms, frozen, policy_hash, version);
        Ok(ms)
    }

    /// Changes of proposal `id` (of every proposal when empty) from now on, and the proposal
    /// as saved now.
    pub async fn watch(
        &self,
        id: &str,
    ) -> Result<
        (
            Option<ProposalRecord>,
            broadcast::Receiver<Arc<ProposalRecord>>,
        ),
        DriverError,
    > {
        // Subscribed before the first read, so no change falls between the two.
        let changes = self.watchers.subscribe(id);
        let current = if id.is_empty() {
            None
        } else {
            self.saved(id).await?
        };
        Ok((current, changes))
    }
}

/// A cosigner's decision on `record`, checked: the inner hash it names, and for a signature,
/// both transactions verified against the stored proposal. Pure: the fuzzer feeds it anything
/// a hostile cosigner could send.
pub fn checked(
    record: &ProposalRecord,
    key: &PublicKey,
    named: &nem::Hash256,
    decision: CosignerDecision,
) -> Result<CosignerDecision, DriverError> {
    check_inner_hash(record, key, named).map_err(|e| DriverError::Stale(e.to_string()))?;
    if let CosignerDecision::Signed(pair) = &decision {
        verify_pair(record, key, pair).map_err(|c| DriverError::Unusable(c.to_string()))?;
    }
    Ok(decision)
}
