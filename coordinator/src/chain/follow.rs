//! Confirmations found block by block. Once per new block, the outgoing transfers of every
//! account with an announced proposal are read back to the last height already looked at, and
//! each unfinished proposal whose inner hash is among them is confirmed. The node is asked a
//! few times per block however many proposals wait: NIS takes at most 120 transactions a
//! block (60 withdrawals of 2-of-3), so a burst leaves hundreds announced for many blocks, and
//! asking for each of them on every tick grew with that backlog until the coordinator did
//! little else.
//!
//! A proposal announced before the follower's first look (a restart) is looked up by its own
//! wrapper hash once; after that, a block above the last looked-at height is read whole for
//! the account, so nothing confirmed in it is missed, whenever its proposal was announced.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use nem::client::{NisClient, NisError, TransactionMetaDataPair};
use nem::{Address, Hash256};

use crate::core::ProposalRecord;

/// Pages of outgoing transfers read per account and look at most (by the follower, and by the
/// chain watcher per pass). Past it (more than this many outflows since the last look, or a
/// node that keeps paging), the follower looks each announced proposal of the account up by
/// its own wrapper hash instead, and the watcher reads on at its next pass.
pub const MAX_PAGES: usize = 40;

/// NIS answers 25 transfers a page; a shorter page is the end of the list.
const PAGE: usize = 25;

/// Proposals looked up by their own hash at once.
const AT_ONCE: usize = 16;

/// An unfinished proposal found confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub id: String,
    pub height: u64,
    pub wrapper_hash: Hash256,
}

/// What one page of outgoing transfers (newest first) tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Unfinished proposals confirmed in it, above the height already looked at.
    pub found: Vec<Found>,
    /// Whether the page reached the height already looked at, or the end of the list:
    /// nothing older needs reading.
    pub reached: bool,
    /// The hash to read the next (older) page from.
    pub next: Option<Hash256>,
}

/// Reads one page: the proposals of `unfinished` (inner hash → id) confirmed above `since`.
pub fn read_page(
    page: &[TransactionMetaDataPair],
    since: u64,
    unfinished: &HashMap<Hash256, String>,
) -> Page {
    let found = page
        .iter()
        .filter(|t| t.meta.height > since)
        .filter_map(|t| {
            let id = unfinished.get(&t.meta.inner_hash.data?)?;
            Some(Found {
                id: id.clone(),
                height: t.meta.height,
                wrapper_hash: t.meta.hash.data?,
            })
        })
        .collect();
    let (reached, next) = page_end(page, Some(since));
    Page {
        found,
        reached,
        next,
    }
}

/// Where reading a list of outgoing transfers (newest first) back to height `since` stops:
/// whether `page` needs no page after it (it reached `since`, or it is the list's last), and
/// the hash to read the next page from.
pub fn page_end(page: &[TransactionMetaDataPair], since: Option<u64>) -> (bool, Option<Hash256>) {
    let next = page.last().and_then(|t| t.meta.hash.data);
    let reached = since.is_some_and(|s| page.iter().any(|t| t.meta.height <= s));
    (page.len() < PAGE || next.is_none() || reached, next)
}

/// Looks up one announced proposal by its wrapper's hash: `Some` if the node has it confirmed
/// with this proposal's inner transaction, `None` if the node does not have it (an HTTP 4xx:
/// not in its hash cache), an error if the node could not answer.
pub async fn look_up(node: &NisClient, r: &ProposalRecord) -> Result<Option<Found>, NisError> {
    let Some(hash) = r.broadcast.wrapper_hash else {
        return Ok(None);
    };
    match node.transaction(&hash).await {
        Ok(t) if t.meta.inner_hash.data.is_none_or(|h| h == r.inner_hash) => Ok(Some(Found {
            id: r.id.clone(),
            height: t.meta.height,
            wrapper_hash: hash,
        })),
        Ok(_) => Ok(None),
        Err(NisError::Http { status, .. }) if (400..500).contains(&status) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The height up to which every unfinished proposal has been looked for on chain.
#[derive(Debug, Default)]
pub struct Follower {
    looked: Option<u64>,
}

impl Follower {
    /// The last height looked at (what the tests check).
    #[cfg(test)]
    pub fn looked(&self) -> Option<u64> {
        self.looked
    }

    /// One look at the chain, at `height`: the proposals of `active` found confirmed since the
    /// last look. The looked-at height moves only when every account was read to it.
    pub async fn pass(
        &mut self,
        node: &NisClient,
        height: u64,
        active: &[Arc<ProposalRecord>],
    ) -> Vec<Found> {
        match self.looked {
            Some(l) if height == l => return vec![],
            // A chain that went back (another node, a rollback): look at everything again.
            Some(l) if height < l => self.looked = None,
            _ => {}
        }
        let announced: Vec<Arc<ProposalRecord>> = active
            .iter()
            .filter(|r| r.broadcast.wrapper_hash.is_some())
            .cloned()
            .collect();
        let (found, complete) = match self.looked {
            None => each(node, &announced).await,
            Some(since) => scan(node, since, active, &announced).await,
        };
        if complete {
            self.looked = Some(height);
        }
        found
    }
}

/// Looks up each of `announced` by its wrapper hash, [`AT_ONCE`] at a time; complete if the
/// node answered for all.
async fn each(node: &NisClient, announced: &[Arc<ProposalRecord>]) -> (Vec<Found>, bool) {
    let mut found = vec![];
    let mut complete = true;
    for chunk in announced.chunks(AT_ONCE) {
        let mut lookups = tokio::task::JoinSet::new();
        for r in chunk {
            let (node, r) = (node.clone(), r.clone());
            lookups.spawn(async move {
                let answer = look_up(&node, &r).await;
                (r.id.clone(), answer)
            });
        }
        while let Some(joined) = lookups.join_next().await {
            match joined {
                Ok((_, Ok(f))) => found.extend(f),
                Ok((proposal, Err(e))) => {
                    tracing::warn!(%proposal, error = %e, "cannot look the proposal up on chain");
                    complete = false;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a chain lookup did not finish");
                    complete = false;
                }
            }
        }
    }
    (found, complete)
}

/// Reads the outgoing transfers above `since` of every account with something announced.
async fn scan(
    node: &NisClient,
    since: u64,
    active: &[Arc<ProposalRecord>],
    announced: &[Arc<ProposalRecord>],
) -> (Vec<Found>, bool) {
    let unfinished: HashMap<Hash256, String> = active
        .iter()
        .map(|r| (r.inner_hash, r.id.clone()))
        .collect();
    let accounts: HashSet<Address> = announced.iter().map(|r| r.account).collect();
    let mut found = vec![];
    let mut complete = true;
    for account in accounts {
        match outgoing_since(node, &account, since, &unfinished).await {
            Ok(Some(f)) => found.extend(f),
            Ok(None) => {
                tracing::warn!(%account, since, pages = MAX_PAGES, "more outflows since the last block than the follower reads; looking each proposal up");
                let of_account: Vec<Arc<ProposalRecord>> = announced
                    .iter()
                    .filter(|r| r.account == account)
                    .cloned()
                    .collect();
                let (f, all) = each(node, &of_account).await;
                found.extend(f);
                complete &= all;
            }
            Err(e) => {
                tracing::warn!(%account, error = %e, "cannot read the account's outgoing transfers");
                complete = false;
            }
        }
    }
    (found, complete)
}

/// The proposals of `unfinished` confirmed above `since` on `account`; `None` when the list
/// did not reach `since` within [`MAX_PAGES`].
async fn outgoing_since(
    node: &NisClient,
    account: &Address,
    since: u64,
    unfinished: &HashMap<Hash256, String>,
) -> Result<Option<Vec<Found>>, NisError> {
    let mut found = vec![];
    let mut before: Option<Hash256> = None;
    for _ in 0..MAX_PAGES {
        let list = node.outgoing_transfers(account, before.as_ref()).await?;
        let page = read_page(&list, since, unfinished);
        found.extend(page.found);
        if page.reached {
            return Ok(Some(found));
        }
        before = page.next;
    }
    Ok(None)
}

#[cfg(test)]
#[path = "follow_tests.rs"]
mod tests;
