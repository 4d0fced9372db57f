//! Reading rows of the main store and the history: pages in key order, the two merged, records
//! and journal entries decoded.

use hanko_runtime::audit::Entry;

use super::{StoreError, decode};
use crate::core::ProposalRecord;

/// The entries of `tree` after `after` (exclusive), in key order.
pub(super) fn after_key(tree: &sled::Tree, after: Option<&str>) -> sled::Iter {
    match after {
        Some(a) => tree.range::<&[u8], _>((
            std::ops::Bound::Excluded(a.as_bytes()),
            std::ops::Bound::Unbounded,
        )),
        None => tree.iter(),
    }
}

/// Two iterators in one key order as one; the first one's entry where both hold a key (a
/// record being moved to the history is in both, the same bytes).
pub(super) fn merged(
    first: sled::Iter,
    second: sled::Iter,
) -> impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> {
    use itertools::{EitherOrBoth, Itertools};
    use std::cmp::Ordering;
    first
        .merge_join_by(second, |a, b| match (a, b) {
            (Ok(a), Ok(b)) => a.0.cmp(&b.0),
            (Err(_), _) => Ordering::Less,
            (_, Err(_)) => Ordering::Greater,
        })
        .map(|item| match item {
            EitherOrBoth::Left(a) | EitherOrBoth::Both(a, _) => a,
            EitherOrBoth::Right(b) => b,
        })
}

/// Stored records, decoded.
pub(super) fn decoded(
    items: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
) -> impl Iterator<Item = Result<ProposalRecord, StoreError>> {
    items.map(|item| {
        let (id, bytes) = item?;
        decode(&id, &bytes)
    })
}

/// Every journal entry of `tree`, in order.
pub(super) fn entries_of(tree: &sled::Tree) -> Result<Vec<Entry>, StoreError> {
    tree.iter()
        .map(|kv| {
            let (k, v) = kv?;
            decode(&k, &v)
        })
        .collect()
}

/// Up to `limit` records that `keep` accepts, and the token of the next page if there is one.
pub(super) fn collect_page(
    records: impl Iterator<Item = Result<ProposalRecord, StoreError>>,
    limit: usize,
    keep: impl Fn(&ProposalRecord) -> bool,
) -> Result<(Vec<ProposalRecord>, Option<String>), StoreError> {
    let mut out = Vec::new();
    for record in records {
        let record = record?;
        if keep(&record) {
            let next = record.id.clone();
            out.push(record);
            if out.len() == limit {
                return Ok((out, Some(next)));
            }
        }
    }
    Ok((out, None))
}
