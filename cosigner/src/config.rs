//! The cosigner daemon's TOML configuration. Relative paths are relative to the file.

use std::path::{Path, PathBuf};

use nem::{Address, Network};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Durable decisions, bindings and the audit journal (sled).
    pub data_dir: PathBuf,
    pub network: Network,
    /// The multisig accounts this cosigner cosigns for.
    pub accounts: Vec<Address>,
    /// This cosigner's own NIS node (not the coordinator's): cosignatories and outflows.
    pub node: String,
    /// The encrypted key file (hanko-cosigner keys new|import).
    pub key_file: PathBuf,
    /// The passphrase file (mode 600); without it the daemon prompts on its terminal.
    #[serde(default)]
    pub passphrase_file: Option<PathBuf>,
    /// The operators' Unix socket (created mode 600).
    pub socket: PathBuf,
    /// Unix users allowed on the socket besides the daemon's own.
    #[serde(default)]
    pub operator_uids: Vec<u32>,
    /// How old the node's view of an account may be when deciding, in milliseconds.
    #[serde(default = "default_chain_age")]
    pub chain_max_age_ms: u64,
    pub coordinator: CoordinatorLink,
    pub tls: TlsFiles,
    pub policy: PolicySource,
    #[serde(default)]
    pub watch: crate::watch::WatchConfig,
}

fn default_chain_age() -> u64 {
    3_000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorLink {
    /// "host:port".
    pub address: String,
    /// The DNS name in the coordinator's certificate.
    pub server_name: String,
    #[serde(default = "default_heartbeat")]
    pub heartbeat_ms: u64,
    /// How often deferred proposals are tried again.
    #[serde(default = "default_retry")]
    pub retry_ms: u64,
}

fn default_heartbeat() -> u64 {
    10_000
}

fn default_retry() -> u64 {
    5_000
}

/// The installation's CA and this party's certificate and key (`[tls]`).
pub use hanko_proto::tls::TlsFiles;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySource {
    /// The policy file; its `.minisig` signatures sit next to it.
    pub file: PathBuf,
    /// How many distinct trusted compliance keys must have signed it.
    pub threshold: usize,
    #[serde(rename = "trusted")]
    pub trusted: Vec<TrustedKey>,
    /// Milliseconds between checks of the file for changes (SIGHUP checks at once).
    #[serde(default = "default_watch")]
    pub watch_ms: u64,
}

fn default_watch() -> u64 {
    2_000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKey {
    pub name: String,
    /// The base64 line of the officer's minisign `.pub` file.
    pub key: String,
}

impl PolicySource {
    pub fn trust(&self) -> policy::signing::Trust {
        policy::signing::Trust {
            keys: self
                .trusted
                .iter()
                .map(|k| (k.name.clone(), k.key.clone()))
                .collect(),
            threshold: self.threshold,
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut config: Config =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut paths = vec![
            &mut config.data_dir,
            &mut config.key_file,
            &mut config.socket,
            &mut config.tls.ca,
            &mut config.tls.cert,
            &mut config.tls.key,
            &mut config.policy.file,
        ];
        if let Some(p) = config.passphrase_file.as_mut() {
            paths.push(p);
        }
        for p in paths {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        if config.accounts.is_empty() {
            return Err(format!(
                "{}: accounts: name at least one multisig account",
                path.display()
            ));
        }
        for (i, a) in config.accounts.iter().enumerate() {
            if a.network() != config.network {
                return Err(format!(
                    "{}: accounts[{i}]: {a} is a {} address, the cosigner is on {}",
                    path.display(),
                    a.network(),
                    config.network
                ));
            }
        }
        Ok(config)
    }
}
