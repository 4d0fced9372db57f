//! The CosignerLink service: cosigners dial out, subscribe to proposals for their accounts and
//! submit decisions. Every returned transaction is verified before it counts; a cosigner that
//! sends garbage is named in the error and the log, and ignored.

use std::pin::Pin;
use std::sync::Arc;

use hanko_proto::reason::from_wire;
use hanko_proto::v1 as pb;
use hanko_proto::v1::cosigner_link_server::CosignerLink;
use nem::{Hash256, PublicKey, Signature, SignedTransaction};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::api::auth::{Clients, Role};
use crate::api::convert;
use crate::api::status::{self, invalid};
use crate::core::{CosignerDecision, ProposalRecord, SignedPair};
use crate::driver::{Coordinator, DriverError, checked};

pub struct CosignerLinkService {
    pub clients: Arc<Clients>,
    pub coordinator: Arc<Coordinator>,
}

fn signed(field: &str, t: Option<pb::SignedTransaction>) -> Result<SignedTransaction, Status> {
    let t = t.ok_or_else(|| invalid(field, "missing"))?;
    let signature: [u8; 64] = t
        .signature
        .as_slice()
        .try_into()
        .map_err(|_| invalid(&format!("{field}.signature"), "expected 64 bytes"))?;
    Ok(SignedTransaction {
        data: t.data,
        signature: Signature(signature),
    })
}

/// A submitted decision as the domain reads it: the inner hash it is about, and what it
/// says (nothing verified yet).
fn submitted(r: pb::SubmitDecisionRequest) -> Result<(Hash256, CosignerDecision), Status> {
    let named: [u8; 32] = r
        .inner_hash
        .as_slice()
        .try_into()
        .map_err(|_| invalid("inner_hash", "expected 32 bytes"))?;
    let decision = r
        .decision
        .and_then(|d| d.outcome)
        .ok_or_else(|| invalid("decision", "missing"))?;
    let decision = match decision {
        pb::cosigner_decision::Outcome::Signed(p) => CosignerDecision::Signed(SignedPair {
            wrapper: signed("wrapper", p.wrapper)?,
            cosignature: signed("cosignature", p.cosignature)?,
        }),
        pb::cosigner_decision::Outcome::Refused(x) => CosignerDecision::Refused {
            reasons: from_wire(x.details, x.reasons),
        },
        pb::cosigner_decision::Outcome::NeedsApproval(x) => CosignerDecision::NeedsApproval {
            reasons: from_wire(x.details, x.reasons),
        },
    };
    Ok((Hash256(named), decision))
}

/// A cosigner's submitted decision on `record`, checked as SubmitDecision checks it: its
/// shape, the inner hash it names, and for a signature, both transactions verified against
/// the stored proposal. Pure: the fuzzer feeds it anything a hostile cosigner could send.
pub fn decision_of(
    record: &ProposalRecord,
    key: &PublicKey,
    r: pb::SubmitDecisionRequest,
) -> Result<CosignerDecision, Status> {
    let (named, decision) = submitted(r)?;
    checked(record, key, &named, decision).map_err(status::of)
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
        let sub = self.coordinator.subscribe(key).await.map_err(status::of)?;
        let offers = crate::api::offers::stream(key, who.name, sub.changes, sub.active, sub.held);
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
        let id = r.proposal_id.clone();
        // The id as the cosigner sent it: logged escaped and cut, whatever it holds.
        let shown: String = id.chars().take(64).collect();
        let (named, decision) = submitted(r).inspect_err(|status| {
            tracing::error!(proposal = ?shown, cosigner = %who.name, reason = %status.message(), "unusable decision refused");
        })?;
        let next = self
            .coordinator
            .submit_decision(&id, key, named, decision)
            .await
            .map_err(|e| {
                if let DriverError::Unusable(reason) = &e {
                    tracing::error!(proposal = ?shown, cosigner = %who.name, %reason, "unusable decision refused");
                }
                status::of(e)
            })?;
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
        let beat = request.into_inner();
        let ms = self
            .coordinator
            .heartbeat(&key, beat.frozen, &beat.policy_hash, &beat.version)
            .await
            .map_err(status::of)?;
        Ok(Response::new(pb::HeartbeatResponse {
            coordinator_time_ms: ms,
        }))
    }
}
