//! The cosigner daemon's TOML configuration. Relative paths are relative to the file's own
//! directory, wherever the daemon was started from.

use std::path::{Path, PathBuf};

use nem::{Address, Network};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Durable decisions, bindings and the audit journal (sled).
    pub data_dir: PathBuf,
    /// Where the store's identity marker is kept, outside `data_dir` so that a deleted or
    /// replaced store is noticed (default: the directory that holds `data_dir`).
    #[serde(default)]
    pub state_dir: Option<PathBuf>,
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
    /// The operators' Unix socket: mode 0600 (the daemon's user only), or 0660 for
    /// `operator_group`.
    pub socket: PathBuf,
    /// The Unix group whose members operate this cosigner (a name, or a number): the socket
    /// and its directory are given to it, and a member's peer credentials are checked.
    #[serde(default)]
    pub operator_group: Option<String>,
    /// Operators by uid, besides the group's members and the daemon's own user. They reach the
    /// socket through `operator_group`, which they must belong to.
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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorLink {
    /// "host:port", or a list of them (coordinators sharing a database: the link goes to the
    /// one that leads, and moves when another takes over).
    pub address: hanko_proto::channel::Addresses,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Where the store's identity marker is kept.
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(|| {
            self.data_dir
                .parent()
                .map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
        })
    }

    /// Every path the daemon writes, for a key whose public key is `key`: its store, the
    /// marker (and its temporary twin) and the operator socket (whose directory's group it may
    /// set). A deployment must let it write each (see `deploy/systemd`).
    pub fn written_paths(&self, key: &nem::PublicKey) -> Vec<PathBuf> {
        let marker = crate::marker::marker_path(&self.state_dir(), key);
        let mut tmp = marker.as_os_str().to_owned();
        tmp.push(".tmp");
        let mut paths = vec![
            self.data_dir.clone(),
            marker,
            PathBuf::from(tmp),
            self.socket.clone(),
        ];
        if self.operator_group.is_some()
            && let Some(dir) = self.socket.parent()
        {
            paths.push(dir.to_path_buf());
        }
        paths
    }

    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut config: Config =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        // A bare file name's parent is "": the base is where it is, made absolute.
        let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = absolute.parent().unwrap_or(Path::new("/"));
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
        if let Some(p) = config.state_dir.as_mut() {
            paths.push(p);
        }
        for p in paths {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        if !config.operator_uids.is_empty() && config.operator_group.is_none() {
            return Err(format!(
                "{}: operator_uids: other users reach the socket only through operator_group (the socket is mode 0660 for it); set operator_group to a group these users belong to",
                path.display()
            ));
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
