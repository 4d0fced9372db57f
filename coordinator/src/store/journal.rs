//! The journal entries a change to a proposal makes: one per decision that changed, the
//! wrapper's announce, and the state it moved to. Every backend writes them in the same
//! transaction as the change.

use hanko_runtime::audit::Event;

use crate::core::{CosignerDecision, ProposalRecord};

/// The journal entry of a proposal's acceptance.
pub fn accepted(record: &ProposalRecord) -> Event {
    Event::new(
        "proposal_accepted",
        &format!("proposer {}", record.proposer),
    )
    .proposal(&record.id, Some(&record.inner_hash))
    .detail(vec![format!("account {}", record.account)])
}

/// What changed between two versions of a record, as journal events.
pub fn changes(old: &ProposalRecord, new: &ProposalRecord) -> Vec<Event> {
    let mut out = Vec::new();
    for (key, decision) in &new.decisions {
        if old.decisions.get(key) != Some(decision) {
            let (kind, reasons) = match decision {
                CosignerDecision::Signed(_) => ("decision_signed", vec![]),
                CosignerDecision::Refused { reasons } => {
                    ("decision_refused", hanko_proto::reason::lines(reasons))
                }
                CosignerDecision::NeedsApproval { reasons } => (
                    "decision_needs_approval",
                    hanko_proto::reason::lines(reasons),
                ),
            };
            out.push(
                Event::new(kind, &format!("cosigner {key}"))
                    .proposal(&new.id, Some(&new.inner_hash))
                    .detail(reasons),
            );
        }
    }
    if old.broadcast.wrapper_hash != new.broadcast.wrapper_hash
        && let Some(h) = &new.broadcast.wrapper_hash
    {
        out.push(
            Event::new("wrapper_announced", "coordinator")
                .proposal(&new.id, Some(&new.inner_hash))
                .detail(vec![format!("wrapper {h}")]),
        );
    }
    if old.state != new.state {
        let mut detail = vec![format!("{} -> {}", old.state.name(), new.state.name())];
        detail.extend(new.reason.clone());
        out.push(
            Event::new(&format!("state_{}", new.state.name()), "coordinator")
                .proposal(&new.id, Some(&new.inner_hash))
                .detail(detail),
        );
    }
    out
}
