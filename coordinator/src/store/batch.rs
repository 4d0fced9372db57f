//! Writes made together: transitions (acceptances among them) and drafts, in one sled
//! transaction over every tree they touch. Each sled transaction of its own costs a log buffer
//! written and synced on sled's threads; writes that arrive together share one.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::{Draft, Store, StoreError, Tx, append, changes, decode, encode, tx_error};
use crate::core::ProposalRecord;
use hanko_runtime::audit::Event;

/// One transition to write: `old` to `new`, made by the step `step` (for the crash points).
/// Without `old`, `new` is a proposal being accepted: its draft becomes it.
pub struct Transition<'a> {
    pub old: Option<&'a ProposalRecord>,
    pub new: &'a ProposalRecord,
    pub step: &'static str,
}

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

/// The journal entry of a proposal's acceptance.
fn accepted(record: &ProposalRecord) -> Event {
    Event::new(
        "proposal_accepted",
        &format!("proposer {}", record.proposer),
    )
    .proposal(&record.id, Some(&record.inner_hash))
    .detail(vec![format!("account {}", record.account)])
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

/// What writing a draft found.
#[derive(Debug)]
pub enum DraftWrite {
    /// Stored under its key.
    New,
    /// Its key already names proposal `id`; `stored` is that draft while it is still one.
    Known { id: String, stored: Option<Draft> },
    /// Another draft or proposal has these bytes: NIS would take both as one payment.
    SameBytes { existing: String },
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

impl Store {
    /// What a Prepare under `key` answers when the key is already known: the draft (or
    /// proposal) it names, if that was asked with the same request (`canonical`, or `legacy`
    /// for one stored before the stable digest); none when the key is new. Once on disk.
    pub async fn retry(
        &self,
        key: &str,
        canonical: &str,
        legacy: Option<&str>,
    ) -> Result<Option<Draft>, StoreError> {
        let Some(id) = self.id_for_key(key).await? else {
            return Ok(None);
        };
        let stored = self.draft(&id).await?;
        // Settled whatever the answer: a conflict names a proposal, which must be on disk.
        let answer = self.known(key, id, stored, canonical, legacy).await;
        self.settled(()).await?;
        answer.map(Some)
    }

    /// What a Prepare answers for `asked` once what writing it found is on disk: the draft, the
    /// draft or proposal its key already names, or why neither.
    pub async fn draft_answer(
        &self,
        asked: &Draft,
        found: DraftWrite,
    ) -> Result<Draft, StoreError> {
        match found {
            DraftWrite::New => Ok(asked.clone()),
            DraftWrite::SameBytes { existing } => Err(StoreError::SameBytes { existing }),
            DraftWrite::Known { id, stored } => {
                self.known(
                    &asked.idempotency_key,
                    id,
                    stored,
                    &asked.request_digest,
                    asked.legacy_digest.as_deref(),
                )
                .await
            }
        }
    }

    /// The draft `stored` (or, once accepted, proposal `id`) that `key` names, if it was asked
    /// with the request of digest `canonical` (or `legacy`); else the conflict.
    async fn known(
        &self,
        key: &str,
        id: String,
        stored: Option<Draft>,
        canonical: &str,
        legacy: Option<&str>,
    ) -> Result<Draft, StoreError> {
        // No longer a draft: accepted (a draft leaves in the same step as its proposal comes).
        let stored = match stored {
            Some(d) => Some(d),
            None => self.get(&id).await?.map(|r| Draft {
                legacy_digest: None,
                // Proposals stored before digests were kept match any request.
                request_digest: if r.request_digest.is_empty() {
                    canonical.to_string()
                } else {
                    r.request_digest
                },
                id: r.id,
                idempotency_key: r.idempotency_key,
                account: r.account,
                inner: r.inner,
                deadline: r.deadline,
            }),
        };
        match stored {
            Some(d) if crate::core::digest::same_request(&d.request_digest, canonical, legacy) => {
                Ok(d)
            }
            _ => Err(StoreError::IdempotencyConflict {
                key: key.to_string(),
                existing: id,
            }),
        }
    }

    /// Writes many transitions in one sled transaction, in order: a proposal may move more
    /// than once, each transition from the one before. Returns their number in the group
    /// commit: not durable until it is.
    pub async fn write_updates(&self, transitions: &[Transition<'_>]) -> Result<u64, StoreError> {
        Ok(self.write_batch(transitions, &[]).await?.0)
    }

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
