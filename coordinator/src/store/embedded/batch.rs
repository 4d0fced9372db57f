//! Writes made together: transitions (acceptances among them) and drafts, in one sled
//! transaction over every tree they touch. Each sled transaction of its own costs a log buffer
//! written and synced on sled's threads; writes that arrive together share one.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::{SledStore, Tx, append, decode, encode, tx_error};
use crate::core::ProposalRecord;
use crate::store::journal::{accepted, changes};
use crate::store::{Draft, DraftWrite, StoreError, Transition};
use hanko_runtime::audit::Event;

/// A transition encoded, ready for a transaction (which may run more than once).
pub(super) struct Prepared<'a> {
    record: &'a ProposalRecord,
    value: Vec<u8>,
    account: String,
    /// Accepted now: its draft leaves and its bytes are indexed.
    accepted: bool,
    finishes: bool,
    events: Vec<Event>,
}

impl<'a> Prepared<'a> {
    fn of(x: &Transition<'a>) -> Result<Prepared<'a>, StoreError> {
        let terminal = x.new.state.is_terminal();
        Ok(Prepared {
            record: x.new,
            value: encode(x.new)?,
            account: x.new.account.to_string(),
            accepted: x.old.is_none(),
            finishes: terminal && x.old.is_none_or(|o| !o.state.is_terminal()),
            events: match x.old {
                Some(old) => changes(old, x.new),
                None => vec![accepted(x.new)],
            },
        })
    }
}

/// The trees a transition writes, inside one transaction.
struct Views<'t> {
    idempotency: &'t TransactionalTree,
    proposals: &'t TransactionalTree,
    active: &'t TransactionalTree,
    drafts: &'t TransactionalTree,
    by_inner: &'t TransactionalTree,
    drafted: &'t TransactionalTree,
    audit: &'t TransactionalTree,
    meta: &'t TransactionalTree,
    finished: &'t TransactionalTree,
}

/// Writes one prepared transition inside a transaction: the record, its journal entries, its
/// place in the active and finished indexes, and for an acceptance its bytes' index (refused
/// when another proposal has them: NIS would take both as one payment).
fn write_prepared(p: &Prepared<'_>, v: &Views<'_>) -> Tx<()> {
    let id = p.record.id.as_bytes();
    let hash = &p.record.inner_hash.0;
    if p.accepted {
        if let Some(other) = v.by_inner.get(hash)?
            && other != id
        {
            return Err(ConflictableTransactionError::Abort(StoreError::SameBytes {
                existing: String::from_utf8_lossy(&other).into_owned(),
            }));
        }
        v.drafts.remove(id)?;
        v.drafted.remove(hash)?;
        v.by_inner.insert(hash, id)?;
    }
    v.proposals.insert(id, p.value.clone())?;
    let mut last = None;
    for event in &p.events {
        last = Some(append(v.audit, v.meta, event.clone())?.seq);
    }
    if p.record.state.is_terminal() {
        v.active.remove(id)?;
        // Its state changed (or it was accepted finished), so its last entry says so.
        if let (true, Some(seq)) = (p.finishes, last) {
            v.finished.insert(&seq.to_be_bytes(), id)?;
        }
    } else {
        v.active.insert(id, p.account.as_bytes())?;
    }
    Ok(())
}

/// A draft encoded, ready for a transaction.
struct PreparedDraft<'a> {
    draft: &'a Draft,
    value: Vec<u8>,
    hash: nem::Hash256,
}

/// Stores a draft under its key inside a transaction, unless the key or its bytes are known.
fn write_draft(d: &PreparedDraft<'_>, v: &Views<'_>) -> Tx<DraftWrite> {
    let key = d.draft.idempotency_key.as_bytes();
    if let Some(id) = v.idempotency.get(key)? {
        let stored = v
            .drafts
            .get(id.as_ref())?
            .map(|b| decode::<Draft>(&id, &b))
            .transpose()
            .map_err(ConflictableTransactionError::Abort)?;
        return Ok(DraftWrite::Known {
            id: String::from_utf8_lossy(&id).into_owned(),
            stored,
        });
    }
    let hash = &d.hash.0;
    if let Some(other) = v.by_inner.get(hash)?.or(v.drafted.get(hash)?) {
        return Ok(DraftWrite::SameBytes {
            existing: String::from_utf8_lossy(&other).into_owned(),
        });
    }
    let id = d.draft.id.as_bytes();
    v.idempotency.insert(key, id)?;
    v.drafts.insert(id, d.value.clone())?;
    v.drafted.insert(hash, id)?;
    Ok(DraftWrite::New)
}

impl SledStore {
    /// Writes `transitions`, then `drafts`, in one sled transaction; returns their number in
    /// the group commit and what writing each draft found.
    pub async fn write_batch(
        &self,
        transitions: &[Transition<'_>],
        drafts: &[&Draft],
    ) -> Result<(u64, Vec<DraftWrite>), StoreError> {
        let t = self.t()?;
        let prepared = transitions
            .iter()
            .map(Prepared::of)
            .collect::<Result<Vec<_>, StoreError>>()?;
        let prepared_drafts = drafts
            .iter()
            .map(|d| {
                Ok(PreparedDraft {
                    draft: d,
                    value: encode(d)?,
                    hash: nem::Hash256::of(&d.inner),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let trees = (
            &t.idempotency,
            &t.proposals,
            &t.active,
            &t.drafts,
            &t.by_inner,
            &t.drafted,
            &t.audit,
            &t.meta,
            &t.finished,
        );
        let (found, seq) = self.commit.write(|| {
            let found = trees
                .transaction(
                    |(
                        idempotency,
                        proposals,
                        active,
                        drafts,
                        by_inner,
                        drafted,
                        audit,
                        meta,
                        finished,
                    )| {
                        let views = Views {
                            idempotency,
                            proposals,
                            active,
                            drafts,
                            by_inner,
                            drafted,
                            audit,
                            meta,
                            finished,
                        };
                        for p in &prepared {
                            write_prepared(p, &views)?;
                        }
                        prepared_drafts
                            .iter()
                            .map(|d| write_draft(d, &views))
                            .collect::<Tx<Vec<_>>>()
                    },
                )
                .map_err(tx_error)?;
            for x in transitions {
                self.live.wrote(x.new);
            }
            Ok::<_, StoreError>(found)
        })?;
        for x in transitions {
            hanko_runtime::failpoint::hit_step("coordinator", x.step, "_written");
        }
        for _ in drafts {
            hanko_runtime::failpoint::hit_step("coordinator", "draft", "_written");
        }
        Ok((seq, found))
    }
}
