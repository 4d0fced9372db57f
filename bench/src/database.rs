//! `--store postgres`: the same end-to-end runs with the coordinator's state in PostgreSQL,
//! beside the embedded store's figures of the same run. Where the time goes: the
//! coordinator's transactions per withdrawal and their mean time (begin to commit, the
//! leader's fence included), and the CPU of the database's processes per withdrawal.

use anyhow::{Result, anyhow};
use coordinator::store::StoreConfig;
use coordinator::store::postgres::PostgresConfig;
use serde::Serialize;

use crate::e2e::{self, E2e};

#[derive(Debug, Serialize)]
pub struct OnDatabase {
    /// The server: started by the benchmark, or the one `--database-url` names.
    pub server: String,
    pub end_to_end: E2e,
    pub one_by_one: E2e,
    /// CPU of the database's processes per withdrawal, in the end-to-end run (none when the
    /// server is not this benchmark's own).
    pub database_cpu_ms_per_withdrawal: Option<f64>,
}

/// The database's processes and their CPU so far, when the server is the benchmark's own.
fn database_cpu(server: Option<&testkit::postgres::Postgres>) -> Option<f64> {
    server.map(|s| s.pids().into_iter().map(e2e::cpu_ms).sum())
}

/// Runs `count` withdrawals by `proposers`, then `alone` one at a time, on PostgreSQL: the
/// server at `url`, or a new one of this benchmark's own.
pub fn run(
    url: Option<&str>,
    runtime: &tokio::runtime::Runtime,
    count: usize,
    proposers: usize,
    alone: usize,
    crypto: &[crate::measure::Figure],
) -> Result<OnDatabase> {
    let own = match url {
        Some(_) => None,
        None => Some(
            std::panic::catch_unwind(testkit::postgres::Postgres::start).map_err(|_| {
                anyhow!("cannot start PostgreSQL (is it installed?); or give --database-url")
            })?,
        ),
    };
    let url = match (&own, url) {
        (Some(server), _) => server.database("hanko_bench"),
        (None, Some(url)) => url.to_string(),
        (None, None) => unreachable!("one of the two"),
    };
    let server = match &own {
        Some(_) => "PostgreSQL of the benchmark's own, on this machine".to_string(),
        None => format!("PostgreSQL at {url}"),
    };
    let local = e2e::start(StoreConfig::Postgres(PostgresConfig::at(&url)))?;
    let dir = local.dir().to_path_buf();
    let before = database_cpu(own.as_ref());
    let (end_to_end, local) = e2e::run(local, runtime, count, proposers, None, crypto)?;
    let after = database_cpu(own.as_ref());
    let database_cpu_ms_per_withdrawal = before
        .zip(after)
        .map(|(b, a)| (a - b) / end_to_end.withdrawals.max(1) as f64);
    let (one_by_one, local) = e2e::run(local, runtime, alone, 1, None, crypto)?;
    local.stop();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(OnDatabase {
        server,
        end_to_end,
        one_by_one,
        database_cpu_ms_per_withdrawal,
    })
}

/// The two stores side by side.
pub fn print(embedded: &E2e, embedded_alone: &E2e, db: &OnDatabase) {
    let coordinator_cpu = |e: &E2e| {
        e.cpu_ms_by_process
            .iter()
            .find(|(n, _)| n == "coordinator")
            .map_or(0.0, |(_, ms)| *ms)
    };
    println!(
        "\nthe coordinator's store, embedded (sled) against {} ({} withdrawals, {} proposers; \
         then one at a time):",
        db.server, embedded.withdrawals, embedded.proposers
    );
    println!(
        "  {:<10} {:>14} {:>9} {:>9} {:>16} {:>16} {:>18} {:>12} {:>14}",
        "store",
        "withdrawals/s",
        "p50 ms",
        "p99 ms",
        "alone p50 ms",
        "alone p99 ms",
        "writes/withdrawal",
        "ms/commit",
        "coord. CPU ms"
    );
    for (name, e, alone) in [
        ("embedded", embedded, embedded_alone),
        ("postgres", &db.end_to_end, &db.one_by_one),
    ] {
        println!(
            "  {:<10} {:>14.1} {:>9.1} {:>9.1} {:>16.1} {:>16.1} {:>18.1} {:>12.2} {:>14.1}",
            name,
            e.per_second,
            e.p50_ms,
            e.p99_ms,
            alone.p50_ms,
            alone.p99_ms,
            e.coordinator_writes_per_withdrawal,
            e.coordinator_flush_ms,
            coordinator_cpu(e)
        );
    }
    let e = &db.end_to_end;
    let statements =
        e.coordinator_transaction_ms - e.coordinator_turn_wait_ms - e.coordinator_flush_ms;
    println!(
        "  where the time goes on PostgreSQL: {:.1} transactions per withdrawal (each a step of \
         the state machine, fenced by the leader's term in it), {:.2} ms each: {:.2} ms waiting \
         for a connection, {:.2} ms for the writers' turn (one transaction writes at a time, as one sled batch does), {:.2} \
         ms in its statements (fence, record, journal) and {:.2} ms committing (the WAL made \
         durable){}",
        e.coordinator_writes_per_withdrawal,
        e.coordinator_transaction_ms,
        e.coordinator_connection_wait_ms,
        e.coordinator_turn_wait_ms,
        statements.max(0.0),
        e.coordinator_flush_ms,
        match db.database_cpu_ms_per_withdrawal {
            Some(ms) => format!("; the database's processes spent {ms:.1} ms CPU per withdrawal"),
            None => String::new(),
        }
    );
}
