use std::io::{stdin, stdout};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hanko_cli::nem_cmd::{self, NemCommand};

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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hanko: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
