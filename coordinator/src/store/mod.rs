//! Durable proposals, drafts, the hash-chained journal and the freeze, behind one interface
//! for every backend: `embedded` (sled, on this host's disk; the default) and, in a later
//! step, a shared database. Every write is durable before it is acknowledged or acted on, and
//! each change is written in the same transaction as its journal entries (fail closed).
//! Unfinished proposals are also kept in memory (`live`).
//!
//! The contract every backend keeps: a draft's key names it until it is proposed and then
//! the proposal; no two drafts or proposals carry the same bytes (NIS would take both as one
//! payment); a proposal moves only by the transitions written for it, in order; every read a
//! client is shown is on disk (`settled`).

mod answer;
pub mod embedded;
mod error;
pub(crate) mod journal;
mod live;
pub mod postgres;
mod types;

pub use embedded::history;
pub use embedded::{Archived, Checkpointed, Keep};
pub use error::StoreError;
pub use types::{Draft, DraftWrite, Freeze, Ticket, Transition, WatchHeights};

use std::path::Path;
use std::sync::Arc;

use hanko_runtime::audit::{Entry, Event, Head};
use nem::Address;

use crate::core::ProposalRecord;
use embedded::SledStore;
use postgres::{PgStore, PostgresConfig};
use serde::{Deserialize, Serialize};

/// `[store]`: where the coordinator keeps its state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum StoreConfig {
    /// sled in `data_dir`, on this host (the default).
    #[default]
    Embedded,
    /// A PostgreSQL database that coordinators share.
    Postgres(PostgresConfig),
}

impl StoreConfig {
    pub fn is_embedded(&self) -> bool {
        *self == StoreConfig::Embedded
    }
}

/// The coordinator's store: one backend, chosen by configuration.
pub struct Store {
    backend: Backend,
}

enum Backend {
    Embedded(SledStore),
    Postgres(PgStore),
}

impl Store {
    /// The embedded store in `dir` (created if absent).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            backend: Backend::Embedded(SledStore::open(dir)?),
        })
    }

    /// The store `config` names: embedded in `data_dir`, or the database (where clients
    /// reach this coordinator when it leads: `address`).
    pub async fn connect(
        config: &StoreConfig,
        data_dir: &Path,
        address: &str,
    ) -> Result<Store, StoreError> {
        Ok(match config {
            StoreConfig::Embedded => Store::open(data_dir)?,
            StoreConfig::Postgres(c) => Store {
                backend: Backend::Postgres(PgStore::open(c, address).await?),
            },
        })
    }

    /// Whether this coordinator may step proposals, announce and watch the chain: the
    /// embedded store's always does; of coordinators sharing a database, the leader.
    pub fn leading(&self) -> bool {
        match &self.backend {
            Backend::Embedded(_) => true,
            Backend::Postgres(s) => s.leading(),
        }
    }

    /// The database store, for what only it does.
    pub fn postgres(&self) -> Option<&PgStore> {
        match &self.backend {
            Backend::Postgres(s) => Some(s),
            Backend::Embedded(_) => None,
        }
    }

    /// The embedded store, for what only it does (history, checkpoints).
    pub fn embedded(&self) -> Option<&SledStore> {
        match &self.backend {
            Backend::Embedded(s) => Some(s),
            Backend::Postgres(_) => None,
        }
    }

    /// Returns once `ticket`'s write is durable.
    pub async fn settle(&self, ticket: Ticket) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.settle(ticket).await,
            Backend::Postgres(s) => {
                hanko_runtime::failpoint::hit_step("coordinator", ticket.step, "_saved");
                let _ = s;
                Ok(())
            }
        }
    }

    /// Returns once every write up to `seq` is durable.
    pub async fn durable(&self, seq: u64) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.durable(seq).await,
            Backend::Postgres(s) => {
                let _ = (s, seq);
                Ok(())
            }
        }
    }

    /// The number of writes made so far.
    pub fn counted(&self) -> u64 {
        match &self.backend {
            Backend::Embedded(s) => s.counted(),
            Backend::Postgres(s) => s.counted(),
        }
    }

    /// Every write up to this number is durable.
    pub fn flushed(&self) -> u64 {
        match &self.backend {
            Backend::Embedded(s) => s.flushed(),
            Backend::Postgres(s) => s.counted(),
        }
    }

    /// Flushes since the store was opened.
    pub fn flushes(&self) -> u64 {
        match &self.backend {
            Backend::Embedded(s) => s.flushes(),
            Backend::Postgres(s) => s.counted(),
        }
    }

    /// Seconds those flushes took.
    pub fn flush_seconds(&self) -> f64 {
        match &self.backend {
            Backend::Embedded(s) => s.flush_seconds(),
            Backend::Postgres(s) => s.write_seconds().committing,
        }
    }

    /// `read`, once everything it could have seen is durable: what a client is shown is never
    /// something a crash could still take back.
    pub async fn settled<T>(&self, read: T) -> Result<T, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.settled(read).await,
            Backend::Postgres(s) => {
                let _ = s;
                Ok(read)
            }
        }
    }

    pub async fn draft(&self, id: &str) -> Result<Option<Draft>, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.draft(id).await,
            Backend::Postgres(s) => s.draft(id).await,
        }
    }

    /// Makes a small durable write: fails when storage cannot take writes.
    pub async fn probe(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.probe().await,
            Backend::Postgres(s) => s.probe().await,
        }
    }

    /// Which of `hashes` are the inner hashes of proposals Hanko accepted.
    pub async fn approved(
        &self,
        hashes: &[nem::Hash256],
    ) -> Result<std::collections::HashSet<nem::Hash256>, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.approved(hashes).await,
            Backend::Postgres(s) => s.approved(hashes).await,
        }
    }

    /// The proposal whose inner transaction has this hash, if Hanko accepted one.
    pub async fn id_for_inner(&self, hash: &nem::Hash256) -> Result<Option<String>, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.id_for_inner(hash).await,
            Backend::Postgres(s) => s.id_for_inner(hash).await,
        }
    }

    /// Records an event that changes no proposal (an alert, say); durable before it returns.
    pub async fn record(&self, event: Event) -> Result<Entry, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.record(event).await,
            Backend::Postgres(s) => s.record(event).await,
        }
    }

    /// The whole journal, in order, and its recorded head.
    pub async fn audit(&self) -> Result<(Vec<Entry>, Option<Head>), StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.audit().await,
            Backend::Postgres(s) => s.audit().await,
        }
    }

    /// A proposal, wherever it is kept.
    pub async fn get(&self, id: &str) -> Result<Option<ProposalRecord>, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.get(id).await,
            Backend::Postgres(s) => s.get(id).await,
        }
    }

    /// The proposal or draft an idempotency key names.
    pub async fn id_for_key(&self, key: &str) -> Result<Option<String>, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.id_for_key(key).await,
            Backend::Postgres(s) => s.id_for_key(key).await,
        }
    }

    /// How many unfinished proposals `account` has.
    pub fn count_active(&self, account: &Address) -> usize {
        match &self.backend {
            Backend::Embedded(s) => s.count_active(account),
            Backend::Postgres(s) => s.count_active(account),
        }
    }

    /// Every unfinished proposal, in id order: what a restart resumes.
    pub fn active(&self) -> Vec<Arc<ProposalRecord>> {
        match &self.backend {
            Backend::Embedded(s) => s.active(),
            Backend::Postgres(s) => s.active(),
        }
    }

    /// How many proposals are unfinished.
    pub fn unfinished(&self) -> usize {
        match &self.backend {
            Backend::Embedded(s) => s.unfinished(),
            Backend::Postgres(s) => s.unfinished(),
        }
    }

    /// A page of unfinished proposals in id order, after `after` (exclusive): from memory
    /// where this process writes them.
    pub async fn page_active(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&ProposalRecord) -> bool,
    ) -> Result<(Vec<ProposalRecord>, Option<String>), StoreError> {
        match &self.backend {
            Backend::Embedded(s) => Ok(s.page_active(after, limit, keep)),
            Backend::Postgres(s) => s.page_active(after, limit, keep).await,
        }
    }

    /// A page of proposals in id order, after `after` (exclusive), finished ones included.
    pub async fn page(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&ProposalRecord) -> bool,
    ) -> Result<(Vec<ProposalRecord>, Option<String>), StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.page(after, limit, keep).await,
            Backend::Postgres(s) => s.page(after, limit, keep).await,
        }
    }

    /// The freeze as last set.
    pub fn freeze(&self) -> Result<Option<Freeze>, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.freeze(),
            Backend::Postgres(s) => Ok(s.freeze()),
        }
    }

    /// How far the chain watcher checked each account's confirmed outflows, as last saved:
    /// a coordinator that starts, or takes the lead, checks on from there.
    pub async fn watch_heights(&self) -> Result<WatchHeights, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.watch_heights(),
            Backend::Postgres(s) => s.watch_heights().await,
        }
    }

    /// Saves how far the chain watcher checked (only the leader can, on a database).
    pub async fn set_watch_heights(&self, heights: &WatchHeights) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.set_watch_heights(heights),
            Backend::Postgres(s) => s.set_watch_heights(heights).await,
        }
    }

    /// Sets or clears the freeze, with its journal entry; durable before it returns.
    pub async fn set_freeze(&self, freeze: &Freeze) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.set_freeze(freeze).await,
            Backend::Postgres(s) => s.set_freeze(freeze).await,
        }
    }

    /// Writes many transitions in one transaction, in order; their number in the count of
    /// writes (durable once `durable` says so).
    pub async fn write_updates(&self, transitions: &[Transition<'_>]) -> Result<u64, StoreError> {
        Ok(self.write_batch(transitions, &[]).await?.0)
    }

    /// Writes `transitions`, then `drafts`, in one transaction; their number in the count of
    /// writes and what writing each draft found.
    pub async fn write_batch(
        &self,
        transitions: &[Transition<'_>],
        drafts: &[&Draft],
    ) -> Result<(u64, Vec<DraftWrite>), StoreError> {
        match &self.backend {
            Backend::Embedded(s) => s.write_batch(transitions, drafts).await,
            Backend::Postgres(s) => s.write_batch(transitions, drafts).await,
        }
    }
}
