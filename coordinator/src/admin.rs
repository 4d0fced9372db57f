//! The Admin service: freeze and unfreeze (admin), status (admin or auditor). A freeze is
//! stored durably before it is acknowledged and survives restarts.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hanko_proto::v1::admin_server::Admin;
use hanko_proto::v1::{CosignerStatus, FreezeRequest, FreezeStatus, StatusRequest, StatusResponse};
use tonic::{Request, Response, Status};

use crate::auth::{Clients, Role};
use crate::driver::Coordinator;
use crate::store::{Freeze, Store};

pub struct AdminService {
    pub clients: Arc<Clients>,
    pub store: Arc<Store>,
    /// Absent when serving the Admin service alone (no node, no cosigners).
    pub coordinator: Option<Arc<Coordinator>>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn status(f: &Freeze) -> FreezeStatus {
    FreezeStatus {
        frozen: f.frozen,
        reason: f.reason.clone(),
        by: f.by.clone(),
        since_ms: f.since_ms,
    }
}

impl AdminService {
    fn set(
        &self,
        request: Request<FreezeRequest>,
        frozen: bool,
    ) -> Result<Response<FreezeStatus>, Status> {
        let who = self.clients.authorize(&request, &[Role::Admin])?;
        let reason = request.into_inner().reason;
        if reason.trim().is_empty() {
            return Err(Status::invalid_argument(
                "reason: say why (it is kept in the record)",
            ));
        }
        let freeze = Freeze {
            frozen,
            reason,
            by: who.name.clone(),
            since_ms: now_ms(),
        };
        self.store
            .set_freeze(&freeze)
            .map_err(|e| Status::unavailable(format!("cannot record the freeze: {e}")))?;
        tracing::warn!(frozen, by = %who.name, reason = %freeze.reason, "coordinator freeze changed");
        Ok(Response::new(status(&freeze)))
    }
}

#[tonic::async_trait]
impl Admin for AdminService {
    async fn freeze(
        &self,
        request: Request<FreezeRequest>,
    ) -> Result<Response<FreezeStatus>, Status> {
        self.set(request, true)
    }

    async fn unfreeze(
        &self,
        request: Request<FreezeRequest>,
    ) -> Result<Response<FreezeStatus>, Status> {
        self.set(request, false)
    }

    async fn status(
        &self,
        request: Request<StatusRequest>,
    ) -> Result<Response<StatusResponse>, Status> {
        self.clients
            .authorize(&request, &[Role::Admin, Role::Auditor])?;
        let freeze = self
            .store
            .freeze()
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let unfinished = self.store.unfinished() as u64;
        let (cosigners, node_reachable) = match &self.coordinator {
            Some(c) => (cosigners(c), c.node.heartbeat().await.is_ok()),
            None => (vec![], false),
        };
        Ok(Response::new(StatusResponse {
            freeze: Some(freeze.as_ref().map(status).unwrap_or_default()),
            cosigners,
            unfinished_proposals: unfinished,
            node_reachable,
        }))
    }
}

/// Every configured cosigner, once, with what the coordinator last heard from it.
fn cosigners(c: &Coordinator) -> Vec<CosignerStatus> {
    let mut keys: Vec<nem::PublicKey> = c
        .settings
        .accounts
        .iter()
        .flat_map(|a| a.cosigners.iter().copied())
        .collect();
    keys.sort_by_key(|k| k.0);
    keys.dedup();
    keys.iter()
        .map(|k| {
            let seen = c.board.get(k);
            CosignerStatus {
                cosigner: k.0.to_vec(),
                connected: seen.streams > 0,
                last_heartbeat_ms: seen.last_heartbeat_ms,
                frozen: seen.frozen,
                policy_hash: seen.policy_hash,
            }
        })
        .collect()
}
