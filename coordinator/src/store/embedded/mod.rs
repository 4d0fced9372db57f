//! Durable proposals (sled). Every write is on disk before it is acknowledged or acted on (the
//! async writes settle through a group commit: one flush for every write made meanwhile), so
//! an acknowledged proposal survives a crash; multi-tree updates are sled transactions, so a
//! crash never leaves half of one. Unfinished proposals are also kept in memory (`live`).
//!
//! Trees: `proposals` (id → record), `idempotency` (key → id), `active` (ids of unfinished
//! proposals only: listing pending work costs the same whatever the history's size), `drafts`
//! (prepared, not yet signed), `by_inner` (inner hash → id: the chain watcher's question "did
//! Hanko approve this?"), `drafted` (inner hash → id of a draft: no two proposals ever carry
//! the same bytes, which NIS would take as one payment), `audit` (the hash-chained journal,
//! seq → entry), `meta` (the freeze flag and the journal's head), `finished` (finished
//! proposals in the order they finished, until they move to the history). Each audit entry is
//! written in the same transaction as the change it records: if it cannot be written, the
//! change is not made (fail closed).
//!
//! Finished proposals and old journal entries move to the history (`archive`, `history`);
//! every read that can concern them looks in the main store first, then in the history. The
//! main store is closed and opened again now and then (`checkpoint`), so that a start replays
//! only what was written since.

mod archive;
mod batch;
mod checkpoint;
pub mod history;
mod read;
pub use archive::{Archived, Keep};
pub use checkpoint::Checkpointed;

use std::path::Path;
use std::sync::{Arc, RwLock};

use nem::Address;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use hanko_runtime::audit::{self, Entry, Event, Head};
use sled::transaction::TransactionalTree;

use crate::core::ProposalRecord;
use crate::store::live::Live;
use crate::store::{Draft, Freeze, StoreError, Ticket};
use hanko_runtime::commit::GroupCommit;
use history::History;
use read::{after_key, collect_page, decoded, entries_of, merged};

/// The main store's sled database and trees, replaced as a whole by a checkpoint.
struct Trees {
    db: sled::Db,
    proposals: sled::Tree,
    idempotency: sled::Tree,
    active: sled::Tree,
    drafts: sled::Tree,
    by_inner: sled::Tree,
    drafted: sled::Tree,
    audit: sled::Tree,
    meta: sled::Tree,
    finished: sled::Tree,
}

/// Shared with flushes running on the blocking pool, which take the trees only when they run
/// (a flush waiting its turn never holds a database a checkpoint is closing).
type Shared = Arc<RwLock<Option<Arc<Trees>>>>;

pub struct SledStore {
    dir: std::path::PathBuf,
    trees: Shared,
    history: History,
    commit: GroupCommit,
    live: Live,
    /// The write count at the last checkpoint (or open).
    checkpointed: std::sync::atomic::AtomicU64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

type Tx<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// Appends `event` to the journal inside a transaction over the `audit` and `meta` trees.
fn append(audit: &TransactionalTree, meta: &TransactionalTree, event: Event) -> Tx<Entry> {
    let abort = ConflictableTransactionError::Abort;
    let head: Option<Head> = match meta.get(b"audit_head")? {
        Some(v) => Some(decode(b"audit_head", &v).map_err(abort)?),
        None => None,
    };
    let (seq, prev) = head.map_or((0, audit::GENESIS.to_string()), |h| (h.seq + 1, h.hash));
    let entry = Entry::chain(seq, now_ms(), &prev, event);
    audit.insert(&seq.to_be_bytes(), encode(&entry).map_err(abort)?)?;
    let head = Head {
        seq,
        hash: entry.hash.clone(),
    };
    meta.insert(b"audit_head", encode(&head).map_err(abort)?)?;
    Ok(entry)
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        key: "(encoding)".into(),
        reason: e.to_string(),
    })
}

fn decode<T: for<'de> Deserialize<'de>>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

fn trees_of(shared: &Shared) -> Result<Arc<Trees>, StoreError> {
    shared
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .ok_or(StoreError::Closed)
}

impl Trees {
    fn open(db: sled::Db) -> Result<Trees, StoreError> {
        Ok(Trees {
            proposals: db.open_tree("proposals")?,
            idempotency: db.open_tree("idempotency")?,
            active: db.open_tree("active")?,
            drafts: db.open_tree("drafts")?,
            by_inner: db.open_tree("by_inner")?,
            drafted: db.open_tree("drafted")?,
            audit: db.open_tree("audit")?,
            meta: db.open_tree("meta")?,
            finished: db.open_tree("finished")?,
            db,
        })
    }

    /// The newest journal entry is intact and is the head recorded with it (the whole journal
    /// is checked by `hanko audit verify`; this much costs the same at any size).
    fn check_journal_tail(&self) -> Result<(), StoreError> {
        let last: Option<Entry> = match self.audit.last()? {
            Some((k, v)) => Some(decode(&k, &v)?),
            None => None,
        };
        audit::check_tail(last.as_ref(), self.audit_head()?.as_ref()).map_err(StoreError::Journal)
    }

    /// The sequence number of the oldest journal entry kept here (above 0 once older ones
    /// moved to the history).
    fn first_entry(&self) -> Result<u64, StoreError> {
        Ok(match self.audit.first()? {
            Some((k, _)) => k.as_ref().try_into().map_or(0, u64::from_be_bytes),
            None => 0,
        })
    }

    /// The journal's head as recorded beside it.
    fn audit_head(&self) -> Result<Option<Head>, StoreError> {
        self.meta
            .get(b"audit_head")?
            .map(|v| decode(b"audit_head", &v))
            .transpose()
    }

    /// The unfinished proposals on disk, read once when the store opens.
    fn load_active(&self) -> Result<Vec<ProposalRecord>, StoreError> {
        let mut out = Vec::new();
        for item in self.active.iter() {
            let (id, _) = item?;
            let bytes = self
                .proposals
                .get(&id)?
                .ok_or_else(|| StoreError::Corrupt {
                    key: String::from_utf8_lossy(&id).into_owned(),
                    reason: "listed as active but missing".into(),
                })?;
            out.push(decode(&id, &bytes)?);
        }
        Ok(out)
    }
}

impl SledStore {
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        let t = Trees::open(hanko_runtime::storage::open(dir)?)?;
        if t.proposals.first()?.is_none() {
            // A new store queues every finished proposal: nothing older to look for.
            t.meta.insert(b"finished_queued", &[1u8][..])?;
        }
        t.check_journal_tail()?;
        let history = History::new(history::dir_in(dir));
        let first = t.first_entry()?;
        if first > 0 && !history.exists() {
            return Err(StoreError::HistoryMissing {
                dir: history::dir_in(dir).display().to_string(),
                first,
            });
        }
        let live = Live::default();
        for record in t.load_active()? {
            live.wrote(&record);
        }
        Ok(SledStore {
            dir: dir.to_path_buf(),
            trees: Arc::new(RwLock::new(Some(Arc::new(t)))),
            history,
            commit: GroupCommit::default(),
            live,
            checkpointed: Default::default(),
        })
    }

    /// The main store's trees (an error only after a checkpoint could not open it again).
    fn t(&self) -> Result<Arc<Trees>, StoreError> {
        trees_of(&self.trees)
    }

    fn flush(&self, t: &Trees) -> Result<(), StoreError> {
        self.commit.flush_now(|| Ok(t.db.flush().map(|_| ())?))
    }

    /// Makes one write with `write`, counted for the group commit; not durable until the
    /// ticket is settled.
    fn write<T>(
        &self,
        step: &'static str,
        write: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<(T, Ticket), StoreError> {
        let (value, seq) = self.commit.write(write)?;
        hanko_runtime::failpoint::hit_step("coordinator", step, "_written");
        Ok((value, Ticket { seq, step }))
    }

    /// Returns once `ticket`'s write is on disk (one flush settles every write made before
    /// it started).
    pub async fn settle(&self, ticket: Ticket) -> Result<(), StoreError> {
        self.durable(ticket.seq).await?;
        hanko_runtime::failpoint::hit_step("coordinator", ticket.step, "_saved");
        Ok(())
    }

    /// Returns once every write up to `seq` is on disk.
    pub async fn durable(&self, seq: u64) -> Result<(), StoreError> {
        let trees = self.trees.clone();
        self.commit
            .durable(seq, move || {
                Ok::<_, StoreError>(trees_of(&trees)?.db.flush().map(|_| ())?)
            })
            .await
    }

    /// The number of writes made so far (see [`GroupCommit::counted`]).
    pub fn counted(&self) -> u64 {
        self.commit.counted()
    }

    /// Every write up to this number is on disk.
    pub fn flushed(&self) -> u64 {
        self.commit.flushed()
    }

    /// Flushes since the store was opened.
    pub fn flushes(&self) -> u64 {
        self.commit.flushes()
    }

    /// Seconds those flushes took.
    pub fn flush_seconds(&self) -> f64 {
        self.commit.flush_seconds()
    }

    /// `read`, once everything it could have seen is on disk: what a client is shown is
    /// never something a crash could still take back.
    pub async fn settled<T>(&self, read: T) -> Result<T, StoreError> {
        self.durable(self.commit.counted()).await?;
        Ok(read)
    }

    pub async fn draft(&self, id: &str) -> Result<Option<Draft>, StoreError> {
        self.t()?
            .drafts
            .get(id.as_bytes())?
            .map(|b| decode(id.as_bytes(), &b))
            .transpose()
    }

    /// Writes and flushes a small marker: fails when storage cannot take writes.
    pub async fn probe(&self) -> Result<(), StoreError> {
        let t = self.t()?;
        let (_, _) = self.write("probe", || {
            Ok(t.meta.insert(b"probe", &now_ms().to_be_bytes())?)
        })?;
        self.flush(&t)
    }

    /// Which of `hashes` are the inner hashes of proposals Hanko accepted.
    pub async fn approved(
        &self,
        hashes: &[nem::Hash256],
    ) -> Result<std::collections::HashSet<nem::Hash256>, StoreError> {
        let mut out = std::collections::HashSet::new();
        for h in hashes {
            if self.id_for_inner(h).await?.is_some() {
                out.insert(*h);
            }
        }
        Ok(out)
    }

    /// The proposal whose inner transaction has this hash, if Hanko accepted one.
    pub async fn id_for_inner(&self, hash: &nem::Hash256) -> Result<Option<String>, StoreError> {
        let t = self.t()?;
        Ok(t.by_inner
            .get(hash.0)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Records an event that changes no proposal (an alert, say); flushed before it returns.
    pub async fn record(&self, event: Event) -> Result<Entry, StoreError> {
        let t = self.t()?;
        let (entry, _) = self.write("record", || {
            (&t.audit, &t.meta)
                .transaction(|(audit, meta)| append(audit, meta, event.clone()))
                .map_err(tx_error)
        })?;
        self.flush(&t)?;
        Ok(entry)
    }

    /// The whole audit journal, in order (the history's part first), and its recorded head.
    pub async fn audit(&self) -> Result<(Vec<Entry>, Option<Head>), StoreError> {
        let t = self.t()?;
        // The main store is read under the history's lock, so no move is half seen.
        let joined = self
            .history
            .read(|h| Ok(audit::join(entries_of(&h.audit)?, entries_of(&t.audit)?)))?;
        let entries = match joined {
            Some(entries) => entries,
            None => entries_of(&t.audit)?,
        };
        Ok((entries, t.audit_head()?))
    }

    /// A proposal: an unfinished one from memory, a finished one from disk.
    pub async fn get(&self, id: &str) -> Result<Option<ProposalRecord>, StoreError> {
        if let Some(r) = self.live.get(id) {
            return Ok(Some(Arc::unwrap_or_clone(r)));
        }
        let t = self.t()?;
        self.stored(&t, id.as_bytes())?
            .map(|b| decode(id.as_bytes(), &b))
            .transpose()
    }

    /// A record's bytes from the main store, or else from the history: a record leaves the
    /// main store only once the history has it on disk.
    fn stored(&self, t: &Trees, id: &[u8]) -> Result<Option<sled::IVec>, StoreError> {
        match t.proposals.get(id)? {
            Some(bytes) => Ok(Some(bytes)),
            None => self.history.get(id),
        }
    }

    /// Closes the history if nothing used it for `idle` (see [`History::close_idle`]).
    pub fn close_history(&self, idle: std::time::Duration) -> Result<bool, StoreError> {
        self.history.close_idle(idle)
    }

    /// How many proposals and journal entries the history holds (opening it).
    pub fn history_len(&self) -> Result<(usize, usize), StoreError> {
        let counts = self
            .history
            .read(|h| Ok((h.proposals.len(), h.audit.len())))?;
        Ok(counts.unwrap_or_default())
    }

    /// Whether the history is open now.
    pub fn history_open(&self) -> bool {
        self.history.is_open()
    }

    pub async fn id_for_key(&self, key: &str) -> Result<Option<String>, StoreError> {
        let t = self.t()?;
        Ok(t.idempotency
            .get(key.as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// How many unfinished proposals `account` has.
    pub fn count_active(&self, account: &Address) -> usize {
        self.live.count(account)
    }

    /// Every unfinished proposal, in id order: what a restart resumes.
    pub fn active(&self) -> Vec<Arc<ProposalRecord>> {
        self.live.all()
    }

    /// How many proposals are unfinished.
    pub fn unfinished(&self) -> usize {
        self.live.len()
    }

    /// A page of unfinished proposals in id order, after `after` (exclusive): read from
    /// memory, so its cost does not grow with the history.
    pub fn page_active(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&ProposalRecord) -> bool,
    ) -> (Vec<ProposalRecord>, Option<String>) {
        self.live.page(after, limit, keep)
    }

    /// A page of proposals in id order, after `after` (exclusive), the history's included.
    pub async fn page(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&ProposalRecord) -> bool,
    ) -> Result<(Vec<ProposalRecord>, Option<String>), StoreError> {
        let t = self.t()?;
        let page = self.history.read(|h| {
            let both = merged(
                after_key(&t.proposals, after),
                after_key(&h.proposals, after),
            );
            collect_page(decoded(both), limit, &keep)
        })?;
        match page {
            Some(page) => Ok(page),
            None => collect_page(decoded(after_key(&t.proposals, after)), limit, keep),
        }
    }

    pub fn watch_heights(&self) -> Result<crate::store::WatchHeights, StoreError> {
        let t = self.t()?;
        Ok(t.meta
            .get(b"watch_heights")?
            .map(|b| decode(b"watch_heights", &b))
            .transpose()?
            .unwrap_or_default())
    }

    /// Saved with the next flush: a position lost to a crash only makes the watcher check
    /// some outflows twice.
    pub fn set_watch_heights(
        &self,
        heights: &crate::store::WatchHeights,
    ) -> Result<(), StoreError> {
        let t = self.t()?;
        let value = encode(heights)?;
        // Not waited for: settled by whichever flush comes next.
        let (_, _settled_later) = self.write("watch_heights", || {
            Ok(t.meta.insert(b"watch_heights", value.clone())?)
        })?;
        Ok(())
    }

    pub fn freeze(&self) -> Result<Option<Freeze>, StoreError> {
        let t = self.t()?;
        t.meta
            .get(b"freeze")?
            .map(|b| decode(b"freeze", &b))
            .transpose()
    }

    /// Sets or clears the freeze, with its audit entry, in one step; flushed before it returns.
    pub async fn set_freeze(&self, freeze: &Freeze) -> Result<(), StoreError> {
        let t = self.t()?;
        let value = encode(freeze)?;
        let kind = if freeze.frozen { "freeze" } else { "unfreeze" };
        let event = Event::new(kind, &freeze.by).detail(vec![freeze.reason.clone()]);
        let ((), _) = self.write("freeze", || {
            (&t.audit, &t.meta)
                .transaction(|(audit, meta)| {
                    meta.insert(b"freeze", value.clone())?;
                    append(audit, meta, event.clone())?;
                    Ok(())
                })
                .map_err(tx_error)
        })?;
        self.flush(&t)
    }
}
