//! The Treasury service: Prepare (build the inner transaction), Propose (store the signed
//! intent durably, then answer), Get, List, Cancel, Watch.

use std::pin::Pin;
use std::sync::Arc;

use hanko_proto::v1 as pb;
use hanko_proto::v1::treasury_server::Treasury;
use nem::{PublicKey, Signature};
use prost::Message as _;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::api::auth::{Clients, Role};
use crate::api::convert;
use crate::api::status::{self, invalid};
use crate::core::ProposalRecord;
use crate::core::build::WithdrawalRequest;
use crate::driver::{Coordinator, Prepare, Propose, Query};
use crate::store::Draft;

pub struct TreasuryService {
    pub clients: Arc<Clients>,
    pub coordinator: Arc<Coordinator>,
}

fn bytes32(field: &str, b: &[u8]) -> Result<[u8; 32], Status> {
    b.try_into()
        .map_err(|_| invalid(field, format!("expected 32 bytes, got {}", b.len())))
}

fn prepared(d: Draft) -> pb::PrepareResponse {
    pb::PrepareResponse {
        intent: hanko_proto::intent(&d.id, &d.inner),
        proposal_id: d.id,
        inner_transaction: d.inner,
        deadline: d.deadline.0,
    }
}

/// The states a List asks for: none when it names none (any state); states it names that do
/// not exist match nothing.
fn states(asked: &[i32]) -> Option<Vec<crate::core::State>> {
    (!asked.is_empty()).then(|| {
        asked
            .iter()
            .filter_map(|s| pb::ProposalState::try_from(*s).ok())
            .filter_map(convert::state_of)
            .collect()
    })
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
        // A frozen coordinator says so first, whatever else is wrong with the request.
        c.check_open().map_err(status::of)?;
        let r = request.into_inner();
        c.check_size(r.encoded_len()).map_err(status::of)?;
        if r.idempotency_key.trim().is_empty() || r.idempotency_key.len() > 128 {
            return Err(invalid(
                "idempotency_key",
                "1 to 128 characters, chosen by the proposer",
            ));
        }
        let withdrawal = WithdrawalRequest {
            account: r.account,
            recipient: r.recipient,
            amount: r.amount,
            mosaics: r.mosaics.into_iter().map(|m| (m.id, m.quantity)).collect(),
            message: r.message,
        };
        let prepare = Prepare {
            idempotency_key: r.idempotency_key,
            withdrawal,
        };
        let draft = c.prepare(prepare).await.map_err(status::of)?;
        Ok(Response::new(prepared(draft)))
    }

    async fn propose(
        &self,
        request: Request<pb::ProposeRequest>,
    ) -> Result<Response<pb::Proposal>, Status> {
        self.clients.authorize(&request, &[Role::Proposer])?;
        let c = &self.coordinator;
        let r = request.into_inner();
        c.check_size(r.encoded_len()).map_err(status::of)?;
        let proposer = PublicKey(bytes32("proposer", &r.proposer)?);
        let signature = Signature(
            r.proposer_signature
                .as_slice()
                .try_into()
                .map_err(|_| invalid("proposer_signature", "expected 64 bytes"))?,
        );
        let propose = Propose {
            proposal_id: r.proposal_id,
            idempotency_key: r.idempotency_key,
            inner: r.inner_transaction,
            proposer,
            signature,
        };
        let stored = c.propose(propose).await.map_err(status::of)?;
        Ok(Response::new(convert::proposal(&stored)))
    }

    async fn get(
        &self,
        request: Request<pb::GetRequest>,
    ) -> Result<Response<pb::Proposal>, Status> {
        self.clients
            .authorize(&request, &[Role::Proposer, Role::Auditor, Role::Admin])?;
        let id = request.into_inner().id;
        let r = self.coordinator.proposal(&id).await.map_err(status::of)?;
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
            n if n > 500 => return Err(invalid("page_size", "at most 500")),
            n => n as usize,
        };
        let query = Query {
            after: (!r.page_token.is_empty()).then_some(r.page_token),
            size,
            states: states(&r.states),
            account: (!r.account.is_empty()).then_some(r.account),
        };
        let (page, next) = self.coordinator.list(query).await.map_err(status::of)?;
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
            .cancel(&r.id, reason)
            .await
            .map_err(status::of)?;
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
        let (current, changes) = self.coordinator.watch(&id).await.map_err(status::of)?;
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
                Err(e) => Err(status::of(e.into())),
            },
        };
        let last = send.is_err();
        if tx.send(send).await.is_err() || last {
            return;
        }
    }
}
