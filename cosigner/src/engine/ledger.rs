//! This cosigner's signed reservations that may still count against velocity, kept in memory
//! under the decision lock.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use nem::NemTimestamp;

use crate::chain::ChainHistory;
use crate::record::{Binding, Status};

#[derive(Default)]
pub(crate) struct Ledger {
    pub(crate) signed: HashMap<String, Arc<Binding>>,
    /// The same, by deadline: pruned from the oldest without a scan.
    deadlines: BTreeSet<(NemTimestamp, String)>,
    /// Those the chain history `against` has not seen confirmed: what velocity adds to it.
    /// Filled again when a decision brings another history (a new block, another account),
    /// so a decision does not look every signature up in the chain's set.
    unconfirmed: HashMap<String, Arc<Binding>>,
    against: Option<Arc<ChainHistory>>,
}

impl Ledger {
    pub(crate) fn note(&mut self, b: &Binding) {
        if !matches!(b.status, Status::Signed { .. }) {
            return;
        }
        let b = Arc::new(b.clone());
        let id = b.proposal_id.clone();
        if let Some(old) = self.signed.insert(id.clone(), b.clone()) {
            self.deadlines.remove(&(old.deadline, id.clone()));
        }
        self.deadlines.insert((b.deadline, id.clone()));
        if let Some(chain) = &self.against
            && !chain.on_chain.contains(&b.inner_hash)
        {
            self.unconfirmed.insert(id, b);
        }
    }

    /// Forgets the reservations whose deadline passed before `now`.
    pub(crate) fn prune(&mut self, now: NemTimestamp) {
        while let Some((deadline, id)) = self.deadlines.first().cloned()
            && deadline < now
        {
            self.deadlines.pop_first();
            self.signed.remove(&id);
            self.unconfirmed.remove(&id);
        }
    }

    /// The signed reservations `chain` has not seen confirmed.
    pub(crate) fn unconfirmed(
        &mut self,
        chain: &Arc<ChainHistory>,
    ) -> impl Iterator<Item = &Binding> {
        if !self.against.as_ref().is_some_and(|a| Arc::ptr_eq(a, chain)) {
            self.unconfirmed = self
                .signed
                .iter()
                .filter(|(_, b)| !chain.on_chain.contains(&b.inner_hash))
                .map(|(id, b)| (id.clone(), b.clone()))
                .collect();
            self.against = Some(chain.clone());
        }
        self.unconfirmed.values().map(|b| &**b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainOutflow;
    use nem::{Address, Hash256, Network, PublicKey};

    fn signed(id: &str, deadline: u32) -> Binding {
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
                signed_at_ms: 0,
                approvals: vec![],
                reservation: vec![],
            },
        }
    }

    fn chain_with(ids: &[&str]) -> Arc<ChainHistory> {
        let outflows: Vec<ChainOutflow> = ids
            .iter()
            .map(|id| ChainOutflow {
                inner_hash: Hash256::of(id.as_bytes()),
                outflows: vec![],
            })
            .collect();
        Arc::new(ChainHistory::of(&outflows))
    }

    fn ids(ledger: &mut Ledger, chain: &Arc<ChainHistory>) -> Vec<String> {
        let mut out: Vec<String> = ledger
            .unconfirmed(chain)
            .map(|b| b.proposal_id.clone())
            .collect();
        out.sort();
        out
    }

    /// What velocity adds to a chain history: the signed reservations it has not seen
    /// confirmed, whatever order signatures, blocks and deadlines come in; a history that no
    /// longer shows one (the chain went back) counts it again.
    #[test]
    fn unconfirmed_follows_signatures_blocks_and_deadlines() {
        let mut ledger = Ledger::default();
        ledger.note(&signed("a", 100));
        ledger.note(&signed("b", 200));
        let block = chain_with(&["a"]);
        assert_eq!(ids(&mut ledger, &block), ["b"]);
        // Signed while that history is current: counted without filling the set again.
        ledger.note(&signed("c", 300));
        ledger.note(&signed("d", 300));
        assert_eq!(ids(&mut ledger, &block), ["b", "c", "d"]);
        let next = chain_with(&["a", "c"]);
        assert_eq!(ids(&mut ledger, &next), ["b", "d"]);
        ledger.prune(NemTimestamp(250));
        assert_eq!(ids(&mut ledger, &next), ["d"], "b's deadline passed");
        assert_eq!(ledger.signed.len(), 2, "a's and b's deadlines passed");
        let back = chain_with(&["a"]);
        assert_eq!(
            ids(&mut ledger, &back),
            ["c", "d"],
            "c is not on this chain"
        );
        // Refusals reserve nothing.
        let mut refused = signed("e", 300);
        refused.status = Status::Refused {
            reasons: vec![],
            policy_hash: "h".into(),
        };
        ledger.note(&refused);
        assert_eq!(ids(&mut ledger, &back), ["c", "d"]);
    }
}
