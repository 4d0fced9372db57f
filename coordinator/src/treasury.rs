//! The Treasury service: Prepare (build the inner transaction), Propose (store the signed
//! intent durably, then answer), Get, List, Cancel, Watch.

use std::pin::Pin;
use std::sync::Arc;

use hanko_proto::v1 as pb;
use hanko_proto::v1::treasury_server::Treasury;
use nem::{PublicKey, Signature};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::auth::{Clients, Role};
use crate::build::{WithdrawalRequest, build_inner};
use crate::convert;
use crate::core::{Event, ProposalRecord, State};
use crate::driver::{Coordinator, DriverError};
use crate::own_bytes::DraftError;
use crate::store::{Draft, StoreError};

pub struct TreasuryService {
    pub clients: Arc<Clients>,
    pub coordinator: Arc<Coordinator>,
    /// The deadline shifts handed to the last few seconds' identical withdrawals.
    pub shifts: crate::own_bytes::Shifts,
}

fn storage(e: StoreError) -> Status {
    match e {
        StoreError::IdempotencyConflict { .. } | StoreError::SameBytes { .. } => {
            Status::already_exists(e.to_string())
        }
        StoreError::TooManyPending { .. } => Status::resource_exhausted(e.to_string()),
        // Sled errors already begin "storage: ".
        e => Status::unavailable(e.to_string()),
    }
}

fn driver(e: DriverError) -> Status {
    match e {
        DriverError::NotFound(id) => Status::not_found(format!("no proposal {id}")),
        DriverError::Transition(t) => Status::failed_precondition(t.to_string()),
        DriverError::Store(s) => storage(s),
        DriverError::Exists(_) => Status::already_exists(e.to_string()),
        DriverError::Dropped => Status::unavailable(e.to_string()),
    }
}

fn new_id() -> Result<String, Status> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Status::internal(format!("random: {e}")))?;
    Ok(hex::encode(bytes))
}

fn bytes32(field: &str, b: &[u8]) -> Result<[u8; 32], Status> {
    b.try_into().map_err(|_| {
        Status::invalid_argument(format!("{field}: expected 32 bytes, got {}", b.len()))
    })
}

/// ResourceExhausted when `account` already has the most unfinished proposals allowed (an
/// early answer; acceptance counts again in the same step as it stores).
fn check_pending(c: &Coordinator, account: &nem::Address) -> Result<(), Status> {
    c.store
        .within_pending(account, c.settings.limits.max_pending_per_account)
        .map_err(storage)
}

/// ResourceExhausted for a request larger than `limits.max_request_bytes`.
fn check_size(c: &Coordinator, request: &impl prost::Message) -> Result<(), Status> {
    let (len, max) = (request.encoded_len(), c.settings.limits.max_request_bytes);
    if len > max {
        return Err(Status::resource_exhausted(format!(
            "request: {len} bytes; at most {max} (limits.max_request_bytes)"
        )));
    }
    Ok(())
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::Proposal, Status>> + Send>>;

#[tonic::async_trait]
impl Treasury for TreasuryService {
    async fn prepare(
        &self,
        request: Request<pb::PrepareRequest>,
    ) -> Result<Response<pb::PrepareResponse>, Status> {
        self.clients.authorize(&request, &[Role::Proposer])?;
        let c = &self.coordinator;
        if c.frozen() {
            return Err(Status::failed_precondition(
                "the coordinator is frozen; no new proposals",
            ));
        }
        let r = request.into_inner();
        check_size(c, &r)?;
        if r.idempotency_key.trim().is_empty() || r.idempotency_key.len() > 128 {
            return Err(Status::invalid_argument(
                "idempotency_key: 1 to 128 characters, chosen by the proposer",
            ));
        }
        let req = WithdrawalRequest {
            account: r.account.clone(),
            recipient: r.recipient.clone(),
            amount: r.amount.clone(),
            mosaics: r
                .mosaics
                .iter()
                .map(|m| (m.id.clone(), m.quantity))
                .collect(),
            message: r.message.clone(),
        };
        let digest = crate::digest::RequestDigest::of(
            &r.account,
            &r.recipient,
            &r.amount,
            &req.mosaics,
            &r.message,
        );
        if let Some(id) = c.store.id_for_key(&r.idempotency_key).map_err(storage)? {
            // A retry: answer with what was prepared (or proposed) under this key.
            let existing = c
                .store
                .put_draft(&Draft {
                    id,
                    idempotency_key: r.idempotency_key.clone(),
                    account: nem::Address::parse(&r.account)
                        .map_err(|e| Status::invalid_argument(format!("account: {e}")))?,
                    inner: vec![],
                    deadline: nem::NemTimestamp(0),
                    request_digest: digest.canonical,
                    legacy_digest: Some(digest.legacy),
                })
                .await;
            let d = existing.map_err(storage)?;
            return Ok(Response::new(pb::PrepareResponse {
                intent: hanko_proto::intent(&d.id, &d.inner),
                proposal_id: d.id,
                inner_transaction: d.inner,
                deadline: d.deadline.0,
            }));
        }
        let time = c
            .node
            .network_time()
            .await
            .map_err(|e| Status::unavailable(format!("NIS node: {e}")))?;
        let tx = build_inner(
            &req,
            &c.settings.build,
            &c.settings.accounts,
            time,
            &nem::fees::XemOnly,
        )
        .map_err(|e| Status::invalid_argument(e.to_string()))?;
        // The node's view of the account must match configuration: never guess around it.
        let account = tx.signer_address();
        check_pending(c, &account)?;
        let configured = c
            .settings
            .accounts
            .iter()
            .find(|a| a.public_key == tx.header.signer)
            .ok_or_else(|| Status::invalid_argument(format!("account: {account} is not served")))?;
        let on_chain = c
            .node
            .account(&account)
            .await
            .map_err(|e| Status::unavailable(format!("NIS node: {e}")))?;
        if let Err(mismatch) =
            crate::build::check_account(configured, &on_chain, c.settings.build.network)
        {
            tracing::error!(%account, %mismatch, "multisig account does not match configuration; account stopped");
            return Err(Status::failed_precondition(mismatch.to_string()));
        }
        let request = crate::own_bytes::Request {
            id: new_id()?,
            idempotency_key: r.idempotency_key,
            request_digest: digest.canonical,
            legacy_digest: digest.legacy,
        };
        let d = crate::own_bytes::draft(c, &self.shifts, tx, request)
            .await
            .map_err(|e| match e {
                DraftError::Store(e) => storage(e),
                DraftError::Crowded { .. } => Status::resource_exhausted(e.to_string()),
                DraftError::Encode(_) => Status::invalid_argument(e.to_string()),
            })?;
        Ok(Response::new(pb::PrepareResponse {
            intent: hanko_proto::intent(&d.id, &d.inner),
            proposal_id: d.id,
            inner_transaction: d.inner,
            deadline: d.deadline.0,
        }))
    }

    async fn propose(
        &self,
        request: Request<pb::ProposeRequest>,
    ) -> Result<Response<pb::Proposal>, Status> {
        self.clients.authorize(&request, &[Role::Proposer])?;
        let c = &self.coordinator;
        let r = request.into_inner();
        check_size(c, &r)?;
        let proposer = PublicKey(bytes32("proposer", &r.proposer)?);
        let signature = Signature(
            r.proposer_signature
                .as_slice()
                .try_into()
                .map_err(|_| Status::invalid_argument("proposer_signature: expected 64 bytes"))?,
        );
        if let Some(existing) = c.store.get(&r.proposal_id).map_err(storage)? {
            if existing.inner == r.inner_transaction && existing.proposer_signature == signature {
                return Ok(Response::new(convert::proposal(&existing)));
            }
            return Err(driver(DriverError::Exists(r.proposal_id)));
        }
        let draft = c
            .store
            .draft(&r.proposal_id)
            .map_err(storage)?
            .ok_or_else(|| {
                Status::not_found(format!(
                    "proposal_id: no prepared proposal {}; call Prepare first",
                    r.proposal_id
                ))
            })?;
        if draft.idempotency_key != r.idempotency_key {
            return Err(Status::invalid_argument(
                "idempotency_key: differs from the one this proposal was prepared with",
            ));
        }
        if draft.inner != r.inner_transaction {
            return Err(Status::invalid_argument(
                "inner_transaction: differs from the prepared bytes",
            ));
        }
        crate::verify::verify_intent(&draft.id, &draft.inner, &proposer, &signature)
            .map_err(|e| Status::permission_denied(format!("proposer_signature: {e}")))?;
        check_pending(c, &draft.account)?;
        let account = c
            .settings
            .accounts
            .iter()
            .find(|a| {
                nem::Address::from_public_key(&a.public_key, c.settings.build.network)
                    == draft.account
            })
            .ok_or_else(|| {
                Status::failed_precondition(format!(
                    "account {} is no longer configured",
                    draft.account
                ))
            })?;
        let record = ProposalRecord {
            id: draft.id.clone(),
            idempotency_key: draft.idempotency_key.clone(),
            request_digest: draft.request_digest.clone(),
            account: draft.account,
            inner_hash: nem::Hash256::of(&draft.inner),
            inner: draft.inner.clone(),
            proposer,
            proposer_signature: signature,
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
        let stored = c
            .accept(record, c.settings.limits.max_pending_per_account)
            .await
            .map_err(driver)?;
        tracing::info!(proposal = %id, %account, %inner_hash, "proposal accepted");
        hanko_runtime::failpoint::hit("coordinator", "proposal_answering");
        Ok(Response::new(convert::proposal(&stored)))
    }

    async fn get(
        &self,
        request: Request<pb::GetRequest>,
    ) -> Result<Response<pb::Proposal>, Status> {
        self.clients
            .authorize(&request, &[Role::Proposer, Role::Auditor, Role::Admin])?;
        let id = request.into_inner().id;
        let r = self
            .coordinator
            .saved(&id)
            .await
            .map_err(storage)?
            .ok_or_else(|| Status::not_found(format!("id: no proposal {id}")))?;
        Ok(Response::new(convert::proposal(&r)))
    }

    async fn list(
        &self,
        request: Request<pb::ListRequest>,
    ) -> Result<Response<pb::ListResponse>, Status> {
        self.clients
            .authorize(&request, &[Role::Proposer, Role::Auditor, Role::Admin])?;
        let r = request.into_inner();
        let size = match r.page_size {
            0 => 50,
            n if n > 500 => return Err(Status::invalid_argument("page_size: at most 500")),
            n => n as usize,
        };
        let states: Vec<i32> = r.states.clone();
        let account = r.account.clone();
        let keep = move |p: &ProposalRecord| {
            (states.is_empty() || states.contains(&(convert::state(p.state) as i32)))
                && (account.is_empty() || p.account.to_string() == account)
        };
        let after = (!r.page_token.is_empty()).then_some(r.page_token.as_str());
        // Only unfinished states asked for: the active index has them all, whatever the history.
        let unfinished_only = !r.states.is_empty()
            && r.states.iter().all(|s| {
                matches!(
                    pb::ProposalState::try_from(*s),
                    Ok(pb::ProposalState::Proposed
                        | pb::ProposalState::Collecting
                        | pb::ProposalState::Ready
                        | pb::ProposalState::Announced)
                )
            });
        let store = &self.coordinator.store;
        let (page, next) = if unfinished_only {
            store.page_active(after, size, keep)
        } else {
            store.page(after, size, keep).map_err(storage)?
        };
        // Shown only once on disk, as Get and Watch do.
        let (page, next) = store.settled((page, next)).await.map_err(storage)?;
        Ok(Response::new(pb::ListResponse {
            proposals: page.iter().map(convert::proposal).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }

    async fn cancel(
        &self,
        request: Request<pb::CancelRequest>,
    ) -> Result<Response<pb::Proposal>, Status> {
        let who = self
            .clients
            .authorize(&request, &[Role::Proposer, Role::Admin])?;
        let r = request.into_inner();
        let reason = if r.reason.trim().is_empty() {
            format!("cancelled by {}", who.name)
        } else {
            format!("cancelled by {}: {}", who.name, r.reason)
        };
        let record = self
            .coordinator
            .apply(&r.id, Event::Cancel { reason })
            .await
            .map_err(driver)?;
        Ok(Response::new(convert::proposal(&record)))
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<pb::WatchRequest>,
    ) -> Result<Response<WatchStream>, Status> {
        self.clients
            .authorize(&request, &[Role::Proposer, Role::Auditor, Role::Admin])?;
        let id = request.into_inner().id;
        // Subscribed before the first read, so no change falls between the two.
        let changes = self.coordinator.watchers.subscribe(&id);
        let current = if id.is_empty() {
            None
        } else {
            self.coordinator.saved(&id).await.map_err(storage)?
        };
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        tokio::spawn(follow(self.coordinator.clone(), id, current, changes, tx));
        let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
        Ok(Response::new(Box::pin(stream)))
    }
}

/// Feeds one Watch: `current` first, then each saved change of proposal `id` (of every
/// proposal when `id` is empty), until the client goes away. A watcher that falls behind
/// reads its proposal again; one watching everything is told what it missed and ends.
async fn follow(
    c: Arc<Coordinator>,
    id: String,
    current: Option<ProposalRecord>,
    mut changes: tokio::sync::broadcast::Receiver<Arc<ProposalRecord>>,
    tx: tokio::sync::mpsc::Sender<Result<pb::Proposal, Status>>,
) {
    use tokio::sync::broadcast::error::RecvError;
    if let Some(r) = current
        && tx.send(Ok(convert::proposal(&r))).await.is_err()
    {
        return;
    }
    loop {
        let item = tokio::select! {
            item = changes.recv() => item,
            () = tx.closed() => return,
        };
        let send = match item {
            Ok(r) => Ok(convert::proposal(&r)),
            Err(RecvError::Closed) => return,
            Err(RecvError::Lagged(missed)) if id.is_empty() => Err(Status::data_loss(format!(
                "this watch fell behind and missed {missed} changes; watch again"
            ))),
            Err(RecvError::Lagged(_)) => match c.saved(&id).await {
                Ok(Some(r)) => Ok(convert::proposal(&r)),
                Ok(None) => continue,
                Err(e) => Err(storage(e)),
            },
        };
        let last = send.is_err();
        if tx.send(send).await.is_err() || last {
            return;
        }
    }
}
