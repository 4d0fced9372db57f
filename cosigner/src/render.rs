//! What an operator sees about a proposal, rendered from the stored bytes the cosigner decoded
//! itself (never from anything the coordinator described): every field of every type, what
//! the account pays in all (fees included), and where each payment goes.

use hanko_proto::reason::lines;
use nem::tx::other_types::{mosaic_sink, namespace_sink};
use nem::tx::{Body, MessageType, ModificationType};
use nem::{Address, Transaction};
use policy::Policy;
use policy::cost::{Cost, outer_fees};
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
    /// What moves, per asset (a transfer's amounts, a rental).
    pub amounts: Vec<String>,
    /// The inner transaction's fee.
    pub fee: String,
    /// Every fee the account pays: inner, wrapper and a signature from each other cosignatory.
    #[serde(default)]
    pub fees: String,
    /// What this costs the account in all, per asset.
    #[serde(default)]
    pub total: Vec<String>,
    /// Each further field of the transaction, labelled: cosignatories added and removed, a
    /// threshold change, a remote account, a namespace, a mosaic definition and its levy.
    #[serde(default)]
    pub details: Vec<(String, String)>,
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

/// Renders `b` under `policy`; `cosignatories` is how many the account has (as this
/// cosigner's node last said), which sets what its signature fees may cost.
pub fn render(b: &Binding, policy: &Policy, cosignatories: u32) -> Shown {
    let tx = Transaction::from_bytes(&b.inner);
    let (reasons, approvals, required) = match &b.status {
        Status::Refused { reasons, .. } => (lines(reasons), vec![], 0),
        Status::AwaitingApproval {
            reasons,
            approvals,
            approvals_required,
            ..
        } => (lines(reasons), names(approvals), *approvals_required),
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
        fees: String::new(),
        total: vec![],
        details: vec![],
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
    let cost = Cost::of(&tx, outer_fees(cosignatories));
    let xem = nem::tx::MosaicId::xem();
    shown.fees = format!(
        "{} (inner {}, wrapper and up to {} signature transactions)",
        policy.format_amount(&xem, cost.fees),
        tx.header.fee,
        cosignatories.saturating_sub(1)
    );
    shown.total = cost
        .assets
        .iter()
        .map(|(asset, units)| policy.format_amount(asset, *units))
        .collect();
    body(&mut shown, &tx, &cost, policy);
    shown
}

/// A label for `to` from the policy: its whitelist label, or why there is none.
fn label(policy: &Policy, to: &Address) -> String {
    match policy.whitelist.get(to) {
        Some(w) => w.label.clone(),
        None => match policy.denylist.get(to) {
            Some(why) => format!("DENYLISTED: {why}"),
            None => "NOT ON THE WHITELIST".into(),
        },
    }
}

fn body(shown: &mut Shown, tx: &Transaction, cost: &Cost, policy: &Policy) {
    let network = tx.header.network;
    let mut detail = |label: &str, value: String| shown.details.push((label.into(), value));
    let sink = |to: &Address, nems: Address| {
        if *to == nems {
            format!("{to} (NEM's sink)")
        } else {
            format!("{to} (NOT NEM's sink {nems})")
        }
    };
    let rental = policy.format_amount(&nem::tx::MosaicId::xem(), cost.rental);
    match &tx.body {
        Body::Transfer(t) => {
            shown.recipient = Some(t.recipient.to_string());
            shown.recipient_label = Some(label(policy, &t.recipient));
            shown.amounts = cost
                .assets
                .iter()
                .map(|(asset, units)| {
                    let moved = if asset.is_xem() {
                        units.saturating_sub(cost.fees)
                    } else {
                        *units
                    };
                    policy.format_amount(asset, moved)
                })
                .collect();
            shown.message = t.message.as_ref().map(|m| match m.kind {
                MessageType::Plain => match std::str::from_utf8(&m.payload) {
                    Ok(text) => format!("{text:?}"),
                    Err(_) => format!("hex {}", hex::encode(&m.payload)),
                },
                MessageType::Encrypted => format!("encrypted, {} bytes", m.payload.len()),
            });
        }
        Body::MultisigModification(m) => {
            for c in &m.modifications {
                let what = match c.kind {
                    ModificationType::Add => "cosignatory ADDED",
                    ModificationType::Delete => "cosignatory REMOVED",
                };
                let address = Address::from_public_key(&c.cosignatory, network);
                detail(what, format!("{address} (key {})", c.cosignatory));
            }
            let threshold = match m.min_cosignatories_change {
                Some(change) => format!("minCosignatories changes by {change:+}"),
                None => "unchanged".into(),
            };
            detail("threshold", threshold);
        }
        Body::ImportanceTransfer(t) => {
            detail("harvesting", t.mode.name().to_string());
            let remote = Address::from_public_key(&t.remote, network);
            detail("remote account", format!("{remote} (key {})", t.remote));
        }
        Body::ProvisionNamespace(p) => {
            detail("namespace", p.resulting());
            detail(
                "rental",
                format!("{rental} to {}", sink(&p.sink, namespace_sink(network))),
            );
        }
        Body::MosaicDefinition(d) => {
            let def = &d.definition;
            let props = &def.properties;
            detail("mosaic", def.id.to_string());
            detail("description", format!("{:?}", def.description));
            detail(
                "properties",
                format!(
                    "divisibility {}, initial supply {}, supply {}, {}",
                    props.divisibility,
                    props.initial_supply,
                    if props.supply_mutable {
                        "mutable"
                    } else {
                        "fixed"
                    },
                    if props.transferable {
                        "transferable"
                    } else {
                        "not transferable"
                    }
                ),
            );
            if let Some(levy) = &def.levy {
                detail(
                    "levy",
                    format!(
                        "{} {} of {} on every transfer, paid to {} [{}]",
                        levy.kind.name(),
                        levy.fee,
                        levy.mosaic,
                        levy.recipient,
                        label(policy, &levy.recipient)
                    ),
                );
            }
            detail(
                "creation fee",
                format!("{rental} to {}", sink(&d.sink, mosaic_sink(network))),
            );
        }
        Body::MosaicSupplyChange(s) => {
            detail(
                "supply",
                format!("{} {} whole units of {}", s.kind.name(), s.delta, s.mosaic),
            );
        }
        Body::Multisig(_) | Body::MultisigSignature(_) => {}
    }
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
    for (label, value) in &s.details {
        out.push(format!("{label:<13} {value}"));
    }
    out.push(format!("fee           {}", s.fee));
    if !s.fees.is_empty() {
        out.push(format!("all fees      {}", s.fees));
    }
    for t in &s.total {
        out.push(format!("total cost    {t}"));
    }
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
