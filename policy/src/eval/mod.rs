//! Evaluation: a pure function of (policy, transaction, proposer, now, history). Deny beats
//! needs-approval beats allow; any evaluation error denies; every rule checked is reported.

mod amounts;
mod destination;
mod safety;
mod time;
mod types;

use jiff::Timestamp;
use nem::tx::MosaicId;
use nem::{Address, Amount, PublicKey, Transaction};

use crate::cost::{Cost, outer_fees};
use crate::decision::{Decision, Fired, Outcome};
use crate::history::History;
use crate::model::Policy;

/// What the cosigner asks about: the inner transaction it decoded itself, who proposed it,
/// its own clock, the minimum fee it computed, and how many cosignatories the account has
/// (each may attach a signature transaction the account pays for).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub tx: &'a Transaction,
    pub proposer: PublicKey,
    pub now: Timestamp,
    pub minimum_fee: Amount,
    pub cosignatories: u32,
}

pub(crate) struct Ctx<'a> {
    pub policy: &'a Policy,
    pub req: &'a Request<'a>,
    pub account: Address,
    pub cost: Cost,
    pub fired: Vec<Fired>,
    pub approvals: u32,
}

impl Ctx<'_> {
    pub fn fire(&mut self, rule: &str, kind: &str, outcome: Outcome, reason: String) {
        self.fired.push(Fired {
            rule: rule.to_string(),
            kind: kind.to_string(),
            outcome,
            reason,
        });
    }

    /// What this transaction costs in `asset`, fees included for XEM.
    pub fn amount(&self, asset: &MosaicId) -> u128 {
        self.cost.of_asset(asset)
    }

    pub fn show(&self, asset: &MosaicId, units: u128) -> String {
        self.policy.format_amount(asset, units)
    }

    /// The cost in `asset`, with what fees and rentals add to it spelled out.
    pub fn show_cost(&self, asset: &MosaicId) -> String {
        let total = self.amount(asset);
        if !asset.is_xem() {
            return self.show(asset, total);
        }
        let fees = self.cost.fees;
        let rental = self.cost.rental;
        let moved = total.saturating_sub(fees).saturating_sub(rental);
        let mut parts = vec![];
        if moved > 0 {
            parts.push(format!("{} moved", self.show(asset, moved)));
        }
        if rental > 0 {
            parts.push(format!("{} rental", self.show(asset, rental)));
        }
        parts.push(format!("{} fees", self.show(asset, fees)));
        format!("{} ({})", self.show(asset, total), parts.join(" + "))
    }
}

/// Decides on a transaction; the account is the inner transaction's signer.
pub fn evaluate(policy: &Policy, req: &Request<'_>, history: &dyn History) -> Decision {
    evaluate_as(policy, req, req.tx.signer_address(), history)
}

/// As [`evaluate`], for an account given by address (test cases name accounts by address and
/// carry no multisig public key).
pub fn evaluate_as(
    policy: &Policy,
    req: &Request<'_>,
    account: Address,
    history: &dyn History,
) -> Decision {
    let tx = req.tx;
    let mut ctx = Ctx {
        policy,
        req,
        account,
        cost: Cost::of(tx, outer_fees(req.cosignatories)),
        fired: vec![],
        approvals: 0,
    };

    if tx.header.network != policy.network {
        ctx.fire(
            "network",
            "safety",
            Outcome::Deny,
            format!(
                "transaction is for {}, policy for {}",
                tx.header.network, policy.network
            ),
        );
    }
    if !policy.accounts.contains(&account) {
        ctx.fire(
            "account",
            "safety",
            Outcome::Deny,
            format!("{account} is not an account this policy signs for"),
        );
    }
    let unknown: Vec<String> = ctx
        .cost
        .assets
        .keys()
        .filter(|a| policy.divisibility(a).is_none())
        .map(|a| a.to_string())
        .collect();
    if !unknown.is_empty() {
        ctx.fire(
            "assets",
            "limit",
            Outcome::Deny,
            format!(
                "moves {} which this policy does not declare",
                unknown.join(", ")
            ),
        );
    }

    types::check(&mut ctx);
    destination::check(&mut ctx);
    amounts::limits(&mut ctx);
    amounts::velocity(&mut ctx, history);
    amounts::proposer(&mut ctx);
    amounts::approvals(&mut ctx);
    time::windows(&mut ctx);
    time::validity(&mut ctx);
    safety::fee(&mut ctx);
    safety::message(&mut ctx);

    Decision::from_fired(ctx.fired, ctx.approvals, &policy.hash)
}
