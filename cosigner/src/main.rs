//! `hanko-cosigner`: the cosigner daemon, its key file and the operators' commands.

use std::process::ExitCode;

use clap::Parser;

/// Hanko cosigner: one NEM cosignatory key, its own policy.
#[derive(Parser)]
#[command(name = "hanko-cosigner", version, about)]
struct Cli {
    #[command(subcommand)]
    command: cosigner::cli::Command,
}

fn main() -> ExitCode {
    hanko_runtime::process::init_logging("info");
    let cli = Cli::parse();
    let result = cosigner::cli::run(cli.command, &hanko_runtime::process::notify_ready);
    cosigner::cli::exit(result, "hanko-cosigner")
}
