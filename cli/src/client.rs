//! How `hanko` reaches the coordinator: a client configuration file naming the coordinator,
//! the installation's CA and this user's certificate, and for proposers the identity key file.

use std::path::{Path, PathBuf};

use hanko_proto::v1::admin_client::AdminClient;
use hanko_proto::v1::treasury_client::TreasuryClient;
use nem::Network;
use serde::{Deserialize, Serialize};
use tonic::transport::Channel;
use zeroize::Zeroizing;

use crate::error::CliError;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// "host:port" of the coordinator, or a list of them (coordinators sharing a database:
    /// the one that leads is used).
    pub coordinator: hanko_proto::channel::Addresses,
    /// The DNS name in the coordinator's server certificate.
    pub server_name: String,
    pub network: Network,
    pub tls: TlsFiles,
    /// Only proposers need it.
    #[serde(default)]
    pub proposer: Option<ProposerKey>,
}

/// The installation's CA and this party's certificate and key (`[tls]`).
pub use hanko_proto::tls::TlsFiles;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposerKey {
    /// Made with `hanko proposer-key new FILE` (encrypted, mode 600).
    pub key_file: PathBuf,
    /// Mode 600; without it `hanko propose` asks on the terminal.
    #[serde(default)]
    pub passphrase_file: Option<PathBuf>,
}

/// The `--config` flag shared by every command that talks to the coordinator.
#[derive(clap::Args, Debug, Clone)]
pub struct ConfigArg {
    /// Client configuration (coordinator address, certificates, proposer key).
    #[arg(
        long,
        env = "HANKO_CLIENT_CONFIG",
        default_value = "/etc/hanko/client.toml"
    )]
    pub config: PathBuf,
}

fn io(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Io(format!("{}: {e}", path.display()))
}

impl ClientConfig {
    /// Reads the file; relative paths in it are relative to the file.
    pub fn load(path: &Path) -> Result<ClientConfig, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
        let mut config: ClientConfig = toml::from_str(&text)
            .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut paths = vec![
            &mut config.tls.ca,
            &mut config.tls.cert,
            &mut config.tls.key,
        ];
        if let Some(p) = config.proposer.as_mut() {
            paths.push(&mut p.key_file);
            if let Some(f) = p.passphrase_file.as_mut() {
                paths.push(f);
            }
        }
        for p in paths {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(config)
    }

    /// An mTLS channel to the coordinator (TLS 1.3, only the configured CA).
    pub async fn channel(&self) -> Result<Channel, CliError> {
        let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| io(p, e));
        hanko_runtime::process::check_private(&self.tls.key)
            .map_err(|e| CliError::Input(e.to_string()))?;
        let tls = hanko_proto::tls::client_config(
            &read(&self.tls.ca)?,
            &read(&self.tls.cert)?,
            &read(&self.tls.key)?,
        )
        .map_err(|e| CliError::Input(format!("tls: {e}")))?;
        hanko_proto::channel::connect_any(&self.coordinator, &self.server_name, tls)
            .await
            .map(|(channel, _)| channel)
            .map_err(|e| {
                CliError::Io(format!(
                    "cannot reach the coordinator at {}: {e}",
                    self.coordinator
                ))
            })
    }

    pub async fn treasury(&self) -> Result<TreasuryClient<Channel>, CliError> {
        Ok(TreasuryClient::new(self.channel().await?))
    }

    pub async fn admin(&self) -> Result<AdminClient<Channel>, CliError> {
        Ok(AdminClient::new(self.channel().await?))
    }

    /// Opens the proposer's identity key (passphrase from its file, or asked for).
    pub fn proposer_key(&self) -> Result<ed25519_dalek::SigningKey, CliError> {
        let p = self.proposer.as_ref().ok_or_else(|| {
            CliError::Input("[proposer]: this client configuration has no proposer key".into())
        })?;
        let secret = passphrase(p.passphrase_file.as_deref(), false)?;
        cosigner::keystore::open_identity(&p.key_file, &secret)
            .map_err(|e| CliError::Input(e.to_string()))
    }
}

/// A passphrase from a private file, or from the terminal (asked twice when `confirm`).
pub fn passphrase(file: Option<&Path>, confirm: bool) -> Result<Zeroizing<Vec<u8>>, CliError> {
    if let Some(path) = file {
        return cosigner::keystore::read_passphrase_file(path)
            .map_err(|e| CliError::Input(e.to_string()));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| CliError::Io(format!("cannot read the passphrase: {e}")))
    };
    let first = ask("passphrase: ")?;
    if confirm && *ask("passphrase again: ")? != *first {
        return Err(CliError::Input("the passphrases differ".into()));
    }
    Ok(Zeroizing::new(first.as_bytes().to_vec()))
}

/// A gRPC error as one line: the code in words, then the coordinator's message.
pub fn status(e: tonic::Status) -> CliError {
    let text = format!("{:?}: {}", e.code(), e.message());
    match e.code() {
        tonic::Code::InvalidArgument | tonic::Code::NotFound | tonic::Code::AlreadyExists => {
            CliError::Input(text)
        }
        tonic::Code::PermissionDenied | tonic::Code::FailedPrecondition => CliError::Refused(text),
        _ => CliError::Io(text),
    }
}
