//! The Admin service: freeze and unfreeze (admin), status (admin, auditor or proposer: it
//! carries no secret, and a proposer's console shows why a withdrawal waits). A freeze is
//! stored durably before it is acknowledged and survives restarts.

use std::sync::Arc;

use hanko_proto::v1::admin_server::Admin;
use hanko_proto::v1::{CosignerStatus, FreezeRequest, FreezeStatus, StatusRequest, StatusResponse};
use tonic::{Request, Response, Status};

use crate::api::auth::{Clients, Role};
use crate::api::status::{self, invalid};
use crate::driver::Coordinator;
use crate::store::Freeze;

pub struct AdminService {
    pub clients: Arc<Clients>,
    pub coordinator: Arc<Coordinator>,
}

fn freeze_status(f: &Freeze) -> FreezeStatus {
    FreezeStatus {
        frozen: f.frozen,
        reason: f.reason.clone(),
        by: f.by.clone(),
        since_ms: f.since_ms,
    }
}

impl AdminService {
    async fn set(
        &self,
        request: Request<FreezeRequest>,
        frozen: bool,
    ) -> Result<Response<FreezeStatus>, Status> {
        let who = self.clients.authorize(&request, &[Role::Admin])?;
        let reason = request.into_inner().reason;
        if reason.trim().is_empty() {
            return Err(invalid("reason", "say why (it is kept in the record)"));
        }
        let freeze = self
            .coordinator
            .set_frozen(frozen, &who.name, reason)
            .await
            .map_err(status::of)?;
        Ok(Response::new(freeze_status(&freeze)))
    }
}

#[tonic::async_trait]
impl Admin for AdminService {
    async fn freeze(
        &self,
        request: Request<FreezeRequest>,
    ) -> Result<Response<FreezeStatus>, Status> {
        self.set(request, true).await
    }

    async fn unfreeze(
        &self,
        request: Request<FreezeRequest>,
    ) -> Result<Response<FreezeStatus>, Status> {
        self.set(request, false).await
    }

    async fn status(
        &self,
        request: Request<StatusRequest>,
    ) -> Result<Response<StatusResponse>, Status> {
        // Proposers see it too: the freeze, the cosigners' links and the alerts tell them why
        // a withdrawal waits. Nothing in it is secret.
        let caller = self
            .clients
            .authorize(&request, &[Role::Admin, Role::Auditor, Role::Proposer])?;
        let o = self.coordinator.overview().await.map_err(status::of)?;
        let cosigners = o
            .cosigners
            .into_iter()
            .map(|(k, seen)| CosignerStatus {
                name: self
                    .clients
                    .cosigner_name(&k)
                    .unwrap_or_default()
                    .to_string(),
                cosigner: k.0.to_vec(),
                connected: seen.streams > 0,
                last_heartbeat_ms: seen.last_heartbeat_ms,
                frozen: seen.frozen,
                policy_hash: seen.policy_hash,
            })
            .collect();
        Ok(Response::new(StatusResponse {
            freeze: Some(o.freeze.as_ref().map(freeze_status).unwrap_or_default()),
            cosigners,
            unfinished_proposals: o.unfinished as u64,
            node_reachable: o.node_reachable,
            leadership: o.leadership.map(|(name, term, db)| {
                let database_answered = db.is_some();
                let db = db.unwrap_or_else(crate::store::postgres::Leadership::unknown);
                hanko_proto::v1::Leadership {
                    answered_by: name,
                    leading: term.is_some(),
                    term: term.unwrap_or(0),
                    leader: db.holder,
                    leader_address: db.address,
                    leader_term: db.term,
                    lease_live: db.live,
                    database_answered,
                }
            }),
            caller: caller.name,
            caller_role: caller.role.name().to_string(),
            alerts: o
                .alerts
                .into_iter()
                .map(|n| hanko_proto::v1::AlertNote {
                    at_ms: n.at_ms,
                    kind: n.kind,
                    critical: n.critical,
                    account: n.account,
                    message: n.message,
                })
                .collect(),
        }))
    }
}
