//! `hanko policy …`: compliance tooling. Human output by default, `--json` for scripts.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use policy::cases::{CaseResult, run_case};
use policy::signing::Trust;
use policy::{Outcome, Request, WindowedHistory, evaluate};

use crate::error::CliError;
use crate::io::print_json;

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Check a policy file; every problem at once, with line:column and rule name.
    Lint {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Run the test cases in the file and in FILE.tests.toml next to it.
    Test {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Show the decision on one transaction, with every rule that fired.
    Explain {
        file: PathBuf,
        /// The inner transaction as JSON (what `hanko nem decode` prints), or @FILE.
        #[arg(long)]
        tx: String,
        /// The time to decide at (RFC 3339).
        #[arg(long)]
        at: String,
        /// The proposer's key (hex); default: the policy's first proposer.
        #[arg(long)]
        proposer: Option<String>,
        /// Past proposals (JSONL, as for simulate) counted for velocity.
        #[arg(long)]
        history: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Semantic differences: which limits rose, which addresses were added, which windows widened.
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The JSON Schema of policy files, for editors.
    Schema,
    /// Replay past proposals (JSONL) under a draft and list the decisions that change.
    Simulate {
        file: PathBuf,
        #[arg(long)]
        history: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The policy pages on this machine (loopback only): readable rules, diff, simulate.
    Console {
        /// The folder of policy files (*.toml) and histories (*.jsonl).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        #[arg(long, default_value_t = format!("127.0.0.1:{}", hanko_runtime::web::POLICY_PORT))]
        listen: String,
    },
    /// Verify the file's minisign signatures against trusted compliance keys (k of n).
    Verify {
        file: PathBuf,
        /// NAME=PUBLIC_KEY (the base64 line of a minisign .pub file); repeat for each officer.
        #[arg(long = "trusted", required = true)]
        trusted: Vec<String>,
        /// How many distinct trusted keys must have signed.
        #[arg(long)]
        threshold: usize,
    },
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))
}

fn linted(path: &Path) -> Result<policy::Linted, CliError> {
    policy::lint(&read(path)?).map_err(|problems| {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("{}:{p}", path.display()))
            .collect();
        CliError::Refused(format!(
            "{} has {} problem(s)\n{}",
            path.display(),
            problems.len(),
            lines.join("\n")
        ))
    })
}

fn write_line(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    writeln!(out, "{text}").map_err(|e| CliError::Io(e.to_string()))
}

pub fn run(cmd: PolicyCommand, out: &mut dyn Write) -> Result<(), CliError> {
    match cmd {
        PolicyCommand::Lint { file, json } => {
            let text = read(&file)?;
            match policy::lint(&text) {
                Ok(l) => {
                    let p = &l.policy;
                    if json {
                        return print_json(
                            out,
                            &serde_json::json!({ "ok": true, "name": p.name, "version_hash": p.hash }),
                        );
                    }
                    let rules = p.limits.len()
                        + p.velocity.len()
                        + p.windows.len()
                        + p.approvals.len()
                        + p.proposers.len();
                    write_line(
                        out,
                        &format!(
                            "{}: ok: '{}', {} rules, {} whitelisted and {} denylisted destinations, {} test cases\nversion hash (sha256) {}",
                            file.display(),
                            p.name,
                            rules,
                            p.whitelist.len(),
                            p.denylist.len(),
                            l.raw.tests.len(),
                            p.hash
                        ),
                    )
                }
                Err(problems) => {
                    if json {
                        let list: Vec<_> = problems
                            .iter()
                            .map(|p| serde_json::json!({"line": p.line, "column": p.column, "rule": p.rule, "path": p.path.to_string(), "message": p.message}))
                            .collect();
                        print_json(out, &serde_json::json!({ "ok": false, "problems": list }))?;
                    } else {
                        for p in &problems {
                            write_line(out, &format!("{}:{p}", file.display()))?;
                        }
                    }
                    Err(CliError::Refused(format!(
                        "{}: {} problem(s)",
                        file.display(),
                        problems.len()
                    )))
                }
            }
        }
        PolicyCommand::Test { file, json } => test(&file, json, out),
        PolicyCommand::Explain {
            file,
            tx,
            at,
            proposer,
            history,
            json,
        } => explain(&file, &tx, &at, proposer, history, json, out),
        PolicyCommand::Diff { old, new, json } => {
            let changes = policy::diff::diff(&linted(&old)?.policy, &linted(&new)?.policy);
            if json {
                return print_json(out, &changes);
            }
            if changes.is_empty() {
                return write_line(out, "no semantic changes");
            }
            for c in &changes {
                let tag = match c.direction {
                    policy::diff::Direction::Looser => "LOOSER ",
                    policy::diff::Direction::Tighter => "tighter",
                    policy::diff::Direction::Neutral => "changed",
                };
                write_line(out, &format!("{tag}  {}", c.what))?;
            }
            Ok(())
        }
        PolicyCommand::Schema => print_json(out, &policy::schema()),
        PolicyCommand::Console { .. } => Err(CliError::Io(
            "hanko policy console runs in the command's runtime (app.rs)".into(),
        )),
        PolicyCommand::Simulate {
            file,
            history,
            json,
        } => {
            let l = linted(&file)?;
            let sim = policy::simulate::simulate(&l.policy, &read(&history)?)
                .map_err(|e| CliError::Input(format!("{}: {e}", history.display())))?;
            if json {
                return print_json(out, &sim);
            }
            for c in &sim.changed {
                write_line(
                    out,
                    &format!(
                        "line {} ({}): {} → {}: {}",
                        c.line,
                        c.at,
                        c.before,
                        c.after,
                        c.reasons.join("; ")
                    ),
                )?;
            }
            write_line(
                out,
                &format!(
                    "{} proposals replayed, {} decisions change",
                    sim.replayed,
                    sim.changed.len()
                ),
            )
        }
        PolicyCommand::Verify {
            file,
            trusted,
            threshold,
        } => {
            let mut keys = Vec::new();
            for t in &trusted {
                let (name, key) = t.split_once('=').ok_or_else(|| {
                    CliError::input("--trusted", format!("'{t}' is not NAME=PUBLIC_KEY"))
                })?;
                keys.push((name.to_string(), key.to_string()));
            }
            let loaded = policy::signing::load(&file, &Trust { keys, threshold })
                .map_err(|e| CliError::Refused(e.to_string()))?;
            write_line(
                out,
                &format!(
                    "{}: signed by {} ({} required); version hash (sha256) {}",
                    file.display(),
                    loaded.signers.join(", "),
                    threshold,
                    loaded.linted.policy.hash
                ),
            )
        }
    }
}

/// Cases from the policy file and from FILE.tests.toml beside it.
fn test(file: &Path, json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let l = linted(file)?;
    let mut cases = l.raw.tests.clone();
    let sibling = PathBuf::from(format!("{}.tests.toml", file.display()));
    if sibling.exists() {
        let extra = policy::cases::parse_case_file(&read(&sibling)?).map_err(|problems| {
            let lines: Vec<String> = problems
                .iter()
                .map(|p| format!("{}:{p}", sibling.display()))
                .collect();
            CliError::Refused(lines.join("\n"))
        })?;
        cases.extend(extra);
    }
    if cases.is_empty() {
        return Err(CliError::Refused(format!(
            "{}: no test cases (add [[test]] entries or {})",
            file.display(),
            sibling.display()
        )));
    }
    let results: Vec<CaseResult> = cases.iter().map(|c| run_case(&l.policy, c)).collect();
    let failed = results.iter().filter(|r| !r.passed).count();
    if json {
        print_json(out, &results)?;
    } else {
        for r in &results {
            match &r.failure {
                None => write_line(out, &format!("ok    {} ({})", r.name, r.expected))?,
                Some(f) => write_line(out, &format!("FAIL  {}: {f}", r.name))?,
            }
        }
        write_line(
            out,
            &format!(
                "policy tests: {} passed, {failed} failed",
                results.len() - failed
            ),
        )?;
    }
    if failed > 0 {
        return Err(CliError::Refused(format!(
            "{}: {failed} of {} test cases failed",
            file.display(),
            results.len()
        )));
    }
    Ok(())
}

fn explain(
    file: &Path,
    tx: &str,
    at: &str,
    proposer: Option<String>,
    history: Option<PathBuf>,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let l = linted(file)?;
    let text = match tx.strip_prefix('@') {
        Some(path) => read(Path::new(path))?,
        None => tx.to_string(),
    };
    let j: nem::json::TxJson =
        serde_json::from_str(&text).map_err(|e| CliError::input("--tx", e))?;
    let tx = nem::json::from_json(&j).map_err(|e| CliError::input("--tx", e))?;
    let tx = tx.inner().cloned().unwrap_or(tx);
    let now: jiff::Timestamp = at
        .parse()
        .map_err(|e| CliError::input("--at", format!("'{at}' is not RFC 3339: {e}")))?;
    let proposer = match proposer {
        Some(k) => k.parse().map_err(|e| CliError::input("--proposer", e))?,
        None => l
            .policy
            .proposers
            .first()
            .map_or(nem::PublicKey([0x22; 32]), |p| p.key),
    };
    let mut past = WindowedHistory::new();
    if let Some(path) = history {
        for (i, line) in read(&path)?
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let p: policy::simulate::PastProposal = serde_json::from_str(line)
                .map_err(|e| CliError::Input(format!("{}:{}: {e}", path.display(), i + 1)))?;
            if p.signed.unwrap_or(p.decision == Outcome::Allow) {
                let t = nem::json::from_json(&p.tx)
                    .map_err(|e| CliError::Input(format!("{}:{}: {e}", path.display(), i + 1)))?;
                let n = p
                    .cosignatories
                    .unwrap_or(policy::cases::DEFAULT_COSIGNATORIES);
                let outer = policy::cost::outer_fees(n);
                for o in policy::Outflow::of(t.inner().unwrap_or(&t), outer, Some(p.proposer), p.at)
                {
                    past.record(&o);
                }
            }
        }
    }
    let minimum_fee = nem::fees::minimum_fee(&tx, &nem::fees::XemOnly).unwrap_or(tx.header.fee);
    let decision = evaluate(
        &l.policy,
        &Request {
            tx: &tx,
            proposer,
            now,
            minimum_fee,
            cosignatories: policy::cases::DEFAULT_COSIGNATORIES,
        },
        &past,
    );
    if json {
        return print_json(out, &decision);
    }
    let needs = if decision.outcome == Outcome::NeedsApproval {
        format!(" ({} approval(s))", decision.approvals_required)
    } else {
        String::new()
    };
    write_line(
        out,
        &format!(
            "decision: {}{needs} under '{}' ({})",
            decision.outcome,
            l.policy.name,
            &l.policy.hash[..16]
        ),
    )?;
    for f in &decision.fired {
        write_line(
            out,
            &format!(
                "  {:<15} {:<28} {}",
                f.outcome.name(),
                format!("{} ({})", f.rule, f.kind),
                f.reason
            ),
        )?;
    }
    Ok(())
}
