//! Writes: each batch of transitions and drafts, each recorded event and each freeze is one
//! database transaction with its journal entries, under one lock every writer takes first, so
//! the journal stays one chain whoever writes. Durable once committed.

use std::sync::atomic::Ordering;
use std::time::Instant;

use hanko_runtime::audit::{self, Entry, Event, Head};
use tokio_postgres::Transaction;

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

/// The journal inside one transaction: the next entry's number, the hash it chains to, and
/// the writer's term.
struct Journal {
    term: u64,
    next: u64,
    prev: String,
    appended: bool,
}

impl Journal {
    async fn read(tx: &Transaction<'_>, term: u64) -> Result<Journal, StoreError> {
        let head: Option<Head> = tx
            .query_opt("SELECT value FROM meta WHERE key = 'audit_head'", &[])
            .await
            .map_err(db)?
            .map(|r| decode("audit_head", r.get::<_, &str>(0)))
            .transpose()?;
        Ok(match head {
            Some(h) => Journal {
                term,
                next: h.seq + 1,
                prev: h.hash,
                appended: false,
            },
            None => Journal {
                term,
                next: 0,
                prev: audit::GENESIS.to_string(),
                appended: false,
            },
        })
    }

    async fn append(&mut self, tx: &Transaction<'_>, event: Event) -> Result<Entry, StoreError> {
        let entry = Entry::chain(self.next, now_ms(), &self.prev, event);
        tx.execute(
            "INSERT INTO journal (seq, entry, term) VALUES ($1, $2, $3)",
            &[&(self.next as i64), &encode(&entry)?, &(self.term as i64)],
        )
        .await
        .map_err(db)?;
        self.next += 1;
        self.prev = entry.hash.clone();
        self.appended = true;
        Ok(entry)
    }

    /// Records the new head beside the entries, if any were appended.
    async fn finish(self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        if !self.appended {
            return Ok(());
        }
        let head = Head {
            seq: self.next - 1,
            hash: self.prev,
        };
        upsert(tx, "audit_head", &encode(&head)?).await
    }
}

async fn upsert(tx: &Transaction<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&key, &value],
    )
    .await
    .map_err(db)?;
    Ok(())
}

/// Writes one transition: the record, its journal entries, and for an acceptance its bytes'
/// index (refused when another proposal has them: NIS would take both as one payment).
async fn write_transition(
    tx: &Transaction<'_>,
    journal: &mut Journal,
    t: &Transition<'_>,
) -> Result<(), StoreError> {
    let r = t.new;
    let hash = r.inner_hash.0.to_vec();
    if t.old.is_none() {
        if let Some(row) = tx
            .query_opt("SELECT id FROM by_inner WHERE hash = $1", &[&hash])
            .await
            .map_err(db)?
        {
            let other: String = row.get(0);
            if other != r.id {
                return Err(StoreError::SameBytes { existing: other });
            }
        }
        tx.execute("DELETE FROM drafts WHERE id = $1", &[&r.id])
            .await
            .map_err(db)?;
        tx.execute("DELETE FROM drafted WHERE hash = $1", &[&hash])
            .await
            .map_err(db)?;
        tx.execute(
            "INSERT INTO by_inner (hash, id) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING",
            &[&hash, &r.id],
        )
        .await
        .map_err(db)?;
    }
    if let Some(old) = t.old {
        // A step is written only over the record it was computed from.
        let stored = tx
            .query_opt("SELECT record FROM proposals WHERE id = $1", &[&r.id])
            .await
            .map_err(db)?
            .map(|row| decode::<ProposalRecord>(&r.id, row.get::<_, &str>(0)))
            .transpose()?;
        if stored.as_ref() != Some(old) {
            return Err(StoreError::Stale { id: r.id.clone() });
        }
    }
    // An acceptance writes a new record only: one already there has moved on without this
    // process (another leader took it meanwhile), and is never written over.
    let statement = match t.old {
        None => {
            "INSERT INTO proposals (id, record, account, active) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING"
        }
        Some(_) => {
            "INSERT INTO proposals (id, record, account, active) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record, active = EXCLUDED.active"
        }
    };
    let written = tx
        .execute(
            statement,
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
    let events = match t.old {
        Some(old) => changes(old, r),
        None => vec![accepted(r)],
    };
    for event in events {
        journal.append(tx, event).await?;
    }
    Ok(())
}

/// Stores a draft under its key, unless the key or its bytes are known.
async fn write_draft(tx: &Transaction<'_>, d: &Draft) -> Result<DraftWrite, StoreError> {
    if let Some(row) = tx
        .query_opt(
            "SELECT id FROM idempotency WHERE key = $1",
            &[&d.idempotency_key],
        )
        .await
        .map_err(db)?
    {
        let id: String = row.get(0);
        let stored = tx
            .query_opt("SELECT draft FROM drafts WHERE id = $1", &[&id])
            .await
            .map_err(db)?
            .map(|r| decode::<Draft>(&id, r.get::<_, &str>(0)))
            .transpose()?;
        return Ok(DraftWrite::Known { id, stored });
    }
    let hash = nem::Hash256::of(&d.inner).0.to_vec();
    if let Some(row) = tx
        .query_opt(
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
    tx.execute(
        "INSERT INTO idempotency (key, id) VALUES ($1, $2)",
        &[&d.idempotency_key, &d.id],
    )
    .await
    .map_err(db)?;
    tx.execute(
        "INSERT INTO drafts (id, draft) VALUES ($1, $2)",
        &[&d.id, &encode(d)?],
    )
    .await
    .map_err(db)?;
    tx.execute(
        "INSERT INTO drafted (hash, id) VALUES ($1, $2)",
        &[&hash, &d.id],
    )
    .await
    .map_err(db)?;
    Ok(DraftWrite::New)
}

/// Armed while a write whose effects this process keeps in memory is under way: dropped armed
/// (its request was cancelled mid-write), nobody knows whether it committed, so this process
/// reads the database again before it writes more.
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
    /// Awaits `writing` to its end; if this future is dropped first, starts over.
    async fn uncancelled<T>(&self, writing: impl std::future::Future<Output = T>) -> T {
        let mut guard = Unsettled {
            store: self,
            term: self.term(),
        };
        let out = writing.await;
        guard.term = None;
        out
    }

    /// Gives up `term` when this process's view of the database may be stale: it leads again
    /// (at once, being the lease's holder) only after reading everything again.
    fn start_over(&self, term: u64, why: &StoreError) {
        tracing::error!(term, error = %why, "this coordinator reads the database again before it writes");
        self.step_down(term);
    }

    /// Runs `write` in one transaction that holds the writers' lock; commits it and counts it.
    async fn write<T>(
        &self,
        write: impl AsyncFnOnce(&Transaction<'_>, &mut Journal) -> Result<T, StoreError>,
    ) -> Result<(T, u64), StoreError> {
        let started = Instant::now();
        let mut client = self.pool.get().await.map_err(db)?;
        let connected = started.elapsed();
        let tx = client.transaction().await.map_err(db)?;
        let asked = Instant::now();
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])
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
        if let Err(e) = tx.commit().await {
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
        let writing = self.write(async |tx, journal| {
            for t in transitions {
                write_transition(tx, journal, t).await?;
            }
            let mut found = Vec::with_capacity(drafts.len());
            for d in drafts {
                found.push(write_draft(tx, d).await?);
            }
            Ok(found)
        });
        let (found, seq) = self.uncancelled(writing).await?;
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
        let (entry, _) = self
            .write(async |tx, journal| journal.append(tx, event).await)
            .await?;
        Ok(entry)
    }

    /// Sets or clears the freeze, with its journal entry; durable when it returns.
    pub async fn set_freeze(&self, freeze: &Freeze) -> Result<(), StoreError> {
        let value = encode(freeze)?;
        let kind = if freeze.frozen { "freeze" } else { "unfreeze" };
        let event = Event::new(kind, &freeze.by).detail(vec![freeze.reason.clone()]);
        let writing = self.write(async |tx, journal| {
            upsert(tx, "freeze", &value).await?;
            journal.append(tx, event).await?;
            Ok(())
        });
        self.uncancelled(writing).await?;
        *self.freeze.write().unwrap_or_else(|e| e.into_inner()) = Some(freeze.clone());
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
