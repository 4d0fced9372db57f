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
    let d = dir.display();
    let c = l.treasury_config.display();
    writeln!(
        out,
        r#"
Hanko keeps running. In another terminal, try:
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
    )
    .map_err(w)?;
    out.flush().map_err(w)?;
    hanko_runtime::process::shutdown_signal().await;
    writeln!(out, "stopping…").map_err(w)?;
    tokio::task::spawn_blocking(move || local.stop())
        .await
        .map_err(|e| CliError::Io(e.to_string()))?;
    Ok(())
}

fn layout_officers(l: &crate::local::Layout) -> String {
    l.officers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}
