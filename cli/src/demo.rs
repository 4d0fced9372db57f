//! `hanko demo [--once] [--data-dir DIR]`: a local 2-of-3 Hanko on a dev node. It makes every
//! key, certificate, signed policy and configuration, starts the daemons as processes, walks
//! two withdrawals through them, then keeps running for you to try until Ctrl-C.

use std::io::Write;
use std::path::PathBuf;

use crate::error::CliError;
use crate::local::script::{self, StoryOutcome};
use crate::local::{Local, Plan};

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Run the walk-through, stop everything and exit (0 when every step went as described).
    #[arg(long)]
    pub once: bool,
    /// Where every daemon keeps its data, logs and configuration (new or empty). Default: a
    /// new directory under the system's temporary directory.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Where the treasury console serves (loopback only).
    #[arg(long, default_value_t = format!("127.0.0.1:{}", hanko_runtime::web::TREASURY_PORT))]
    pub console: String,
    /// Where cosigner B's operator console serves (loopback only).
    #[arg(long, default_value_t = format!("127.0.0.1:{}", hanko_runtime::web::OPERATOR_PORT))]
    pub operator_console: String,
}

fn w(e: std::io::Error) -> CliError {
    CliError::Io(e.to_string())
}

fn default_dir() -> Result<PathBuf, CliError> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(|e| CliError::Io(format!("random: {e}")))?;
    Ok(std::env::temp_dir().join(format!("hanko-demo-{}", hex::encode(bytes))))
}

/// What a successful walk-through shows.
pub fn check(o: &StoryOutcome) -> Result<(), CliError> {
    let mut wrong = vec![];
    if !o.confirmed {
        wrong.push("withdrawal 1 was not confirmed".to_string());
    }
    if o.customer_received != 1_000_000_000 {
        wrong.push(format!(
            "the customer received {} micro-XEM, not 1,000 XEM",
            o.customer_received
        ));
    }
    if o.treasury_paid <= 1_000_000_000 {
        wrong.push(format!(
            "the treasury paid {} micro-XEM, not 1,000 XEM plus fees",
            o.treasury_paid
        ));
    }
    if !o.rejected || o.refused_by < 2 {
        wrong.push(format!(
            "withdrawal 2 was {} with {} cosigners' reasons",
            if o.rejected {
                "rejected"
            } else {
                "not rejected"
            },
            o.refused_by
        ));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(CliError::Refused(format!(
            "the demo went wrong: {}",
            wrong.join("; ")
        )))
    }
}

pub async fn run(args: DemoArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let dir = match args.data_dir {
        Some(d) => d,
        None => default_dir()?,
    };
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Io(format!("cannot find the hanko binary: {e}")))?;
    writeln!(out, "Hanko demo: a local 2-of-3 multisig on an embedded NIS1 dev node\n  data, logs and configuration: {}", dir.display()).map_err(w)?;
    let plan = Plan::new(dir.clone(), 3, 2);
    let local = tokio::task::spawn_blocking(move || Local::start(&exe, &plan))
        .await
        .map_err(|e| CliError::Io(format!("start-up: {e}")))??;
    let l = &local.layout;
    writeln!(out, "  made: a CA and mTLS certificates, 3 encrypted cosigner keys, a proposer key, 3 policies signed by compliance officers {}", layout_officers(l)).map_err(w)?;
    writeln!(
        out,
        "  dev node     {} (a block every second)",
        local.node_url
    )
    .map_err(w)?;
    writeln!(
        out,
        "  treasury     {} (2 of 3 cosigners must sign)",
        l.context.account
    )
    .map_err(w)?;
    writeln!(
        out,
        "  coordinator  {} (mTLS, holds no key)",
        local.coordinator_addr
    )
    .map_err(w)?;
    for c in &l.cosigners {
        writeln!(
            out,
            "  cosigner {}   {} (its own key, policy and operator socket)",
            c.letter, c.public_key
        )
        .map_err(w)?;
    }
    let outcome = script::run(&local, out).await;
    let verdict = outcome.and_then(|o| check(&o));
    if args.once || verdict.is_err() {
        tokio::task::spawn_blocking(move || local.stop())
            .await
            .map_err(|e| CliError::Io(e.to_string()))?;
        if verdict.is_ok() {
            writeln!(
                out,
                "\nDemo complete. Everything is kept in {}",
                dir.display()
            )
            .map_err(w)?;
        }
        return verdict;
    }
    let consoles = match start_consoles(&local, &args.console, &args.operator_console).await {
        Ok(c) => c,
        Err(e) => {
            tokio::task::spawn_blocking(move || local.stop())
                .await
                .map_err(|e| CliError::Io(e.to_string()))?;
            return Err(e);
        }
    };
    let d = dir.display();
    let c = l.treasury_config.display();
    writeln!(
        out,
        r#"
Hanko keeps running. Open the consoles in a browser on this machine:
  treasury console         {treasury}
  cosigner B's operators   {operator}
Or, in another terminal, try:
  hanko propose --config {c} --account {account} --to {customer} --amount 250 --wait
  hanko propose --config {c} --account {account} --to {customer} --amount 700 --message WD-000003
  hanko proposals list --config {c}
  hanko cosigner pending --socket {d}/cosigner-b/operator.sock
  hanko cosigner approve ID --confirm XXXXXXXX --socket {d}/cosigner-b/operator.sock
  hanko cosigner freeze --reason "trying it" --socket {d}/cosigner-a/operator.sock
  hanko admin status --config {admin}
(`cargo run --release -p hanko-cli --` in place of `hanko` from a checkout.) Logs: {d}/*/log.txt
Ctrl-C stops everything."#,
        account = l.context.account,
        customer = l.context.customer,
        admin = l.admin_config.display(),
        treasury = consoles.treasury,
        operator = consoles.operator,
    )
    .map_err(w)?;
    out.flush().map_err(w)?;
    hanko_runtime::process::shutdown_signal().await;
    writeln!(out, "stopping…").map_err(w)?;
    consoles.stop.send_replace(true);
    tokio::task::spawn_blocking(move || local.stop())
        .await
        .map_err(|e| CliError::Io(e.to_string()))?;
    Ok(())
}

/// The demo's two consoles, serving until `stop` is set.
struct Consoles {
    treasury: String,
    operator: String,
    stop: tokio::sync::watch::Sender<bool>,
}

/// The treasury console (the demo's proposer, with the cosigners' policies copied into
/// `policies/` for the policy pages) and cosigner B's operator console.
async fn start_consoles(
    local: &Local,
    treasury: &str,
    operator: &str,
) -> Result<Consoles, CliError> {
    let l = &local.layout;
    let policies = l.dir.join("policies");
    std::fs::create_dir_all(&policies)
        .map_err(|e| CliError::Io(format!("{}: {e}", policies.display())))?;
    for c in &l.cosigners {
        let to = policies.join(format!("{}.toml", c.name));
        std::fs::copy(&c.policy, &to)
            .map_err(|e| CliError::Io(format!("{}: {e}", to.display())))?;
    }
    let config = crate::client::ClientConfig::load(&l.treasury_config)?;
    let treasury = crate::console::bind(config, treasury, Some(policies)).await?;
    let b = l
        .cosigners
        .get(1)
        .ok_or_else(|| CliError::Io("the demo has no cosigner B".into()))?;
    let operator = cosigner::console::bind(cosigner::console::ConsoleArgs {
        socket: b.socket.clone(),
        listen: operator.to_string(),
        name: "demo-operator".into(),
    })
    .await
    .map_err(|e| CliError::Io(format!("cosigner B's console: {e:#}")))?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let urls = (treasury.url.clone(), operator.url.clone());
    let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let rx = stopped.clone();
    tokio::spawn(async move {
        if let Err(e) = treasury.run(until(rx)).await {
            tracing::error!(error = %e, "treasury console stopped");
        }
    });
    tokio::spawn(async move {
        if let Err(e) = operator.run(until(stopped)).await {
            tracing::error!(error = %e, "operator console stopped");
        }
    });
    Ok(Consoles {
        treasury: urls.0,
        operator: urls.1,
        stop,
    })
}

fn layout_officers(l: &crate::local::Layout) -> String {
    l.officers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}
