//! Block building: drop what expired, include what is ready, apply it to the accounts.

use std::collections::BTreeSet;

use nem::tx::{AggregateModification, Body, ModificationType};
use nem::{Address, Hash256, NemTimestamp, PublicKey, Transaction};

use super::announce::xem_moved;
use super::{Chain, Confirmed, MAX_TRANSACTIONS_PER_BLOCK, Pending};

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BlockSummary {
    pub height: u64,
    pub timestamp: u32,
    pub included: Vec<Hash256>,
    /// Dropped from the unconfirmed cache, with the reason.
    pub dropped: Vec<(Hash256, String)>,
}

enum Readiness {
    Ready,
    Waiting,
    Invalid(String),
}

impl Chain {
    pub fn harvest(&mut self, now: NemTimestamp) -> BlockSummary {
        self.height += 1;
        self.block_times.insert(self.height, now);
        let mut summary = BlockSummary {
            height: self.height,
            timestamp: now.0,
            ..Default::default()
        };
        self.pending.retain(|p| {
            let deadline = p.earliest_deadline();
            let alive = deadline >= now;
            if !alive {
                summary
                    .dropped
                    .push((p.hash, format!("deadline {} passed", deadline.0)));
            }
            alive
        });
        let mut used = 0;
        let mut i = 0;
        while i < self.pending.len() {
            let p = &self.pending[i];
            let size = 1 + p.cosignatures.len();
            // NIS includes only transactions stamped before the block.
            if used + size > MAX_TRANSACTIONS_PER_BLOCK || p.transaction.header.timestamp >= now {
                i += 1;
                continue;
            }
            match self.readiness(p) {
                Readiness::Waiting => {
                    i += 1;
                    continue;
                }
                Readiness::Invalid(why) => {
                    summary.dropped.push((p.hash, why));
                    self.pending.remove(i);
                    continue;
                }
                Readiness::Ready => {}
            }
            let debtor = p.debtor;
            if self.balance(&debtor) < self.total_debit(p) {
                i += 1;
                continue;
            }
            let p = self.pending.remove(i);
            summary.included.push(p.hash);
            used += size;
            self.apply(p);
        }
        summary
    }

    /// A multisig transaction is ready when its signers meet the account's threshold.
    fn readiness(&self, p: &Pending) -> Readiness {
        let Some(inner) = p.transaction.inner() else {
            return Readiness::Ready;
        };
        let multisig = self.address(&inner.header.signer);
        let Some(account) = self.accounts.get(&multisig) else {
            return Readiness::Invalid(format!("{multisig} is no longer multisig"));
        };
        let mut signers: BTreeSet<PublicKey> = BTreeSet::new();
        signers.insert(p.transaction.header.signer);
        signers.extend(p.cosignatures.iter().map(|(t, _, _)| t.header.signer));
        if let Some(stranger) = signers.iter().find(|s| !account.cosignatories.contains(s)) {
            return Readiness::Invalid(format!(
                "FAILURE_MULTISIG_INVALID_COSIGNERS: {} is not a cosignatory",
                self.address(stranger)
            ));
        }
        // A cosignatory being deleted neither needs to sign nor counts.
        let deleted = deleted_cosignatory(inner);
        let counted = signers.iter().filter(|s| Some(**s) != deleted).count();
        let n = account
            .cosignatories
            .iter()
            .filter(|c| Some(**c) != deleted)
            .count();
        let min = account.min_cosignatories as usize;
        let needed = if min == 0 || min >= account.cosignatories.len() {
            n
        } else {
            min
        };
        if counted >= needed {
            Readiness::Ready
        } else {
            Readiness::Waiting
        }
    }

    fn apply(&mut self, p: Pending) {
        let debtor = p.debtor;
        let total = self.total_debit(&p);
        let mut outgoing_for = BTreeSet::from([debtor]);
        if let Some(account) = self.accounts.get(&debtor) {
            for c in &account.cosignatories {
                outgoing_for.insert(self.address(c));
            }
        }
        if let Some(account) = self.accounts.get_mut(&debtor) {
            account.balance = account.balance.saturating_sub(total);
        }
        let effective = p.transaction.inner().unwrap_or(&p.transaction).clone();
        let mut incoming_for = None;
        match &effective.body {
            Body::Transfer(t) => {
                let moved = xem_moved(t).unwrap_or(0);
                let recipient = self.accounts.entry(t.recipient).or_default();
                recipient.balance = recipient.balance.saturating_add(moved);
                incoming_for = Some(t.recipient);
            }
            Body::MultisigModification(m) => {
                self.apply_modification(&debtor, effective.header.version, m)
            }
            _ => {}
        }
        let id = self.confirmed.len() as i64 + 1;
        let record = Confirmed {
            height: self.height,
            id,
            hash: p.hash,
            inner_hash: p.inner_hash,
            nis: p.to_nis(),
            outgoing_for,
            incoming_for,
        };
        self.confirmed_by_hash.insert(p.hash, self.confirmed.len());
        if let Some(inner) = p.inner_hash {
            self.confirmed_inner.insert(inner);
        }
        self.confirmed.push(record);
    }

    fn apply_modification(&mut self, account: &Address, version: u8, m: &AggregateModification) {
        for c in &m.modifications {
            let cosigner = self.address(&c.cosignatory);
            match c.kind {
                ModificationType::Add => {
                    let entry = self.accounts.entry(cosigner).or_default();
                    entry.public_key = Some(c.cosignatory);
                    entry.cosignatory_of.insert(*account);
                    self.accounts
                        .entry(*account)
                        .or_default()
                        .cosignatories
                        .push(c.cosignatory);
                }
                ModificationType::Delete => {
                    if let Some(entry) = self.accounts.get_mut(&cosigner) {
                        entry.cosignatory_of.remove(account);
                    }
                    if let Some(entry) = self.accounts.get_mut(account) {
                        entry.cosignatories.retain(|k| *k != c.cosignatory);
                    }
                }
            }
        }
        if version == 2
            && let Some(change) = m.min_cosignatories_change
        {
            let entry = self.accounts.entry(*account).or_default();
            let min = i64::from(entry.min_cosignatories) + i64::from(change);
            entry.min_cosignatories = u32::try_from(min.max(0)).unwrap_or(0);
        }
    }
}

fn deleted_cosignatory(inner: &Transaction) -> Option<PublicKey> {
    match &inner.body {
        Body::MultisigModification(m) => m
            .modifications
            .iter()
            .find(|c| c.kind == ModificationType::Delete)
            .map(|c| c.cosignatory),
        _ => None,
    }
}
