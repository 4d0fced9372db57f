//! What this cosigner sees on its own NIS node: the multisig account's key and cosignatories,
//! and the account's confirmed outflows (which count against velocity whoever sent them).
//! Nothing here comes from the coordinator.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nem::client::{NisClient, NisError, TransactionMetaDataPair};
use nem::tx::Body;
use nem::{Address, Hash256};
use policy::{Outflow, WindowedHistory};
use tokio::sync::Mutex;

use crate::examine::AccountFacts;

/// How far back outflows are read: longer than any velocity window (a calendar month).
pub const HORIZON_SECONDS: i64 = 32 * 86_400;
/// At most this many pages of 25 per refresh, so a hostile node cannot keep it paging forever.
const MAX_PAGES: usize = 400;

/// One confirmed outflow transaction of a watched account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainOutflow {
    /// Hash of the transaction that moved the funds (the inner one for a multisig wrapper).
    pub inner_hash: Hash256,
    pub outflows: Vec<Outflow>,
}

/// An account as last read from the node.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub facts: AccountFacts,
    /// Oldest read first; each read's new outflows newest first.
    pub outflows: Arc<Vec<ChainOutflow>>,
    /// The same outflows as velocity history, built once per read of the node: a decision
    /// then costs the same whatever the account's history.
    pub history: Arc<ChainHistory>,
    pub read_at: Instant,
}

/// The confirmed outflows as a velocity history with prefix sums, and their inner hashes.
#[derive(Debug, Default)]
pub struct ChainHistory {
    pub history: WindowedHistory,
    pub on_chain: HashSet<Hash256>,
}

impl ChainHistory {
    /// Recorded oldest first, as the history appends in time order at no cost.
    pub fn of(outflows: &[ChainOutflow]) -> ChainHistory {
        let mut each: Vec<&Outflow> = outflows.iter().flat_map(|o| &o.outflows).collect();
        each.sort_by_key(|o| o.at);
        let mut history = WindowedHistory::new();
        for o in each {
            history.record(o);
        }
        ChainHistory {
            history,
            on_chain: outflows.iter().map(|o| o.inner_hash).collect(),
        }
    }
}

pub struct ChainView {
    client: NisClient,
    max_age: Duration,
    snapshots: Mutex<HashMap<Address, Arc<Snapshot>>>,
}

impl ChainView {
    pub fn new(client: NisClient, max_age: Duration) -> ChainView {
        ChainView {
            client,
            max_age,
            snapshots: Mutex::new(HashMap::new()),
        }
    }

    /// The account's snapshot, read again from the node if older than the maximum age. An
    /// unreachable node is an error: without the chain, velocity cannot be bounded.
    pub async fn current(&self, account: &Address) -> Result<Arc<Snapshot>, NisError> {
        let mut snapshots = self.snapshots.lock().await;
        if let Some(s) = snapshots.get(account)
            && s.read_at.elapsed() < self.max_age
        {
            return Ok(s.clone());
        }
        let fresh = Arc::new(self.read(account, snapshots.get(account)).await?);
        snapshots.insert(*account, fresh.clone());
        Ok(fresh)
    }

    /// Forgets the cached snapshot so the next decision reads the node again.
    pub async fn invalidate(&self, account: &Address) {
        self.snapshots.lock().await.remove(account);
    }

    async fn read(
        &self,
        account: &Address,
        previous: Option<&Arc<Snapshot>>,
    ) -> Result<Snapshot, NisError> {
        let info = self.client.account(account).await?;
        let facts = AccountFacts {
            public_key: info.account.public_key,
            cosignatories: info
                .meta
                .cosignatories
                .iter()
                .filter_map(|c| c.public_key)
                .collect(),
            required: info
                .account
                .multisig_info
                .as_ref()
                .map_or(1, |m| m.required_signatures()),
        };
        let none = HashSet::new();
        let seen = previous.map_or(&none, |p| &p.history.on_chain);
        let horizon = jiff::Timestamp::now().as_second() - HORIZON_SECONDS;
        let mut before: Option<Hash256> = None;
        let mut fresh = vec![];
        'pages: for _ in 0..MAX_PAGES {
            let page = self
                .client
                .outgoing_transfers(account, before.as_ref())
                .await?;
            let Some(last) = page.last() else { break };
            before = last.meta.hash.data;
            for pair in &page {
                let Some(o) = outflow(account, pair)? else {
                    continue;
                };
                if seen.contains(&o.inner_hash) {
                    break 'pages;
                }
                let old = o
                    .outflows
                    .first()
                    .is_some_and(|f| f.at.as_second() < horizon);
                fresh.push(o);
                if old {
                    break 'pages;
                }
            }
            if before.is_none() || page.len() < 25 {
                break;
            }
        }
        let in_horizon = |o: &ChainOutflow| o.outflows.iter().all(|f| f.at.as_second() >= horizon);
        // Most reads find nothing new: the outflows and their history are kept as they are.
        let (known, history) = match previous {
            Some(p) if fresh.is_empty() && p.outflows.iter().all(in_horizon) => {
                (p.outflows.clone(), p.history.clone())
            }
            _ => {
                let known: Vec<ChainOutflow> = previous
                    .map_or(&[][..], |p| p.outflows.as_slice())
                    .iter()
                    .chain(&fresh)
                    .filter(|o| in_horizon(o))
                    .cloned()
                    .collect();
                let history = Arc::new(ChainHistory::of(&known));
                (Arc::new(known), history)
            }
        };
        Ok(Snapshot {
            facts,
            outflows: known,
            history,
            read_at: Instant::now(),
        })
    }
}

/// The funds a confirmed transaction moved out of `account`, if any. A transaction the
/// cosigner cannot read is an error, not something to skip: an uncounted outflow would let
/// velocity be exceeded.
fn outflow(
    account: &Address,
    pair: &TransactionMetaDataPair,
) -> Result<Option<ChainOutflow>, NisError> {
    let malformed = |reason: String| NisError::Malformed {
        endpoint: nem::client::Endpoint::TransfersOutgoing.path(),
        reason,
    };
    let parsed = nem::nis_json::from_nis_json(&pair.transaction)
        .map_err(|e| malformed(format!("outgoing transaction of {account}: {e}")))?;
    let tx = match parsed.transaction.body {
        Body::Multisig(inner) => *inner,
        _ => parsed.transaction,
    };
    if tx.signer_address() != *account {
        return Ok(None);
    }
    let inner_hash = tx.hash().map_err(|e| malformed(e.to_string()))?;
    let outflows = Outflow::of(&tx, None, tx.header.timestamp.to_timestamp());
    Ok(Some(ChainOutflow {
        inner_hash,
        outflows,
    }))
}
