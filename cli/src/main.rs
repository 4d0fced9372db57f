use std::io::{stdin, stdout};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hanko_cli::certs_cmd::{self, CertsCommand};
use hanko_cli::devnode_cmd::{self, DevnodeArgs};
use hanko_cli::nem_cmd::{self, NemCommand};
use hanko_cli::policy_cmd::{self, PolicyCommand};

/// Hanko: multisig co-signing for NEM (NIS1).
#[derive(Parser)]
#[command(name = "hanko", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// NIS1 protocol tools: keys, addresses, signatures, transaction encoding and checks.
    #[command(subcommand)]
    Nem(NemCommand),
    /// A local NIS1 node (dev and test only): NIS's REST API, rules and JSON shapes.
    Devnode(DevnodeArgs),
    /// Compliance tooling: lint, test, explain, diff, simulate and verify policy files.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// The installation's CA and its mTLS certificates.
    #[command(subcommand)]
    Certs(CertsCommand),
}

fn runtime() -> Result<tokio::runtime::Runtime, hanko_cli::CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| hanko_cli::CliError::Io(format!("cannot start the async runtime: {e}")))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HANKO_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Nem(cmd) => nem_cmd::run(cmd, &mut stdin().lock(), &mut stdout().lock()),
        Command::Devnode(args) => runtime().and_then(|rt| rt.block_on(devnode_cmd::run(args))),
        Command::Policy(cmd) => policy_cmd::run(cmd, &mut stdout().lock()),
        Command::Certs(cmd) => certs_cmd::run(cmd, &mut stdout().lock()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hanko: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
