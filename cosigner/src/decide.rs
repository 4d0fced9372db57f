//! The pure part of a decision: the velocity history a cosigner counts, and what its policy's
//! verdict means for the record. No I/O, no clock: both are inputs.
//!
//! Time is never the proposer's or the coordinator's: a chain outflow counts from its block,
//! and a signature the chain does not show confirmed (at or after it was given) from the
//! latest moment it could still be paid, its deadline (see `chain` and `engine::ledger`).
//! Money is everything the account pays, fees included (`policy::cost`).

use hanko_proto::reason::Reason;
use nem::fees::{XemOnly, minimum_fee};
use nem::tx::MosaicId;
use nem::{NemTimestamp, Transaction};
use policy::cost::outer_fees;
use policy::{Decision, History, Outcome, Outflow, Policy, Request, Scope, WindowedHistory};

use crate::chain::Snapshot;
use crate::examine::{AccountFacts, Examined};
use crate::record::{Approval, Binding, Status};

/// The chain's history with this cosigner's own signatures on top: totals add up. The
/// signatures are summed by a scan per question: a policy asks a few, and indexing every
/// one for every decision cost more.
pub(crate) struct Layered<'a> {
    chain: &'a WindowedHistory,
    /// Own signatures the chain does not count itself, with the second each counts from.
    own: Vec<(&'a Outflow, i64)>,
    /// The chain's records of those among them it dates before the signature: taken out.
    displaced: Vec<&'a Outflow>,
    /// What `safety.max_unconfirmed` counts as spent by pairs this cosigner cannot see.
    unseen: Option<Outflow>,
}

fn in_scope(o: &Outflow, scope: &Scope) -> bool {
    match scope {
        Scope::Account(a) => o.account == *a,
        Scope::Destination(d) => o.destination == Some(*d),
        Scope::Proposer(p) => o.proposer == Some(*p),
    }
}

impl History for Layered<'_> {
    fn total(
        &self,
        scope: &Scope,
        asset: &MosaicId,
        since: jiff::Timestamp,
    ) -> Result<u128, String> {
        let chain = self.chain.total(scope, asset, since)?;
        // By the second, as the chain's history counts.
        let since = since.as_second();
        let counts = |o: &Outflow, at: i64| in_scope(o, scope) && at >= since && o.asset == *asset;
        let taken: u128 = self
            .displaced
            .iter()
            .filter(|o| counts(o, o.at.as_second()))
            .map(|o| o.amount)
            .sum();
        self.own
            .iter()
            .map(|(o, at)| (*o, *at))
            .chain(self.unseen.as_ref().map(|o| (o, o.at.as_second())))
            .filter(|(o, at)| counts(o, *at))
            .try_fold(chain.saturating_sub(taken), |sum, (o, _)| {
                sum.checked_add(o.amount)
            })
            .ok_or_else(|| format!("the velocity total of {scope:?} in {asset} overflows"))
    }
}

fn reservation(b: &Binding) -> &[Outflow] {
    match &b.status {
        Status::Signed { reservation, .. } => reservation,
        _ => &[],
    }
}

/// What a decision knows besides the offer: the node's view of the account, this cosigner's
/// signatures that the chain does not count itself (`own`, see `engine::ledger`), and its
/// clock.
pub struct Context<'a> {
    pub snapshot: &'a Snapshot,
    pub own: Vec<&'a Binding>,
    pub now: jiff::Timestamp,
}

/// The verdict on an examined offer: an incomplete chain history refuses; then
/// `safety.max_unconfirmed`, then the policy, over the chain's outflows and this cosigner's
/// own signatures.
pub fn verdict(policy: &Policy, x: &Examined, c: &Context<'_>) -> Decision {
    let deny = |rule: &str, reason: String| {
        Decision::from_fired(
            vec![policy::Fired {
                rule: rule.into(),
                kind: "safety".into(),
                outcome: Outcome::Deny,
                reason,
            }],
            0,
            &policy.hash,
        )
    };
    if let Some(why) = &c.snapshot.incomplete {
        return deny("velocity_history", why.clone());
    }
    let mut h = counted(c);
    let now_nem = NemTimestamp::from_timestamp(c.now).unwrap_or_default();
    // Signed, not confirmed (as far as the chain is believed), and still able to confirm: what
    // the unconfirmed cap counts.
    let pending = c.own.iter().filter(|b| b.deadline >= now_nem);
    let pending_xem = pending.flat_map(|b| reservation(b)).map(xem).sum();
    match unconfirmed_headroom(policy, x, &c.snapshot.facts, pending_xem, c.now, &mut h) {
        Some(fired) => Decision::from_fired(vec![fired], 0, &policy.hash),
        None => evaluate(policy, x, &c.snapshot.facts, c.now, &h),
    }
}

/// What velocity counts in context `c`: the chain's outflows, with this cosigner's own
/// signatures on top, each from the latest moment it could still be paid.
pub(crate) fn counted<'a>(c: &'a Context<'a>) -> Layered<'a> {
    let chain = &c.snapshot.history;
    Layered {
        chain: &chain.history,
        own: c
            .own
            .iter()
            .flat_map(|b| {
                let from = b.deadline.to_timestamp().as_second();
                reservation(b)
                    .iter()
                    .map(move |o| (o, from.max(o.at.as_second())))
            })
            .collect(),
        displaced: c
            .own
            .iter()
            .flat_map(|b| chain.records(&b.inner_hash))
            .collect(),
        unseen: None,
    }
}

/// Every outflow velocity may count in context `c`, for naming the scopes it counts in.
pub(crate) fn every_outflow<'a>(c: &'a Context<'a>) -> impl Iterator<Item = &'a Outflow> {
    c.snapshot
        .outflows
        .iter()
        .flat_map(|o| &o.outflows)
        .chain(c.own.iter().flat_map(|b| reservation(b)))
}

fn xem(o: &Outflow) -> u128 {
    if o.asset.is_xem() { o.amount } else { 0 }
}

/// `safety.max_unconfirmed`: refuses once this cosigner's own signed-but-unconfirmed XEM would
/// pass the cap, and otherwise counts (n − 1) × cap / m XEM as already spent in `h`, for
/// what other pairs may have signed that this cosigner cannot see (each of the n − 1 others
/// holds at most the cap unconfirmed, and each payment needs m of them). Outflow then stays
/// within every velocity limit whatever pairs a coordinator asks at once.
fn unconfirmed_headroom(
    policy: &Policy,
    x: &Examined,
    facts: &AccountFacts,
    pending_xem: u128,
    now: jiff::Timestamp,
    h: &mut Layered<'_>,
) -> Option<policy::Fired> {
    let cap = u128::from(policy.safety.max_unconfirmed?.as_micro());
    let this: u128 = reserve(&x.tx, x.proposer, facts, now).iter().map(xem).sum();
    if pending_xem + this > cap {
        return Some(policy::Fired {
            rule: "max_unconfirmed".into(),
            kind: "safety".into(),
            outcome: Outcome::Deny,
            reason: format!(
                "this cosigner has {} XEM signed and not yet confirmed; with this {} XEM it would pass safety.max_unconfirmed {} XEM: wait for confirmations",
                nem::amount::format_decimal(u64::try_from(pending_xem).unwrap_or(u64::MAX), 6),
                nem::amount::format_decimal(u64::try_from(this).unwrap_or(u64::MAX), 6),
                nem::amount::format_decimal(u64::try_from(cap).unwrap_or(u64::MAX), 6)
            ),
        });
    }
    let n = facts.cosignatories.len().max(1) as u128;
    let m = u128::from(facts.required.max(1));
    let headroom = (n - 1) * cap / m;
    if headroom > 0 {
        h.unseen = Some(Outflow {
            at: now,
            account: x.account,
            destination: policy::cost::Cost::of(&x.tx, 0).destination,
            proposer: None,
            asset: MosaicId::xem(),
            amount: headroom,
        });
    }
    None
}

/// What signing `tx` reserves against velocity: everything the account will pay for it, from
/// now (the signature's time), fees for a signature from every other cosignatory included.
pub fn reserve(
    tx: &Transaction,
    proposer: nem::PublicKey,
    facts: &AccountFacts,
    now: jiff::Timestamp,
) -> Vec<Outflow> {
    let n = u32::try_from(facts.cosignatories.len()).unwrap_or(u32::MAX);
    Outflow::of(tx, outer_fees(n), Some(proposer), now)
}

/// Asks the policy. A minimum fee that cannot be computed (a mosaic this cosigner cannot price)
/// is a denial, not a guess.
pub fn evaluate(
    policy: &Policy,
    x: &Examined,
    facts: &AccountFacts,
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
                cosignatories: u32::try_from(facts.cosignatories.len()).unwrap_or(u32::MAX),
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

/// The reasons for a decision's outcome, structured: each rule that made it.
pub fn reasons_of(decision: &Decision) -> Vec<Reason> {
    decision
        .deciding()
        .map(|f| Reason::new(&f.rule, &f.kind, &f.reason))
        .collect()
}

/// The record's status after a policy verdict. Approvals count only when given under the
/// policy version that decided; a signature reserves what the account will pay, from `now`.
pub fn status(
    decision: &Decision,
    x: &Examined,
    facts: &AccountFacts,
    approvals: Vec<Approval>,
    now: jiff::Timestamp,
) -> Status {
    let counted: Vec<Approval> = approvals
        .into_iter()
        .filter(|a| a.policy_hash == decision.policy_hash)
        .collect();
    match decision.outcome {
        Outcome::Deny => Status::Refused {
            reasons: reasons_of(decision),
            policy_hash: decision.policy_hash.clone(),
        },
        Outcome::NeedsApproval if (counted.len() as u32) < decision.approvals_required => {
            Status::AwaitingApproval {
                approvals_required: decision.approvals_required,
                reasons: reasons_of(decision),
                policy_hash: decision.policy_hash.clone(),
                approvals: counted,
            }
        }
        Outcome::NeedsApproval | Outcome::Allow => Status::Signed {
            policy_hash: decision.policy_hash.clone(),
            signed_at_ms: now.as_millisecond(),
            approvals: counted,
            reservation: reserve(&x.tx, x.proposer, facts, now),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code
    use super::*;
    use crate::chain::ChainHistory;
    use nem::{Address, Hash256, Network, PublicKey};

    fn token() -> MosaicId {
        MosaicId {
            namespace: "acme".into(),
            name: "token".into(),
        }
    }

    /// The scan over own signatures answers what an index of them would, in every scope.
    #[test]
    fn reservations_scanned_add_up_as_an_indexed_history() {
        let address = |i: u8| Address::from_public_key(&PublicKey([i; 32]), Network::Testnet);
        let outflows: Vec<Outflow> = (0..60u8)
            .map(|i| Outflow {
                at: jiff::Timestamp::from_second(1_000 + i64::from(i % 7) * 100).unwrap(),
                account: address(i % 2),
                destination: (i % 6 != 0).then(|| address(10 + i % 3)),
                proposer: (i % 4 != 0).then(|| PublicKey([20 + i % 2; 32])),
                asset: if i % 5 == 0 { token() } else { MosaicId::xem() },
                amount: u128::from(i) * 1_000 + 1,
            })
            .collect();
        let (on_chain, own) = outflows.split_at(25);
        let chain = ChainHistory::of(std::sync::Arc::new(vec![crate::chain::ChainOutflow {
            inner_hash: Hash256([1; 32]),
            at: jiff::Timestamp::from_second(1_000).unwrap(),
            outflows: on_chain.to_vec(),
        }]));
        let layered = Layered {
            chain: &chain.history,
            own: own.iter().map(|o| (o, o.at.as_second())).collect(),
            displaced: vec![],
            unseen: None,
        };
        let mut indexed = WindowedHistory::new();
        outflows.iter().for_each(|o| indexed.record(o));
        let scopes = [
            Scope::Account(address(0)),
            Scope::Account(address(1)),
            Scope::Destination(address(11)),
            Scope::Proposer(PublicKey([21; 32])),
            Scope::Proposer(PublicKey([99; 32])),
        ];
        for scope in &scopes {
            for asset in [MosaicId::xem(), token()] {
                for since in [0, 1_000, 1_250, 1_300, 1_601, 9_999] {
                    let since = jiff::Timestamp::from_second(since).unwrap();
                    assert_eq!(
                        layered.total(scope, &asset, since).unwrap(),
                        indexed.total(scope, &asset, since).unwrap(),
                        "{scope:?} {asset} since {since}"
                    );
                }
            }
        }
    }
}
