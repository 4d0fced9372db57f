//! The pure part of a decision: the velocity history a cosigner counts, and what its policy's
//! verdict means for the record. No I/O, no clock: both are inputs.

use std::collections::HashSet;

use nem::fees::{XemOnly, minimum_fee};
use nem::tx::MosaicId;
use nem::{Hash256, NemTimestamp, Transaction};
use policy::{Decision, History, Outcome, Outflow, Policy, Request, Scope, WindowedHistory};

use crate::chain::ChainHistory;
use crate::examine::Examined;
use crate::record::{Approval, Binding, Status};

/// The chain's history with this cosigner's own reservations on top: totals add up.
struct Layered<'a> {
    chain: &'a WindowedHistory,
    own: WindowedHistory,
}

impl History for Layered<'_> {
    fn total(
        &self,
        scope: &Scope,
        asset: &MosaicId,
        since: jiff::Timestamp,
    ) -> Result<u128, String> {
        let chain = self.chain.total(scope, asset, since)?;
        chain
            .checked_add(self.own.total(scope, asset, since)?)
            .ok_or_else(|| format!("the velocity total of {scope:?} in {asset} overflows"))
    }
}

/// What counts against velocity: every outflow the node confirmed, plus this cosigner's own
/// signed reservations that can still confirm (deadline not passed) and are not on chain yet.
/// The chain's part is built once per read of the node; only the reservations are added here.
fn history<'c, 'b>(
    chain: &'c ChainHistory,
    signed: impl IntoIterator<Item = &'b Binding>,
    now: NemTimestamp,
) -> Layered<'c> {
    let mut own = WindowedHistory::new();
    for reservation in unconfirmed(signed, &chain.on_chain, now) {
        for o in reservation {
            own.record(o);
        }
    }
    Layered {
        chain: &chain.history,
        own,
    }
}

/// This cosigner's signed reservations that can still confirm and are not on chain yet.
fn unconfirmed<'a>(
    signed: impl IntoIterator<Item = &'a Binding>,
    on_chain: &HashSet<Hash256>,
    now: NemTimestamp,
) -> impl Iterator<Item = &'a [Outflow]> {
    signed
        .into_iter()
        .filter(move |b| b.deadline >= now && !on_chain.contains(&b.inner_hash))
        .filter_map(|b| match &b.status {
            Status::Signed { reservation, .. } => Some(reservation.as_slice()),
            _ => None,
        })
}

/// The verdict on an examined offer: velocity from the chain and this cosigner's signed
/// bindings, `safety.max_unconfirmed`, then the policy. `now` is this cosigner's clock.
pub fn verdict<'a>(
    policy: &Policy,
    x: &Examined,
    facts: &crate::examine::AccountFacts,
    chain: &ChainHistory,
    signed: impl IntoIterator<Item = &'a Binding> + Clone,
    now: jiff::Timestamp,
) -> Decision {
    let now_nem = NemTimestamp::from_timestamp(now).unwrap_or_default();
    let mut h = history(chain, signed.clone(), now_nem);
    match unconfirmed_headroom(
        policy,
        x,
        facts,
        signed,
        &chain.on_chain,
        now_nem,
        &mut h.own,
    ) {
        Some(fired) => Decision::from_fired(vec![fired], 0, &policy.hash),
        None => evaluate(policy, x, now, &h),
    }
}

/// `safety.max_unconfirmed`: refuses once this cosigner's own signed-but-unconfirmed XEM would
/// pass the cap, and otherwise counts (n − 1) × cap / m XEM as already spent in `history`, for
/// what other pairs may have signed that this cosigner cannot see (each of the n − 1 others
/// holds at most the cap unconfirmed, and each payment needs m of them). Outflow then stays
/// within every velocity limit whatever pairs a coordinator asks at once.
fn unconfirmed_headroom<'a>(
    policy: &Policy,
    x: &Examined,
    facts: &crate::examine::AccountFacts,
    signed: impl IntoIterator<Item = &'a Binding>,
    on_chain: &HashSet<Hash256>,
    now: NemTimestamp,
    history: &mut WindowedHistory,
) -> Option<policy::Fired> {
    let cap = u128::from(policy.safety.max_unconfirmed?.as_micro());
    let xem = nem::tx::MosaicId::xem();
    let xem_of = |outflows: &[Outflow]| -> u128 {
        outflows
            .iter()
            .filter(|o| o.asset == xem)
            .map(|o| o.amount)
            .sum()
    };
    let own: u128 = unconfirmed(signed, on_chain, now).map(xem_of).sum();
    let at = x.tx.header.timestamp.to_timestamp();
    let this = xem_of(&Outflow::of(&x.tx, Some(x.proposer), at));
    if own + this > cap {
        return Some(policy::Fired {
            rule: "max_unconfirmed".into(),
            kind: "safety".into(),
            outcome: Outcome::Deny,
            reason: format!(
                "this cosigner has {} XEM signed and not yet confirmed; with this {} XEM it would pass safety.max_unconfirmed {} XEM: wait for confirmations",
                own / 1_000_000,
                this / 1_000_000,
                cap / 1_000_000
            ),
        });
    }
    let n = facts.cosignatories.len().max(1) as u128;
    let m = u128::from(facts.required.max(1));
    let headroom = (n - 1) * cap / m;
    if let (Some(t), true) = (x.tx.transfer(), headroom > 0) {
        history.record(&Outflow {
            at,
            account: x.account,
            destination: t.recipient,
            proposer: None,
            asset: xem,
            amount: headroom,
        });
    }
    None
}

/// Asks the policy. A minimum fee that cannot be computed (a mosaic this cosigner cannot price)
/// is a denial, not a guess.
pub fn evaluate(
    policy: &Policy,
    x: &Examined,
    now: jiff::Timestamp,
    history: &dyn History,
) -> Decision {
    match minimum_fee(&x.tx, &XemOnly) {
        Ok(fee) => policy::evaluate(
            policy,
            &Request {
                tx: &x.tx,
                proposer: x.proposer,
                now,
                minimum_fee: fee,
            },
            history,
        ),
        Err(e) => Decision::from_fired(
            vec![policy::Fired {
                rule: "fee".into(),
                kind: "safety".into(),
                outcome: Outcome::Deny,
                reason: format!("the minimum fee cannot be computed: {e}"),
            }],
            0,
            &policy.hash,
        ),
    }
}

/// The record's status after a policy verdict, given the operator approvals already held
/// under that same policy version.
pub fn status(
    decision: &Decision,
    tx: &Transaction,
    proposer: nem::PublicKey,
    approvals: Vec<Approval>,
    now_ms: i64,
) -> Status {
    let counted: Vec<Approval> = approvals;
    match decision.outcome {
        Outcome::Deny => Status::Refused {
            reasons: decision.reasons(),
            policy_hash: decision.policy_hash.clone(),
        },
        Outcome::NeedsApproval if (counted.len() as u32) < decision.approvals_required => {
            Status::AwaitingApproval {
                approvals_required: decision.approvals_required,
                reasons: decision.reasons(),
                policy_hash: decision.policy_hash.clone(),
                approvals: counted,
            }
        }
        Outcome::NeedsApproval | Outcome::Allow => Status::Signed {
            policy_hash: decision.policy_hash.clone(),
            signed_at_ms: now_ms,
            approvals: counted,
            reservation: Outflow::of(tx, Some(proposer), tx.header.timestamp.to_timestamp()),
        },
    }
}
