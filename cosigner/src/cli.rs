//! The cosigner's command line: the daemon, its key file and the operators' commands. Both
//! `hanko-cosigner …` and `hanko cosigner …` parse [`Command`] and call [`run`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use zeroize::Zeroizing;

use crate::config::Config;
use crate::keystore::{self, KdfParams};
use crate::operator::Request;
use crate::render::{self, Shown};

#[derive(Subcommand)]
pub enum Command {
    /// Create, import or inspect the encrypted key file.
    #[command(subcommand)]
    Keys(Keys),
    /// Run the daemon until SIGTERM (SIGHUP re-checks the policy file).
    Run {
        #[arg(long)]
        config: PathBuf,
    },
    /// Proposals waiting for an operator's approval.
    Pending(OperatorArgs),
    /// One proposal, rendered from the bytes this cosigner decoded.
    Show {
        id: String,
        #[command(flatten)]
        op: OperatorArgs,
    },
    /// Approve a proposal; --confirm takes the first 8 hex digits of its inner hash.
    Approve {
        id: String,
        #[arg(long)]
        confirm: String,
        #[command(flatten)]
        op: OperatorArgs,
    },
    /// Refuse a proposal waiting for approval.
    Reject {
        id: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        op: OperatorArgs,
    },
    /// Stop all signing at once (survives restarts).
    Freeze {
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        op: OperatorArgs,
    },
    /// Resume signing.
    Unfreeze {
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        op: OperatorArgs,
    },
    /// Key, accounts, policy in force, freeze, counts and recent alerts.
    Status(OperatorArgs),
    /// The operators' page on this machine (loopback only): what waits for approval, approve,
    /// reject, freeze, and each velocity rule's use.
    Console(crate::console::ConsoleArgs),
}

#[derive(clap::Args)]
pub struct OperatorArgs {
    /// The daemon's operator socket.
    #[arg(
        long,
        env = "HANKO_COSIGNER_SOCKET",
        default_value = "/run/hanko-cosigner/operator.sock"
    )]
    socket: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Your name, recorded with your uid in the audit journal.
    #[arg(long, env = "USER", default_value = "operator")]
    name: String,
}

#[derive(Subcommand)]
pub enum Keys {
    /// Generate a new cosignatory key into FILE.
    New {
        file: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
    /// Import a NIS1 private key (hex on stdin) into FILE.
    Import {
        file: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
    /// Print the public key of FILE (no passphrase needed).
    ShowPublic {
        file: PathBuf,
        #[arg(long, default_value = "testnet")]
        network: nem::Network,
    },
}

#[derive(clap::Args)]
pub struct PassphraseArgs {
    /// Read the passphrase from this file (mode 600); otherwise prompt on the terminal.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
}

fn passphrase(args: &PassphraseArgs, confirm: bool) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    if let Some(path) = &args.passphrase_file {
        return Ok(keystore::read_passphrase_file(path)?);
    }
    let first = Zeroizing::new(rpassword::prompt_password("passphrase: ")?);
    if confirm {
        let again = Zeroizing::new(rpassword::prompt_password("passphrase again: ")?);
        if *first != *again {
            anyhow::bail!("the passphrases differ");
        }
    }
    Ok(Zeroizing::new(first.as_bytes().to_vec()))
}

/// Runs one command; `ready` is called once a started daemon serves (systemd readiness).
pub fn run(command: Command, ready: &dyn Fn()) -> anyhow::Result<()> {
    match command {
        Command::Run { config } => return daemon(&config, ready),
        Command::Pending(op) => operate(&op, Request::Pending)?,
        Command::Show { id, op } => operate(&op, Request::Show { id })?,
        Command::Approve { id, confirm, op } => {
            let name = op.name.clone();
            operate(&op, Request::Approve { id, confirm, name })?
        }
        Command::Reject { id, reason, op } => {
            let name = op.name.clone();
            operate(&op, Request::Reject { id, reason, name })?
        }
        Command::Freeze { reason, op } => {
            let name = op.name.clone();
            operate(&op, Request::Freeze { reason, name })?
        }
        Command::Unfreeze { reason, op } => {
            let name = op.name.clone();
            operate(&op, Request::Unfreeze { reason, name })?
        }
        Command::Status(op) => operate(&op, Request::Status)?,
        Command::Console(args) => {
            let out = &mut std::io::stdout();
            runtime()?.block_on(crate::console::serve(
                args,
                out,
                hanko_runtime::process::shutdown_signal(),
            ))?
        }
        Command::Keys(Keys::New {
            file,
            passphrase: p,
        }) => {
            let secret = passphrase(&p, true)?;
            let key = keystore::generate()?;
            let public = keystore::create(&file, &key, &secret, KdfParams::default())?;
            println!(
                "{{\"public_key\": \"{public}\", \"file\": \"{}\"}}",
                file.display()
            );
        }
        Command::Keys(Keys::Import {
            file,
            passphrase: p,
        }) => {
            let mut text = Zeroizing::new(String::new());
            std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)?;
            let key = nem::PrivateKey::from_nis_hex(&text)
                .map_err(|e| anyhow::anyhow!("private key on stdin: {e}"))?;
            let secret = passphrase(&p, true)?;
            let public = keystore::create(&file, &key, &secret, KdfParams::default())?;
            println!(
                "{{\"public_key\": \"{public}\", \"file\": \"{}\"}}",
                file.display()
            );
        }
        Command::Keys(Keys::ShowPublic { file, network }) => {
            let public = keystore::public_key(&file)?;
            let address = nem::Address::from_public_key(&public, network);
            println!(
                "{{\"public_key\": \"{public}\", \"address\": \"{address}\", \"network\": \"{network}\"}}"
            );
        }
    }
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Sends one operator request and prints the answer; an error answer is a failure exit.
fn operate(op: &OperatorArgs, request: Request) -> anyhow::Result<()> {
    let human = !op.json;
    let kind = match &request {
        Request::Pending => "pending",
        Request::Show { .. } | Request::Approve { .. } | Request::Reject { .. } => "proposal",
        _ => "other",
    };
    let response = runtime()?
        .block_on(crate::operator::call(&op.socket, &request))
        .map_err(anyhow::Error::msg)?;
    if !response.ok {
        anyhow::bail!("{}", response.error.unwrap_or_default());
    }
    if !human {
        println!("{}", serde_json::to_string_pretty(&response.data)?);
        return Ok(());
    }
    match kind {
        "pending" => {
            let list: Vec<Shown> = serde_json::from_value(response.data)?;
            if list.is_empty() {
                println!("nothing is waiting for approval");
            }
            for s in list {
                println!("{}\n", render::text(&s));
            }
        }
        "proposal" => {
            let s: Shown = serde_json::from_value(response.data)?;
            println!("{}", render::text(&s));
        }
        _ => println!("{}", serde_json::to_string_pretty(&response.data)?),
    }
    Ok(())
}

fn daemon(path: &std::path::Path, ready: &dyn Fn()) -> anyhow::Result<()> {
    let config = Config::load(path).map_err(anyhow::Error::msg)?;
    let secret = match &config.passphrase_file {
        Some(p) => keystore::read_passphrase_file(p)?,
        None => Zeroizing::new(
            Zeroizing::new(rpassword::prompt_password("key passphrase: ")?)
                .as_bytes()
                .to_vec(),
        ),
    };
    runtime()?.block_on(async move {
        let running = crate::daemon::start(&config, secret).await?;
        let e = &running.engine;
        tracing::info!(public_key = %e.public_key(), policy = %e.policy().hash(), socket = %config.socket.display(), coordinator = %config.coordinator.address, "hanko-cosigner ready");
        println!("hanko-cosigner ready: {}", e.public_key());
        ready();
        hanko_runtime::process::shutdown_signal().await;
        tracing::info!("shutting down");
        running.stop().await;
        Ok(())
    })
}

/// The exit status for a command's result, with the error on stderr.
pub fn exit(result: anyhow::Result<()>, program: &str) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{program}: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
