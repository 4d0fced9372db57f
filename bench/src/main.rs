//! `hanko-bench`: measures and prints figures. No flag runs the full measurement; `--smoke`
//! runs tiny counts so CI keeps it working.

mod crypto;
mod measure;
mod policy_eval;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "hanko-bench",
    version,
    about = "Hanko benchmarks: figures as a table and JSON"
)]
struct Args {
    /// Tiny counts (well under a minute): checks that every benchmark still runs.
    #[arg(long)]
    smoke: bool,
    /// Also write the figures to this JSON file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let budget = if args.smoke {
        Duration::from_millis(50)
    } else {
        Duration::from_secs(2)
    };
    let figures = crypto::run(budget)?;
    let policy_figures = policy_eval::run(if args.smoke { 2_000 } else { 100_000 })?;

    println!("{:<34} {:>14} {:>12}", "benchmark", "ops/s", "µs/op");
    for f in &figures {
        println!(
            "{:<34} {:>14.0} {:>12.2}",
            f.name, f.ops_per_second, f.micros_per_op
        );
    }
    let p = &policy_figures;
    println!(
        "\npolicy evaluation ({} whitelist entries, {} history records, {} evaluations): \
         p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs (goal: p99 < 20 µs)",
        p.whitelist_entries, p.history_records, p.evaluations, p.p50_us, p.p99_us, p.max_us
    );
    if let Some(path) = args.json {
        let report = json!({
            "mode": if args.smoke { "smoke" } else { "full" },
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "crypto": figures,
            "policy": policy_figures,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("figures written to {}", path.display());
    }
    Ok(())
}
