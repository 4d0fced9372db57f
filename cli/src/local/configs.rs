//! Each daemon's configuration for a local installation, written by serializing the daemon's
//! own configuration type: what is written here is what the daemon reads. Paths are relative
//! to the file's directory, as the daemons read them.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use coordinator::api::auth::{Client, Role};
use coordinator::config::{AccountConfig, Config as CoordinatorConfig};
use coordinator::store::StoreConfig;
use coordinator::store::postgres::PostgresConfig;
use cosigner::config::{Config as CosignerConfig, CoordinatorLink, PolicySource, TrustedKey};
use hanko_proto::channel::Addresses;
use serde::Serialize;

use super::layout::{Layout, NETWORK, io, minisign_err, mkdir};
use crate::client::{ClientConfig, ProposerKey, TlsFiles};
use crate::error::CliError;
use crate::io::write_new;

/// `value` as TOML under a comment line, at `path`.
fn write_toml(path: &Path, comment: &str, value: &impl Serialize) -> Result<(), CliError> {
    let text = toml::to_string(value)
        .map_err(|e| CliError::Io(format!("{}: cannot write it: {e}", path.display())))?;
    std::fs::write(path, format!("# {comment}\n{text}")).map_err(io(path))
}

/// The installation's CA (`../pki/ca.pem` from a daemon's directory) with a certificate.
fn tls(cert: &str, key: &str) -> TlsFiles {
    TlsFiles {
        ca: PathBuf::from("../pki/ca.pem"),
        cert: cert.into(),
        key: key.into(),
    }
}

impl Layout {
    pub(super) fn write_devnode(&self, block_time_ms: u64, ip: IpAddr) -> Result<(), CliError> {
        mkdir(&self.dir.join("devnode"))?;
        let config = devnode::Config {
            network: NETWORK,
            listen: (ip, 0).into(),
            block_time_ms,
            request_log: Some(self.announce_log.clone()),
            accounts: vec![devnode::config::AccountConfig {
                public_key: None,
                address: Some(self.context.customer),
                balance: "0".into(),
                label: Some("customer".into()),
            }],
            multisigs: vec![devnode::config::MultisigConfig {
                label: Some("treasury hot wallet".into()),
                public_key: self.multisig,
                balance: "1000000".into(),
                cosignatories: self.cosigners.iter().map(|c| c.public_key).collect(),
                min_cosignatories: self.required as u32,
            }],
            faults: Default::default(),
        };
        let text = toml::to_string(&config)
            .map_err(|e| CliError::Io(format!("dev node configuration: {e}")))?;
        write_new(&self.devnode_config, &text, false)
    }

    /// Coordinator `i`'s configuration, pointing at the dev node; `listen` may be port 0.
    pub fn write_coordinator(
        &self,
        i: usize,
        node_url: &str,
        listen: SocketAddr,
        deadline: &str,
    ) -> Result<(), CliError> {
        let dir = self.coordinator_dir(i);
        mkdir(&dir)?;
        let store = match &self.store {
            StoreConfig::Embedded => StoreConfig::Embedded,
            StoreConfig::Postgres(pg) => StoreConfig::Postgres(PostgresConfig {
                name: Some(format!("coordinator-{}", i + 1)),
                ..pg.clone()
            }),
        };
        let client = |name: &str, role, cosigner_key| Client {
            name: name.into(),
            role,
            cosigner_key,
        };
        let mut clients = vec![
            client("treasury-alice", Role::Proposer, None),
            client("security-oncall", Role::Admin, None),
        ];
        clients.extend(
            self.cosigners
                .iter()
                .map(|c| client(&c.name, Role::Cosigner, Some(c.public_key))),
        );
        let config = CoordinatorConfig {
            listen,
            data_dir: "data".into(),
            store,
            node: node_url.into(),
            network: NETWORK,
            deadline: deadline.into(),
            tick_ms: 250,
            tls: tls("../pki/coordinator.pem", "../pki/coordinator.key"),
            limits: self.limits.unwrap_or_default(),
            watch: coordinator::chain::watch::WatchConfig {
                interval_ms: 250,
                ..Default::default()
            },
            history: self.history.unwrap_or_default(),
            // Standbys keep their metrics to themselves here: one fixed port is the first's.
            metrics_listen: (i == 0).then_some(self.metrics_addr),
            webhooks: vec![],
            accounts: vec![AccountConfig {
                public_key: self.multisig,
                cosigners: self.cosigners.iter().map(|c| c.public_key).collect(),
                required: self.required,
                max_balance: None,
                min_balance: None,
            }],
            clients,
        };
        let path = &self.coordinator_config_of(i);
        write_toml(
            path,
            "A local Hanko coordinator (made by hanko demo).",
            &config,
        )
    }

    /// The treasury's and the admin's client configurations, pointing at the coordinators.
    pub fn write_clients(&self, coordinators: &Addresses) -> Result<(), CliError> {
        for (path, proposer) in [(&self.treasury_config, true), (&self.admin_config, false)] {
            let config = ClientConfig {
                coordinator: coordinators.clone(),
                server_name: "localhost".into(),
                network: NETWORK,
                tls: tls("tls.pem", "tls.key"),
                proposer: proposer.then(|| ProposerKey {
                    key_file: "proposer.key".into(),
                    passphrase_file: Some("passphrase".into()),
                }),
            };
            let comment = format!(
                "How `hanko` reaches the local coordinator: hanko ... --config {}",
                path.display()
            );
            write_toml(path, &comment, &config)?;
        }
        Ok(())
    }

    /// Cosigner `i`'s configuration, pointing at the coordinator and the dev node.
    pub fn write_cosigner(
        &self,
        i: usize,
        node_url: &str,
        coordinator: &Addresses,
    ) -> Result<(), CliError> {
        let c = self
            .cosigners
            .get(i)
            .ok_or_else(|| CliError::Input(format!("no cosigner {i}")))?;
        let trusted = self
            .officers
            .iter()
            .map(|(name, pk)| {
                // The base64 line of the officer's `.pub` file.
                let key = pk.to_box().map_err(minisign_err)?.to_string();
                Ok(TrustedKey {
                    name: name.clone(),
                    key: key.lines().nth(1).unwrap_or_default().to_string(),
                })
            })
            .collect::<Result<Vec<_>, CliError>>()?;
        let config = CosignerConfig {
            data_dir: "data".into(),
            state_dir: None,
            network: NETWORK,
            accounts: vec![self.context.account],
            node: node_url.into(),
            key_file: "cosigner.key".into(),
            passphrase_file: Some("passphrase".into()),
            socket: "operator.sock".into(),
            operator_group: None,
            operator_uids: vec![],
            chain_max_age_ms: 500,
            coordinator: CoordinatorLink {
                address: coordinator.clone(),
                server_name: "localhost".into(),
                heartbeat_ms: 1_000,
                retry_ms: 500,
            },
            tls: tls("tls.pem", "tls.key"),
            policy: PolicySource {
                file: "policy.toml".into(),
                threshold: 2,
                trusted,
                watch_ms: 500,
            },
            watch: cosigner::watch::WatchConfig {
                interval_ms: 300,
                ..Default::default()
            },
        };
        let comment = format!("Local Hanko {} (made by hanko demo).", c.name);
        write_toml(&c.config, &comment, &config)
    }
}
