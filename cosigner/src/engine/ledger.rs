//! This cosigner's own signatures that still count against velocity, kept in memory under the
//! decision lock.
//!
//! Every signature counts whatever its node shows: a node that hides or lags the outflow
//! cannot make it drop out. Until the node shows it confirmed in a block dated at or after
//! the signature, it counts from the latest moment it could still be paid, its deadline, so a
//! coordinator that holds a signed withdrawal back cannot place it in a later window; the
//! chain's record then counts instead (by inner hash, once). A block the node dates before the
//! signature is not believed: the signature counts from its deadline, and the chain's record of
//! it is taken out. A signature is kept until the longest window of the policy has passed
//! after its deadline.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use jiff::Timestamp;

use crate::chain::{ChainHistory, OwnProposers};
use crate::record::{Binding, Status};

#[derive(Default)]
pub(crate) struct Ledger {
    pub(crate) signed: HashMap<String, Arc<Binding>>,
    /// The same, by the second after which they no longer count: pruned from the oldest.
    expiry: BTreeSet<(i64, String)>,
    /// How long a signature counts after its deadline: the policy's longest window, seconds.
    retention: i64,
    /// Those the chain history `against` does not count itself: what velocity adds to it.
    /// Filled again when a decision brings another history (a new block, another account).
    uncounted: HashMap<String, Arc<Binding>>,
    against: Option<Arc<ChainHistory>>,
    /// Each signature's proposer by inner hash, for the chain reader (see `chain`).
    proposers: OwnProposers,
}

/// When `b` was signed, by this cosigner's clock.
pub(crate) fn signed_at(b: &Binding) -> Timestamp {
    match &b.status {
        Status::Signed { signed_at_ms, .. } => {
            Timestamp::from_millisecond(*signed_at_ms).unwrap_or(Timestamp::UNIX_EPOCH)
        }
        _ => Timestamp::UNIX_EPOCH,
    }
}

/// Whether `chain` counts `b` itself: confirmed in a block dated at or after the signature.
pub(crate) fn counted_by(chain: &ChainHistory, b: &Binding) -> bool {
    chain
        .on_chain
        .get(&b.inner_hash)
        .is_some_and(|block| block.as_second() >= signed_at(b).as_second())
}

impl Ledger {
    /// A ledger of `bindings` whose signatures count for `retention_seconds` after their
    /// deadline; `proposers` is shared with the chain reader.
    pub(crate) fn of(
        bindings: &[Binding],
        retention_seconds: u64,
        proposers: OwnProposers,
    ) -> Ledger {
        if let Ok(mut p) = proposers.write() {
            p.clear();
        }
        let mut ledger = Ledger {
            retention: i64::try_from(retention_seconds).unwrap_or(i64::MAX),
            proposers,
            ..Ledger::default()
        };
        for b in bindings {
            ledger.note(b);
        }
        ledger
    }

    pub(crate) fn retention_seconds(&self) -> i64 {
        self.retention
    }

    pub(crate) fn note(&mut self, b: &Binding) {
        if !matches!(b.status, Status::Signed { .. }) {
            return;
        }
        let b = Arc::new(b.clone());
        let id = b.proposal_id.clone();
        if let Ok(mut p) = self.proposers.write() {
            p.insert(b.inner_hash, b.proposer);
        }
        if let Some(old) = self.signed.insert(id.clone(), b.clone()) {
            self.expiry.remove(&(self.expires(&old), id.clone()));
        }
        self.expiry.insert((self.expires(&b), id.clone()));
        if let Some(chain) = &self.against
            && !counted_by(chain, &b)
        {
            self.uncounted.insert(id, b);
        }
    }

    /// The last second `b` counts: the longest window after its deadline (or its signature,
    /// if that is later).
    fn expires(&self, b: &Binding) -> i64 {
        let last = signed_at(b)
            .as_second()
            .max(b.deadline.to_timestamp().as_second());
        last.saturating_add(self.retention)
    }

    /// Forgets the signatures that no longer count at `now`.
    pub(crate) fn prune(&mut self, now: Timestamp) {
        let now = now.as_second();
        while let Some((last, id)) = self.expiry.first().cloned()
            && last < now
        {
            self.expiry.pop_first();
            if let Some(b) = self.signed.remove(&id)
                && let Ok(mut p) = self.proposers.write()
            {
                p.remove(&b.inner_hash);
            }
            self.uncounted.remove(&id);
        }
    }

    /// The signatures `chain` does not count itself: velocity adds them.
    pub(crate) fn uncounted(
        &mut self,
        chain: &Arc<ChainHistory>,
    ) -> impl Iterator<Item = &Binding> {
        if !self.against.as_ref().is_some_and(|a| Arc::ptr_eq(a, chain)) {
            self.uncounted = self
                .signed
                .iter()
                .filter(|(_, b)| !counted_by(chain, b))
                .map(|(id, b)| (id.clone(), b.clone()))
                .collect();
            self.against = Some(chain.clone());
        }
        self.uncounted.values().map(|b| &**b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainOutflow;
    use nem::{Address, Hash256, NemTimestamp, Network, PublicKey};

    const DAY: u64 = 86_400;

    fn signed(id: &str, at_second: i64, deadline: u32) -> Binding {
        Binding {
            proposal_id: id.into(),
            account: Address::from_public_key(&PublicKey([1; 32]), Network::Testnet),
            inner_hash: Hash256::of(id.as_bytes()),
            inner: vec![],
            proposer: PublicKey([2; 32]),
            proposer_signature: vec![],
            deadline: NemTimestamp(deadline),
            first_seen_ms: 0,
            status: Status::Signed {
                policy_hash: "h".into(),
                signed_at_ms: at_second * 1_000,
                approvals: vec![],
                reservation: vec![],
            },
        }
    }

    fn chain_with(confirmed: &[(&str, i64)]) -> Arc<ChainHistory> {
        let outflows: Vec<ChainOutflow> = confirmed
            .iter()
            .map(|(id, at)| ChainOutflow {
                inner_hash: Hash256::of(id.as_bytes()),
                at: Timestamp::from_second(*at).unwrap(),
                outflows: vec![],
            })
            .collect();
        Arc::new(ChainHistory::of(Arc::new(outflows)))
    }

    fn ids(ledger: &mut Ledger, chain: &Arc<ChainHistory>) -> Vec<String> {
        let mut out: Vec<String> = ledger
            .uncounted(chain)
            .map(|b| b.proposal_id.clone())
            .collect();
        out.sort();
        out
    }

    /// What velocity adds to a chain history: the signatures it does not count, whatever order
    /// signatures and blocks come in; a history that no longer shows one (the chain went
    /// back) counts it again; one that dates a block before the signature is not believed.
    #[test]
    fn uncounted_follows_signatures_and_blocks() {
        let t = 1_800_000_000;
        let mut ledger = Ledger::of(&[], DAY, Default::default());
        ledger.note(&signed("a", t, 0));
        ledger.note(&signed("b", t, 0));
        let block = chain_with(&[("a", t + 60)]);
        assert_eq!(ids(&mut ledger, &block), ["b"]);
        ledger.note(&signed("c", t + 100, 0));
        ledger.note(&signed("d", t + 100, 0));
        assert_eq!(ids(&mut ledger, &block), ["b", "c", "d"]);
        let next = chain_with(&[("a", t + 60), ("c", t + 160)]);
        assert_eq!(ids(&mut ledger, &next), ["b", "d"]);
        let back = chain_with(&[("a", t + 60)]);
        assert_eq!(ids(&mut ledger, &back), ["b", "c", "d"]);
        let backdated = chain_with(&[("a", t - 1)]);
        assert_eq!(ids(&mut ledger, &backdated), ["a", "b", "c", "d"]);
        let mut refused = signed("e", t, 0);
        refused.status = Status::Refused {
            reasons: vec![],
            policy_hash: "h".into(),
        };
        ledger.note(&refused);
        assert_eq!(
            ids(&mut ledger, &back),
            ["b", "c", "d"],
            "refusals count nothing"
        );
    }

    /// A signature stays for the longest window after its deadline, whatever the node shows,
    /// and its proposer is known to the chain reader as long.
    #[test]
    fn signatures_count_for_the_longest_window_past_their_deadline() {
        let t = 1_800_000_000;
        let nem_deadline = |unix: i64| {
            NemTimestamp::from_timestamp(Timestamp::from_second(unix).unwrap())
                .unwrap()
                .0
        };
        let proposers: OwnProposers = Default::default();
        let mut ledger = Ledger::of(&[], DAY, proposers.clone());
        ledger.note(&signed("short", t, nem_deadline(t + 3_600)));
        ledger.note(&signed("long", t, nem_deadline(t + DAY as i64)));
        let at = |s: i64| Timestamp::from_second(s).unwrap();
        ledger.prune(at(t + 7_200));
        assert_eq!(
            ledger.signed.len(),
            2,
            "the deadline passed, the window did not"
        );
        ledger.prune(at(t + 3_600 + DAY as i64 + 1));
        assert_eq!(ledger.signed.keys().collect::<Vec<_>>(), ["long"]);
        assert_eq!(proposers.read().unwrap().len(), 1);
        ledger.prune(at(t + 2 * DAY as i64 + 1));
        assert!(ledger.signed.is_empty());
        assert!(proposers.read().unwrap().is_empty());
    }
}
