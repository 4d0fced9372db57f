//! A proposal as treasury staff read it, or as JSON for scripts.

use hanko_proto::v1 as pb;
use hanko_proto::v1::cosigner_decision::Outcome;
use serde_json::{Value, json};

pub fn state_name(state: i32) -> &'static str {
    match pb::ProposalState::try_from(state).unwrap_or(pb::ProposalState::Unspecified) {
        pb::ProposalState::Unspecified => "unknown",
        pb::ProposalState::Proposed => "proposed",
        pb::ProposalState::Collecting => "collecting",
        pb::ProposalState::Ready => "ready",
        pb::ProposalState::Announced => "announced",
        pb::ProposalState::Confirmed => "confirmed",
        pb::ProposalState::Rejected => "rejected",
        pb::ProposalState::Cancelled => "cancelled",
        pb::ProposalState::Expired => "expired",
        pb::ProposalState::Failed => "failed",
    }
}

pub fn parse_state(name: &str) -> Result<pb::ProposalState, String> {
    pb::ProposalState::from_str_name(&format!("PROPOSAL_STATE_{}", name.to_ascii_uppercase()))
        .filter(|s| *s != pb::ProposalState::Unspecified)
        .ok_or_else(|| {
            format!(
                "--state: '{name}' is not one of proposed, collecting, ready, announced, \
                 confirmed, rejected, cancelled, expired, failed"
            )
        })
}

pub fn is_terminal(state: i32) -> bool {
    matches!(
        state_name(state),
        "confirmed" | "rejected" | "cancelled" | "expired" | "failed"
    )
}

fn decision(d: &pb::CosignerDecision) -> (String, &'static str, Vec<String>) {
    let who = hex::encode(&d.cosigner);
    match &d.outcome {
        Some(Outcome::Signed(_)) => (who, "signed", vec![]),
        Some(Outcome::Refused(r)) => (who, "refused", r.reasons.clone()),
        Some(Outcome::NeedsApproval(n)) => (who, "needs approval", n.reasons.clone()),
        None => (who, "unknown", vec![]),
    }
}

pub fn amount(p: &pb::Proposal) -> String {
    if p.mosaics.is_empty() {
        format!("{} XEM", nem::amount::format_decimal(p.amount, 6))
    } else {
        p.mosaics
            .iter()
            .map(|m| format!("{} {}", m.quantity, m.id))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub fn utc(nem_seconds: u32) -> String {
    nem::NemTimestamp(nem_seconds)
        .to_timestamp()
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// One line: id, state, amount, recipient.
pub fn line(p: &pb::Proposal) -> String {
    format!(
        "{}  {:<10}  {} → {}",
        p.id,
        state_name(p.state),
        amount(p),
        p.recipient
    )
}

pub fn text(p: &pb::Proposal) -> String {
    let mut out = vec![
        format!("proposal   {}", p.id),
        format!("state      {}", state_name(p.state)),
        format!("account    {}", p.account),
        format!("recipient  {}", p.recipient),
        format!("amount     {}", amount(p)),
    ];
    if !p.message.is_empty() {
        out.push(format!("message    {:?}", p.message));
    }
    out.push(format!("inner hash {}", p.inner_hash));
    out.push(format!("deadline   {}", utc(p.deadline)));
    out.push(format!(
        "signatures {} of {} needed",
        p.decisions
            .iter()
            .filter(|d| matches!(d.outcome, Some(Outcome::Signed(_))))
            .count(),
        p.required_signatures
    ));
    for d in &p.decisions {
        let (who, what, reasons) = decision(d);
        out.push(format!("  cosigner {}…  {what}", &who[..who.len().min(16)]));
        for r in reasons {
            out.push(format!("      - {r}"));
        }
    }
    if !p.wrapper_hash.is_empty() {
        out.push(format!("wrapper    {}", p.wrapper_hash));
    }
    if p.confirmed_height > 0 {
        out.push(format!("confirmed  at height {}", p.confirmed_height));
    }
    if !p.reason.is_empty() {
        out.push(format!("reason     {}", p.reason));
    }
    out.join("\n")
}

pub fn json(p: &pb::Proposal) -> Value {
    json!({
        "id": p.id,
        "state": state_name(p.state),
        "account": p.account,
        "recipient": p.recipient,
        "amount_micro_xem": p.amount,
        "mosaics": p.mosaics.iter().map(|m| json!({"id": m.id, "quantity": m.quantity})).collect::<Vec<_>>(),
        "message": p.message,
        "inner_hash": p.inner_hash,
        "timestamp": p.timestamp,
        "deadline": p.deadline,
        "required_signatures": p.required_signatures,
        "decisions": p.decisions.iter().map(|d| {
            let (who, what, reasons) = decision(d);
            json!({"cosigner": who, "outcome": what, "reasons": reasons})
        }).collect::<Vec<_>>(),
        "wrapper_hash": p.wrapper_hash,
        "confirmed_height": p.confirmed_height,
        "reason": p.reason,
        "idempotency_key": p.idempotency_key,
    })
}
