//! The dev node's chain: accounts, the unconfirmed cache and confirmed transactions. Pure: the
//! current time is always an argument, nothing here reads a clock or touches a socket.

mod announce;
mod harvest;
pub mod malformed;
pub mod query;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use nem::nis_json::NisTransaction;
use nem::validation::ValidationResult;
use nem::{Address, Hash256, NemTimestamp, Network, PublicKey, Signature, Transaction};

pub use announce::{AnnounceError, AnnounceOutcome};
pub use harvest::BlockSummary;

use crate::config::{Config, ConfigError, parse_balance};

/// How long NIS remembers the result of a pushed transaction hash.
pub const PUSH_CACHE_SECONDS: u32 = 600;
/// Transactions per block, counting attached signatures.
pub const MAX_TRANSACTIONS_PER_BLOCK: usize = 120;

#[derive(Debug, Clone, Default)]
pub struct Account {
    pub public_key: Option<PublicKey>,
    pub balance: u64,
    /// Non-empty for a multisig account.
    pub cosignatories: Vec<PublicKey>,
    pub min_cosignatories: u32,
    pub cosignatory_of: BTreeSet<Address>,
    pub label: Option<String>,
}

impl Account {
    pub fn is_multisig(&self) -> bool {
        !self.cosignatories.is_empty()
    }
}

/// A transaction in the unconfirmed cache.
#[derive(Debug, Clone)]
pub struct Pending {
    pub hash: Hash256,
    pub transaction: Transaction,
    pub signature: Signature,
    /// For a wrapper: its inner hash and the 0x1002s attached so far.
    pub inner_hash: Option<Hash256>,
    pub cosignatures: Vec<(Transaction, Signature, Hash256)>,
    /// The account it debits (the multisig account for a wrapper), worked out once: each
    /// announce sums what the pending transactions of its debtor will take.
    pub debtor: Address,
}

impl Pending {
    pub fn to_nis(&self) -> NisTransaction {
        NisTransaction {
            transaction: self.transaction.clone(),
            signature: Some(self.signature),
            cosignatures: self
                .cosignatures
                .iter()
                .map(|(t, s, _)| (t.clone(), *s))
                .collect(),
        }
    }

    /// The earliest deadline among the wrapper, its inner transaction and its signatures.
    pub fn earliest_deadline(&self) -> NemTimestamp {
        let mut d = self.transaction.header.deadline;
        if let Some(inner) = self.transaction.inner() {
            d = d.min(inner.header.deadline);
        }
        for (t, _, _) in &self.cosignatures {
            d = d.min(t.header.deadline);
        }
        d
    }
}

#[derive(Debug, Clone)]
pub struct Confirmed {
    pub height: u64,
    pub id: i64,
    pub hash: Hash256,
    pub inner_hash: Option<Hash256>,
    pub nis: NisTransaction,
    /// Accounts whose outgoing list shows it: the signer, or the multisig account and its cosignatories.
    pub outgoing_for: BTreeSet<Address>,
    pub incoming_for: Option<Address>,
}

#[derive(Debug)]
pub struct Chain {
    pub network: Network,
    pub height: u64,
    pub(crate) accounts: BTreeMap<Address, Account>,
    pub(crate) pending: Vec<Pending>,
    pub(crate) confirmed: Vec<Confirmed>,
    pub(crate) confirmed_by_hash: HashMap<Hash256, usize>,
    pub(crate) confirmed_inner: HashSet<Hash256>,
    pub(crate) push_cache: HashMap<Hash256, (ValidationResult, NemTimestamp)>,
    /// When each block after the nemesis block was made, by height.
    pub(crate) block_times: BTreeMap<u64, NemTimestamp>,
}

/// A block's version field as NIS writes it: the network byte over version 1.
pub fn block_version(network: Network) -> i32 {
    nem::nis_json::version_field(network, 1)
}

impl Chain {
    pub fn from_config(config: &Config) -> Result<Chain, ConfigError> {
        config.validate()?;
        let mut chain = Chain {
            network: config.network,
            height: 1,
            accounts: BTreeMap::new(),
            pending: Vec::new(),
            confirmed: Vec::new(),
            confirmed_by_hash: HashMap::new(),
            confirmed_inner: HashSet::new(),
            push_cache: HashMap::new(),
            block_times: BTreeMap::new(),
        };
        let invalid = |m: String| ConfigError::Invalid(m);
        for a in &config.accounts {
            let address = match (&a.public_key, &a.address) {
                (Some(k), _) => Address::from_public_key(k, config.network),
                (None, Some(addr)) => *addr,
                (None, None) => {
                    return Err(invalid("account without public_key or address".into()));
                }
            };
            let balance = parse_balance(&a.balance).map_err(|e| invalid(e.to_string()))?;
            let account = chain.accounts.entry(address).or_default();
            account.public_key = a.public_key;
            account.balance = balance.as_micro();
            account.label = a.label.clone();
        }
        for m in &config.multisigs {
            let address = Address::from_public_key(&m.public_key, config.network);
            let balance = parse_balance(&m.balance).map_err(|e| invalid(e.to_string()))?;
            let account = chain.accounts.entry(address).or_default();
            account.public_key = Some(m.public_key);
            account.balance = balance.as_micro();
            account.cosignatories = m.cosignatories.clone();
            account.min_cosignatories = m.min_cosignatories;
            account.label = m.label.clone();
            for c in &m.cosignatories {
                let cosigner = chain
                    .accounts
                    .entry(Address::from_public_key(c, config.network))
                    .or_default();
                cosigner.public_key = Some(*c);
                cosigner.cosignatory_of.insert(address);
            }
        }
        Ok(chain)
    }

    pub fn address(&self, key: &PublicKey) -> Address {
        Address::from_public_key(key, self.network)
    }

    pub fn account(&self, address: &Address) -> Option<&Account> {
        self.accounts.get(address)
    }

    pub fn balance(&self, address: &Address) -> u64 {
        self.accounts.get(address).map_or(0, |a| a.balance)
    }

    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    pub fn confirmed(&self) -> &[Confirmed] {
        &self.confirmed
    }

    /// The signatures a multisig transaction of this account needs: `min` if `0 < min < n`, else all.
    pub fn required_signatures(account: &Account) -> usize {
        let n = account.cosignatories.len();
        let min = account.min_cosignatories as usize;
        if min == 0 || min >= n { n } else { min }
    }
}
