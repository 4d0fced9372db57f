//! What this cosigner sees on its own NIS node: the multisig account's key and cosignatories,
//! and the account's confirmed outflows (which count against velocity whoever sent them).
//! Nothing here comes from the coordinator.
//!
//! An outflow counts from the time of the block that confirmed it (read from the node), never
//! from the transaction's timestamp, which whoever built it chose. It counts everything the
//! account paid: the amount, the inner fee, the wrapper's fee and every attached signature's.
//! One this cosigner signed carries the proposer it signed for (the chain cannot say), so that
//! per-proposer velocity counts it once confirmed.
//!
//! What a node can make a cosigner hold is bounded: at most [`MAX_PAGES`] pages a read and
//! [`MAX_OUTFLOWS`] outflows in all (beyond either, every decision is refused), blocks dated
//! after this cosigner's clock are refused as malformed, and a read that takes longer than
//! [`READ_DEADLINE`] is abandoned (no decision without the chain).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use nem::client::{NisClient, NisError, PAGE_SIZE, TransactionMetaDataPair};
use nem::tx::Body;
use nem::{Address, Hash256, NemTimestamp};
use policy::{Outflow, WindowedHistory};
use tokio::sync::Mutex;

use crate::examine::AccountFacts;

/// How far back outflows are read: longer than any velocity window a policy may have.
pub const HORIZON_SECONDS: i64 = 32 * 86_400;
const _: () = assert!(HORIZON_SECONDS as u64 > policy::model::MAX_WINDOW_SECONDS);
/// At most this many pages per read, so a hostile node cannot keep it paging forever. A read
/// that stops here leaves the history incomplete, and every decision is refused until a read
/// reaches back to the horizon.
pub const MAX_PAGES: usize = 1_000;
/// Block times remembered, by height.
const MAX_BLOCK_TIMES: usize = 100_000;
/// Outflows kept in all; a node that lists more within the horizon leaves the history
/// incomplete.
pub const MAX_OUTFLOWS: usize = 200_000;
/// How much later than this cosigner's clock a block may be dated.
const FUTURE_TOLERANCE_SECONDS: i64 = 600;
/// The longest a read of the node may take before the decision waiting for it gives up.
pub const READ_DEADLINE: Duration = Duration::from_secs(120);

/// The proposers of this cosigner's own signatures, by inner hash: shared with the engine,
/// which adds each signature as it is given and forgets it when it no longer counts.
pub type OwnProposers = Arc<std::sync::RwLock<HashMap<Hash256, nem::PublicKey>>>;

/// One confirmed outflow transaction of a watched account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainOutflow {
    /// Hash of the transaction that moved the funds (the inner one for a multisig wrapper).
    pub inner_hash: Hash256,
    /// When its block was made.
    pub at: Timestamp,
    /// What the account paid, one per asset, at the block's time.
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
    /// Why the outflows cannot be trusted to be complete, if they cannot.
    pub incomplete: Option<String>,
    pub read_at: Instant,
}

/// The confirmed outflows as a velocity history with prefix sums, and when each confirmed.
#[derive(Debug, Default)]
pub struct ChainHistory {
    pub history: WindowedHistory,
    /// Inner hash → the time of the block that confirmed it.
    pub on_chain: HashMap<Hash256, Timestamp>,
    outflows: Arc<Vec<ChainOutflow>>,
    positions: HashMap<Hash256, usize>,
}

impl ChainHistory {
    /// Recorded oldest first, as the history appends in time order at no cost.
    pub fn of(outflows: Arc<Vec<ChainOutflow>>) -> ChainHistory {
        let mut each: Vec<&Outflow> = outflows.iter().flat_map(|o| &o.outflows).collect();
        each.sort_by_key(|o| o.at);
        let mut history = WindowedHistory::new();
        for o in each {
            history.record(o);
        }
        ChainHistory {
            history,
            on_chain: outflows.iter().map(|o| (o.inner_hash, o.at)).collect(),
            positions: outflows
                .iter()
                .enumerate()
                .map(|(i, o)| (o.inner_hash, i))
                .collect(),
            outflows,
        }
    }

    /// What the history counts for the transaction with this inner hash.
    pub fn records(&self, inner_hash: &Hash256) -> &[Outflow] {
        self.positions
            .get(inner_hash)
            .and_then(|i| self.outflows.get(*i))
            .map_or(&[], |o| o.outflows.as_slice())
    }

    /// The outflows it was built from, oldest read first.
    pub fn outflows(&self) -> &Arc<Vec<ChainOutflow>> {
        &self.outflows
    }
}

pub struct ChainView {
    client: NisClient,
    max_age: Duration,
    max_pages: usize,
    snapshots: Mutex<HashMap<Address, Arc<Snapshot>>>,
    block_times: Mutex<BTreeMap<u64, Timestamp>>,
    own: OwnProposers,
}

impl ChainView {
    pub fn new(client: NisClient, max_age: Duration) -> ChainView {
        ChainView {
            client,
            max_age,
            max_pages: MAX_PAGES,
            snapshots: Mutex::new(HashMap::new()),
            block_times: Mutex::new(BTreeMap::new()),
            own: Default::default(),
        }
    }

    /// The proposers of this cosigner's own signatures, for the engine to keep up to date.
    pub fn own_proposers(&self) -> OwnProposers {
        self.own.clone()
    }

    fn proposer_of(&self, inner_hash: &Hash256) -> Option<nem::PublicKey> {
        self.own
            .read()
            .ok()
            .and_then(|own| own.get(inner_hash).copied())
    }

    /// Reads at most `pages` pages of outflows per read (tests; the default is [`MAX_PAGES`]).
    pub fn with_page_limit(mut self, pages: usize) -> ChainView {
        self.max_pages = pages;
        self
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
        let read = tokio::time::timeout(READ_DEADLINE, self.read(account, snapshots.get(account)));
        let fresh = Arc::new(read.await.map_err(|_| NisError::Timeout {
            endpoint: nem::client::Endpoint::TransfersOutgoing.path(),
        })??);
        snapshots.insert(*account, fresh.clone());
        Ok(fresh)
    }

    /// Forgets the cached snapshot so the next decision reads the node again.
    pub async fn invalidate(&self, account: &Address) {
        self.snapshots.lock().await.remove(account);
    }

    /// When the block at `height` was made, asked of the node once per height.
    async fn block_time(&self, height: u64) -> Result<Timestamp, NisError> {
        if let Some(t) = self.block_times.lock().await.get(&height) {
            return Ok(*t);
        }
        let block = self.client.block_at(height).await?;
        let at = NemTimestamp(block.time_stamp).to_timestamp();
        if at.as_second() > Timestamp::now().as_second() + FUTURE_TOLERANCE_SECONDS {
            return Err(NisError::Malformed {
                endpoint: nem::client::Endpoint::BlockAt.path(),
                reason: format!("the block at {height} is dated {at}, after this cosigner's clock"),
            });
        }
        let mut times = self.block_times.lock().await;
        times.insert(height, at);
        while times.len() > MAX_BLOCK_TIMES {
            times.pop_first();
        }
        Ok(at)
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
        // After an incomplete read, everything is read again from the newest.
        let known = previous.filter(|p| p.incomplete.is_none());
        let horizon = Timestamp::now().as_second() - HORIZON_SECONDS;
        let mut before: Option<Hash256> = None;
        let mut fresh = vec![];
        // A node may list a transaction twice: it counts once.
        let mut listed = std::collections::HashSet::new();
        let mut complete = false;
        'pages: for _ in 0..self.max_pages {
            let page = self
                .client
                .outgoing_transfers(account, before.as_ref())
                .await?;
            let Some(last) = page.last() else {
                complete = true;
                break;
            };
            before = last.meta.hash.data;
            for pair in &page {
                let Some((inner_hash, tx, outer_fees)) = paid_by(account, pair)? else {
                    continue;
                };
                if known.is_some_and(|p| p.history.on_chain.contains_key(&inner_hash)) {
                    complete = true;
                    break 'pages;
                }
                if !listed.insert(inner_hash) {
                    continue;
                }
                // A block includes a transaction before its deadline: one whose deadline is
                // past the horizon is older than any window, wherever its block is.
                if tx.header.deadline.to_timestamp().as_second() < horizon {
                    complete = true;
                    break 'pages;
                }
                let at = self.block_time(pair.meta.height).await?;
                if at.as_second() < horizon {
                    complete = true;
                    break 'pages;
                }
                let proposer = self.proposer_of(&inner_hash);
                fresh.push(ChainOutflow {
                    inner_hash,
                    at,
                    outflows: Outflow::of(&tx, outer_fees, proposer, at),
                });
            }
            if before.is_none() || page.len() < PAGE_SIZE {
                complete = true;
                break;
            }
        }
        let in_horizon = |o: &ChainOutflow| o.at.as_second() >= horizon;
        // Most reads find nothing new: the outflows and their history are kept as they are.
        let (outflows, history) = match known {
            Some(p) if fresh.is_empty() && p.outflows.iter().all(in_horizon) => {
                (p.outflows.clone(), p.history.clone())
            }
            _ => {
                let all: Vec<ChainOutflow> = known
                    .map_or(&[][..], |p| p.outflows.as_slice())
                    .iter()
                    .chain(&fresh)
                    .filter(|o| in_horizon(o))
                    .take(MAX_OUTFLOWS + 1)
                    .cloned()
                    .collect();
                let all = Arc::new(all);
                (all.clone(), Arc::new(ChainHistory::of(all)))
            }
        };
        let days = HORIZON_SECONDS / 86_400;
        let incomplete = if !complete {
            Some(format!(
                "this cosigner's node lists more than {} outflows of {account} within {days} days in one read; refusing, since velocity cannot be counted in full",
                self.max_pages * PAGE_SIZE
            ))
        } else if outflows.len() > MAX_OUTFLOWS {
            Some(format!(
                "this cosigner's node lists more than {MAX_OUTFLOWS} outflows of {account} within {days} days; refusing, since velocity cannot be counted in full"
            ))
        } else {
            None
        };
        Ok(Snapshot {
            facts,
            outflows,
            history,
            incomplete,
            read_at: Instant::now(),
        })
    }
}

/// A confirmed transaction that spent from `account`: its inner hash, the inner transaction and
/// the micro-XEM paid around it (the wrapper's fee and every attached signature's). A
/// transaction the cosigner cannot read is an error, not something to skip: an uncounted
/// outflow would let velocity be exceeded.
fn paid_by(
    account: &Address,
    pair: &TransactionMetaDataPair,
) -> Result<Option<(Hash256, nem::Transaction, u128)>, NisError> {
    let malformed = |reason: String| NisError::Malformed {
        endpoint: nem::client::Endpoint::TransfersOutgoing.path(),
        reason,
    };
    let parsed = nem::nis_json::from_nis_json(&pair.transaction)
        .map_err(|e| malformed(format!("outgoing transaction of {account}: {e}")))?;
    let (tx, outer_fees) = match parsed.transaction.body {
        Body::Multisig(inner) => {
            let signatures = parsed
                .cosignatures
                .iter()
                .map(|(s, _)| u128::from(s.header.fee.as_micro()))
                .sum::<u128>();
            let wrapper = u128::from(parsed.transaction.header.fee.as_micro());
            (*inner, wrapper + signatures)
        }
        _ => (parsed.transaction, 0),
    };
    if tx.signer_address() != *account {
        return Ok(None);
    }
    let inner_hash = tx.hash().map_err(|e| malformed(e.to_string()))?;
    Ok(Some((inner_hash, tx, outer_fees)))
}
