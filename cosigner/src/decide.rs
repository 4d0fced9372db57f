//! The pure part of a decision: the velocity history a cosigner counts, and what its policy's
//! verdict means for the record. No I/O, no clock: both are inputs.

use nem::fees::{XemOnly, minimum_fee};
use nem::tx::MosaicId;
use nem::{NemTimestamp, Transaction};
use policy::{Decision, History, Outcome, Outflow, Policy, Request, Scope, WindowedHistory};

use crate::chain::ChainHistory;
use crate::examine::Examined;
use crate::record::{Approval, Binding, Status};

/// The chain's history with this cosigner's own reservations on top: totals add up. The
/// reservations (signed, not confirmed yet) are summed by a scan per question: a policy asks
/// a few, and indexing every reservation for every decision cost more.
struct Layered<'a> {
    chain: &'a WindowedHistory,
    own: Vec<&'a Outflow>,
    /// What `safety.max_unconfirmed` counts as spent by pairs this cosigner cannot see.
    unseen: Option<Outflow>,
}

fn in_scope(o: &Outflow, scope: &Scope) -> bool {
    match scope {
        Scope::Account(a) => o.account == *a,
        Scope::Destination(d) => o.destination == *d,
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
        self.own
            .iter()
            .copied()
            .chain(self.unseen.as_ref())
            .filter(|o| in_scope(o, scope) && o.at.as_second() >= since && o.asset == *asset)
            .try_fold(chain, |sum, o| sum.checked_add(o.amount))
            .ok_or_else(|| format!("the velocity total of {scope:?} in {asset} overflows"))
    }
}

/// What counts against velocity: every outflow the node confirmed, plus this cosigner's own
/// signed reservations that can still confirm (deadline not passed) and are not on chain yet
/// (`unconfirmed`, see [`not_on_chain`]). The chain's part is built once per read of the node;
/// only the reservations are added here.
fn history<'a>(
    chain: &'a ChainHistory,
    unconfirmed: impl IntoIterator<Item = &'a Binding>,
    now: NemTimestamp,
) -> Layered<'a> {
    Layered {
        chain: &chain.history,
        own: unconfirmed
            .into_iter()
            .filter(|b| b.deadline >= now)
            .filter_map(|b| match &b.status {
                Status::Signed { reservation, .. } => Some(reservation.as_slice()),
                _ => None,
            })
            .flatten()
            .collect(),
        unseen: None,
    }
}

/// Of `signed`, the bindings whose transaction `chain` has not seen confirmed: once confirmed,
/// the chain's record counts instead of the reservation.
pub fn not_on_chain<'a>(
    signed: impl IntoIterator<Item = &'a Binding>,
    chain: &ChainHistory,
) -> impl Iterator<Item = &'a Binding> {
    signed
        .into_iter()
        .filter(move |b| !chain.on_chain.contains(&b.inner_hash))
}

/// The verdict on an examined offer: velocity from the chain and this cosigner's signed
/// bindings that `chain` has not seen confirmed ([`not_on_chain`]), `safety.max_unconfirmed`,
/// then the policy. `now` is this cosigner's clock.
pub fn verdict<'a>(
    policy: &Policy,
    x: &Examined,
    facts: &crate::examine::AccountFacts,
    chain: &'a ChainHistory,
    unconfirmed: impl IntoIterator<Item = &'a Binding>,
    now: jiff::Timestamp,
) -> Decision {
    let now_nem = NemTimestamp::from_timestamp(now).unwrap_or_default();
    let mut h = history(chain, unconfirmed, now_nem);
    match unconfirmed_headroom(policy, x, facts, &mut h) {
        Some(fired) => Decision::from_fired(vec![fired], 0, &policy.hash),
        None => evaluate(policy, x, now, &h),
    }
}

/// `safety.max_unconfirmed`: refuses once this cosigner's own signed-but-unconfirmed XEM would
/// pass the cap, and otherwise counts (n − 1) × cap / m XEM as already spent in `h`, for
/// what other pairs may have signed that this cosigner cannot see (each of the n − 1 others
/// holds at most the cap unconfirmed, and each payment needs m of them). Outflow then stays
/// within every velocity limit whatever pairs a coordinator asks at once.
fn unconfirmed_headroom(
    policy: &Policy,
    x: &Examined,
    facts: &crate::examine::AccountFacts,
    h: &mut Layered<'_>,
) -> Option<policy::Fired> {
    let cap = u128::from(policy.safety.max_unconfirmed?.as_micro());
    let xem = nem::tx::MosaicId::xem();
    let xem_of = |outflows: &mut dyn Iterator<Item = &Outflow>| -> u128 {
        outflows.filter(|o| o.asset == xem).map(|o| o.amount).sum()
    };
    // This cosigner's own signed-but-unconfirmed reservations, as the history holds them.
    let own = xem_of(&mut h.own.iter().copied());
    let at = x.tx.header.timestamp.to_timestamp();
    let this = xem_of(&mut Outflow::of(&x.tx, Some(x.proposer), at).iter());
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
        h.unseen = Some(Outflow {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code
    use super::*;
    use nem::{Address, Hash256, Network, PublicKey};

    fn token() -> MosaicId {
        MosaicId {
            namespace: "acme".into(),
            name: "token".into(),
        }
    }

    /// The scan over reservations answers what an index of them would, in every scope.
    #[test]
    fn reservations_scanned_add_up_as_an_indexed_history() {
        let address = |i: u8| Address::from_public_key(&PublicKey([i; 32]), Network::Testnet);
        let outflows: Vec<Outflow> = (0..60u8)
            .map(|i| Outflow {
                at: jiff::Timestamp::from_second(1_000 + i64::from(i % 7) * 100).unwrap(),
                account: address(i % 2),
                destination: address(10 + i % 3),
                proposer: (i % 4 != 0).then(|| PublicKey([20 + i % 2; 32])),
                asset: if i % 5 == 0 { token() } else { MosaicId::xem() },
                amount: u128::from(i) * 1_000 + 1,
            })
            .collect();
        let (on_chain, own) = outflows.split_at(25);
        let chain = ChainHistory::of(&[crate::chain::ChainOutflow {
            inner_hash: Hash256([1; 32]),
            outflows: on_chain.to_vec(),
        }]);
        let layered = Layered {
            chain: &chain.history,
            own: own.iter().collect(),
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
