//! Fencing with real processes: two coordinators on one PostgreSQL database. The leader is
//! paused (SIGSTOP) with withdrawals in flight and stays paused well past its lease; the
//! standby takes over and finishes them. Woken (SIGCONT), the old leader writes nothing,
//! says it no longer leads and serves as a standby. The journal, read from the database by
//! `hanko audit verify`, holds one term's entries, then the next's.

use std::time::{Duration, Instant};

use hanko_cli::local::Local;
use hanko_proto::v1 as pb;

use crate::common::*;

const LEASE_MS: u64 = 1_000;

/// Sends `signal` ("STOP", "CONT") to process `pid`.
fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}: {status}");
}

/// Waits until `line` is in the log at `path` after its first `from` bytes; how long it took.
async fn until_logged(path: &std::path::Path, from: usize, line: &str) -> Duration {
    let started = Instant::now();
    loop {
        let text = std::fs::read(path).unwrap_or_default();
        if String::from_utf8_lossy(&text[from.min(text.len())..]).contains(line) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{}: no '{line}'",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn log_of(local: &mut Local, i: usize) -> (std::path::PathBuf, usize) {
    let log = local.coordinator_log(i).unwrap();
    let len = std::fs::metadata(&log).map_or(0, |m| m.len() as usize);
    (log, len)
}

async fn propose_some(local: &Local, tag: &str, n: usize) -> Vec<pb::Proposal> {
    let customer = local.layout.context.customer;
    let mut proposals = vec![];
    for i in 0..n {
        let key = format!("{tag}-{i}");
        let p = local
            .propose(&customer, &(i + 1).to_string(), &key, &key)
            .await
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        proposals.push(p);
    }
    proposals
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_leader_that_wakes_after_a_takeover_writes_nothing_and_steps_down() {
    let server = testkit::postgres::Postgres::start();
    let url = server.database("hanko");
    let mut local = start(ha_plan("fencing", Rules::default(), &url, LEASE_MS)).await;
    let customer = local.layout.context.customer;
    let before = local.balance(&customer).await.unwrap();

    let first = propose_some(&local, "before", 3).await;
    let in_flight = propose_some(&local, "in-flight", 3).await;
    let old = local.coordinator_pid(0).unwrap();
    let (old_log, _) = log_of(&mut local, 0);
    let (new_log, from) = log_of(&mut local, 1);
    signal(old, "STOP");
    let took = until_logged(&new_log, from, "this coordinator leads").await;
    println!(
        "fencing: the standby led {} ms after the leader was paused (lease {LEASE_MS} ms)",
        took.as_millis()
    );
    let after = propose_some(&local, "after", 3).await;
    for p in first.iter().chain(&in_flight).chain(&after) {
        let done = until_terminal(&local, &p.id).await;
        assert_eq!(state(&done), "confirmed", "{}: {}", p.id, done.reason);
    }
    // Paused for three leases in all, then woken.
    tokio::time::sleep(Duration::from_millis(2 * LEASE_MS)).await;
    let woken_at = std::fs::metadata(&old_log).unwrap().len() as usize;
    signal(old, "CONT");
    let stepped = until_logged(&old_log, woken_at, "this coordinator no longer leads").await;
    println!(
        "fencing: woken, the old leader stepped down within {} ms",
        stepped.as_millis()
    );

    // Withdrawals go on through the new leader; the old one, a standby now, stays up.
    let later = propose_some(&local, "later", 2).await;
    for p in &later {
        assert_eq!(state(&until_terminal(&local, &p.id).await), "confirmed");
    }
    assert!(local.all_running(), "a coordinator died");
    let woken = std::fs::read_to_string(&old_log).unwrap()[woken_at..].to_string();
    assert!(
        !woken.contains("this coordinator leads"),
        "the old leader led again: {woken}"
    );

    // The journal: intact, each entry tagged with the term that wrote it, never going back.
    let verify = std::process::Command::new(exe())
        .args(["audit", "verify"])
        .arg(local.layout.coordinator_config_of(1))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        said.contains("chain intact, leader terms 1 to 2 in order"),
        "{said}"
    );
    println!("fencing: {}", said.trim());

    local.block().await.unwrap();
    let paid = local.balance(&customer).await.unwrap() - before;
    let asked = (1 + 2 + 3) * 3 + (1 + 2);
    assert_eq!(paid, asked * XEM, "each withdrawal paid exactly once");
    sdk_check(&local, 11);
    stop(local).await;
}
