//! The store in PostgreSQL, for coordinators that share one database. The same tables as the
//! embedded store's trees (migrations in `coordinator/migrations`, applied at start), each
//! batch of transitions and drafts one database transaction with its journal entries, durable
//! once it commits (the database's own `synchronous_commit` decides how many replicas have it
//! by then). Unfinished proposals are kept in memory as in the embedded store.

mod cached;
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
    /// This process among all (restarts included): the lease's holder is name and instance.
    instance: String,
    /// When its lease runs out by this process's clock, in microseconds after `epoch`: from
    /// the moment the lease was asked for, so never after the database's expiry. Past it,
    /// this process does not lead, whether or not it could reach the database to hear so.
    valid_until: AtomicU64,
    epoch: std::time::Instant,
    /// Bumped whenever this process's view is replaced or its freeze set: a standby's mirror
    /// applies what it read only if nothing of the kind happened meanwhile.
    generation: AtomicU64,
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

/// Says, once at start, whether an acknowledged write survives the loss of the database's
/// primary: only when a synchronous standby holds each commit before it is acknowledged.
async fn say_durability(pool: &Pool) {
    let Ok(client) = pool.get().await else { return };
    let setting = async |name: &str| {
        client
            .query_one("SELECT setting FROM pg_settings WHERE name = $1", &[&name])
            .await
            .map(|r| r.get::<_, String>(0))
            .unwrap_or_default()
    };
    let commit = setting("synchronous_commit").await;
    let standbys = setting("synchronous_standby_names").await;
    if standbys.is_empty() || matches!(commit.as_str(), "off" | "local") {
        tracing::warn!(
            synchronous_commit = %commit,
            synchronous_standby_names = %standbys,
            "the database acknowledges a commit before any standby holds it: a failover of \
             the database can lose acknowledged proposals (deploy/ha/README.md)"
        );
    } else {
        tracing::info!(synchronous_commit = %commit, synchronous_standby_names = %standbys, "each commit is held by a synchronous standby before it is acknowledged");
    }
}

/// The advisory lock coordinators starting together take turns on to migrate.
const MIGRATION_LOCK: i64 = 0x68616e6b6d; // "hankm"

/// Applies the migrations not applied yet, one coordinator at a time (coordinators starting
/// together take turns; the migrations themselves do not lock).
async fn migrate(pool: &Pool) -> Result<(), StoreError> {
    let mut client = pool.get().await.map_err(db)?;
    let client: &mut tokio_postgres::Client = &mut client;
    client
        .batch_execute(&format!(
            "SET lock_timeout = '60s'; SELECT pg_advisory_lock({MIGRATION_LOCK});"
        ))
        .await
        .map_err(|e| db(format!("migrations: cannot take their lock: {e}")))?;
    let ran = embedded::migrations::runner().run_async(client).await;
    let unlocked = client
        .batch_execute(&format!(
            "SELECT pg_advisory_unlock({MIGRATION_LOCK}); RESET lock_timeout;"
        ))
        .await;
    ran.map_err(|e| db(format!("migrations: {e}")))?;
    unlocked.map_err(|e| db(format!("migrations: cannot give their lock back: {e}")))?;
    Ok(())
}

impl PgStore {
    /// Connects and applies the migrations not applied yet; it does not lead until [`lead`]
    /// says so. `address` is where clients reach it when it leads, unless configured.
    ///
    /// [`lead`]: PgStore::lead
    pub async fn open(config: &PostgresConfig, address: &str) -> Result<PgStore, StoreError> {
        PgStore::connect(config, address, true).await
    }

    /// Connects without applying migrations: for reading (`hanko audit`), so that a newer
    /// command never changes the schema under running coordinators.
    pub async fn open_to_read(config: &PostgresConfig) -> Result<PgStore, StoreError> {
        PgStore::connect(config, "", false).await
    }

    async fn connect(
        config: &PostgresConfig,
        address: &str,
        migrating: bool,
    ) -> Result<PgStore, StoreError> {
        let mut pg: tokio_postgres::Config = config
            .url
            .parse()
            .map_err(|e| db(format!("store.url: {e}")))?;
        if let Some(path) = &config.password_file {
            let password = std::fs::read_to_string(path)
                .map_err(|e| db(format!("store.password_file: {}: {e}", path.display())))?;
            pg.password(password.trim_end_matches(['\n', '\r']));
        }
        let lease = Duration::from_millis(config.lease_ms.max(300));
        // Each host of the URL in turn (after a failover, the first may not answer at all):
        // a connection as a whole may take them all.
        let per_host = lease.max(Duration::from_secs(2));
        pg.connect_timeout(per_host);
        let creating = per_host * pg.get_hosts().len().max(1) as u32 + Duration::from_secs(2);
        // A transaction left open by a paused or cut-off process must not hold the writers'
        // turn or the lease row for long: the database ends it (it rolls back; that process
        // then cannot tell whether it committed, and reads everything again). Nothing waits
        // for a lock longer than a lease; a dead peer is noticed within about a lease.
        let idle = (lease / 2).max(Duration::from_millis(500));
        let options = format!(
            "{} -c idle_in_transaction_session_timeout={} -c lock_timeout={}",
            pg.get_options().unwrap_or_default(),
            idle.as_millis(),
            lease.as_millis()
        );
        pg.options(options.trim_start())
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(5))
            .keepalives_interval(Duration::from_secs(1))
            .keepalives_retries(3)
            .tcp_user_timeout(lease);
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match &config.ca_file {
            Some(ca) => {
                // TLS or nothing: a server that declines it is not spoken to in clear.
                pg.ssl_mode(tokio_postgres::config::SslMode::Require);
                Manager::from_config(pg, tls(ca)?, manager_config)
            }
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
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(lease))
            .create_timeout(Some(creating))
            .build()
            .map_err(db)?;
        if migrating {
            migrate(&pool).await?;
            say_durability(&pool).await;
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
            lease,
            term: AtomicU64::new(0),
            instance: format!(
                "{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            ),
            valid_until: AtomicU64::new(0),
            epoch: std::time::Instant::now(),
            generation: AtomicU64::new(0),
            live: Live::default(),
            freeze: RwLock::new(None),
            commits: AtomicU64::new(0),
            time: WriteTime::default(),
        };
        store.reload().await?;
        Ok(store)
    }

    /// On a standby: what the leader saved of a proposal, into this process's view of the
    /// unfinished ones (its overview and limits). The leader's own view is its writes.
    /// `read_at` is [`PgStore::generation`] from before the record was read.
    pub fn mirror(&self, record: &crate::core::ProposalRecord, read_at: u64) {
        if !self.leading() && self.generation() == read_at {
            self.live.wrote(record);
        }
    }

    /// What a mirror's read must be taken at.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// On a standby: the freeze as the database holds it now.
    pub async fn mirror_freeze(&self) -> Result<(), StoreError> {
        let read_at = self.generation();
        if self.leading() {
            return Ok(());
        }
        let freeze = self.read_freeze().await?;
        let mut slot = self.freeze.write().unwrap_or_else(|e| e.into_inner());
        if !self.leading() && self.generation() == read_at {
            *slot = freeze;
        }
        Ok(())
    }

    /// Reads again what is kept in memory: the unfinished proposals and the freeze (at open,
    /// and whenever another process may have written since).
    pub async fn reload(&self) -> Result<(), StoreError> {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let active = self.load_active().await?;
        self.live.replace(&active);
        let freeze = self.read_freeze().await?;
        let mut slot = self.freeze.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        *slot = freeze;
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
