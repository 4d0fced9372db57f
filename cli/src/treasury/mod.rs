//! Treasury commands: `hanko propose`, `hanko proposals list|show|watch|cancel`, and the
//! proposer's identity key file.

pub mod check;
pub mod render;

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use ed25519_dalek::Signer;
use hanko_proto::v1 as pb;
use hanko_proto::v1::treasury_client::TreasuryClient;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use crate::client::{ClientConfig, ConfigArg, passphrase, status};
use crate::error::CliError;
use check::{Asked, check_prepared};

/// What a withdrawal asks for, as typed: by `hanko propose`'s flags or the console's form.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Withdrawal {
    /// The multisig account to pay from.
    #[arg(long)]
    pub account: String,
    /// The recipient's address.
    #[arg(long)]
    pub to: String,
    /// XEM, at most 6 decimals (e.g. 12.5).
    #[arg(long)]
    pub amount: Option<String>,
    /// A mosaic to send, namespace:name=quantity in smallest units; repeatable.
    #[arg(long = "mosaic")]
    pub mosaics: Vec<String>,
    /// A plain message (at most 1024 bytes).
    #[arg(long, default_value = "")]
    pub message: String,
}

#[derive(clap::Args, Debug)]
pub struct ProposeArgs {
    #[command(flatten)]
    pub withdrawal: Withdrawal,
    /// Retrying with the same key never creates a second proposal. Default: a new random key,
    /// printed so a retry can reuse it.
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// Follow the proposal until it is confirmed or ends otherwise.
    #[arg(long)]
    pub wait: bool,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub config: ConfigArg,
}

#[derive(Subcommand, Debug)]
pub enum ProposalsCommand {
    /// Proposals (a page of at most --limit), filtered by state or account.
    List {
        /// proposed, collecting, ready, announced, confirmed, rejected, cancelled, expired, failed; repeatable.
        #[arg(long = "state")]
        states: Vec<String>,
        #[arg(long)]
        account: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// One proposal with every cosigner's decision and reasons.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Print each state change of one proposal (or all, without ID) until it ends.
    Watch {
        id: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Cancel a proposal that is not yet announced.
    Cancel {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProposerKeyCommand {
    /// Create a new encrypted proposer identity key in FILE (mode 600, never overwritten).
    New {
        file: PathBuf,
        /// Read the passphrase from this file (mode 600); otherwise ask twice.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// Print the public key to register with the coordinator's operators.
    ShowPublic { file: PathBuf },
}

fn print(out: &mut dyn Write, p: &pb::Proposal, json: bool) -> Result<(), CliError> {
    let text = if json {
        render::json(p).to_string()
    } else {
        format!("{}\n", render::text(p))
    };
    writeln!(out, "{text}").map_err(|e| CliError::Io(e.to_string()))
}

fn asked(network: nem::Network, args: &Withdrawal) -> Result<Asked, CliError> {
    Asked::parse(
        network,
        &args.account,
        &args.to,
        args.amount.as_deref(),
        &args.mosaics,
        &args.message,
    )
    .map_err(CliError::Input)
}

/// Prepare, check the prepared bytes here, sign the intent, propose. Returns the stored proposal.
pub async fn propose(
    config: &ClientConfig,
    client: &mut TreasuryClient<Channel>,
    key: &ed25519_dalek::SigningKey,
    args: &Withdrawal,
    idempotency_key: &str,
) -> Result<pb::Proposal, CliError> {
    let asked = asked(config.network, args)?;
    let prepared = client
        .prepare(pb::PrepareRequest {
            account: args.account.clone(),
            recipient: args.to.clone(),
            amount: args.amount.clone().unwrap_or_default(),
            mosaics: asked
                .mosaics
                .iter()
                .map(|m| pb::Mosaic {
                    id: m.id.to_string(),
                    quantity: m.quantity,
                })
                .collect(),
            message: args.message.clone(),
            idempotency_key: idempotency_key.to_string(),
        })
        .await
        .map_err(status)?
        .into_inner();
    let now = nem::NemTimestamp::now()
        .ok_or_else(|| CliError::Io("this machine's clock is before the NEM epoch".into()))?;
    check_prepared(&asked, &prepared.inner_transaction, config.network, now)
        .map_err(CliError::Refused)?;
    // Sign what was decoded here, never the coordinator's copy of the intent.
    let intent = hanko_proto::intent(&prepared.proposal_id, &prepared.inner_transaction);
    if intent != prepared.intent {
        return Err(CliError::Refused(
            "the coordinator's intent differs from the one rebuilt here; nothing was signed".into(),
        ));
    }
    let signature = key.sign(&intent);
    let proposal = client
        .propose(pb::ProposeRequest {
            proposal_id: prepared.proposal_id,
            idempotency_key: idempotency_key.to_string(),
            inner_transaction: prepared.inner_transaction,
            proposer: key.verifying_key().to_bytes().to_vec(),
            proposer_signature: signature.to_bytes().to_vec(),
        })
        .await
        .map_err(status)?
        .into_inner();
    Ok(proposal)
}

/// Follows `id` (or every proposal) and prints each change until it ends.
pub async fn watch(
    client: &mut TreasuryClient<Channel>,
    id: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> Result<Option<pb::Proposal>, CliError> {
    let mut stream = client
        .watch(pb::WatchRequest {
            id: id.unwrap_or_default().to_string(),
        })
        .await
        .map_err(status)?
        .into_inner();
    let mut last = None;
    while let Some(item) = stream.next().await {
        let p = item.map_err(status)?;
        if json {
            print(out, &p, true)?;
        } else {
            writeln!(out, "{}", render::line(&p)).map_err(|e| CliError::Io(e.to_string()))?;
        }
        let done = id.is_some() && render::is_terminal(p.state);
        last = Some(p);
        if done {
            break;
        }
    }
    Ok(last)
}

/// A new random idempotency key, `prefix` first (who made it: `cli`, `console`).
pub fn new_key(prefix: &str) -> Result<String, CliError> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| CliError::Io(format!("random: {e}")))?;
    Ok(format!("{prefix}-{}", hex::encode(bytes)))
}

pub async fn run_propose(args: ProposeArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let config = ClientConfig::load(&args.config.config)?;
    // Bad input is refused before anything else happens.
    asked(config.network, &args.withdrawal)?;
    let key = config.proposer_key()?;
    let idempotency_key = match &args.idempotency_key {
        Some(k) => k.clone(),
        None => new_key("cli")?,
    };
    if !args.json {
        eprintln!("idempotency key {idempotency_key} (reuse it to retry safely)");
    }
    let mut client = config.treasury().await?;
    let proposal = propose(
        &config,
        &mut client,
        &key,
        &args.withdrawal,
        &idempotency_key,
    )
    .await?;
    print(out, &proposal, args.json)?;
    if args.wait {
        let last = watch(&mut client, Some(&proposal.id), args.json, out).await?;
        if let Some(p) = last.filter(|p| render::state_name(p.state) != "confirmed") {
            if !args.json {
                print(out, &p, false)?;
            }
            return Err(CliError::Refused(format!(
                "proposal {} ended {}",
                p.id,
                render::state_name(p.state)
            )));
        }
    }
    Ok(())
}

pub async fn run_proposals(cmd: ProposalsCommand, out: &mut dyn Write) -> Result<(), CliError> {
    match cmd {
        ProposalsCommand::List {
            states,
            account,
            limit,
            json,
            config,
        } => {
            let states = states
                .iter()
                .map(|s| render::parse_state(s).map(|s| s as i32))
                .collect::<Result<Vec<_>, _>>()
                .map_err(CliError::Input)?;
            let mut client = ClientConfig::load(&config.config)?.treasury().await?;
            let list = client
                .list(pb::ListRequest {
                    states,
                    account: account.unwrap_or_default(),
                    page_size: limit,
                    page_token: String::new(),
                })
                .await
                .map_err(status)?
                .into_inner();
            if json {
                let all: Vec<_> = list.proposals.iter().map(render::json).collect();
                return crate::io::print_json(out, &all);
            }
            if list.proposals.is_empty() {
                writeln!(out, "no proposals").map_err(|e| CliError::Io(e.to_string()))?;
            }
            for p in &list.proposals {
                writeln!(out, "{}", render::line(p)).map_err(|e| CliError::Io(e.to_string()))?;
            }
            Ok(())
        }
        ProposalsCommand::Show { id, json, config } => {
            let mut client = ClientConfig::load(&config.config)?.treasury().await?;
            let p = client
                .get(pb::GetRequest { id })
                .await
                .map_err(status)?
                .into_inner();
            print(out, &p, json)
        }
        ProposalsCommand::Watch { id, json, config } => {
            let mut client = ClientConfig::load(&config.config)?.treasury().await?;
            watch(&mut client, id.as_deref(), json, out)
                .await
                .map(|_| ())
        }
        ProposalsCommand::Cancel {
            id,
            reason,
            json,
            config,
        } => {
            let mut client = ClientConfig::load(&config.config)?.treasury().await?;
            let p = client
                .cancel(pb::CancelRequest { id, reason })
                .await
                .map_err(status)?
                .into_inner();
            print(out, &p, json)
        }
    }
}

pub fn run_proposer_key(cmd: ProposerKeyCommand, out: &mut dyn Write) -> Result<(), CliError> {
    let public = match cmd {
        ProposerKeyCommand::New {
            file,
            passphrase_file,
        } => {
            let secret = passphrase(passphrase_file.as_deref(), true)?;
            cosigner::keystore::create_identity(&file, &secret, Default::default())
                .map_err(|e| CliError::Input(e.to_string()))?
        }
        ProposerKeyCommand::ShowPublic { file } => cosigner::keystore::identity_public_key(&file)
            .map_err(|e| CliError::Input(e.to_string()))?,
    };
    crate::io::print_json(
        out,
        &serde_json::json!({ "public_key": public.to_string() }),
    )
}
