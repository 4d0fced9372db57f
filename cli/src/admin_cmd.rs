//! `hanko admin freeze|unfreeze|status`: the coordinator-wide freeze and what the coordinator
//! knows of its cosigners and node. Freeze needs the admin role; status admin, auditor or proposer.

use std::io::Write;

use clap::Subcommand;
use hanko_proto::v1 as pb;

use crate::client::{ClientConfig, ConfigArg, status};
use crate::error::CliError;

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Stop all distribution and broadcasting at once (survives restarts).
    Freeze {
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Resume.
    Unfreeze {
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Freeze, node, unfinished proposals and each cosigner's link.
    Status {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
}

fn freeze_json(f: &pb::FreezeStatus) -> serde_json::Value {
    serde_json::json!({"frozen": f.frozen, "reason": f.reason, "by": f.by, "since_ms": f.since_ms})
}

pub async fn run(cmd: AdminCommand, out: &mut dyn Write) -> Result<(), CliError> {
    let w = |e: std::io::Error| CliError::Io(e.to_string());
    match cmd {
        AdminCommand::Freeze { reason, config } => {
            let mut admin = ClientConfig::load(&config.config)?.admin().await?;
            let f = admin
                .freeze(pb::FreezeRequest { reason })
                .await
                .map_err(status)?
                .into_inner();
            crate::io::print_json(out, &freeze_json(&f))
        }
        AdminCommand::Unfreeze { reason, config } => {
            let mut admin = ClientConfig::load(&config.config)?.admin().await?;
            let f = admin
                .unfreeze(pb::FreezeRequest { reason })
                .await
                .map_err(status)?
                .into_inner();
            crate::io::print_json(out, &freeze_json(&f))
        }
        AdminCommand::Status { json, config } => {
            let mut admin = ClientConfig::load(&config.config)?.admin().await?;
            let s = admin
                .status(pb::StatusRequest {})
                .await
                .map_err(status)?
                .into_inner();
            let freeze = s.freeze.unwrap_or_default();
            if json {
                let cosigners: Vec<_> = s
                    .cosigners
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "cosigner": hex::encode(&c.cosigner),
                            "connected": c.connected,
                            "last_heartbeat_ms": c.last_heartbeat_ms,
                            "frozen": c.frozen,
                            "policy_hash": c.policy_hash,
                        })
                    })
                    .collect();
                return crate::io::print_json(
                    out,
                    &serde_json::json!({
                        "freeze": freeze_json(&freeze),
                        "node_reachable": s.node_reachable,
                        "unfinished_proposals": s.unfinished_proposals,
                        "cosigners": cosigners,
                        "leadership": s.leadership.as_ref().map(|l| serde_json::json!({
                            "answered_by": l.answered_by,
                            "leading": l.leading,
                            "term": l.term,
                            "leader": l.leader,
                            "leader_address": l.leader_address,
                            "leader_term": l.leader_term,
                            "lease_live": l.lease_live,
                            "database_answered": l.database_answered,
                        })),
                    }),
                );
            }
            if let Some(l) = &s.leadership {
                writeln!(out, "{}", leadership_line(l)).map_err(w)?;
            }
            if freeze.frozen {
                writeln!(out, "FROZEN by {}: {}", freeze.by, freeze.reason).map_err(w)?;
            } else {
                writeln!(out, "not frozen").map_err(w)?;
            }
            writeln!(out, "node reachable: {}", s.node_reachable).map_err(w)?;
            writeln!(out, "unfinished proposals: {}", s.unfinished_proposals).map_err(w)?;
            for c in &s.cosigners {
                let link = if c.connected {
                    "connected"
                } else {
                    "NOT connected"
                };
                let frozen = if c.frozen { ", frozen" } else { "" };
                writeln!(
                    out,
                    "cosigner {}  {link}{frozen}  policy {}",
                    hex::encode(&c.cosigner),
                    if c.policy_hash.is_empty() {
                        "-"
                    } else {
                        &c.policy_hash
                    }
                )
                .map_err(w)?;
            }
            Ok(())
        }
    }
}

/// Who answered and who leads, in one line.
fn leadership_line(l: &hanko_proto::v1::Leadership) -> String {
    if l.leading {
        return format!(
            "answered by {}, which leads (term {})",
            l.answered_by, l.term
        );
    }
    let leader = match (l.lease_live, l.leader.is_empty()) {
        _ if !l.database_answered => {
            "the database does not answer: who leads is unknown".to_string()
        }
        (true, false) => format!(
            "the leader is {} at {} (term {})",
            l.leader, l.leader_address, l.leader_term
        ),
        _ => "no coordinator leads right now".to_string(),
    };
    format!(
        "answered by {}, a standby (its cosigner links and node check are not the leader's); {leader}",
        l.answered_by
    )
}
