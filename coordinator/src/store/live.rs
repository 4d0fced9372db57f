//! Unfinished proposals in memory, as last written: transitions, the ticker, pending limits
//! and listings of pending work read them here instead of decoding them from disk. It holds
//! only unfinished work, so its size follows what is pending, never the history.
//!
//! Only the store's writers change it, in the same step as their write (under the embedded
//! store's group-commit lock, after a database transaction commits), so it never disagrees
//! with what storage would answer.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use nem::Address;

use crate::core::ProposalRecord;

#[derive(Default)]
pub struct Live {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    records: BTreeMap<String, Arc<ProposalRecord>>,
    /// Unfinished proposals per account: the pending limit is checked on every proposal.
    per_account: HashMap<Address, usize>,
}

impl Inner {
    fn remove(&mut self, id: &str) {
        if let Some(old) = self.records.remove(id)
            && let Some(n) = self.per_account.get_mut(&old.account)
        {
            *n -= 1;
            if *n == 0 {
                self.per_account.remove(&old.account);
            }
        }
    }
}

impl Live {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `record` while it is unfinished; forgets it once it is finished.
    pub fn wrote(&self, record: &ProposalRecord) {
        let mut inner = self.lock();
        inner.remove(&record.id);
        if !record.state.is_terminal() {
            *inner.per_account.entry(record.account).or_default() += 1;
            inner
                .records
                .insert(record.id.clone(), Arc::new(record.clone()));
        }
    }

    /// Holds exactly the unfinished proposals of `records` (read again from storage).
    pub fn replace(&self, records: &[ProposalRecord]) {
        let mut inner = self.lock();
        *inner = Inner::default();
        for r in records.iter().filter(|r| !r.state.is_terminal()) {
            *inner.per_account.entry(r.account).or_default() += 1;
            inner.records.insert(r.id.clone(), Arc::new(r.clone()));
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<ProposalRecord>> {
        self.lock().records.get(id).cloned()
    }

    /// Every unfinished proposal, in id order.
    pub fn all(&self) -> Vec<Arc<ProposalRecord>> {
        self.lock().records.values().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    pub fn count(&self, account: &Address) -> usize {
        self.lock().per_account.get(account).copied().unwrap_or(0)
    }

    /// Up to `limit` unfinished proposals that `keep` accepts, in id order after `after`
    /// (exclusive), and the token of the next page if there is one.
    pub fn page(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&ProposalRecord) -> bool,
    ) -> (Vec<ProposalRecord>, Option<String>) {
        let inner = self.lock();
        let records = &inner.records;
        let range = match after {
            Some(a) => {
                records.range::<str, _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
            }
            None => records.range::<str, _>(..),
        };
        let mut out = Vec::new();
        for r in range.map(|(_, r)| r).filter(|r| keep(r)) {
            out.push((**r).clone());
            if out.len() == limit {
                return (out, Some(r.id.clone()));
            }
        }
        (out, None)
    }
}
