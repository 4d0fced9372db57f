//! `hanko devnode`: a local NIS1 node for the demo and the tests.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use devnode::Config;
use devnode::config::EXAMPLE_KEYS;
use nem::{Address, KeyPair, PrivateKey};

use crate::error::CliError;

#[derive(Args, Debug)]
pub struct DevnodeArgs {
    /// TOML configuration (see deploy/devnode.example.toml); without it, a built-in 2-of-3 example.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:7890, or the config's `listen`).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Append every announce request body to this file, one JSON line each.
    #[arg(long)]
    request_log: Option<PathBuf>,
    /// Milliseconds between blocks (0: only on POST /dev/block).
    #[arg(long)]
    block_time_ms: Option<u64>,
}

pub fn load(args: &DevnodeArgs) -> Result<Config, CliError> {
    let mut config = match &args.config {
        Some(path) => Config::load(path).map_err(|e| CliError::Input(format!("--config: {e}")))?,
        None => Config::example().map_err(|e| CliError::Input(format!("built-in example: {e}")))?,
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(log) = &args.request_log {
        config.request_log = Some(log.clone());
    }
    if let Some(ms) = args.block_time_ms {
        config.block_time_ms = ms;
    }
    Ok(config)
}

/// What the built-in example contains, for a person trying the node.
pub fn example_banner(config: &Config) -> Result<String, CliError> {
    let mut text = String::from(
        "Built-in example genesis (testnet). TEST KEYS from NEM's public vector file: never use them for real funds.\n",
    );
    for (label, key) in EXAMPLE_KEYS {
        let key = PrivateKey::from_nis_hex(key).map_err(|e| CliError::Input(e.to_string()))?;
        let public = KeyPair::from_private_key(&key).public_key();
        let address = Address::from_public_key(&public, config.network);
        text.push_str(&format!(
            "  {label:<18} {address}  public {public}  private {}\n",
            key.to_nis_hex().as_str()
        ));
    }
    text.push_str("  treasury: 2-of-3 multisig of cosigners A, B, C holding 1,000,000 XEM\n");
    Ok(text)
}

pub async fn run(args: DevnodeArgs) -> Result<(), CliError> {
    let config = load(&args)?;
    if args.config.is_none() {
        print!("{}", example_banner(&config)?);
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| CliError::Io(format!("cannot listen on {}: {e}", config.listen)))?;
    let running = devnode::start(&config, listener).map_err(|e| CliError::Input(e.to_string()))?;
    println!(
        "hanko devnode listening on {} ({}, block every {} ms)",
        running.url(),
        config.network,
        config.block_time_ms
    );
    hanko_runtime::process::notify_ready();
    hanko_runtime::process::shutdown_signal().await;
    running.stop().await;
    Ok(())
}
