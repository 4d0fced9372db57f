//! The `hanko` command line: flags → commands. `main.rs` calls [`main_from`]; the benchmark
//! runs the same daemons through it.

use std::io::{stdin, stdout};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::CliError;
use crate::admin_cmd::{self, AdminCommand};
use crate::audit_cmd::{self, AuditCommand};
use crate::certs_cmd::{self, CertsCommand};
use crate::demo::{self, DemoArgs};
use crate::devnode_cmd::{self, DevnodeArgs};
use crate::nem_cmd::{self, NemCommand};
use crate::policy_cmd::{self, PolicyCommand};
use crate::treasury::{self, ProposalsCommand, ProposeArgs, ProposerKeyCommand};
use clap::{Parser, Subcommand};

/// Hanko: multisig co-signing for NEM (NIS1).
#[derive(Parser)]
#[command(name = "hanko", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A local 2-of-3 Hanko on a dev node: walks withdrawals through it, then keeps running.
    Demo(DemoArgs),
    /// A page on this machine (loopback only): proposals live, the withdrawal form, cosigner
    /// links, alerts, the freeze, and policy views; what it offers follows your role.
    Console(crate::console::ConsoleArgs),
    /// Propose a withdrawal (treasury staff).
    Propose(ProposeArgs),
    /// List, show, watch or cancel proposals.
    #[command(subcommand)]
    Proposals(ProposalsCommand),
    /// The proposer's encrypted identity key.
    #[command(subcommand)]
    ProposerKey(ProposerKeyCommand),
    /// Coordinator-wide freeze and status (admin, auditor).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Verify or export a daemon's hash-chained audit journal.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Run the coordinator daemon (same as hanko-coordinator).
    #[command(subcommand)]
    Coordinator(CoordinatorCommand),
    /// The cosigner daemon, its key file and the operators' commands (same as hanko-cosigner).
    #[command(subcommand)]
    Cosigner(cosigner::cli::Command),
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

#[derive(Subcommand)]
enum CoordinatorCommand {
    /// Run until SIGTERM or Ctrl-C; unfinished proposals resume on start.
    Run {
        #[arg(long)]
        config: PathBuf,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))
}

fn fail(program: &str, e: CliError) -> ExitCode {
    eprintln!("{program}: error: {e}");
    ExitCode::from(e.exit_code() as u8)
}

/// The whole `hanko` command: parses `args` (the program name first) and runs the command.
pub fn main_from(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let daemon = matches!(
        cli.command,
        Command::Coordinator(_) | Command::Cosigner(cosigner::cli::Command::Run { .. })
    );
    hanko_runtime::process::init_logging(if daemon { "info" } else { "warn" });
    let ready = &hanko_runtime::process::notify_ready;
    let out = &mut stdout().lock();
    let result = match cli.command {
        Command::Cosigner(cmd) => {
            return cosigner::cli::exit(cosigner::cli::run(cmd, ready), "hanko cosigner");
        }
        Command::Coordinator(CoordinatorCommand::Run { config }) => runtime().and_then(|rt| {
            rt.block_on(coordinator::daemon::run(&config, ready))
                .map_err(|e| CliError::Io(format!("{e:#}")))
        }),
        Command::Demo(args) => runtime().and_then(|rt| rt.block_on(demo::run(args, out))),
        Command::Console(args) => {
            runtime().and_then(|rt| rt.block_on(crate::console::run(args, out)))
        }
        Command::Policy(PolicyCommand::Console { dir, listen }) => runtime().and_then(|rt| {
            rt.block_on(crate::console::serve_policies(
                dir,
                &listen,
                out,
                hanko_runtime::process::shutdown_signal(),
            ))
        }),
        Command::Propose(args) => {
            runtime().and_then(|rt| rt.block_on(treasury::run_propose(args, out)))
        }
        Command::Proposals(cmd) => {
            runtime().and_then(|rt| rt.block_on(treasury::run_proposals(cmd, out)))
        }
        Command::ProposerKey(cmd) => treasury::run_proposer_key(cmd, out),
        Command::Audit(cmd) => runtime().and_then(|rt| rt.block_on(audit_cmd::run(cmd, out))),
        Command::Admin(cmd) => runtime().and_then(|rt| rt.block_on(admin_cmd::run(cmd, out))),
        Command::Nem(cmd) => nem_cmd::run(cmd, &mut stdin().lock(), out),
        Command::Devnode(args) => runtime().and_then(|rt| rt.block_on(devnode_cmd::run(args))),
        Command::Policy(cmd) => policy_cmd::run(cmd, out),
        Command::Certs(cmd) => certs_cmd::run(cmd, out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail("hanko", e),
    }
}
