//! Transaction types: only those the policy allows; the two that change who controls the
//! account's keys or importance always wait for an operator; rentals go to NEM's sinks only.

use nem::TransactionType;
use nem::tx::Body;
use nem::tx::other_types::{mosaic_sink, namespace_sink};

use super::Ctx;
use crate::decision::Outcome;

/// An aggregate modification can add an attacker's key and lower the threshold; an
/// importance transfer hands the account's harvesting to another key. No policy can make
/// them automatic.
pub const ALWAYS_APPROVED: [TransactionType; 2] = [
    TransactionType::MultisigModification,
    TransactionType::ImportanceTransfer,
];

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let kind = ctx.req.tx.kind();
    if !ctx.policy.allowed_types.contains(&kind) {
        let allowed: Vec<&str> = ctx.policy.allowed_types.iter().map(|t| t.name()).collect();
        ctx.fire(
            "transaction_types",
            "type",
            Outcome::Deny,
            format!(
                "{} transactions are not allowed (allowed: {})",
                kind.name(),
                allowed.join(", ")
            ),
        );
        return;
    }
    if ALWAYS_APPROVED.contains(&kind) {
        ctx.approvals = ctx.approvals.max(1);
        ctx.fire(
            "operator_approval",
            "type",
            Outcome::NeedsApproval,
            format!(
                "a {} changes who controls this account: an operator must approve it, whatever the policy says",
                kind.name()
            ),
        );
    }
    let network = ctx.policy.network;
    let (sink, expected, what) = match &ctx.req.tx.body {
        Body::ProvisionNamespace(p) => (p.sink, namespace_sink(network), "namespace rental"),
        Body::MosaicDefinition(d) => (d.sink, mosaic_sink(network), "mosaic creation fee"),
        _ => return,
    };
    if sink != expected {
        ctx.fire(
            "rental_sink",
            "type",
            Outcome::Deny,
            format!("the {what} goes to {sink}, not to NEM's sink {expected}"),
        );
    }
}
