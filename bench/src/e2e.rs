//! End to end: a local 2-of-3 (dev node, coordinator, three cosigners as processes, real mTLS,
//! durable stores, allowing policies) driven by N concurrent proposers for a fixed count.
//! Latency is propose → broadcast (the wrapper and the cosignature accepted by the node).
//! The ceiling is what this machine's cores could do if they did only the work every
//! withdrawal needs: its signatures, verifications and fsyncs, measured in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use hanko_cli::local::policies::{Rules, policy};
use hanko_cli::local::{Local, Plan};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct E2e {
    pub proposers: usize,
    pub withdrawals: usize,
    /// Withdrawals/s offered on a schedule (latency then counts from each one's scheduled
    /// start); none when each proposer starts its next as soon as its last is broadcast.
    pub offered_per_second: Option<f64>,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Of the latency, the part until the proposal was stored (Prepare, check, sign, Propose).
    pub propose_p50_ms: f64,
    /// CPU of every process (daemons and this driver) per withdrawal.
    pub cpu_ms_per_withdrawal: f64,
    /// The same, process by process (the driver is "proposers").
    pub cpu_ms_by_process: Vec<(String, f64)>,
    /// The coordinator's store: writes, and flushes (fsyncs) that settled them, per
    /// withdrawal (group commit: one flush serves every write made while the last one ran).
    pub coordinator_writes_per_withdrawal: f64,
    pub coordinator_flushes_per_withdrawal: f64,
    /// Mean time of one of those flushes (on a database: of a commit).
    pub coordinator_flush_ms: f64,
    /// On a database: a writing transaction's mean time in all, and of it the waits for the
    /// writers' turn and for a connection (0 with the embedded store).
    pub coordinator_transaction_ms: f64,
    pub coordinator_turn_wait_ms: f64,
    pub coordinator_connection_wait_ms: f64,
    /// Withdrawals broadcast and still waiting for a block when the run ended: the dev node,
    /// like NIS, takes at most 120 transactions a block (60 withdrawals of 2-of-3).
    pub announced_unconfirmed_at_end: f64,
    pub ceiling: Ceiling,
    /// per_second / ceiling.per_second.
    pub ratio_to_ceiling: f64,
}

/// The work one withdrawal needs, priced on this machine.
#[derive(Debug, Serialize)]
pub struct Ceiling {
    pub nis1_signs: u32,
    pub nis1_verifies: u32,
    pub ed25519_signs: u32,
    pub ed25519_verifies: u32,
    pub fsyncs: u32,
    pub nis1_sign_us: f64,
    pub nis1_verify_us: f64,
    pub ed25519_sign_us: f64,
    pub ed25519_verify_us: f64,
    /// The median of 800 timed small sled writes, each flushed, before and after the run.
    pub fsync_us: f64,
    pub cpu_us_per_withdrawal: f64,
    pub cores: usize,
    pub per_second: f64,
}

pub fn cpu_ms(pid: u32) -> f64 {
    // utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second).
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    ticks as f64 * 10.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// fsync cost: a small sled write flushed, as every durable step does; each sample timed.
fn fsync_samples(samples: u32) -> Result<Vec<f64>> {
    let dir = std::env::temp_dir().join(format!("hanko-bench-fsync-{}", std::process::id()));
    let db = sled::open(&dir)?;
    let mut micros = Vec::with_capacity(samples as usize);
    for i in 0..samples {
        let start = Instant::now();
        db.insert(i.to_be_bytes(), &[0u8; 256][..])?;
        db.flush()?;
        micros.push(start.elapsed().as_secs_f64() * 1e6);
    }
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(micros)
}

fn ceiling(crypto: &[crate::measure::Figure], fsync: f64) -> Ceiling {
    let us = |name: &str| {
        crypto
            .iter()
            .find(|f| f.name.starts_with(name))
            .map_or(0.0, |f| f.micros_per_op)
    };
    // Per withdrawal in a 2-of-3 where all three cosigners answer: the proposer signs the
    // intent; the coordinator verifies it; each cosigner verifies it and signs a wrapper and
    // a cosignature; the coordinator verifies both of each; the node verifies what is
    // announced (a wrapper and one cosignature). Durable steps: the draft, the acceptance,
    // each decision and state change on the coordinator (about 8), one per cosigner.
    let c = Ceiling {
        nis1_signs: 6,
        nis1_verifies: 6 + 2,
        ed25519_signs: 1,
        ed25519_verifies: 4,
        fsyncs: 8 + 3,
        nis1_sign_us: us("nis1_sign"),
        nis1_verify_us: us("nis1_verify"),
        ed25519_sign_us: us("ed25519_sign"),
        ed25519_verify_us: us("ed25519_verify"),
        fsync_us: fsync,
        cpu_us_per_withdrawal: 0.0,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        per_second: 0.0,
    };
    let work = f64::from(c.nis1_signs) * c.nis1_sign_us
        + f64::from(c.nis1_verifies) * c.nis1_verify_us
        + f64::from(c.ed25519_signs) * c.ed25519_sign_us
        + f64::from(c.ed25519_verifies) * c.ed25519_verify_us
        + f64::from(c.fsyncs) * c.fsync_us;
    Ceiling {
        cpu_us_per_withdrawal: work,
        per_second: c.cores as f64 * 1e6 / work.max(1.0),
        ..c
    }
}

/// A local 2-of-3 of this binary's daemons, with allowing policies and limits out of the way;
/// its coordinator keeps its state in `store`.
pub fn start(store: coordinator::store::StoreConfig) -> Result<Local> {
    let exe = std::env::current_exe().context("cannot find the benchmark binary")?;
    let backend = match store {
        coordinator::store::StoreConfig::Embedded => "embedded",
        coordinator::store::StoreConfig::Postgres(_) => "postgres",
    };
    let dir =
        std::env::temp_dir().join(format!("hanko-bench-e2e-{backend}-{}", std::process::id()));
    let rules = Rules {
        daily_max_xem: 100_000_000,
        ..Rules::default()
    };
    let plan = Plan {
        kdf: cosigner::keystore::KdfParams {
            memory_kib: 1_024,
            iterations: 1,
            parallelism: 1,
        },
        policy: Box::new(move |i, ctx| policy(i, ctx, &rules)),
        limits: Some(coordinator::config::limits::Limits {
            max_pending_per_account: 100_000,
            requests_per_second: 100_000,
            burst: 100_000,
            max_request_bytes: 64 * 1024,
        }),
        store,
        ..Plan::new(dir.clone(), 3, 2)
    };
    Local::start(&exe, &plan).map_err(|e| anyhow!("{e}"))
}

static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Drives `withdrawals` through `local` with `proposers` concurrent proposers.
pub fn run(
    local: Local,
    runtime: &tokio::runtime::Runtime,
    withdrawals: usize,
    proposers: usize,
    offered: Option<f64>,
    crypto: &[crate::measure::Figure],
) -> Result<(E2e, Local)> {
    let local = Arc::new(local);
    let named = local.pids();
    let pids: Vec<u32> = named.iter().map(|(_, p)| *p).collect();
    let fsync_before = fsync_samples(400)?;
    let (latencies, seconds, cpu, store, waiting) = runtime.block_on(async {
        // One warm-up withdrawal: connections, caches.
        // Each run its own idempotency keys: a key used before answers with its old proposal.
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        drive(&local, 1, 1, None, &format!("warm{run}")).await?;
        let each = |pids: &[u32]| -> Vec<f64> {
            pids.iter()
                .map(|p| cpu_ms(*p))
                .chain(std::iter::once(cpu_ms(std::process::id())))
                .collect()
        };
        let store_before = store_counts(&local).await?;
        let cpu_before = each(&pids);
        let start = Instant::now();
        let latencies = drive(
            &local,
            withdrawals,
            proposers,
            offered,
            &format!("run{run}"),
        )
        .await?;
        let seconds = start.elapsed().as_secs_f64();
        let store_after = store_counts(&local).await?;
        let waiting = announced(&local).await?;
        let store = (
            store_after.0 - store_before.0,
            store_after.1 - store_before.1,
            store_after.2 - store_before.2,
            store_after.3 - store_before.3,
            store_after.4 - store_before.4,
            store_after.5 - store_before.5,
        );
        let cpu: Vec<f64> = each(&pids)
            .iter()
            .zip(&cpu_before)
            .map(|(a, b)| a - b)
            .collect();
        Ok::<_, anyhow::Error>((latencies, seconds, cpu, store, waiting))
    })?;
    // This machine's fsync time drifts and stalls now and then: priced before and after the
    // run, at the median (the mean moved by half between runs; the median by a fifth).
    let mut fsyncs = fsync_before;
    fsyncs.extend(fsync_samples(400)?);
    fsyncs.sort_by(f64::total_cmp);
    let fsync = percentile(&fsyncs, 0.5);
    let per = latencies.len().max(1) as f64;
    let cpu_ms_by_process: Vec<(String, f64)> = named
        .iter()
        .map(|(n, _)| n.clone())
        .chain(std::iter::once("proposers".to_string()))
        .zip(cpu.iter().map(|c| c / per))
        .collect();
    let cpu: f64 = cpu.iter().sum();
    let local = Arc::try_unwrap(local).map_err(|_| anyhow!("proposers still running"))?;
    let mut proposing: Vec<f64> = latencies.iter().map(|l| l.1).collect();
    proposing.sort_by(f64::total_cmp);
    let mut sorted: Vec<f64> = latencies.iter().map(|l| l.0).collect();
    sorted.sort_by(f64::total_cmp);
    let per_second = sorted.len() as f64 / seconds;
    let ceiling = ceiling(crypto, fsync);
    Ok((
        E2e {
            proposers,
            withdrawals: sorted.len(),
            offered_per_second: offered,
            seconds,
            per_second,
            p50_ms: percentile(&sorted, 0.50),
            p95_ms: percentile(&sorted, 0.95),
            p99_ms: percentile(&sorted, 0.99),
            max_ms: sorted.last().copied().unwrap_or(0.0),
            propose_p50_ms: percentile(&proposing, 0.50),
            cpu_ms_per_withdrawal: cpu / sorted.len().max(1) as f64,
            cpu_ms_by_process,
            coordinator_writes_per_withdrawal: store.0 / per,
            coordinator_flushes_per_withdrawal: store.1 / per,
            coordinator_flush_ms: store.2 * 1e3 / store.1.max(1.0),
            coordinator_transaction_ms: store.3 * 1e3 / store.0.max(1.0),
            coordinator_turn_wait_ms: store.4 * 1e3 / store.0.max(1.0),
            coordinator_connection_wait_ms: store.5 * 1e3 / store.0.max(1.0),
            announced_unconfirmed_at_end: waiting,
            ratio_to_ceiling: per_second / ceiling.per_second,
            ceiling,
        },
        local,
    ))
}

/// The coordinator store's writes, flushes and their seconds so far, from its metrics; on a
/// database also its transactions' seconds in all, waiting for their turn and for a
/// connection (else 0).
async fn store_counts(local: &Local) -> Result<(f64, f64, f64, f64, f64, f64)> {
    let text = local.metrics().await.map_err(|e| anyhow!("{e}"))?;
    let read = |name: &str| {
        hanko_cli::local::metric(&text, name).ok_or_else(|| anyhow!("no {name} in the metrics"))
    };
    Ok((
        read("hanko_coordinator_store_writes_total")?,
        read("hanko_coordinator_store_flushes_total")?,
        read("hanko_coordinator_store_flush_seconds_total")?,
        read("hanko_coordinator_store_transaction_seconds_total").unwrap_or(0.0),
        read("hanko_coordinator_store_turn_wait_seconds_total").unwrap_or(0.0),
        read("hanko_coordinator_store_connection_wait_seconds_total").unwrap_or(0.0),
    ))
}

/// Unfinished proposals in the announced state, from the coordinator's metrics.
async fn announced(local: &Local) -> Result<f64> {
    let text = local.metrics().await.map_err(|e| anyhow!("{e}"))?;
    Ok(hanko_cli::local::metric(
        &text,
        "hanko_coordinator_unfinished_proposals{state=\"announced\"}",
    )
    .unwrap_or(0.0))
}

/// `count` withdrawals by `proposers` concurrent proposers; for each, milliseconds to the
/// broadcast and, of those, to the stored proposal (Prepare, the proposer's check and
/// signature, Propose). With `offered` withdrawals/s, withdrawal i is due i / offered seconds
/// after the start and its latency counts from then: a system that falls behind the schedule
/// shows it in the latency, not in a slower schedule.
async fn drive(
    local: &Arc<Local>,
    count: usize,
    proposers: usize,
    offered: Option<f64>,
    tag: &str,
) -> Result<Vec<(f64, f64)>> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let origin = tokio::time::Instant::now();
    let mut tasks = vec![];
    for _ in 0..proposers.max(1) {
        let (local, next, tag) = (local.clone(), next.clone(), tag.to_string());
        tasks.push(tokio::spawn(async move {
            let mut out = vec![];
            let mut proposer = local.proposer().await.map_err(|e| anyhow!("{e}"))?;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let started = match offered {
                    Some(rate) => {
                        let due = origin + Duration::from_secs_f64(i as f64 / rate);
                        tokio::time::sleep_until(due).await;
                        due.into_std()
                    }
                    None => Instant::now(),
                };
                let customer = local.layout.context.customer;
                // Amounts told apart to the micro-XEM, as an exchange's withdrawals are: a
                // second's withdrawals alike in every field would each need a deadline of
                // their own (at most 600 a second).
                let amount = format!("1.{:06}", i % 1_000_000);
                // A coordinator that stops answering fails the run instead of hanging it.
                let p = tokio::time::timeout(
                    Duration::from_secs(120),
                    proposer.propose(&customer, &amount, "", &format!("bench-{tag}-{i}")),
                )
                .await
                .map_err(|_| anyhow!("proposal {i}: Prepare and Propose not answered in 120 s"))?
                .map_err(|e| anyhow!("proposal {i}: {e}"))?;
                let proposed = started.elapsed().as_secs_f64() * 1e3;
                proposer
                    .wait_for(&p.id, Duration::from_secs(120), |p| {
                        !p.wrapper_hash.is_empty()
                            || hanko_cli::treasury::render::is_terminal(p.state)
                    })
                    .await
                    .map_err(|e| anyhow!("proposal {i}: {e}"))?;
                out.push((started.elapsed().as_secs_f64() * 1e3, proposed));
            }
            Ok::<_, anyhow::Error>(out)
        }));
    }
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}
