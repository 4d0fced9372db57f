//! Replay past proposals under a draft policy and list the decisions that change.

use jiff::Timestamp;
use nem::json::TxJson;
use nem::{Amount, PublicKey, Transaction};
use serde::{Deserialize, Serialize};

use crate::decision::Outcome;
use crate::eval::{Request, evaluate};
use crate::history::{Outflow, WindowedHistory};
use crate::model::Policy;

/// One past proposal, as a line of the history JSONL.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PastProposal {
    pub at: Timestamp,
    /// The inner transaction (Hanko's JSON, as `hanko nem decode` prints it).
    pub tx: TxJson,
    pub proposer: PublicKey,
    /// The outcome recorded at the time.
    pub decision: Outcome,
    /// Whether it was signed (allowed, or approved by operators). Default: decision == allow.
    #[serde(default)]
    pub signed: Option<bool>,
    /// The account's cosignatories (default 3): each may add a signature fee.
    #[serde(default)]
    pub cosignatories: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub line: usize,
    pub at: Timestamp,
    pub before: Outcome,
    pub after: Outcome,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Simulation {
    pub replayed: usize,
    pub changed: Vec<Changed>,
}

/// Replays proposals in order. Velocity history accumulates what was actually signed then,
/// so the draft is judged against the treasury's real past outflows.
pub fn simulate(policy: &Policy, jsonl: &str) -> Result<Simulation, String> {
    let mut history = WindowedHistory::new();
    let mut changed = Vec::new();
    let mut replayed = 0;
    for (i, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i + 1;
        let past: PastProposal =
            serde_json::from_str(line).map_err(|e| format!("line {line_no}: {e}"))?;
        let tx: Transaction =
            nem::json::from_json(&past.tx).map_err(|e| format!("line {line_no}: tx: {e}"))?;
        let tx = tx.inner().cloned().unwrap_or(tx);
        let minimum = nem::fees::minimum_fee(&tx, &nem::fees::XemOnly).unwrap_or(Amount::ZERO);
        let cosignatories = past
            .cosignatories
            .unwrap_or(crate::cases::DEFAULT_COSIGNATORIES);
        let decision = evaluate(
            policy,
            &Request {
                tx: &tx,
                proposer: past.proposer,
                now: past.at,
                minimum_fee: minimum,
                cosignatories,
            },
            &history,
        );
        if decision.outcome != past.decision {
            changed.push(Changed {
                line: line_no,
                at: past.at,
                before: past.decision,
                after: decision.outcome,
                reasons: decision.reasons(),
            });
        }
        if past.signed.unwrap_or(past.decision == Outcome::Allow) {
            let outer = crate::cost::outer_fees(cosignatories);
            for o in Outflow::of(&tx, outer, Some(past.proposer), past.at) {
                history.record(&o);
            }
        }
        replayed += 1;
    }
    Ok(Simulation { replayed, changed })
}
