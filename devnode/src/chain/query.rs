//! Read-only views in NIS's JSON shapes.

use nem::nis_json::to_nis_json;
use nem::{Address, Hash256};
use serde_json::{Value, json};

use super::{Account, Chain, Confirmed};

/// NIS returns at most this many unconfirmed transactions.
const MAX_UNCONFIRMED: usize = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Outgoing,
    Incoming,
}

impl Chain {
    fn account_info(&self, address: &Address, account: Option<&Account>) -> Value {
        let default = Account::default();
        let a = account.unwrap_or(&default);
        let multisig_info = if a.is_multisig() {
            json!({ "cosignatoriesCount": a.cosignatories.len(), "minCosignatories": a.min_cosignatories })
        } else {
            json!({})
        };
        json!({
            "address": address.to_string(),
            "balance": a.balance,
            "vestedBalance": a.balance,
            "importance": 0.0,
            "publicKey": a.public_key.map(|k| k.to_string()),
            "label": a.label,
            "harvestedBlocks": 0,
            "multisigInfo": multisig_info,
        })
    }

    /// `/account/get`: the account, its cosignatories and the multisig accounts it cosigns.
    pub fn account_json(&self, address: &Address) -> Value {
        let account = self.accounts.get(address);
        let cosignatories: Vec<Value> = account
            .map(|a| {
                a.cosignatories
                    .iter()
                    .map(|k| self.address(k))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .iter()
            .map(|c| self.account_info(c, self.accounts.get(c)))
            .collect();
        let cosignatory_of: Vec<Value> = account
            .map(|a| a.cosignatory_of.iter().copied().collect::<Vec<_>>())
            .unwrap_or_default()
            .iter()
            .map(|m| self.account_info(m, self.accounts.get(m)))
            .collect();
        json!({
            "account": self.account_info(address, account),
            "meta": {
                "status": "LOCKED",
                "remoteStatus": "INACTIVE",
                "cosignatoryOf": cosignatory_of,
                "cosignatories": cosignatories,
            },
        })
    }

    /// `/account/unconfirmedTransactions`: what concerns the address, newest first, at most 25.
    /// A multisig transaction concerns the multisig account, the recipient, every signer so far
    /// and every current cosignatory.
    pub fn unconfirmed_json(&self, address: &Address) -> Value {
        let data: Vec<Value> = self
            .pending
            .iter()
            .rev()
            .filter(|p| {
                let tx = &p.transaction;
                let effective = tx.inner().unwrap_or(tx);
                let mut concerned = vec![self.address(&tx.header.signer), self.address(&effective.header.signer)];
                if let Some(t) = effective.transfer() {
                    concerned.push(t.recipient);
                }
                concerned.extend(p.cosignatures.iter().map(|(s, _, _)| self.address(&s.header.signer)));
                if let Some(account) = self.accounts.get(&self.address(&effective.header.signer)) {
                    concerned.extend(account.cosignatories.iter().map(|k| self.address(k)));
                }
                concerned.contains(address)
            })
            .take(MAX_UNCONFIRMED)
            .map(|p| json!({ "meta": { "data": p.inner_hash.map(|h| h.to_string()) }, "transaction": to_nis_json(&p.to_nis()) }))
            .collect();
        json!({ "data": data })
    }

    /// `/account/transfers/outgoing` and `/incoming`: newest first; `before` (a hash or an id)
    /// pages back from that transaction.
    pub fn transfers_json(
        &self,
        address: &Address,
        direction: Direction,
        before_hash: Option<&Hash256>,
        before_id: Option<i64>,
        page_size: usize,
    ) -> Value {
        let matches = |c: &Confirmed| match direction {
            Direction::Outgoing => c.outgoing_for.contains(address),
            Direction::Incoming => c.incoming_for.as_ref() == Some(address),
        };
        let start_id = match (before_hash, before_id) {
            (Some(h), _) => self.confirmed_by_hash.get(h).map(|i| self.confirmed[*i].id),
            (None, Some(id)) => Some(id),
            (None, None) => None,
        };
        let data: Vec<Value> = self
            .confirmed
            .iter()
            .rev()
            .filter(|c| start_id.is_none_or(|id| c.id < id))
            .filter(|c| matches(c))
            .take(page_size)
            .map(confirmed_json)
            .collect();
        json!({ "data": data })
    }

    /// `/block/at/public`: the block at `height` (its height and time; the nemesis block is
    /// at time 0), or `None` past the chain's end.
    pub fn block_json(&self, height: u64) -> Option<Value> {
        if height == 0 || height > self.height {
            return None;
        }
        let time = self.block_times.get(&height).map_or(0, |t| t.0);
        let transactions: Vec<Value> = self
            .confirmed
            .iter()
            .filter(|c| c.height == height)
            .map(|c| to_nis_json(&c.nis))
            .collect();
        Some(json!({
            "timeStamp": time,
            "height": height,
            "type": 1,
            "version": crate::chain::block_version(self.network),
            "transactions": transactions,
        }))
    }

    /// Whether a transaction with this (outer) hash is confirmed.
    pub fn is_confirmed(&self, hash: &Hash256) -> bool {
        self.confirmed_by_hash.contains_key(hash)
    }

    /// `/transaction/get`: a confirmed transaction by its (outer) hash.
    pub fn transaction_json(&self, hash: &Hash256) -> Option<Value> {
        self.confirmed_by_hash
            .get(hash)
            .map(|i| confirmed_json(&self.confirmed[*i]))
    }
}

fn confirmed_json(c: &Confirmed) -> Value {
    let inner = match c.inner_hash {
        Some(h) => json!({ "data": h.to_string() }),
        None => json!({}),
    };
    json!({
        "meta": { "height": c.height, "id": c.id, "hash": { "data": c.hash.to_string() }, "innerHash": inner },
        "transaction": to_nis_json(&c.nis),
    })
}
