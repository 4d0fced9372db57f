//! The store in PostgreSQL, for coordinators that share one database. The same tables as the
//! embedded store's trees (migrations in `coordinator/migrations`, applied at start), each
//! batch of transitions and drafts one database transaction with its journal entries, durable
//! once it commits (the database's own `synchronous_commit` decides how many replicas have it
//! by then). Unfinished proposals are kept in memory as in the embedded store.

mod lease;
mod read;
mod write;

pub use lease::Leadership;

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use serde::{Deserialize, Serialize};

use crate::store::live::Live;
use crate::store::{Freeze, StoreError};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// `[store]` with `backend = "postgres"`: where the database is and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    /// `postgres://user@host:port/database` (no password: see `password_file`).
    pub url: String,
    /// A file (mode 600) holding the database password, if it needs one.
    #[serde(default)]
    pub password_file: Option<std::path::PathBuf>,
    /// The CA that signed the database's certificate: with it, the connection is TLS and
    /// the server's name is checked. Required unless the database is on this host.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
    /// Connections kept open.
    #[serde(default = "default_connections")]
    pub connections: usize,
    /// This coordinator's name among those that share the database (default: the host's).
    #[serde(default)]
    pub name: Option<String>,
    /// Where clients reach this coordinator when it leads, "host:port" (default: `listen`).
    #[serde(default)]
    pub advertise: Option<String>,
    /// How long a leader's lease lasts, in milliseconds; it is renewed every third of it. A
    /// standby takes over at most this long after a leader stops renewing.
    #[serde(default = "default_lease")]
    pub lease_ms: u64,
}

fn default_connections() -> usize {
    8
}

fn default_lease() -> u64 {
    5_000
}

impl PostgresConfig {
    /// A configuration for `url` with every default.
    pub fn at(url: &str) -> PostgresConfig {
        PostgresConfig {
            url: url.into(),
            password_file: None,
            ca_file: None,
            connections: default_connections(),
            name: None,
            advertise: None,
            lease_ms: default_lease(),
        }
    }
}

pub struct PgStore {
    pool: Pool,
    /// This coordinator among those that share the database.
    name: String,
    /// Where clients reach it when it leads.
    address: String,
    lease: Duration,
    /// The term it leads in; 0 while it does not lead.
    term: AtomicU64,
    live: Live,
    /// The freeze as last written by this process or read at open.
    freeze: RwLock<Option<Freeze>>,
    /// Transactions committed by this process: its count of writes, all durable.
    commits: AtomicU64,
    /// Where the time of those transactions went, in microseconds: in all (from asking for
    /// a connection to the commit's answer), waiting for a connection of the pool, waiting
    /// for the writers' turn, and committing
    /// (the database making the commit durable, on its standby too when synchronous).
    time: WriteTime,
}

/// Microseconds spent by this process's writing transactions.
#[derive(Default)]
pub(super) struct WriteTime {
    pub(super) all: AtomicU64,
    pub(super) connection: AtomicU64,
    pub(super) turn: AtomicU64,
    pub(super) commit: AtomicU64,
}

/// Seconds the writing transactions of this process spent, and on what.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteSeconds {
    pub all: f64,
    pub waiting_for_connection: f64,
    pub waiting_for_turn: f64,
    pub committing: f64,
}

pub(crate) fn db(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(e.to_string())
}

fn is_local(config: &tokio_postgres::Config) -> bool {
    config.get_hosts().iter().all(|h| match h {
        tokio_postgres::config::Host::Unix(_) => true,
        tokio_postgres::config::Host::Tcp(name) => {
            name == "localhost"
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    })
}

/// The TLS connector for `ca_file`.
fn tls(ca_file: &std::path::Path) -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file)
        .map_err(|e| db(format!("store.ca_file: {}: {e}", ca_file.display())))?
    {
        let cert = cert.map_err(|e| db(format!("store.ca_file: {}: {e}", ca_file.display())))?;
        roots
            .add(cert)
            .map_err(|e| db(format!("store.ca_file: {}: {e}", ca_file.display())))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .map_err(db)?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

impl PgStore {
    /// Connects and applies the migrations not applied yet; it does not lead until [`lead`]
    /// says so. `address` is where clients reach it when it leads, unless configured.
    ///
    /// [`lead`]: PgStore::lead
    pub async fn open(config: &PostgresConfig, address: &str) -> Result<PgStore, StoreError> {
        let mut pg: tokio_postgres::Config = config
            .url
            .parse()
            .map_err(|e| db(format!("store.url: {e}")))?;
        if let Some(path) = &config.password_file {
            let password = std::fs::read_to_string(path)
                .map_err(|e| db(format!("store.password_file: {}: {e}", path.display())))?;
            pg.password(password.trim_end_matches(['\n', '\r']));
        }
        pg.connect_timeout(Duration::from_secs(10));
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match &config.ca_file {
            Some(ca) => Manager::from_config(pg, tls(ca)?, manager_config),
            None if is_local(&pg) => {
                Manager::from_config(pg, tokio_postgres::NoTls, manager_config)
            }
            None => {
                return Err(db(
                    "store.ca_file: required for a database on another host (its connection \
                     is TLS, checked against this CA)",
                ));
            }
        };
        let pool = Pool::builder(manager)
            .max_size(config.connections.max(2))
            .build()
            .map_err(db)?;
        {
            let mut client = pool.get().await.map_err(db)?;
            let client: &mut tokio_postgres::Client = &mut client;
            embedded::migrations::runner()
                .run_async(client)
                .await
                .map_err(|e| db(format!("migrations: {e}")))?;
        }
        let name = config.name.clone().unwrap_or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "coordinator".into())
        });
        let store = PgStore {
            pool,
            name,
            address: config
                .advertise
                .clone()
                .unwrap_or_else(|| address.to_string()),
            lease: Duration::from_millis(config.lease_ms.max(300)),
            term: AtomicU64::new(0),
            live: Live::default(),
            freeze: RwLock::new(None),
            commits: AtomicU64::new(0),
            time: WriteTime::default(),
        };
        store.reload().await?;
        Ok(store)
    }

    /// Reads again what is kept in memory: the unfinished proposals and the freeze (at open,
    /// and whenever another process may have written since).
    pub async fn reload(&self) -> Result<(), StoreError> {
        let active = self.load_active().await?;
        self.live.replace(&active);
        let freeze = self.read_freeze().await?;
        *self.freeze.write().unwrap_or_else(|e| e.into_inner()) = freeze;
        Ok(())
    }

    /// Writes made so far (every one durable).
    pub fn counted(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }

    /// How long a lease lasts.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Where the writing transactions' time went.
    pub fn write_seconds(&self) -> WriteSeconds {
        let s = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64 / 1e6;
        WriteSeconds {
            all: s(&self.time.all),
            waiting_for_connection: s(&self.time.connection),
            waiting_for_turn: s(&self.time.turn),
            committing: s(&self.time.commit),
        }
    }

    pub fn freeze(&self) -> Option<Freeze> {
        self.freeze
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn count_active(&self, account: &nem::Address) -> usize {
        self.live.count(account)
    }

    pub fn active(&self) -> Vec<std::sync::Arc<crate::core::ProposalRecord>> {
        self.live.all()
    }

    pub fn unfinished(&self) -> usize {
        self.live.len()
    }
}
