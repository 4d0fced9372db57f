//! The coordinator in process, started as its daemon starts (`coordinator::daemon::start`)
//! from a configuration made here: the same store, services, ticker and TLS as the process.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use coordinator::api::auth::{Client, Role};
use coordinator::config::limits::Limits;
use coordinator::config::{AccountConfig, Config};
use coordinator::core::build::BuildConfig;
use coordinator::daemon::Running;
use coordinator::driver::{Coordinator, Settings};
use coordinator::store::Store;
use hanko_proto::tls::TlsFiles;
use nem::{Network, PublicKey};

use crate::keys::nem_key;
use crate::pki::{Pki, write_private};

/// What a test's coordinator serves.
pub struct Setup {
    pub accounts: Vec<AccountConfig>,
    pub clients: Vec<Client>,
    pub tick_ms: u64,
    pub deadline: String,
    pub limits: Limits,
    /// The chain watcher (off: most tests move funds the watcher would report).
    pub watch: bool,
    /// Embedded in the test's directory, or a database.
    pub store: coordinator::store::StoreConfig,
}

impl Default for Setup {
    /// The example 2-of-3 treasury, the proposer `alice`, a tick every 200 ms, and rate
    /// limits no test reaches.
    fn default() -> Self {
        Setup {
            accounts: vec![example_account()],
            clients: vec![client("alice", Role::Proposer)],
            tick_ms: 200,
            deadline: "1h".into(),
            limits: Limits {
                requests_per_second: 100_000,
                burst: 100_000,
                ..Limits::default()
            },
            watch: false,
            store: Default::default(),
        }
    }
}

/// The dev node's example treasury: `nem_key(0)`, 2 of `nem_key(1..=3)`.
pub fn example_account() -> AccountConfig {
    AccountConfig {
        public_key: nem_key(0).public_key(),
        cosigners: (1..=3).map(|i| nem_key(i).public_key()).collect(),
        required: 2,
        max_balance: None,
        min_balance: None,
    }
}

/// A client that is not a cosigner.
pub fn client(name: &str, role: Role) -> Client {
    Client {
        name: name.into(),
        role,
        cosigner_key: None,
    }
}

/// A cosigner's client entry.
pub fn cosigner(name: &str, key: PublicKey) -> Client {
    Client {
        name: name.into(),
        role: Role::Cosigner,
        cosigner_key: Some(key),
    }
}

/// The configuration of a coordinator serving `setup` on 127.0.0.1 (any port) with `pki`'s
/// server certificate (written into `dir`), its data in `dir/data`, `node_url` its NIS node.
pub fn configure(setup: Setup, pki: &Pki, node_url: &str, dir: &Path) -> Config {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("ca.pem"), &pki.ca.cert_pem).unwrap();
    std::fs::write(dir.join("coordinator.pem"), &pki.server.cert_pem).unwrap();
    write_private(&dir.join("coordinator.key"), &pki.server.key_pem);
    Config {
        listen: ([127, 0, 0, 1], 0).into(),
        data_dir: dir.join("data"),
        store: setup.store,
        node: node_url.into(),
        network: Network::Testnet,
        deadline: setup.deadline,
        tick_ms: setup.tick_ms,
        tls: TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("coordinator.pem"),
            key: dir.join("coordinator.key"),
        },
        limits: setup.limits,
        watch: coordinator::chain::watch::WatchConfig {
            enabled: setup.watch,
            ..Default::default()
        },
        history: Default::default(),
        metrics_listen: None,
        webhooks: vec![],
        accounts: setup.accounts,
        clients: setup.clients,
    }
}

/// Writes `config` as its TOML file at `path`, for the `hanko-coordinator` process.
pub fn write(config: &Config, path: &Path) {
    std::fs::write(path, toml::to_string(config).unwrap()).unwrap();
}

/// Starts a coordinator in process as [`configure`] configures it (start again on the same
/// `dir` for a restart).
pub async fn start(setup: Setup, pki: &Pki, node_url: &str, dir: &Path) -> Running {
    let config = configure(setup, pki, node_url, dir);
    let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
    coordinator::daemon::start(&config, listener).await.unwrap()
}

/// A coordinator on `store` whose node never answers and which serves no account: for tests
/// of the store and the driver that need no network.
pub fn offline(store: &Arc<Store>) -> Arc<Coordinator> {
    let node =
        nem::client::NisClient::new(nem::client::ClientConfig::new("http://127.0.0.1:9")).unwrap();
    let settings = Settings {
        build: BuildConfig {
            network: Network::Testnet,
            deadline_seconds: 3_600,
            timestamp_lag_seconds: 2,
        },
        accounts: vec![],
        tick: Duration::from_secs(3_600),
        limits: Default::default(),
    };
    Coordinator::new(store.clone(), node, settings)
}
