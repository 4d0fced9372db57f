//! The demo's story, step by step: one withdrawal that cosigner A allows, B sends to its
//! operator, the operator approves, and the chain confirms; then one that every cosigner
//! refuses, with each cosigner's reasons. Each step is printed as it happens.

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use hanko_proto::v1 as pb;
use hanko_proto::v1::cosigner_decision::Outcome;

use super::policies::{self, Rules};
use super::{Context, Local};
use crate::error::CliError;
use crate::treasury::render::state_name;

/// The example policies: every cosigner whitelists the customer, caps a withdrawal at 50,000
/// XEM and 100,000 XEM a day, holds at most 20,000 XEM signed and unconfirmed, and accepts
/// only the local proposer; A signs up to 10,000 XEM alone, B and C ask their operators above
/// 500 XEM.
pub fn demo_policy(i: usize, ctx: &Context) -> String {
    let letter = (b'A' + i as u8) as char;
    let rules = Rules {
        approval_above: Some(if i == 0 { 10_000 } else { 500 }),
        extra: "max_unconfirmed = \"20000\"\n".into(),
        ..Rules::default()
    };
    format!(
        "# Local demo policy for cosigner {letter}. Signed by the compliance officers alice and bob:\n\
         #   minisign -Sm policy.toml -s ../compliance/alice.key -x policy.toml.alice.minisig\n{}",
        policies::policy(i, ctx, &rules)
    )
}

fn w(e: std::io::Error) -> CliError {
    CliError::Io(e.to_string())
}

fn xem(micro: u64) -> String {
    format!("{} XEM", nem::amount::format_decimal(micro, 6))
}

/// Prints each cosigner decision once, as it first appears.
struct Narrator<'a> {
    local: &'a Local,
    seen: HashSet<(Vec<u8>, &'static str)>,
    lines: Vec<String>,
}

impl<'a> Narrator<'a> {
    fn new(local: &'a Local) -> Self {
        Narrator {
            local,
            seen: HashSet::new(),
            lines: vec![],
        }
    }

    fn name(&self, key: &[u8]) -> String {
        self.local
            .layout
            .cosigners
            .iter()
            .find(|c| c.public_key.0.as_slice() == key)
            .map_or_else(|| hex::encode(key), |c| format!("cosigner {}", c.letter))
    }

    fn observe(&mut self, p: &pb::Proposal) {
        for d in &p.decisions {
            let (what, reasons) = match &d.outcome {
                Some(Outcome::Signed(_)) => ("signed", vec![]),
                Some(Outcome::Refused(r)) => ("refused", r.reasons.clone()),
                Some(Outcome::NeedsApproval(n)) => {
                    ("needs its operator's approval", n.reasons.clone())
                }
                None => continue,
            };
            if self.seen.insert((d.cosigner.clone(), what)) {
                let mut line = format!("  {:<12} {what}", self.name(&d.cosigner));
                for r in reasons {
                    line.push_str(&format!("\n               - {r}"));
                }
                self.lines.push(line);
            }
        }
    }

    fn flush(&mut self, out: &mut dyn Write) -> Result<(), CliError> {
        for line in self.lines.drain(..) {
            writeln!(out, "{line}").map_err(w)?;
        }
        Ok(())
    }
}

fn needs_approval_from(p: &pb::Proposal, key: &[u8]) -> bool {
    p.decisions
        .iter()
        .any(|d| d.cosigner == key && matches!(d.outcome, Some(Outcome::NeedsApproval(_))))
}

/// What the story showed, for `--once` and the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryOutcome {
    pub confirmed: bool,
    pub customer_received: u64,
    pub treasury_paid: u64,
    pub refused_by: usize,
    pub rejected: bool,
}

const STEP: Duration = Duration::from_secs(60);

pub async fn run(local: &Local, out: &mut dyn Write) -> Result<StoryOutcome, CliError> {
    let ctx = &local.layout.context;
    let before_treasury = local.balance(&ctx.account).await?;
    let before_customer = local.balance(&ctx.customer).await?;

    writeln!(
        out,
        "\nWithdrawal 1: 1,000 XEM to the customer {} (whitelisted)",
        ctx.customer
    )
    .map_err(w)?;
    let p = local
        .propose(&ctx.customer, "1000", "WD-000001", "demo-withdrawal-1")
        .await?;
    writeln!(out, "  proposed     {} (inner hash {})", p.id, p.inner_hash).map_err(w)?;
    let b_key = local.layout.cosigners[1].public_key.0.to_vec();
    let mut narrator = Narrator::new(local);
    let p = local
        .wait_for(
            &p.id,
            STEP,
            |p| narrator.observe(p),
            |p| needs_approval_from(p, &b_key),
        )
        .await?;
    narrator.flush(out)?;
    let confirm = p.inner_hash.get(..8).unwrap_or_default().to_string();
    local
        .operator(
            1,
            cosigner::operator::Request::Approve {
                id: p.id.clone(),
                confirm: confirm.clone(),
                name: "demo-operator".into(),
            },
        )
        .await?;
    writeln!(
        out,
        "  operator B   approved (hanko cosigner approve {} --confirm {confirm})",
        p.id
    )
    .map_err(w)?;
    let mut announced = false;
    let p = local
        .wait_for(
            &p.id,
            STEP,
            |p| {
                narrator.observe(p);
                if !announced && !p.wrapper_hash.is_empty() {
                    announced = true;
                    narrator
                        .lines
                        .push(format!("  broadcast    wrapper {}", p.wrapper_hash));
                }
            },
            |p| crate::treasury::render::is_terminal(p.state),
        )
        .await?;
    narrator.flush(out)?;
    let confirmed = state_name(p.state) == "confirmed";
    let after_treasury = local.balance(&ctx.account).await?;
    let after_customer = local.balance(&ctx.customer).await?;
    let paid = before_treasury.saturating_sub(after_treasury);
    let received = after_customer.saturating_sub(before_customer);
    if confirmed {
        writeln!(
            out,
            "  confirmed    at height {}, wrapper {}\n               treasury {} → {} (−{}: amount and fees); customer +{}",
            p.confirmed_height,
            p.wrapper_hash,
            xem(before_treasury),
            xem(after_treasury),
            xem(paid),
            xem(received)
        )
        .map_err(w)?;
    } else {
        writeln!(out, "  ended {}: {}", state_name(p.state), p.reason).map_err(w)?;
    }

    writeln!(
        out,
        "\nWithdrawal 2: 5,000 XEM to {} (not on any whitelist)",
        ctx.unlisted
    )
    .map_err(w)?;
    let p2 = local
        .propose(&ctx.unlisted, "5000", "WD-000002", "demo-withdrawal-2")
        .await?;
    writeln!(out, "  proposed     {}", p2.id).map_err(w)?;
    let mut narrator = Narrator::new(local);
    let p2 = local
        .wait_for(
            &p2.id,
            STEP,
            |p| narrator.observe(p),
            |p| crate::treasury::render::is_terminal(p.state),
        )
        .await?;
    narrator.flush(out)?;
    let refused_by = p2
        .decisions
        .iter()
        .filter(|d| matches!(&d.outcome, Some(Outcome::Refused(r)) if !r.reasons.is_empty()))
        .count();
    let rejected = state_name(p2.state) == "rejected";
    writeln!(out, "  {}      {}", state_name(p2.state), p2.reason).map_err(w)?;
    Ok(StoryOutcome {
        confirmed,
        customer_received: received,
        treasury_paid: paid,
        refused_by,
        rejected,
    })
}
