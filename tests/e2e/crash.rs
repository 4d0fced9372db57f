//! The crash matrix: each crash point of `hanko_runtime::failpoint::CATALOGUE` is armed in a real
//! daemon of a local 2-of-3, reached by real withdrawals, the daemon dies by SIGKILL there and
//! is started again on the same data. Then: every acknowledged proposal is still there with
//! its inner hash and its saved signatures, every proposal confirms, each with exactly one
//! payment; and, once everything is stopped, every signature the coordinator holds is a
//! durable, signed binding of its cosigner with a velocity reservation, on one inner hash.
//!
//! Seeds: `HANKO_CRASH_SEEDS` (default 3) rounds of the whole catalogue; each round's seed picks
//! the cosigner that crashes and the amounts. A failing run prints its point and seed.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use hanko_cli::local::Local;
use hanko_proto::v1 as pb;
use hanko_runtime::failpoint::{CATALOGUE, Point};
use rand::{Rng, SeedableRng};

use crate::common::*;

/// Above this many XEM, cosigners B and C ask an operator; only B's operator answers here.
const APPROVAL_ABOVE: u64 = 500;
const OPERATOR: usize = 1;

/// One withdrawal of the matrix.
struct Withdrawal {
    key: String,
    xem: u64,
    /// Set once Propose answered.
    proposal: Option<pb::Proposal>,
}

fn seeds() -> Vec<u64> {
    let n = std::env::var("HANKO_CRASH_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3u64);
    (1..=n).collect()
}

/// The cosigners whose signatures proposal `p` holds, by public key.
fn signers(p: &pb::Proposal) -> BTreeSet<Vec<u8>> {
    p.decisions
        .iter()
        .filter(|d| matches!(d.outcome, Some(pb::cosigner_decision::Outcome::Signed(_))))
        .map(|d| d.cosigner.clone())
        .collect()
}

/// Approves on B whatever waits for B; errors (B down, already approved) are retried later.
async fn operate(local: &Local, p: &pb::Proposal) {
    let b = local.layout.cosigners[OPERATOR].public_key;
    if needs_approval(p, &b) {
        let _ = local
            .operator(
                OPERATOR,
                cosigner::operator::Request::Approve {
                    id: p.id.clone(),
                    confirm: p.inner_hash[..8].to_string(),
                    name: "crash-matrix".into(),
                },
            )
            .await;
    }
}

/// Proposes what has no answer yet (a retry uses the same idempotency key); the last refusal,
/// if any, to say why a run is stuck.
async fn propose_all(local: &Local, withdrawals: &mut [Withdrawal]) -> Option<String> {
    let customer = local.layout.context.customer;
    let mut refused = None;
    for w in withdrawals.iter_mut().filter(|w| w.proposal.is_none()) {
        match local
            .propose(&customer, &w.xem.to_string(), &w.key, &w.key)
            .await
        {
            Ok(p) => w.proposal = Some(p),
            Err(e) => {
                println!("{}: Propose refused, to be retried: {e}", w.key);
                refused = Some(format!("{} XEM: {e}", w.xem));
            }
        }
    }
    refused
}

/// One run: arm `point` in `target`, withdraw, see the daemon die there, restart it, finish.
async fn run(
    local: &mut Local,
    point: &Point,
    target: Option<usize>,
    withdrawals: &mut [Withdrawal],
    seed: u64,
) {
    let name = format!("{}.{}", point.daemon, point.name);
    let at = format!("crash point {name} (seed {seed})");
    tokio::task::block_in_place(|| match target {
        None => local.arm_coordinator(&name),
        Some(i) => local.arm_cosigner(i, &name),
    })
    .unwrap_or_else(|e| panic!("{at}: cannot start the armed daemon: {e}"));
    let mut refused = propose_all(local, withdrawals).await;

    // Until the armed daemon dies: follow what is acknowledged, operate B, and propose again
    // what got no answer, as a proposer would.
    let mut saved: BTreeMap<String, BTreeSet<Vec<u8>>> = BTreeMap::new();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = local.exited(target) {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{at}: never reached ({}); last refused Propose: {}",
            point.step,
            refused.as_deref().unwrap_or("none")
        );
        if withdrawals.iter().any(|w| w.proposal.is_none()) {
            refused = propose_all(local, withdrawals).await.or(refused);
        }
        for w in withdrawals.iter() {
            if let Some(p) = &w.proposal
                && let Some(now) = get(local, &p.id).await
            {
                saved.insert(now.id.clone(), signers(&now));
                operate(local, &now).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let crashed = started.elapsed();
    assert_eq!(
        status.signal(),
        Some(9),
        "{at}: ended by {status}, not SIGKILL"
    );
    let log = std::fs::read_to_string(local.log_of(target).unwrap()).unwrap();
    assert!(
        log.contains(&format!("crash point {name} reached")),
        "{at}: not in the log"
    );

    tokio::task::block_in_place(|| match target {
        None => local.restart_coordinator(),
        Some(i) => local.restart_cosigner(i),
    })
    .unwrap_or_else(|e| panic!("{at}: restart failed: {e}"));

    // What was acknowledged survived, with every signature that was saved.
    for w in withdrawals.iter() {
        if let Some(p) = &w.proposal {
            let now = get(local, &p.id)
                .await
                .unwrap_or_else(|| panic!("{at}: acknowledged proposal {} lost", p.id));
            assert_eq!(
                now.inner_hash, p.inner_hash,
                "{at}: {} has a new inner hash",
                p.id
            );
            let before = saved.get(&p.id).cloned().unwrap_or_default();
            assert!(
                signers(&now).is_superset(&before),
                "{at}: {} lost a saved signature",
                p.id
            );
        }
    }
    // The proposer retries what got no answer, with the same idempotency key.
    let retry = Instant::now();
    while withdrawals.iter().any(|w| w.proposal.is_none()) {
        assert!(
            retry.elapsed() < Duration::from_secs(30),
            "{at}: Propose keeps failing: {}",
            refused.as_deref().unwrap_or("no answer")
        );
        refused = propose_all(local, withdrawals).await.or(refused);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Everything confirms.
    let finishing = Instant::now();
    for w in withdrawals.iter_mut() {
        let id = w
            .proposal
            .as_ref()
            .map(|p| p.id.clone())
            .unwrap_or_default();
        loop {
            let now = get(local, &id).await;
            if let Some(now) = now {
                if terminal(&now) {
                    assert_eq!(state(&now), "confirmed", "{at}: {id}: {}", now.reason);
                    w.proposal = Some(now);
                    break;
                }
                operate(local, &now).await;
            }
            assert!(
                finishing.elapsed() < Duration::from_secs(90),
                "{at}: {id} did not confirm"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    println!(
        "{at}: crashed after {:.1} s, all confirmed {:.1} s after the restart",
        crashed.as_secs_f64(),
        finishing.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_crash_point_loses_nothing_and_pays_once() {
    let roomy = Rules {
        daily_max_xem: 10_000_000,
        ..Rules::default()
    };
    let asks = Rules {
        approval_above: Some(APPROVAL_ABOVE),
        ..roomy.clone()
    };
    let mut p = plan("crash", 3, 2, vec![roomy, asks.clone(), asks]);
    // This test follows every proposal every 50 ms from one proposer identity: far beyond the
    // default request rate, which would refuse its Proposes (the limits have their own test).
    p.limits = Some(coordinator::config::limits::Limits {
        requests_per_second: 1_000,
        burst: 1_000,
        ..Default::default()
    });
    // Everything finished, and all but the newest journal entries, moves to the history every
    // second, and the main store is checkpointed every 20 writes: moves and checkpoints happen
    // during every run, and their own crash points are reached.
    p.history = Some(coordinator::store::Keep {
        finished: 0,
        journal: 16,
        batch: 20_000,
        interval_seconds: 1,
        checkpoint_writes: 20,
    });
    let mut local = start(p).await;
    let customer = local.layout.context.customer;
    let before = local.balance(&customer).await.unwrap();
    let started = Instant::now();
    let mut done: Vec<Withdrawal> = vec![];
    let mut runs = 0;
    for seed in seeds() {
        for (n, point) in CATALOGUE.iter().enumerate() {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed * 1_000 + n as u64);
            let target = match point.daemon {
                "coordinator" => None,
                _ if point.name.starts_with("approval") => Some(OPERATOR),
                _ => Some(rng.random_range(0..3)),
            };
            // One that A, B and C sign at once, one that waits for B's operator.
            let mut withdrawals: Vec<Withdrawal> = [
                rng.random_range(1..=APPROVAL_ABOVE),
                rng.random_range(APPROVAL_ABOVE + 1..=5_000),
            ]
            .into_iter()
            .enumerate()
            .map(|(j, xem)| Withdrawal {
                key: format!("{}-{}-s{seed}-{j}", point.daemon, point.name),
                xem,
                proposal: None,
            })
            .collect();
            run(&mut local, point, target, &mut withdrawals, seed).await;
            done.extend(withdrawals);
            runs += 1;
        }
    }
    let elapsed = started.elapsed();

    // Every withdrawal of every run still reads as confirmed, most of them from the history.
    for w in &done {
        let id = &w.proposal.as_ref().unwrap().id;
        let now = get(&local, id)
            .await
            .unwrap_or_else(|| panic!("{id} ({}) is no longer found", w.key));
        assert_eq!(state(&now), "confirmed", "{id} ({})", w.key);
    }

    // Exactly one payment per withdrawal: the customer got the sum, to the micro-XEM.
    let paid = local.balance(&customer).await.unwrap() - before;
    let asked: u64 = done.iter().map(|w| w.xem * XEM).sum();
    let check = sdk_check(&local, done.len());
    let dir = local.layout.dir.clone();
    let cosigners: Vec<_> = local
        .layout
        .cosigners
        .iter()
        .map(|c| (c.public_key, c.config.parent().unwrap().join("data")))
        .collect();
    let coordinator_data = local
        .layout
        .coordinator_config
        .parent()
        .unwrap()
        .join("data");
    stop_keeping(local).await;
    assert_eq!(paid, asked, "paid {paid} µXEM for {asked} asked");

    // Every journal verifies; every signature the coordinator holds is durable where it was made.
    let store = coordinator::store::Store::open(&coordinator_data).unwrap();
    let (entries, head) = store.audit().await.unwrap();
    hanko_runtime::audit::verify_with_head(&entries, head.as_ref()).unwrap();
    let (moved, moved_entries) = store.embedded().unwrap().history_len().unwrap();
    assert!(
        moved > done.len() / 2 && moved_entries as u64 > done.len() as u64,
        "the history holds {moved} proposals and {moved_entries} entries"
    );
    let (mut lost, mut two_hashes, mut velocity) = (0, 0, 0);
    for (key, data) in &cosigners {
        let store = cosigner::store::Store::open(data).unwrap();
        let entries = store.audit().unwrap();
        hanko_runtime::audit::verify_with_head(&entries, store.audit_head().unwrap().as_ref())
            .unwrap();
        let bindings: BTreeMap<String, cosigner::record::Binding> = store
            .bindings()
            .unwrap()
            .into_iter()
            .map(|b| (b.proposal_id.clone(), b))
            .collect();
        for w in &done {
            let p = w.proposal.as_ref().unwrap();
            let bound = bindings.get(&p.id);
            if bound.is_some_and(|b| b.inner_hash.to_string() != p.inner_hash) {
                two_hashes += 1;
            }
            if !signers(p).contains(key.0.as_slice()) {
                continue;
            }
            match bound.map(|b| &b.status) {
                Some(cosigner::record::Status::Signed { reservation, .. }) => {
                    let reserved: u128 = reservation
                        .iter()
                        .filter(|o| o.asset.to_string() == "nem:xem")
                        .map(|o| o.amount)
                        .sum();
                    if reserved < u128::from(w.xem * XEM) {
                        velocity += 1;
                    }
                }
                _ => lost += 1,
            }
        }
    }
    println!(
        "crash matrix: {} points, {runs} crash runs ({} seeds), {} proposals, {} payments, {} announces, {moved} moved to the history; \
         0 lost acknowledged proposals, {lost} lost signatures, {two_hashes} proposals with two inner hashes, \
         {} double payments, {velocity} velocity mismatches; {:.0} s",
        CATALOGUE.len(),
        seeds().len(),
        done.len(),
        check.payments,
        check.announces,
        check.payments.saturating_sub(done.len()),
        elapsed.as_secs_f64()
    );
    assert_eq!((lost, two_hashes, velocity), (0, 0, 0));
    let _ = std::fs::remove_dir_all(dir);
}
