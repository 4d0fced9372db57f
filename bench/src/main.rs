//! `hanko-bench`: measures and prints figures. No flag runs the full measurement; `--smoke`
//! runs tiny counts so CI keeps it working.

mod crypto;
mod database;
mod e2e;
mod measure;
mod policy_eval;
mod scale;
mod sdks;

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
    /// Concurrent proposers in the end-to-end run.
    #[arg(long, default_value_t = 64)]
    proposers: usize,
    /// Withdrawals in the end-to-end run (default: 1000, or 24 with --smoke).
    #[arg(long)]
    withdrawals: Option<usize>,
    /// Withdrawals/s the same proposers offer on a schedule in the second end-to-end run
    /// (default: half the rate the first reached).
    #[arg(long)]
    offered: Option<f64>,
    /// Proposals stored for the scale figures (default: 1,000,000, or 5,000 with --smoke).
    #[arg(long)]
    stored: Option<usize>,
    /// Import the stored proposals without the archive passes, all of them left in the main
    /// store (what the scale figures were without the history).
    #[arg(long)]
    no_history: bool,
    /// Also run end to end with the coordinator's state in PostgreSQL (`postgres`), beside
    /// the embedded store's figures of the same run.
    #[arg(long, value_enum, default_value_t = Backend::Embedded)]
    store: Backend,
    /// With `--store postgres`: an existing database (its tables are created there); without
    /// it the benchmark starts a PostgreSQL server of its own.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Backend {
    Embedded,
    Postgres,
}

/// The daemons of the end-to-end run are this same binary, started as `hanko` would be.
const DAEMONS: [&str; 3] = ["devnode", "coordinator", "cosigner"];

fn main() -> Result<std::process::ExitCode> {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv
        .get(1)
        .and_then(|a| a.to_str())
        .is_some_and(|a| DAEMONS.contains(&a))
    {
        return Ok(hanko_cli::app::main_from(argv));
    }
    let args = Args::parse();
    if args.database_url.is_some() && args.store != Backend::Postgres {
        anyhow::bail!("--database-url: only with --store postgres");
    }
    let budget = if args.smoke {
        Duration::from_millis(50)
    } else {
        Duration::from_secs(2)
    };
    let figures = crypto::run(budget)?;
    let sdk_figures = sdks::run(if args.smoke { 0.2 } else { 2.0 }, &figures)?;
    let policy_figures = policy_eval::run(if args.smoke { 2_000 } else { 100_000 })?;
    let (count, proposers) = match (args.smoke, args.withdrawals) {
        (_, Some(n)) => (n, args.proposers),
        (true, None) => (24, args.proposers.min(8)),
        (false, None) => (1_000, args.proposers),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let local = e2e::start(Default::default())?;
    let dir = local.dir().to_path_buf();
    let (end_to_end, local) = e2e::run(local, &runtime, count, proposers, None, &figures)?;
    // The same proposers at half that rate, on a schedule: the latency of a system with room.
    let offered = args
        .offered
        .unwrap_or((end_to_end.per_second / 2.0).round())
        .max(1.0);
    let (paced, local) = e2e::run(local, &runtime, count, proposers, Some(offered), &figures)?;
    // The same path with nothing queued: one proposer, one withdrawal at a time.
    let alone = if args.smoke { 5 } else { 100 };
    let (one_by_one, mut local) = e2e::run(local, &runtime, alone, 1, None, &figures)?;
    let stored = args
        .stored
        .unwrap_or(if args.smoke { 5_000 } else { 1_000_000 });
    let scale = scale::run(&mut local, &runtime, stored, 200, !args.no_history)?;
    local.stop();
    let _ = std::fs::remove_dir_all(&dir);
    let on_database = match args.store {
        Backend::Embedded => None,
        Backend::Postgres => Some(database::run(
            args.database_url.as_deref(),
            &runtime,
            count,
            proposers,
            alone,
            &figures,
        )?),
    };

    println!("{:<34} {:>14} {:>12}", "benchmark", "ops/s", "µs/op");
    for f in &figures {
        println!(
            "{:<34} {:>14.0} {:>12.2}",
            f.name, f.ops_per_second, f.micros_per_op
        );
    }
    println!("\nthe same NIS1 signature in the official SDKs (same key, same 193-byte payload):");
    let mut sdk_json = vec![];
    for f in &sdk_figures {
        match f {
            Ok(f) => {
                println!(
                    "  {:<34} sign {:>10.0}/s, verify {:>10.0}/s; Hanko {:.1}× faster signing, \
                     {:.1}× verifying; identical signature: {}",
                    f.sdk,
                    f.sign_per_second,
                    f.verify_per_second,
                    f.hanko_sign_ratio,
                    f.hanko_verify_ratio,
                    if f.same_signature { "yes" } else { "NO" }
                );
                sdk_json.push(serde_json::to_value(f)?);
            }
            Err(why) => {
                println!("  not measured: {why}");
                sdk_json.push(json!({ "not_measured": why }));
            }
        }
    }
    if sdk_figures
        .iter()
        .any(|f| f.as_ref().is_ok_and(|f| !f.same_signature))
    {
        anyhow::bail!("an official SDK signed the same payload differently from Hanko");
    }
    let p = &policy_figures;
    println!(
        "\npolicy evaluation ({} whitelist entries, {} history records, {} evaluations): \
         p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs (goal: p99 < 20 µs)",
        p.whitelist_entries, p.history_records, p.evaluations, p.p50_us, p.p99_us, p.max_us
    );
    let e = &end_to_end;
    let c = &e.ceiling;
    println!(
        "\nend to end, local 2-of-3 over mTLS ({} withdrawals, {} concurrent proposers): \
         {:.1} withdrawals/s (propose → broadcast), p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, \
         max {:.1} ms (p50 {:.1} ms until stored); CPU {:.1} ms per withdrawal (all processes)",
        e.withdrawals,
        e.proposers,
        e.per_second,
        e.p50_ms,
        e.p95_ms,
        e.p99_ms,
        e.max_ms,
        e.propose_p50_ms,
        e.cpu_ms_per_withdrawal
    );
    let d = &paced;
    println!(
        "the same {} proposers offering {:.0} withdrawals/s on a schedule (latency from each \
         withdrawal's due time): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max \
         {:.1} ms (goal: p99 < 25 ms); {:.1} withdrawals/s done",
        d.proposers,
        d.offered_per_second.unwrap_or(0.0),
        d.p50_ms,
        d.p95_ms,
        d.p99_ms,
        d.max_ms,
        d.per_second
    );
    let o = &one_by_one;
    println!(
        "one proposer, one withdrawal at a time ({} withdrawals): p50 {:.1} ms, p95 {:.1} ms, \
         p99 {:.1} ms (p50 {:.1} ms until stored); at {} in flight the p99 goal of 25 ms would \
         need {:.0} withdrawals/s (Little's law: in flight / latency)",
        o.withdrawals,
        o.p50_ms,
        o.p95_ms,
        o.p99_ms,
        o.propose_p50_ms,
        e.proposers,
        e.proposers as f64 / 0.025
    );
    let by: Vec<String> = e
        .cpu_ms_by_process
        .iter()
        .map(|(n, ms)| format!("{n} {ms:.1}"))
        .collect();
    println!("CPU ms per withdrawal by process: {}", by.join(", "));
    println!(
        "coordinator store per withdrawal: {:.1} writes settled by {:.2} flushes of {:.1} ms each",
        e.coordinator_writes_per_withdrawal,
        e.coordinator_flushes_per_withdrawal,
        e.coordinator_flush_ms
    );
    println!(
        "at the end, {:.0} broadcast withdrawals waited for a block (the dev node, like NIS, takes \
         at most 120 transactions a block, 60 withdrawals of 2-of-3: a block a second here, a \
         minute on NEM's network)",
        e.announced_unconfirmed_at_end
    );
    println!(
        "ceiling: {} NIS1 signs × {:.1} µs + {} NIS1 verifies × {:.1} µs + {} Ed25519 signs × \
         {:.1} µs + {} Ed25519 verifies × {:.1} µs + {} fsyncs × {:.0} µs = {:.0} µs per \
         withdrawal; {} cores → {:.0} withdrawals/s; reached {:.1} % of it (goal: 40 %, p99 < 25 ms)",
        c.nis1_signs,
        c.nis1_sign_us,
        c.nis1_verifies,
        c.nis1_verify_us,
        c.ed25519_signs,
        c.ed25519_sign_us,
        c.ed25519_verifies,
        c.ed25519_verify_us,
        c.fsyncs,
        c.fsync_us,
        c.cpu_us_per_withdrawal,
        c.cores,
        c.per_second,
        e.ratio_to_ceiling * 100.0
    );
    if let Some(db) = &on_database {
        database::print(&end_to_end, &one_by_one, db);
    }
    let s = &scale;
    println!(
        "\nscale: {} stored proposals, each as a confirmed withdrawal leaves it ({} unfinished; \
         imported in {:.1} s; main store {:.0} MiB, history {:.0} MiB on disk): coordinator \
         start-up {:.0} ms and {:.0} MiB resident the first time (sled replays what was written \
         since it was last opened: with the history, the last 10,000, as just before a \
         checkpoint), {:.0} ms and {:.0} MiB the next (goal: < 3 s); reading one \
         old proposal then {:.0} ms ({}; {:.0} MiB resident after); listing the \
         unfinished ones {:.1} ms with the small history, {:.1} ms with the large one; {} \
         checkpoints of the main store during the import, median {:.0} ms, longest {:.0} ms \
         ({:.0} waiting, {:.0} flushing, {:.0} closing, {:.0} opening)",
        s.stored_proposals,
        s.unfinished,
        s.import_seconds,
        s.store_mib,
        s.history_mib,
        s.startup_ms,
        s.rss_mib,
        s.restart_ms,
        s.restart_rss_mib,
        s.history_read_ms,
        if s.history {
            "it opens the history"
        } else {
            "no history: imported with --no-history"
        },
        s.history_read_rss_mib,
        s.list_unfinished_ms_small_history,
        s.list_unfinished_ms_large_history,
        s.checkpoints,
        s.checkpoint_ms_median,
        s.checkpoint_ms_max,
        s.longest_checkpoint.wait_ms,
        s.longest_checkpoint.flush_ms,
        s.longest_checkpoint.close_ms,
        s.longest_checkpoint.open_ms,
    );
    if let Some(path) = args.json {
        let report = json!({
            "scale": scale,
            "sdks": sdk_json,
            "mode": if args.smoke { "smoke" } else { "full" },
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "crypto": figures,
            "policy": policy_figures,
            "end_to_end": end_to_end,
            "end_to_end_paced": paced,
            "end_to_end_one_proposer": one_by_one,
            "on_database": on_database,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("figures written to {}", path.display());
    }
    Ok(std::process::ExitCode::SUCCESS)
}
