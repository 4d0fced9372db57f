//! Coordinators sharing one PostgreSQL database: one leads at a time, in terms; a leader that
//! stops renewing (paused, cut off) loses its lease to another after at most one lease, and
//! then writes nothing; the journal shows each term's entries after the last's. A leader
//! stops leading by its own clock when it cannot renew, and one whose view of the database
//! went stale writes nothing more until it read it again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod stored;

use std::time::{Duration, Instant};

use coordinator::store::postgres::PostgresConfig;
use coordinator::store::{Store, StoreConfig, StoreError};
use stored::*;

async fn coordinator(url: &str, name: &str, address: &str, lease_ms: u64) -> Store {
    let config = StoreConfig::Postgres(PostgresConfig {
        name: Some(name.into()),
        lease_ms,
        ..PostgresConfig::at(url)
    });
    let dir = testkit::temp_dir(name);
    Store::connect(&config, &dir, address).await.unwrap()
}

/// A coordinator leading alone on a database of its own (the server kept with it).
async fn leading_alone(lease_ms: u64) -> (testkit::postgres::Postgres, String, Store) {
    let server = testkit::postgres::Postgres::start();
    let url = server.database("hanko");
    let a = coordinator(&url, "a", "10.0.0.1:7000", lease_ms).await;
    assert!(a.postgres().unwrap().lead().await.unwrap());
    (server, url, a)
}

/// A plain connection to the database, to change it behind the coordinators' backs.
async fn sql(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

fn leader_terms(entries: &[hanko_runtime::audit::Entry]) -> Vec<(u64, String)> {
    entries
        .iter()
        .filter(|e| e.event.kind == "leader")
        .map(|e| (e.seq, e.event.detail.join(" ")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_leads_at_a_time_and_a_paused_leader_writes_nothing_after_a_takeover() {
    let server = testkit::postgres::Postgres::start();
    let url = server.database("hanko");
    let lease = 600;
    let a = coordinator(&url, "a", "10.0.0.1:7000", lease).await;
    let b = coordinator(&url, "b", "10.0.0.2:7000", lease).await;
    let (pa, pb) = (a.postgres().unwrap(), b.postgres().unwrap());

    assert!(pa.lead().await.unwrap(), "the first one leads");
    assert!(
        !pb.lead().await.unwrap(),
        "the second waits while the lease runs"
    );
    assert_eq!(pa.term(), Some(1));
    let d = draft("p-1", "k-1", "x");
    a.put_draft(&d).await.unwrap();
    match b.put_draft(&draft("p-2", "k-2", "y")).await {
        Err(StoreError::NotLeader { leader }) => {
            assert_eq!(leader.as_deref(), Some("10.0.0.1:7000"), "names the leader")
        }
        other => panic!("a standby wrote: {other:?}"),
    }

    // `a` stops renewing, as a paused process would; `b` takes over once the lease ran out.
    let paused = Instant::now();
    let mut took = None;
    while paused.elapsed() < Duration::from_millis(lease * 3) {
        if pb.lead().await.unwrap() {
            took = Some(paused.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(lease / 6)).await;
    }
    let took = took.expect("the standby takes over after the lease");
    println!(
        "takeover {} ms after the leader stopped renewing (lease {lease} ms)",
        took.as_millis()
    );
    assert!(
        took >= Duration::from_millis(lease / 2),
        "not before the lease ran out"
    );
    assert_eq!(pb.term(), Some(2));

    // `a` wakes up: by its own clock its lease ran out, and the database refuses its write
    // whatever it believes (the fence), naming the leader.
    assert!(!pa.leading(), "its lease ran out by its own clock too");
    match a.put_draft(&draft("p-3", "k-3", "z")).await {
        Err(StoreError::NotLeader { leader }) => {
            assert_eq!(leader.as_deref(), Some("10.0.0.2:7000"))
        }
        other => panic!("a paused leader wrote after a takeover: {other:?}"),
    }
    assert!(!pa.leading(), "and it stepped down");
    assert!(b.get("p-3").await.unwrap().is_none() && b.draft("p-3").await.unwrap().is_none());
    b.put_draft(&draft("p-4", "k-4", "w")).await.unwrap();

    // Another process under the same name (a restart, or a second host misconfigured with it)
    // cannot take a live lease: it waits for it to run out like any standby.
    drop(b);
    let b2 = coordinator(&url, "b", "10.0.0.2:7000", lease).await;
    let p2 = b2.postgres().unwrap();
    assert!(
        !p2.lead().await.unwrap(),
        "the old process's lease still runs"
    );
    let restarted = Instant::now();
    while !p2.lead().await.unwrap() {
        assert!(restarted.elapsed() < Duration::from_millis(lease * 3));
        tokio::time::sleep(Duration::from_millis(lease / 6)).await;
    }
    assert_eq!(p2.term(), Some(3));

    let (entries, head) = b2.audit().await.unwrap();
    let terms = p2.journal_terms().await.unwrap();
    assert!(terms.windows(2).all(|t| t[0] <= t[1]), "{terms:?}");
    hanko_runtime::audit::verify_with_head(&entries, head.as_ref()).unwrap();
    let terms = leader_terms(&entries);
    assert_eq!(
        terms.iter().map(|(_, d)| d.as_str()).collect::<Vec<_>>(),
        [
            "term 1 address 10.0.0.1:7000",
            "term 2 address 10.0.0.2:7000",
            "term 3 address 10.0.0.2:7000"
        ]
    );
    // p-1's draft was written in term 1, p-4's in term 2: nothing of `a` after term 2 began.
    assert!(b2.draft("p-1").await.unwrap().is_some() && b2.draft("p-4").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_whose_view_went_stale_writes_nothing_and_reads_the_database_again() {
    let (_server, url, a) = leading_alone(60_000).await;
    let pa = a.postgres().unwrap();
    let d = draft("p-1", "k-1", "x");
    a.put_draft(&d).await.unwrap();
    let r = record(&d);
    a.accept(&r).await.unwrap();

    // A step of p-1 is in the database that this process never heard committed (its
    // connection dropped as the commit went out, say).
    let mut elsewhere = r.clone();
    elsewhere.reason = Some("written by a commit whose answer was lost".into());
    let client = sql(&url).await;
    client
        .execute(
            "UPDATE proposals SET record = $1 WHERE id = $2",
            &[&serde_json::to_string(&elsewhere).unwrap(), &"p-1"],
        )
        .await
        .unwrap();

    // An acceptance is never written over a record that is there (another leader's).
    match a.accept(&r).await {
        Err(StoreError::Stale { id }) => assert_eq!(id, "p-1"),
        other => panic!("an acceptance was written over a stored proposal: {other:?}"),
    }
    assert!(
        pa.lead().await.unwrap(),
        "it reads the database again and leads"
    );
    assert_eq!(pa.term(), Some(2));

    // A step computed from the old view is refused, and the leader gives up its term.
    let mut next = r.clone();
    next.reason = Some("computed from a stale view".into());
    match a.update(&r, &next, "stale").await {
        Err(StoreError::Stale { id }) => assert_eq!(id, "p-1"),
        other => panic!("a step over a record that changed was written: {other:?}"),
    }
    assert!(
        !pa.leading(),
        "it stops writing until it read the database again"
    );
    let stored = a.get("p-1").await.unwrap().unwrap();
    assert_eq!(stored.reason, elsewhere.reason, "nothing of the stale step");

    // It leads again (its own lease) once it read everything again, and steps from there.
    assert!(pa.lead().await.unwrap());
    assert_eq!(pa.term(), Some(3));
    let active = a.active();
    assert_eq!(active.len(), 1);
    assert_eq!(*active[0], elsewhere, "its view is the database's");
    let mut after = elsewhere.clone();
    after.reason = Some("stepped from the database's record".into());
    a.update(&elsewhere, &after, "fresh").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_cannot_renew_stops_leading_by_its_own_clock() {
    let lease = 600;
    let (_server, _url, a) = leading_alone(lease).await;
    let pa = a.postgres().unwrap();
    // Nothing renews (the database unreachable, say): within a lease it no longer leads,
    // without having asked the database anything.
    let since = Instant::now();
    while pa.leading() {
        assert!(since.elapsed() < Duration::from_millis(lease * 2));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stopped = since.elapsed();
    assert!(stopped <= Duration::from_millis(lease + 50), "{stopped:?}");
    match a.put_draft(&draft("p-1", "k-1", "x")).await {
        Err(StoreError::NotLeader { .. }) => {}
        other => panic!("a leader past its lease wrote: {other:?}"),
    }
    println!(
        "a leader that did not renew stopped leading {} ms after it last did (lease {lease} ms)",
        stopped.as_millis()
    );
    // Renewing again, it leads in a new term (its own lease ran out: anyone could have).
    assert!(pa.lead().await.unwrap());
    assert_eq!(pa.term(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_refuses_a_leader_whatever_its_own_clock_says() {
    let (_server, url, a) = leading_alone(60_000).await;
    let pa = a.postgres().unwrap();
    // Another term began in the database (another coordinator whose clock ran fast, say)
    // while `a`'s own clock says its lease runs for a minute more.
    let client = sql(&url).await;
    client
        .execute(
            "UPDATE leader SET term = term + 1, holder = 'b', address = '10.0.0.2:7000', \
             instance = 'other', expires_at = clock_timestamp() + interval '1 minute'",
            &[],
        )
        .await
        .unwrap();
    assert!(pa.leading(), "by its own clock it still leads");
    match a.put_draft(&draft("p-1", "k-1", "x")).await {
        Err(StoreError::NotLeader { leader }) => {
            assert_eq!(leader.as_deref(), Some("10.0.0.2:7000"))
        }
        other => panic!("a write outside the current term was taken: {other:?}"),
    }
    assert!(!pa.leading(), "refused, it stepped down");
    assert!(!pa.lead().await.unwrap(), "and waits for the other's lease");
    assert!(a.draft("p-1").await.unwrap().is_none());
}
