//! What an operator sees about a proposal, rendered from the stored bytes the cosigner decoded
//! itself (never from anything the coordinator described).

use nem::Transaction;
use nem::tx::{Body, MessageType};
use policy::Policy;
use serde::{Deserialize, Serialize};

use crate::record::{Binding, Status, confirm_code};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    pub proposal_id: String,
    pub status: String,
    pub account: String,
    pub kind: String,
    pub recipient: Option<String>,
    /// The whitelist label of the recipient, or why there is none.
    pub recipient_label: Option<String>,
    pub amounts: Vec<String>,
    pub fee: String,
    pub message: Option<String>,
    pub timestamp: String,
    pub deadline: String,
    pub inner_hash: String,
    pub confirm: String,
    pub proposer: String,
    pub reasons: Vec<String>,
    pub approvals: Vec<String>,
    pub approvals_required: u32,
}

pub fn render(b: &Binding, policy: &Policy) -> Shown {
    let tx = Transaction::from_bytes(&b.inner);
    let (reasons, approvals, required) = match &b.status {
        Status::Refused { reasons, .. } => (reasons.clone(), vec![], 0),
        Status::AwaitingApproval {
            reasons,
            approvals,
            approvals_required,
            ..
        } => (reasons.clone(), names(approvals), *approvals_required),
        Status::RejectedByOperator { operator, reason } => {
            (vec![format!("rejected by {operator}: {reason}")], vec![], 0)
        }
        Status::Signed { approvals, .. } => (vec![], names(approvals), 0),
    };
    let mut shown = Shown {
        proposal_id: b.proposal_id.clone(),
        status: b.status.name().into(),
        account: b.account.to_string(),
        kind: String::new(),
        recipient: None,
        recipient_label: None,
        amounts: vec![],
        fee: String::new(),
        message: None,
        timestamp: String::new(),
        deadline: b.deadline.to_timestamp().to_string(),
        inner_hash: b.inner_hash.to_string(),
        confirm: confirm_code(&b.inner_hash),
        proposer: b.proposer.to_string(),
        reasons,
        approvals,
        approvals_required: required,
    };
    let Ok(tx) = tx else {
        shown.kind = "undecodable (stored bytes)".into();
        return shown;
    };
    shown.kind = tx.kind().name().into();
    shown.fee = tx.header.fee.to_string();
    shown.timestamp = tx.header.timestamp.to_timestamp().to_string();
    if let Body::Transfer(t) = &tx.body {
        shown.recipient = Some(t.recipient.to_string());
        shown.recipient_label = Some(match policy.whitelist.get(&t.recipient) {
            Some(w) => w.label.clone(),
            None => match policy.denylist.get(&t.recipient) {
                Some(why) => format!("DENYLISTED: {why}"),
                None => "NOT ON THE WHITELIST".into(),
            },
        });
        shown.amounts = policy::assets::effects(&tx)
            .iter()
            .map(|(asset, units)| policy.format_amount(asset, *units))
            .collect();
        shown.message = t.message.as_ref().map(|m| match m.kind {
            MessageType::Plain => match std::str::from_utf8(&m.payload) {
                Ok(text) => format!("{text:?}"),
                Err(_) => format!("hex {}", hex::encode(&m.payload)),
            },
            MessageType::Encrypted => format!("encrypted, {} bytes", m.payload.len()),
        });
    }
    shown
}

fn names(approvals: &[crate::record::Approval]) -> Vec<String> {
    approvals
        .iter()
        .map(|a| format!("{} (uid {})", a.name, a.uid))
        .collect()
}

/// The human form of [`Shown`], one field a line.
pub fn text(s: &Shown) -> String {
    let mut out = vec![
        format!("proposal      {}", s.proposal_id),
        format!("status        {}", s.status),
        format!("account       {}", s.account),
        format!("type          {}", s.kind),
    ];
    if let Some(r) = &s.recipient {
        out.push(format!(
            "recipient     {r}  [{}]",
            s.recipient_label.as_deref().unwrap_or("")
        ));
    }
    for a in &s.amounts {
        out.push(format!("amount        {a}"));
    }
    out.push(format!("fee           {}", s.fee));
    if let Some(m) = &s.message {
        out.push(format!("message       {m}"));
    }
    out.push(format!("timestamp     {}", s.timestamp));
    out.push(format!("deadline      {}", s.deadline));
    out.push(format!("inner hash    {}", s.inner_hash));
    out.push(format!("proposer      {}", s.proposer));
    if s.approvals_required > 0 {
        out.push(format!(
            "approvals     {} of {} ({})",
            s.approvals.len(),
            s.approvals_required,
            s.approvals.join(", ")
        ));
    }
    for r in &s.reasons {
        out.push(format!("reason        {r}"));
    }
    if s.status == "awaiting_approval" {
        out.push(format!(
            "to approve    hanko-cosigner approve {} --confirm {}",
            s.proposal_id, s.confirm
        ));
    }
    out.join("\n")
}
