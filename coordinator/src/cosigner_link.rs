//! The CosignerLink service: cosigners dial out, subscribe to proposals for their accounts and
//! submit decisions. Every returned transaction is verified before it counts; a cosigner that
//! sends garbage is named in the error and the log, and ignored.

use std::pin::Pin;
use std::sync::Arc;

use hanko_proto::v1 as pb;
use hanko_proto::v1::cosigner_link_server::CosignerLink;
use nem::{Hash256, PublicKey, Signature, SignedTransaction};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::auth::{Clients, Role};
use crate::convert;
use crate::core::{CosignerDecision, Event, ProposalRecord, SignedPair};
use crate::driver::Coordinator;

pub struct CosignerLinkService {
    pub clients: Arc<Clients>,
    pub coordinator: Arc<Coordinator>,
}

fn signed(field: &str, t: Option<pb::SignedTransaction>) -> Result<SignedTransaction, Status> {
    let t = t.ok_or_else(|| Status::invalid_argument(format!("{field}: missing")))?;
    let signature: [u8; 64] =
        t.signature.as_slice().try_into().map_err(|_| {
            Status::invalid_argument(format!("{field}.signature: expected 64 bytes"))
        })?;
    Ok(SignedTransaction {
        data: t.data,
        signature: Signature(signature),
    })
}

/// A cosigner's submitted decision on `record`, checked: the inner hash it names, and for a
/// signature, both transactions verified against the stored proposal. Pure: the fuzzer feeds
/// it anything a hostile cosigner could send.
pub fn decision_of(
    record: &ProposalRecord,
    key: &PublicKey,
    r: pb::SubmitDecisionRequest,
) -> Result<CosignerDecision, Status> {
    let named: [u8; 32] = r
        .inner_hash
        .as_slice()
        .try_into()
        .map_err(|_| Status::invalid_argument("inner_hash: expected 32 bytes"))?;
    crate::verify::check_inner_hash(record, key, &Hash256(named))
        .map_err(|e| Status::failed_precondition(e.to_string()))?;
    let decision = r
        .decision
        .and_then(|d| d.outcome)
        .ok_or_else(|| Status::invalid_argument("decision: missing"))?;
    let decision = match decision {
        pb::cosigner_decision::Outcome::Signed(p) => {
            let pair = SignedPair {
                wrapper: signed("wrapper", p.wrapper)?,
                cosignature: signed("cosignature", p.cosignature)?,
            };
            crate::verify::verify_pair(record, key, &pair)
                .map_err(|culprit| Status::invalid_argument(culprit.to_string()))?;
            CosignerDecision::Signed(pair)
        }
        pb::cosigner_decision::Outcome::Refused(x) => {
            CosignerDecision::Refused { reasons: x.reasons }
        }
        pb::cosigner_decision::Outcome::NeedsApproval(x) => {
            CosignerDecision::NeedsApproval { reasons: x.reasons }
        }
    };
    Ok(decision)
}

type OfferStream = Pin<Box<dyn Stream<Item = Result<pb::ProposalForSigning, Status>> + Send>>;

#[tonic::async_trait]
impl CosignerLink for CosignerLinkService {
    type SubscribeStream = OfferStream;

    async fn subscribe(
        &self,
        request: Request<pb::SubscribeRequest>,
    ) -> Result<Response<OfferStream>, Status> {
        let who = self.clients.authorize(&request, &[Role::Cosigner])?;
        let key = who
            .cosigner_key
            .ok_or_else(|| Status::permission_denied("no cosigner key configured"))?;
        let c = &self.coordinator;
        let changes = c.offers.subscribe();
        let store = c.store.clone();
        let subscribed = c.board.subscribed(key);
        let offers =
            crate::offers::stream(key, who.name, changes, move || store.active(), subscribed);
        Ok(Response::new(Box::pin(offers)))
    }

    async fn submit_decision(
        &self,
        request: Request<pb::SubmitDecisionRequest>,
    ) -> Result<Response<pb::SubmitDecisionResponse>, Status> {
        let who = self.clients.authorize(&request, &[Role::Cosigner])?;
        let key: PublicKey = who
            .cosigner_key
            .ok_or_else(|| Status::permission_denied("no cosigner key configured"))?;
        let r = request.into_inner();
        let c = &self.coordinator;
        let record = c
            .store
            .get(&r.proposal_id)
            .map_err(|e| Status::unavailable(e.to_string()))?
            .ok_or_else(|| {
                Status::not_found(format!("proposal_id: no proposal {}", r.proposal_id))
            })?;
        let decision = decision_of(&record, &key, r).inspect_err(|status| {
            if status.code() == tonic::Code::InvalidArgument {
                tracing::error!(proposal = %record.id, cosigner = %who.name, reason = %status.message(), "unusable decision refused");
            }
        })?;
        let next = c
            .apply(
                &record.id,
                Event::Decision {
                    cosigner: key,
                    decision,
                },
            )
            .await
            .map_err(|e| Status::failed_precondition(e.to_string()))?;
        Ok(Response::new(pb::SubmitDecisionResponse {
            state: convert::state(next.state) as i32,
        }))
    }

    async fn heartbeat(
        &self,
        request: Request<pb::HeartbeatRequest>,
    ) -> Result<Response<pb::HeartbeatResponse>, Status> {
        let who = self.clients.authorize(&request, &[Role::Cosigner])?;
        let key = who
            .cosigner_key
            .ok_or_else(|| Status::permission_denied("no cosigner key configured"))?;
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let beat = request.into_inner();
        self.coordinator
            .board
            .heartbeat(&key, ms, beat.frozen, &beat.policy_hash, &beat.version);
        Ok(Response::new(pb::HeartbeatResponse {
            coordinator_time_ms: ms,
        }))
    }
}
