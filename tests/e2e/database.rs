//! The database's own failover: PostgreSQL with a synchronous streaming replica, two
//! coordinators whose `url` lists both servers, three cosigners, the dev node. Withdrawals
//! are acknowledged, the primary is killed -9 with some of them in flight, the replica is
//! promoted; the coordinators reconnect to it by themselves and carry on. Every withdrawal
//! acknowledged before the kill is still there and confirms, paid once.

use std::time::{Duration, Instant};

use hanko_proto::v1 as pb;
use testkit::postgres::Postgres;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawals_acknowledged_before_the_primary_dies_survive_its_replicas_promotion() {
    let primary = Postgres::start();
    primary.database("hanko");
    let replica = primary.replica();
    let url = primary.url_with(&replica, "hanko");
    let mut local = start(ha_plan("database", Rules::default(), &url, 1_000)).await;
    let customer = local.layout.context.customer;
    let before = local.balance(&customer).await.unwrap();

    let mut acknowledged: Vec<(pb::Proposal, u64)> = vec![];
    for n in 1..=20u64 {
        let key = format!("before-{n}");
        let p = local
            .propose(&customer, &n.to_string(), &key, &key)
            .await
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        acknowledged.push((p, n));
    }
    let in_flight = acknowledged.iter().filter(|(p, _)| !terminal(p)).count();
    tokio::task::block_in_place(|| {
        primary.kill();
        replica.promote();
    });
    let promoted = Instant::now();
    // The first withdrawal after the promotion: retried until a coordinator takes it.
    let mut first = None;
    for n in 21..=30u64 {
        let key = format!("after-{n}");
        let p = loop {
            match local.propose(&customer, &n.to_string(), &key, &key).await {
                Ok(p) => break p,
                Err(e) => {
                    assert!(
                        promoted.elapsed() < Duration::from_secs(60),
                        "no coordinator took {key} after the promotion: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        first.get_or_insert(promoted.elapsed());
        acknowledged.push((p, n));
    }
    println!(
        "database failover: the first withdrawal after the promotion was taken {} ms after it ({in_flight} of 20 in flight at the kill)",
        first.unwrap_or_default().as_millis()
    );

    for (p, _) in &acknowledged {
        let done = until_terminal(&local, &p.id).await;
        assert_eq!(done.inner_hash, p.inner_hash, "{}", p.id);
        assert_eq!(state(&done), "confirmed", "{}: {}", p.id, done.reason);
    }
    assert!(local.all_running(), "a daemon died");
    local.block().await.unwrap();
    let paid = local.balance(&customer).await.unwrap() - before;
    let asked: u64 = acknowledged.iter().map(|(_, xem)| xem * XEM).sum();
    assert_eq!(paid, asked, "each withdrawal paid exactly once");
    sdk_check(&local, acknowledged.len());
    stop(local).await;
}
