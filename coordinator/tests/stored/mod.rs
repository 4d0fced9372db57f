//! Store fixtures shared by the store and history tests: directories, drafts, records.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use coordinator::core::{ProposalRecord, State};
use coordinator::store::{Draft, Store};
use nem::{Address, Hash256, NemTimestamp, Network, PublicKey, Signature};

pub fn dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hanko-store-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `open` on a store just closed in this process: sled releases its file lock once its own
/// threads (the last flush's writer) let go, a moment after the handle is dropped.
pub fn when_unlocked<T, E: std::fmt::Display>(
    mut open: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let started = std::time::Instant::now();
    loop {
        match open() {
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && started.elapsed() < std::time::Duration::from_secs(10) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            done => return done,
        }
    }
}

pub fn reopen(path: &std::path::Path) -> Store {
    when_unlocked(|| Store::open(path)).unwrap()
}

pub fn account() -> Address {
    Address::from_public_key(&PublicKey([1; 32]), Network::Testnet)
}

/// A draft whose bytes are its id's: no two drafts of different ids carry the same bytes.
pub fn draft(id: &str, key: &str, digest: &str) -> Draft {
    Draft {
        id: id.into(),
        idempotency_key: key.into(),
        account: account(),
        inner: id.as_bytes().to_vec(),
        deadline: NemTimestamp(100),
        request_digest: digest.into(),
        legacy_digest: None,
    }
}

pub fn record(d: &Draft) -> ProposalRecord {
    ProposalRecord {
        id: d.id.clone(),
        idempotency_key: d.idempotency_key.clone(),
        request_digest: d.request_digest.clone(),
        account: d.account,
        inner: d.inner.clone(),
        inner_hash: Hash256::of(&d.inner),
        proposer: PublicKey([2; 32]),
        proposer_signature: Signature([3; 64]),
        deadline: d.deadline,
        cosigners: vec![PublicKey([4; 32]), PublicKey([5; 32])],
        required: 2,
        state: State::Proposed,
        decisions: Default::default(),
        broadcast: Default::default(),
        confirmed_height: None,
        reason: None,
    }
}

/// A new store at `path` holding `d` as an accepted proposal.
pub async fn with_accepted(path: &std::path::Path, d: &Draft) -> Store {
    let store = Store::open(path).unwrap();
    store.put_draft(d).await.unwrap();
    store.accept(&record(d), usize::MAX).await.unwrap();
    store
}
