//! Velocity history: what left an account, when, to whom, proposed by whom. The cosigner
//! supplies it; `WindowedHistory` keeps prefix sums so a window total is a binary search.

use std::collections::HashMap;

use jiff::Timestamp;
use nem::tx::MosaicId;
use nem::{Address, PublicKey, Transaction};
use serde::{Deserialize, Serialize};

use crate::cost::Cost;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    Account(Address),
    Destination(Address),
    Proposer(PublicKey),
}

/// Totals of past outflows. Implementations must not scan all history per call.
pub trait History {
    /// Smallest units of `asset` moved at or after `since` within `scope`.
    fn total(&self, scope: &Scope, asset: &MosaicId, since: Timestamp) -> Result<u128, String>;
}

/// One asset leaving one account, at a time the counting cosigner chose: when it signed, or
/// the block that confirmed it; never the transaction's own timestamp, which its builder chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outflow {
    pub at: Timestamp,
    pub account: Address,
    /// The recipient or rental sink; none when only fees were paid.
    pub destination: Option<Address>,
    pub proposer: Option<PublicKey>,
    pub asset: MosaicId,
    pub amount: u128,
}

impl Outflow {
    /// The outflows of `tx` (an inner transaction) at `at`, one per asset, fees included in
    /// XEM: `outer_fees` micro-XEM paid for its wrapper and signatures (see [`Cost::of`]).
    pub fn of(
        tx: &Transaction,
        outer_fees: u128,
        proposer: Option<PublicKey>,
        at: Timestamp,
    ) -> Vec<Outflow> {
        let account = tx.signer_address();
        let cost = Cost::of(tx, outer_fees);
        cost.assets
            .into_iter()
            .map(|(asset, amount)| Outflow {
                at,
                account,
                destination: cost.destination,
                proposer,
                asset,
                amount,
            })
            .collect()
    }
}

#[derive(Debug, Default, Clone)]
struct Series {
    times: Vec<i64>,
    /// `cumulative[i]` = sum of amounts of entries 0..=i.
    cumulative: Vec<u128>,
}

impl Series {
    fn insert(&mut self, at: i64, amount: u128) {
        let i = self.times.partition_point(|t| *t <= at);
        let before = if i == 0 { 0 } else { self.cumulative[i - 1] };
        self.times.insert(i, at);
        self.cumulative.insert(i, before.saturating_add(amount));
        for c in &mut self.cumulative[i + 1..] {
            *c = c.saturating_add(amount);
        }
    }

    fn since(&self, since: i64) -> u128 {
        let Some(last) = self.cumulative.last() else {
            return 0;
        };
        let i = self.times.partition_point(|t| *t < since);
        if i == 0 {
            *last
        } else {
            last - self.cumulative[i - 1]
        }
    }
}

/// In-memory history with per-scope, per-asset prefix sums: O(log n) per window total;
/// appending in time order is O(1).
#[derive(Debug, Default, Clone)]
pub struct WindowedHistory {
    series: HashMap<(Scope, MosaicId), Series>,
    records: usize,
}

impl WindowedHistory {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn record(&mut self, o: &Outflow) {
        let at = o.at.as_second();
        let mut scopes = vec![Scope::Account(o.account)];
        scopes.extend(o.destination.map(Scope::Destination));
        scopes.extend(o.proposer.map(Scope::Proposer));
        for scope in scopes {
            self.series
                .entry((scope, o.asset.clone()))
                .or_default()
                .insert(at, o.amount);
        }
        self.records += 1;
    }

    pub fn len(&self) -> usize {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }
}

impl History for WindowedHistory {
    fn total(&self, scope: &Scope, asset: &MosaicId, since: Timestamp) -> Result<u128, String> {
        Ok(self
            .series
            .get(&(scope.clone(), asset.clone()))
            .map_or(0, |s| s.since(since.as_second())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nem::Network;

    #[test]
    fn totals_follow_the_window_in_any_insert_order() {
        let account = Address::from_public_key(&PublicKey([1; 32]), Network::Testnet);
        let destination = Address::from_public_key(&PublicKey([2; 32]), Network::Testnet);
        let mut h = WindowedHistory::new();
        for (t, amount) in [(100, 5u128), (300, 7), (200, 11)] {
            h.record(&Outflow {
                at: Timestamp::from_second(t).unwrap(),
                account,
                destination: Some(destination),
                proposer: None,
                asset: MosaicId::xem(),
                amount,
            });
        }
        let total = |since| {
            h.total(
                &Scope::Account(account),
                &MosaicId::xem(),
                Timestamp::from_second(since).unwrap(),
            )
            .unwrap()
        };
        assert_eq!(total(0), 23);
        assert_eq!(total(150), 18);
        assert_eq!(total(201), 7);
        assert_eq!(total(301), 0);
        assert_eq!(
            h.total(
                &Scope::Destination(destination),
                &MosaicId::xem(),
                Timestamp::UNIX_EPOCH
            )
            .unwrap(),
            23
        );
    }
}
