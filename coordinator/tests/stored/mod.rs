//! Store fixtures shared by the store and history tests: directories, drafts, records.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use coordinator::core::{ProposalRecord, State};
use coordinator::store::postgres::PostgresConfig;
use coordinator::store::{Draft, Store, StoreConfig, StoreError, Ticket, Transition};
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

/// Where a contract test's store lives: the embedded store in a directory, or a database on a
/// PostgreSQL server of the test's own. Removed when dropped.
pub enum Backing {
    Embedded(std::path::PathBuf),
    Postgres {
        _server: testkit::postgres::Postgres,
        url: String,
        dir: testkit::TempDir,
    },
}

impl Backing {
    pub fn embedded(tag: &str) -> Backing {
        Backing::Embedded(dir(tag))
    }

    pub fn postgres(tag: &str) -> Backing {
        let server = testkit::postgres::Postgres::start();
        let url = server.database("hanko");
        Backing::Postgres {
            _server: server,
            url,
            dir: testkit::temp_dir(tag),
        }
    }

    /// The embedded store's directory.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Backing::Embedded(p) => p,
            Backing::Postgres { dir, .. } => dir,
        }
    }

    /// A store on it, new or as left.
    pub async fn open(&self) -> Store {
        match self {
            Backing::Embedded(p) => Store::open(p).unwrap(),
            Backing::Postgres { url, dir, .. } => {
                let config = StoreConfig::Postgres(PostgresConfig {
                    name: Some("contract".into()),
                    lease_ms: LEASE_MS,
                    ..PostgresConfig::at(url)
                });
                let store = Store::connect(&config, dir, "127.0.0.1:1").await.unwrap();
                // Alone on its database, it leads: at once, or (reopened after a drop, as
                // after a crash) once the lease of the process before ran out.
                let asked = std::time::Instant::now();
                while !store.postgres().unwrap().lead().await.unwrap() {
                    assert!(asked.elapsed() < std::time::Duration::from_millis(LEASE_MS * 4));
                    tokio::time::sleep(std::time::Duration::from_millis(LEASE_MS / 6)).await;
                }
                store
            }
        }
    }

    /// The store again, as a restarted coordinator opens it (the one before just dropped).
    pub async fn reopen(&self) -> Store {
        match self {
            Backing::Embedded(p) => reopen(p),
            Backing::Postgres { .. } => self.open().await,
        }
    }
}

/// The lease of the stores on a database: short, so a reopened one leads soon.
const LEASE_MS: u64 = 300;

impl Drop for Backing {
    fn drop(&mut self) {
        if let Backing::Embedded(p) = self {
            let _ = std::fs::remove_dir_all(p);
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

/// A new store of `b` holding `d` as an accepted proposal.
pub async fn with_accepted(b: &Backing, d: &Draft) -> Store {
    let store = b.open().await;
    store.put_draft(d).await.unwrap();
    store.accept(&record(d)).await.unwrap();
    store
}

/// The shapes the tests write, made only of the store's own write path (`write_batch`,
/// `write_updates`, `draft_answer`, then durable): the coordinator writes through the same
/// calls, batched.
#[allow(async_fn_in_trait)]
pub trait Writes {
    /// A draft as Prepare stores it, and what a Prepare would answer.
    async fn put_draft(&self, d: &Draft) -> Result<Draft, StoreError>;
    /// An acceptance: its draft becomes `r`. (The pending limit is the driver's.)
    async fn accept(&self, r: &ProposalRecord) -> Result<(), StoreError>;
    /// One transition, not yet durable.
    async fn write_update(
        &self,
        old: &ProposalRecord,
        new: &ProposalRecord,
        step: &'static str,
    ) -> Result<Ticket, StoreError>;
    /// One transition, durable.
    async fn update(
        &self,
        old: &ProposalRecord,
        new: &ProposalRecord,
        step: &'static str,
    ) -> Result<(), StoreError>;
    /// Each of `records` prepared and accepted, durable at the end.
    async fn accept_all(&self, records: &[ProposalRecord]) -> Result<(), StoreError>;
}

/// The draft a record was accepted from.
pub fn draft_of(r: &ProposalRecord) -> Draft {
    Draft {
        id: r.id.clone(),
        idempotency_key: r.idempotency_key.clone(),
        account: r.account,
        inner: r.inner.clone(),
        deadline: r.deadline,
        request_digest: r.request_digest.clone(),
        legacy_digest: None,
    }
}

impl Writes for Store {
    async fn put_draft(&self, d: &Draft) -> Result<Draft, StoreError> {
        let (seq, mut found) = self.write_batch(&[], &[d]).await?;
        self.durable(seq).await?;
        self.draft_answer(d, found.pop().expect("one draft, one answer"))
            .await
    }

    async fn accept(&self, r: &ProposalRecord) -> Result<(), StoreError> {
        let step = "proposal";
        let seq = self
            .write_updates(&[Transition {
                old: None,
                new: r,
                step,
            }])
            .await?;
        self.settle(Ticket { seq, step }).await
    }

    async fn write_update(
        &self,
        old: &ProposalRecord,
        new: &ProposalRecord,
        step: &'static str,
    ) -> Result<Ticket, StoreError> {
        let seq = self
            .write_updates(&[Transition {
                old: Some(old),
                new,
                step,
            }])
            .await?;
        Ok(Ticket { seq, step })
    }

    async fn update(
        &self,
        old: &ProposalRecord,
        new: &ProposalRecord,
        step: &'static str,
    ) -> Result<(), StoreError> {
        let ticket = self.write_update(old, new, step).await?;
        self.settle(ticket).await
    }

    async fn accept_all(&self, records: &[ProposalRecord]) -> Result<(), StoreError> {
        for r in records {
            self.write_batch(&[], &[&draft_of(r)]).await?;
            self.write_updates(&[Transition {
                old: None,
                new: r,
                step: "proposal",
            }])
            .await?;
        }
        self.durable(self.counted()).await
    }
}
