//! The coordinator's TOML configuration.

pub mod limits;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use nem::{Network, PublicKey};
use serde::{Deserialize, Serialize};

use crate::api::auth::Client;
use crate::core::build::{BuildConfig, ConfiguredAccount};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    /// The embedded store's directory (and nothing else when the store is a database).
    pub data_dir: PathBuf,
    /// Where the state is kept: embedded in `data_dir` (the default), or a PostgreSQL
    /// database that several coordinators share.
    #[serde(
        default,
        skip_serializing_if = "crate::store::StoreConfig::is_embedded"
    )]
    pub store: crate::store::StoreConfig,
    /// The NIS node, e.g. "http://127.0.0.1:7890".
    pub node: String,
    pub network: Network,
    /// Deadline after the timestamp, e.g. "1h" (at most 24h).
    #[serde(default = "default_deadline")]
    pub deadline: String,
    /// Milliseconds between ticks (retries, chain checks).
    #[serde(default = "default_tick")]
    pub tick_ms: u64,
    pub tls: TlsFiles,
    #[serde(default)]
    pub limits: crate::config::limits::Limits,
    #[serde(default)]
    pub watch: crate::chain::watch::WatchConfig,
    /// What stays in the main store; the rest of the finished work moves to the history.
    #[serde(default)]
    pub history: crate::store::Keep,
    /// Prometheus `/metrics` (plain HTTP; keep it on loopback or a monitoring network).
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
    #[serde(default, rename = "webhook", skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<crate::ops::webhook::WebhookConfig>,
    #[serde(rename = "account")]
    pub accounts: Vec<AccountConfig>,
    #[serde(rename = "client")]
    pub clients: Vec<Client>,
}

fn default_deadline() -> String {
    "1h".into()
}

fn default_tick() -> u64 {
    1_000
}

/// The installation's CA and this party's certificate and key (`[tls]`).
pub use hanko_proto::tls::TlsFiles;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    pub public_key: PublicKey,
    pub cosigners: Vec<PublicKey>,
    pub required: usize,
    /// Hot-wallet ceiling in XEM ("500000"): an alert when the balance is above it.
    #[serde(default)]
    pub max_balance: Option<String>,
    /// An alert when the balance falls below this many XEM.
    #[serde(default)]
    pub min_balance: Option<String>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut config: Config =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut config.tls.ca,
            &mut config.tls.cert,
            &mut config.tls.key,
            &mut config.data_dir,
        ] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        if let crate::store::StoreConfig::Postgres(pg) = &mut config.store {
            for p in [&mut pg.password_file, &mut pg.ca_file]
                .into_iter()
                .flatten()
            {
                if p.is_relative() {
                    *p = base.join(&*p);
                }
            }
        }
        for w in config.webhooks.iter_mut() {
            if w.secret_file.is_relative() {
                w.secret_file = base.join(&w.secret_file);
            }
        }
        config.watched()?;
        let h = &config.history;
        if [
            h.journal,
            h.batch as u64,
            h.interval_seconds,
            h.checkpoint_writes,
        ]
        .contains(&0)
        {
            return Err(format!(
                "{}: history: journal, batch, interval_seconds and checkpoint_writes must each \
                 be at least 1 (got {}, {}, {} and {}); finished may be 0",
                path.display(),
                h.journal,
                h.batch,
                h.interval_seconds,
                h.checkpoint_writes
            ));
        }
        for (i, a) in config.accounts.iter().enumerate() {
            if a.required == 0 || a.required > a.cosigners.len() {
                return Err(format!(
                    "account[{i}].required: {} is not between 1 and {} cosigners",
                    a.required,
                    a.cosigners.len()
                ));
            }
        }
        Ok(config)
    }

    pub fn build(&self) -> Result<BuildConfig, String> {
        let seconds = parse_seconds(&self.deadline)?;
        Ok(BuildConfig {
            network: self.network,
            deadline_seconds: seconds,
            timestamp_lag_seconds: 2,
        })
    }

    /// The accounts the chain watcher follows, with their balance bounds.
    pub fn watched(&self) -> Result<Vec<crate::chain::watch::Watched>, String> {
        let xem = |i: usize, field: &str, v: &Option<String>| {
            v.as_deref()
                .map(|t| {
                    t.parse::<nem::Amount>()
                        .map_err(|e| format!("account[{i}].{field}: {e}"))
                })
                .transpose()
        };
        self.accounts
            .iter()
            .zip(self.accounts())
            .enumerate()
            .map(|(i, (a, account))| {
                Ok(crate::chain::watch::Watched {
                    address: nem::Address::from_public_key(&a.public_key, self.network),
                    account,
                    max_balance: xem(i, "max_balance", &a.max_balance)?,
                    min_balance: xem(i, "min_balance", &a.min_balance)?,
                })
            })
            .collect()
    }

    pub fn accounts(&self) -> Vec<ConfiguredAccount> {
        self.accounts
            .iter()
            .map(|a| ConfiguredAccount {
                public_key: a.public_key,
                cosigners: a.cosigners.clone(),
                required: a.required,
            })
            .collect()
    }
}

fn parse_seconds(text: &str) -> Result<u32, String> {
    let (n, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u32 = n
        .parse()
        .map_err(|_| format!("deadline: '{text}' is not like 30m or 1h"))?;
    let s = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3_600),
        _ => return Err(format!("deadline: '{text}' needs a unit s, m or h")),
    };
    if s == 0 || s > 86_400 {
        return Err(format!("deadline: '{text}' must be between 1s and 24h"));
    }
    Ok(s)
}
