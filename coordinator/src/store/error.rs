//! What can go wrong in the store, each with what to do about it.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// Sled's own text is not shown as a cause: `in_words` says it in words.
    #[error("storage: {}", hanko_runtime::storage::in_words(.0))]
    Sled(sled::Error),
    #[error("stored record {key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("idempotency key '{key}' already names proposal {existing} with a different request")]
    IdempotencyConflict { key: String, existing: String },
    /// Two proposals with the same bytes would be one transaction to NIS: one payment for
    /// both. Prepare builds the bytes again with another deadline.
    #[error(
        "proposal {existing} already has these exact transaction bytes, which NIS would take as \
         one payment for both: prepare this withdrawal again"
    )]
    SameBytes { existing: String },
    #[error("storage: {0}")]
    Interrupted(#[from] hanko_runtime::commit::Interrupted),
    #[error(
        "the audit journal is damaged: {0}; the coordinator does not start on it: `hanko audit \
         verify` shows the whole journal; restore the data directory from a backup"
    )]
    Journal(hanko_runtime::audit::Broken),
    #[error(
        "the main store could not be opened again after a checkpoint; restart the coordinator \
         (everything acknowledged is on disk)"
    )]
    Closed,
    #[error(
        "the history is missing: {dir} does not exist, yet journal entries before {first} and \
         the finished proposals moved with them were moved there; the coordinator does not \
         start without them: restore the data directory from a backup"
    )]
    HistoryMissing { dir: String, first: u64 },
    /// The database did not answer or refused a statement (it is unreachable, restarting,
    /// or failing over): nothing of the write was made.
    #[error("database: {0}")]
    Database(String),
    /// The stored proposal is not the one this coordinator computed its step from (its view
    /// of the database went stale: a commit whose outcome it never heard, say). Nothing was
    /// written; it reads the database again before it writes anything more.
    #[error(
        "proposal {id} changed in the database since this coordinator read it; it reads the \
         database again: try again"
    )]
    Stale { id: String },
    /// This coordinator does not lead (any more): another took over, or its lease ran out.
    /// Nothing of the write was made.
    #[error("{}", not_leader(.leader))]
    NotLeader {
        /// Where the leader serves, if one leads.
        leader: Option<String>,
    },
}

fn not_leader(leader: &Option<String>) -> String {
    match leader {
        Some(address) => format!("this coordinator does not lead; the leader is at {address}"),
        None => "this coordinator does not lead, and no other leads right now; try again".into(),
    }
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> StoreError {
        StoreError::Sled(e)
    }
}
