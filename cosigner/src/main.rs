use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cosigner::keystore::{self, KdfParams};
use zeroize::Zeroizing;

/// Hanko cosigner: one NEM cosignatory key, its own policy.
#[derive(Parser)]
#[command(name = "hanko-cosigner", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create, import or inspect the encrypted key file.
    #[command(subcommand)]
    Keys(Keys),
}

#[derive(Subcommand)]
enum Keys {
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
struct PassphraseArgs {
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

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
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

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HANKO_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hanko-cosigner: error: {e}");
            ExitCode::from(2)
        }
    }
}
