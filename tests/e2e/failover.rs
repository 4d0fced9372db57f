//! Two coordinators on one PostgreSQL database, three cosigners and the dev node, all real
//! processes. Blocks come only when the test makes them, so withdrawals pile up: a backlog
//! is announced and waits for blocks while round after round the leader is killed (-9) as
//! more withdrawals arrive, and the standby, armed with one of the coordinator's crash
//! points, takes over and dies there in turn; the first comes back and leads again. Each
//! kill is printed with the withdrawals in flight by state, each takeover with its time. At
//! the end, every withdrawal acknowledged is there and confirmed, and the customer received
//! exactly what was asked, once.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use hanko_cli::local::Local;
use hanko_proto::v1 as pb;
use hanko_runtime::failpoint::CATALOGUE;

use crate::common::*;

const LEASE_MS: u64 = 1_000;
/// Announced before the first kill, waiting for blocks through the rounds.
const BACKLOG: usize = 100;
/// Proposed during the rounds, while leaders die.
const DURING: usize = 104;

/// The crash points a coordinator on a database reaches (the embedded store's history and
/// checkpoints are not its).
fn points() -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .filter(|p| p.daemon == "coordinator")
        .map(|p| p.name)
        .filter(|n| !n.starts_with("archive") && !n.starts_with("checkpoint"))
        .collect()
}

/// One round: the standby is armed with a crash point and the leader is killed; the standby
/// leads until it dies there, then the old leader comes back and leads.
struct Round {
    at: String,
    point: String,
    standby: usize,
    /// Who leads once the round is over.
    leader: usize,
    log: std::path::PathBuf,
    from: usize,
    killed: Instant,
    /// When the standby logged that it leads, after the kill.
    took: Option<Duration>,
    /// When the standby died at its point and the old leader was started again.
    restarted: Option<Duration>,
    /// The old leader's log from its start again: the round ends once it leads.
    leader_log: Option<(std::path::PathBuf, usize)>,
    last_block: Instant,
}

impl Round {
    fn begin(local: &mut Local, leader: usize, point: &str, at: String) -> Round {
        let standby = 1 - leader;
        tokio::task::block_in_place(|| {
            local.kill_coordinator_at(standby).unwrap();
            local
                .start_coordinator_at(standby, Some(&format!("coordinator.{point}")))
                .unwrap();
        });
        let log = local.coordinator_log(standby).unwrap();
        let from = std::fs::metadata(&log).map_or(0, |m| m.len() as usize);
        let killed = Instant::now();
        tokio::task::block_in_place(|| local.kill_coordinator_at(leader).unwrap());
        Round {
            at,
            point: point.into(),
            standby,
            leader,
            log,
            from,
            killed,
            took: None,
            restarted: None,
            leader_log: None,
            last_block: Instant::now(),
        }
    }

    /// Notes the standby's takeover; once it died at its point, starts the old leader again.
    /// For the confirmation points, makes blocks (about one a lease) for the standby to find.
    async fn tend(&mut self, local: &mut Local) {
        if self.point.starts_with("confirmed")
            && self.restarted.is_none()
            && self.last_block.elapsed() > Duration::from_millis(LEASE_MS)
        {
            local.block().await.unwrap();
            self.last_block = Instant::now();
        }
        if self.took.is_none() && self.logged("this coordinator leads") {
            self.took = Some(self.killed.elapsed());
        }
        if self.restarted.is_some() {
            return;
        }
        let Some(status) = local.coordinator_exited(self.standby) else {
            return;
        };
        assert_eq!(status.signal(), Some(9), "{}: ended by {status}", self.at);
        let reached = format!("crash point coordinator.{} reached", self.point);
        assert!(self.logged(&reached), "{}: not in its log", self.at);
        assert!(self.took.is_some(), "{}: died without leading", self.at);
        self.restarted = Some(self.killed.elapsed());
        let leader = self.leader;
        let log = local.coordinator_log(leader).unwrap();
        let from = std::fs::metadata(&log).map_or(0, |m| m.len() as usize);
        tokio::task::block_in_place(|| local.start_coordinator_at(leader, None).unwrap());
        self.leader_log = Some((log, from));
    }

    /// Whether the old leader, started again, leads again.
    fn over(&self) -> bool {
        self.leader_log
            .as_ref()
            .is_some_and(|(log, from)| logged(log, *from, "this coordinator leads"))
    }

    fn logged(&self, line: &str) -> bool {
        logged(&self.log, self.from, line)
    }

    fn within(&self, limit: Duration, what: &str) {
        assert!(self.killed.elapsed() < limit, "{}: {what}", self.at);
    }
}

/// Whether `line` is in the log at `path` after its first `from` bytes.
fn logged(path: &std::path::Path, from: usize, line: &str) -> bool {
    let text = std::fs::read(path).unwrap_or_default();
    String::from_utf8_lossy(&text[from.min(text.len())..]).contains(line)
}

/// How many of the withdrawals are in each state now, as the coordinators answer.
async fn in_flight(local: &Local) -> BTreeMap<&'static str, usize> {
    let mut t = local.treasury().await.unwrap();
    let mut by_state = BTreeMap::new();
    let mut page_token = String::new();
    loop {
        let page = t
            .list(pb::ListRequest {
                page_size: 500,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        for p in &page.proposals {
            *by_state.entry(state(p)).or_default() += 1;
        }
        if page.next_page_token.is_empty() {
            return by_state;
        }
        page_token = page.next_page_token;
    }
}

/// Proposes withdrawal `key` of `xem` XEM, again and again until a coordinator takes it.
async fn propose(local: &mut Local, r: &mut Round, key: &str, xem: u64) -> pb::Proposal {
    let customer = local.layout.context.customer;
    loop {
        r.tend(local).await;
        match local.propose(&customer, &xem.to_string(), key, key).await {
            Ok(p) => return p,
            Err(e) => {
                r.within(
                    Duration::from_secs(60),
                    &format!("no coordinator took {key}: {e}"),
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_leader_at_every_crash_point_loses_nothing_and_pays_once() {
    let server = testkit::postgres::Postgres::start();
    let roomy = Rules {
        daily_max_xem: 100_000_000,
        ..Rules::default()
    };
    let url = server.database("hanko");
    let mut p = ha_plan("failover", roomy, &url, LEASE_MS);
    p.block_time_ms = 0;
    let mut local = start(p).await;
    let customer = local.layout.context.customer;
    let before = local.balance(&customer).await.unwrap();

    let mut acknowledged: Vec<(pb::Proposal, u64)> = vec![];
    for n in 0..BACKLOG {
        let xem = (n + 1) as u64;
        let key = format!("backlog-{n}");
        let p = local
            .propose(&customer, &xem.to_string(), &key, &key)
            .await
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        acknowledged.push((p, xem));
    }
    let points = points();
    let per_round = DURING.div_ceil(points.len());
    let mut takeovers = vec![];
    let mut leader = 0;
    for (round, point) in points.iter().enumerate() {
        let at = format!("round {round}, crash point coordinator.{point}");
        let states = in_flight(&local).await;
        let mut r = Round::begin(&mut local, leader, point, at);
        println!("{}: the leader killed -9 with {states:?}", r.at);
        // Withdrawals keep coming: the proposer retries each until a leader takes it.
        for n in 0..per_round {
            let xem = (BACKLOG + round * per_round + n + 1) as u64;
            let key = format!("failover-{round}-{n}");
            let proposal = propose(&mut local, &mut r, &key, xem).await;
            acknowledged.push((proposal, xem));
        }
        // The standby led, then died at its crash point; the other came back and leads again.
        while !r.over() {
            r.tend(&mut local).await;
            r.within(Duration::from_secs(90), "the crash point was never reached");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let took = r.took.unwrap_or_default();
        takeovers.push(took);
        println!(
            "{}: the standby led {} ms after the leader's kill -9 (lease {LEASE_MS} ms) and died at its crash point {} ms after",
            r.at,
            took.as_millis(),
            r.restarted.unwrap_or_default().as_millis(),
        );
        leader = r.leader;
    }

    // Everything acknowledged is there and confirms, blocks made as they are needed (a
    // block takes at most 60 withdrawals of 2-of-3).
    let finishing = Instant::now();
    for (p, _) in &acknowledged {
        loop {
            match get(&local, &p.id).await {
                Some(now) if terminal(&now) => {
                    assert_eq!(now.inner_hash, p.inner_hash, "{}", p.id);
                    assert_eq!(state(&now), "confirmed", "{}: {}", p.id, now.reason);
                    break;
                }
                _ => {
                    assert!(
                        finishing.elapsed() < Duration::from_secs(120),
                        "{} did not confirm",
                        p.id
                    );
                    local.block().await.unwrap();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
        }
    }
    local.block().await.unwrap();
    local.block().await.unwrap();
    let paid = local.balance(&customer).await.unwrap() - before;
    let asked: u64 = acknowledged.iter().map(|(_, xem)| xem * XEM).sum();
    takeovers.sort();
    println!(
        "failover: {} withdrawals; {} kill -9 of the leader, each followed by the standby's death at one of the {} coordinator crash points; takeover median {} ms, longest {} ms (lease {LEASE_MS} ms); paid {paid} µXEM for {asked} asked",
        acknowledged.len(),
        points.len(),
        points.len(),
        takeovers[takeovers.len() / 2].as_millis(),
        takeovers.last().unwrap().as_millis()
    );
    assert_eq!(paid, asked, "each withdrawal paid exactly once");
    sdk_check(&local, acknowledged.len());
    stop(local).await;
}
