//! Checks at start that the store is whole and is the one this key has signed with. A cosigner
//! that forgot what it signed would sign a known proposal id's new bytes and count less velocity,
//! so a damaged, truncated, replaced or deleted store stops the start (fail closed).
//!
//! The store's identity is a random id kept in the store and in a marker file outside it, in
//! the state directory (`store-id-<public key>.json`, written at the first start), with the
//! newest journal head each flush made durable: storage that silently lost its newest writes
//! (sled drops a damaged log tail as if it had never been written) is caught because the
//! journal no longer reaches that head. Starting afresh on purpose (a new deployment of the
//! same key) means removing that file. A marker an earlier version kept beside the key file
//! (`<key file>.store-id`) is read once and carried over.

use std::collections::HashSet;
use std::path::Path;

use thiserror::Error;

use crate::marker::{MarkerAt, read_marker, write_marker};
use crate::record::Status;
use crate::store::{Store, StoreError};

#[derive(Debug, Error)]
pub enum IntegrityError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the audit journal is damaged: {0}; signing refused: restore the data directory from a backup"
    )]
    Journal(hanko_runtime::audit::Broken),
    #[error("{0}; signing refused: restore the data directory from a backup")]
    Inconsistent(String),
    #[error(
        "this data directory is not the store key file {key} signed with (store id {expected} in {marker}, {found} here): a deleted or replaced store forgets what was signed; restore it from a backup, or, to start a new deployment of this key on purpose, remove {marker}"
    )]
    Replaced {
        key: String,
        marker: String,
        expected: String,
        found: String,
    },
    #[error("{path}: {reason}")]
    Marker { path: String, reason: String },
}

/// The journal verifies against its recorded head, and the journal and the bindings agree on
/// what was signed: each signature in the journal has its signed binding, and back.
pub fn check_store(store: &Store) -> Result<u64, IntegrityError> {
    let entries = store.audit()?;
    let count = hanko_runtime::audit::verify_with_head(&entries, store.audit_head()?.as_ref())
        .map_err(IntegrityError::Journal)?;
    let journaled: HashSet<&str> = entries
        .iter()
        .filter(|e| e.event.kind == "signed")
        .filter_map(|e| e.event.proposal.as_deref())
        .collect();
    let bindings = store.bindings()?;
    let signed: HashSet<&str> = bindings
        .iter()
        .filter(|b| matches!(b.status, Status::Signed { .. }))
        .map(|b| b.proposal_id.as_str())
        .collect();
    if let Some(id) = journaled.difference(&signed).next() {
        return Err(IntegrityError::Inconsistent(format!(
            "the journal says proposal {id} was signed, and its signed binding is missing"
        )));
    }
    if let Some(id) = signed.difference(&journaled).next() {
        return Err(IntegrityError::Inconsistent(format!(
            "proposal {id} is signed in the bindings but not in the journal"
        )));
    }
    Ok(count)
}

/// Ties the store to the key: the first start records the store's id in the marker; every
/// later start requires the same id in the store, and a journal that reaches the head the
/// marker recorded, with the same hash there. Afterwards every flush updates the marker.
/// `legacy` is where an earlier version kept the marker (beside the key file).
pub fn check_identity(store: &Store, at: &MarkerAt, legacy: &Path) -> Result<(), IntegrityError> {
    let path = at.path.clone();
    let marker_err = |path: &Path, reason: String| IntegrityError::Marker {
        path: path.display().to_string(),
        reason,
    };
    let recorded = match read_marker(&path).map_err(|e| marker_err(&path, e))? {
        Some(m) => Some(m),
        None => read_marker(legacy).map_err(|e| marker_err(legacy, e))?,
    };
    if let Some(m) = &recorded
        && m.public_key.is_some_and(|k| k != at.key)
    {
        return Err(marker_err(
            &path,
            format!(
                "it belongs to key {}, not to this cosigner's key {}",
                m.public_key.map(|k| k.to_string()).unwrap_or_default(),
                at.key
            ),
        ));
    }
    let here = store.store_id()?;
    match (recorded, here) {
        (Some(m), Some(found)) if m.store_id == found => {
            if let Some(head) = &m.head {
                match store.audit_entry(head.seq)? {
                    Some(e) if e.hash == head.hash => {}
                    Some(_) => {
                        return Err(IntegrityError::Inconsistent(format!(
                            "journal entry {} is not the one {} recorded as durable",
                            head.seq,
                            path.display()
                        )));
                    }
                    None => {
                        let holds = store.audit_head()?.map_or(0, |h| h.seq + 1);
                        return Err(IntegrityError::Inconsistent(format!(
                            "the journal holds {holds} entries, and {} recorded entry {} as durable: storage lost its newest writes",
                            path.display(),
                            head.seq
                        )));
                    }
                }
            }
        }
        (Some(m), found) => {
            return Err(IntegrityError::Replaced {
                key: at.key.to_string(),
                marker: path.display().to_string(),
                expected: m.store_id,
                found: found.unwrap_or_else(|| "none: an empty store".into()),
            });
        }
        (None, here) => {
            let id = match here {
                Some(id) => id,
                None => store.create_store_id()?,
            };
            write_marker(at, &id, store.audit_head()?.as_ref())
                .map_err(|e| marker_err(&path, e.to_string()))?;
        }
    }
    // Written at once where it belongs now (it may have been read from the legacy place).
    if let Some(id) = store.store_id()? {
        write_marker(at, &id, store.audit_head()?.as_ref())
            .map_err(|e| marker_err(&path, e.to_string()))?;
    }
    store.attach_marker(at.clone());
    Ok(())
}
