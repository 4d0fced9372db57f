//! Writes: each batch of transitions and drafts, each recorded event and each freeze is one
//! database transaction with its journal entries, under one lock every writer takes first, so
//! the journal stays one chain whoever writes. Durable once committed.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::cached::{Tx, exec, opt};
use hanko_runtime::audit::{self, Entry, Event, Head};

use super::read::decode;
use super::{PgStore, db};
use crate::core::ProposalRecord;
use crate::store::journal::{accepted, changes};
use crate::store::{Draft, DraftWrite, Freeze, StoreError, Transition};

/// The advisory lock every writing transaction holds until it ends.
const WRITER_LOCK: i64 = 0x68616e6b6f; // "hanko"

fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        key: "(encoding)".into(),
        reason: e.to_string(),
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The journal inside one transaction: the next entry's number, the hash it chains to, the
/// writer's term, and the entries appended, written together when it finishes.
struct Journal {
    term: u64,
    next: u64,
    prev: String,
    appended: Vec<(i64, String)>,
}

impl Journal {
    async fn read(tx: &Tx<'_>, term: u64) -> Result<Journal, StoreError> {
        let head: Option<Head> = opt(tx, "SELECT value FROM meta WHERE key = 'audit_head'", &[])
            .await
            .map_err(db)?
            .map(|r| decode("audit_head", r.get::<_, &str>(0)))
            .transpose()?;
        let (next, prev) = match head {
            Some(h) => (h.seq + 1, h.hash),
            None => (0, audit::GENESIS.to_string()),
        };
        Ok(Journal {
            term,
            next,
            prev,
            appended: vec![],
        })
    }

    /// Chains `event` on; written with the others when the journal finishes.
    fn append(&mut self, event: Event) -> Result<Entry, StoreError> {
        let entry = Entry::chain(self.next, now_ms(), &self.prev, event);
        self.appended.push((self.next as i64, encode(&entry)?));
        self.next += 1;
        self.prev = entry.hash.clone();
        Ok(entry)
    }

    /// Writes the entries appended, in one statement, and the new head beside them.
    async fn finish(self, tx: &Tx<'_>) -> Result<(), StoreError> {
        if self.appended.is_empty() {
            return Ok(());
        }
        let (seqs, entries): (Vec<i64>, Vec<String>) = self.appended.into_iter().unzip();
        exec(
            tx,
            "INSERT INTO journal (seq, entry, term) \
             SELECT seq, entry, $3 FROM UNNEST($1::bigint[], $2::text[]) AS e (seq, entry)",
            &[&seqs, &entries, &(self.term as i64)],
        )
        .await
        .map_err(db)?;
        let head = Head {
            seq: self.next - 1,
            hash: self.prev,
        };
        upsert(tx, "audit_head", &encode(&head)?).await
    }
}

async fn upsert(tx: &Tx<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    exec(
        tx,
        "INSERT INTO meta (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&key, &value],
    )
    .await
    .map_err(db)?;
    Ok(())
}

/// Writes an acceptance: its bytes' index (refused when another proposal has them: NIS would
/// take both as one payment), its draft gone, and the new record. A record already there has
/// moved on without this process (another leader took it meanwhile): never written over.
async fn write_acceptance(tx: &Tx<'_>, r: &ProposalRecord) -> Result<(), StoreError> {
    let hash = r.inner_hash.0.to_vec();
    if let Some(row) = opt(tx, "SELECT id FROM by_inner WHERE hash = $1", &[&hash])
        .await
        .map_err(db)?
    {
        let other: String = row.get(0);
        if other != r.id {
            return Err(StoreError::SameBytes { existing: other });
        }
    }
    exec(tx, "DELETE FROM drafts WHERE id = $1", &[&r.id])
        .await
        .map_err(db)?;
    exec(tx, "DELETE FROM drafted WHERE hash = $1", &[&hash])
        .await
        .map_err(db)?;
    exec(
        tx,
        "INSERT INTO by_inner (hash, id) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING",
        &[&hash, &r.id],
    )
    .await
    .map_err(db)?;
    let written = exec(
        tx,
        "INSERT INTO proposals (id, record, account, active) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO NOTHING",
        &[
            &r.id,
            &encode(r)?,
            &r.account.to_string(),
            &!r.state.is_terminal(),
        ],
    )
    .await
    .map_err(db)?;
    if written != 1 {
        return Err(StoreError::Stale { id: r.id.clone() });
    }
    Ok(())
}

/// Writes transitions in order, with their journal entries. A step is written only over the
/// record it was computed from: the one an earlier transition of the batch left, else the
/// stored one, all of those read in one statement; the records the steps leave are written
/// in one statement too (a batch costs a few round trips, not a few per transition).
async fn write_transitions(
    tx: &Tx<'_>,
    journal: &mut Journal,
    transitions: &[Transition<'_>],
) -> Result<(), StoreError> {
    // What the batch leaves of each proposal so far, and the steps to check against storage.
    let mut left: std::collections::HashMap<&str, &ProposalRecord> = Default::default();
    let mut order: Vec<&str> = vec![];
    let mut stored_must_be: Vec<(&str, &ProposalRecord)> = vec![];
    for t in transitions {
        let r = t.new;
        match t.old {
            None => write_acceptance(tx, r).await?,
            Some(old) => match left.get(r.id.as_str()) {
                Some(earlier) if *earlier != old => {
                    return Err(StoreError::Stale { id: r.id.clone() });
                }
                Some(_) => {}
                None => stored_must_be.push((&r.id, old)),
            },
        }
        if left.insert(&r.id, r).is_none() {
            order.push(&r.id);
        }
        let events = match t.old {
            Some(old) => changes(old, r),
            None => vec![accepted(r)],
        };
        for event in events {
            journal.append(event)?;
        }
    }
    if !stored_must_be.is_empty() {
        let ids: Vec<&str> = stored_must_be.iter().map(|(id, _)| *id).collect();
        let rows = tx
            .query(
                &tx.prepare_cached("SELECT id, record FROM proposals WHERE id = ANY($1)")
                    .await
                    .map_err(db)?,
                &[&ids],
            )
            .await
            .map_err(db)?;
        let mut stored: std::collections::HashMap<String, ProposalRecord> = Default::default();
        for row in &rows {
            let id: String = row.get(0);
            let record = decode::<ProposalRecord>(&id, row.get::<_, &str>(1))?;
            stored.insert(id, record);
        }
        for (id, old) in &stored_must_be {
            if stored.get(*id) != Some(*old) {
                return Err(StoreError::Stale { id: id.to_string() });
            }
        }
    }
    let records: Vec<&ProposalRecord> = order.iter().map(|id| left[id]).collect();
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let encoded = records
        .iter()
        .map(|r| encode(*r))
        .collect::<Result<Vec<String>, _>>()?;
    let accounts: Vec<String> = records.iter().map(|r| r.account.to_string()).collect();
    let active: Vec<bool> = records.iter().map(|r| !r.state.is_terminal()).collect();
    exec(
        tx,
        "INSERT INTO proposals (id, record, account, active) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bool[]) \
         ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record, active = EXCLUDED.active",
        &[&ids, &encoded, &accounts, &active],
    )
    .await
    .map_err(db)?;
    Ok(())
}

/// Stores a draft under its key, unless the key or its bytes are known.
async fn write_draft(tx: &Tx<'_>, d: &Draft) -> Result<DraftWrite, StoreError> {
    if let Some(row) = opt(
        tx,
        "SELECT id FROM idempotency WHERE key = $1",
        &[&d.idempotency_key],
    )
    .await
    .map_err(db)?
    {
        let id: String = row.get(0);
        let stored = opt(tx, "SELECT draft FROM drafts WHERE id = $1", &[&id])
            .await
            .map_err(db)?
            .map(|r| decode::<Draft>(&id, r.get::<_, &str>(0)))
            .transpose()?;
        return Ok(DraftWrite::Known { id, stored });
    }
    let hash = nem::Hash256::of(&d.inner).0.to_vec();
    if let Some(row) = opt(
        tx,
        "SELECT id FROM by_inner WHERE hash = $1 UNION ALL \
             SELECT id FROM drafted WHERE hash = $1 LIMIT 1",
        &[&hash],
    )
    .await
    .map_err(db)?
    {
        return Ok(DraftWrite::SameBytes {
            existing: row.get(0),
        });
    }
    exec(
        tx,
        "INSERT INTO idempotency (key, id) VALUES ($1, $2)",
        &[&d.idempotency_key, &d.id],
    )
    .await
    .map_err(db)?;
    exec(
        tx,
        "INSERT INTO drafts (id, draft) VALUES ($1, $2)",
        &[&d.id, &encode(d)?],
    )
    .await
    .map_err(db)?;
    exec(
        tx,
        "INSERT INTO drafted (hash, id) VALUES ($1, $2)",
        &[&hash, &d.id],
    )
    .await
    .map_err(db)?;
    Ok(DraftWrite::New)
}

/// Armed while a commit is under way: dropped armed (its request was cancelled while the
/// commit was on its way), nobody knows whether it committed, so this process reads the
/// database again before it writes more.
struct Unsettled<'a> {
    store: &'a PgStore,
    term: Option<u64>,
}

impl Drop for Unsettled<'_> {
    fn drop(&mut self) {
        if let Some(term) = self.term {
            let why = StoreError::Database("a write was cancelled before its answer".into());
            self.store.start_over(term, &why);
        }
    }
}

impl PgStore {
    /// Gives up `term` when this process's view of the database may be stale: it leads again
    /// (at once, being the lease's holder) only after reading everything again.
    fn start_over(&self, term: u64, why: &StoreError) {
        tracing::error!(term, error = %why, "this coordinator reads the database again before it writes");
        self.step_down(term);
    }

    /// Runs `write` in one transaction that holds the writers' lock; commits it and counts it.
    async fn write<T>(
        &self,
        write: impl AsyncFnOnce(&Tx<'_>, &mut Journal) -> Result<T, StoreError>,
    ) -> Result<(T, u64), StoreError> {
        let started = Instant::now();
        let mut client = self.pool.get().await.map_err(db)?;
        let connected = started.elapsed();
        let tx = client.transaction().await.map_err(db)?;
        let asked = Instant::now();
        exec(&tx, "SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])
            .await
            .map_err(db)?;
        let turn = asked.elapsed();
        let term = self.fence(&tx).await?;
        let mut journal = Journal::read(&tx, term).await?;
        let value = match write(&tx, &mut journal).await {
            Err(e @ StoreError::Stale { .. }) => {
                self.start_over(term, &e);
                return Err(e);
            }
            other => other?,
        };
        journal.finish(&tx).await?;
        let committing = Instant::now();
        // From here to the answer nobody could say whether it committed if this future were
        // dropped (its request cancelled): the guard then makes this process start over.
        // Before, a dropped transaction simply rolls back.
        let mut guard = Unsettled {
            store: self,
            term: Some(term),
        };
        let committed = tx.commit().await;
        guard.term = None;
        if let Err(e) = committed {
            // Committed or not, nobody can say: what this process holds may be stale.
            let e = db(e);
            self.start_over(term, &e);
            return Err(e);
        }
        let add = |to: &std::sync::atomic::AtomicU64, d: std::time::Duration| {
            to.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
        };
        add(&self.time.all, started.elapsed());
        add(&self.time.turn, turn);
        add(&self.time.connection, connected);
        add(&self.time.commit, committing.elapsed());
        Ok((value, self.commits.fetch_add(1, Ordering::SeqCst) + 1))
    }

    /// Writes `transitions`, then `drafts`, in one transaction; durable when it returns.
    pub async fn write_batch(
        &self,
        transitions: &[Transition<'_>],
        drafts: &[&Draft],
    ) -> Result<(u64, Vec<DraftWrite>), StoreError> {
        let (found, seq) = self
            .write(async |tx, journal| {
                if !transitions.is_empty() {
                    write_transitions(tx, journal, transitions).await?;
                }
                let mut found = Vec::with_capacity(drafts.len());
                for d in drafts {
                    found.push(write_draft(tx, d).await?);
                }
                Ok(found)
            })
            .await?;
        for t in transitions {
            self.live.wrote(t.new);
            hanko_runtime::failpoint::hit_step("coordinator", t.step, "_written");
        }
        for _ in drafts {
            hanko_runtime::failpoint::hit_step("coordinator", "draft", "_written");
        }
        Ok((seq, found))
    }

    /// Records an event that changes no proposal; durable when it returns.
    pub async fn record(&self, event: Event) -> Result<Entry, StoreError> {
        let (entry, _) = self.write(async |_, journal| journal.append(event)).await?;
        Ok(entry)
    }

    /// Sets or clears the freeze, with its journal entry; durable when it returns.
    pub async fn set_freeze(&self, freeze: &Freeze) -> Result<(), StoreError> {
        let value = encode(freeze)?;
        let kind = if freeze.frozen { "freeze" } else { "unfreeze" };
        let event = Event::new(kind, &freeze.by).detail(vec![freeze.reason.clone()]);
        self.write(async |tx, journal| {
            upsert(tx, "freeze", &value).await?;
            journal.append(event)?;
            Ok(())
        })
        .await?;
        let mut slot = self.freeze.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        *slot = Some(freeze.clone());
        Ok(())
    }

    /// Saves how far the chain watcher checked: only the leader's watcher writes.
    pub async fn set_watch_heights(
        &self,
        heights: &crate::store::WatchHeights,
    ) -> Result<(), StoreError> {
        let value = encode(heights)?;
        self.write(async |tx, _| upsert(tx, "watch_heights", &value).await)
            .await?;
        Ok(())
    }

    /// A small write: fails when the database cannot take writes.
    pub async fn probe(&self) -> Result<(), StoreError> {
        self.write(async |tx, _| upsert(tx, "probe", &now_ms().to_string()).await)
            .await?;
        Ok(())
    }
}
