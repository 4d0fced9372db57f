//! The proposal store: idempotent drafts, accepted proposals that survive reopening, the
//! active index, pages, the persisted freeze flag, and where the chain watcher got to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use coordinator::core::{ProposalRecord, State};
use coordinator::store::{Draft, Freeze, Store, StoreError};
mod stored;

use stored::*;

async fn drafts_are_idempotent_and_conflicts_named(b: Backing) {
    let store = b.open().await;
    let first = store
        .put_draft(&draft("p-1", "k-1", "pay 5 to X"))
        .await
        .unwrap();
    let retry = store
        .put_draft(&draft("p-2", "k-1", "pay 5 to X"))
        .await
        .unwrap();
    assert_eq!(
        retry.id, first.id,
        "a retry with the same key gets the same proposal id"
    );
    match store.put_draft(&draft("p-3", "k-1", "pay 500 to Y")).await {
        Err(StoreError::IdempotencyConflict { existing, .. }) => assert_eq!(existing, "p-1"),
        other => panic!("{other:?}"),
    }
    drop(store);
}

/// NIS takes the same bytes as one transaction: no two drafts or proposals may carry them.
async fn no_two_proposals_carry_the_same_bytes(b: Backing) {
    let store = b.open().await;
    let first = draft("p-1", "k-1", "pay 5 to X");
    store.put_draft(&first).await.unwrap();
    // Another withdrawal alike in everything: the same bytes under another id and key.
    let alike = |id: &str, key: &str| Draft {
        inner: first.inner.clone(),
        ..draft(id, key, "pay 5 to X")
    };
    match store.put_draft(&alike("p-2", "k-2")).await {
        Err(StoreError::SameBytes { existing }) => assert_eq!(existing, "p-1"),
        other => panic!("a second draft with the same bytes: {other:?}"),
    }
    let other = draft("p-2", "k-2", "pay 5 to X");
    store.put_draft(&other).await.unwrap();
    store.accept(&record(&first)).await.unwrap();
    match store.put_draft(&alike("p-3", "k-3")).await {
        Err(StoreError::SameBytes { existing }) => assert_eq!(existing, "p-1"),
        other => panic!("a draft with an accepted proposal's bytes: {other:?}"),
    }
    // An accepted proposal with another's bytes is refused too (a draft cannot get there).
    let twin = ProposalRecord {
        inner: first.inner.clone(),
        inner_hash: record(&first).inner_hash,
        ..record(&other)
    };
    assert!(matches!(
        store.accept(&twin).await,
        Err(StoreError::SameBytes { .. })
    ));
    assert_eq!(
        store
            .id_for_inner(&twin.inner_hash)
            .await
            .unwrap()
            .as_deref(),
        Some("p-1")
    );
    drop(store);
}

async fn accepted_proposals_survive_reopening_and_leave_active_when_finished(b: Backing) {
    let d = draft("p-1", "k-1", "x");
    {
        let store = with_accepted(&b, &d).await;
        assert!(
            store.draft("p-1").await.unwrap().is_none(),
            "the draft became the proposal"
        );
    }
    let store = b.reopen().await;
    let active = store.active();
    assert_eq!(active, vec![std::sync::Arc::new(record(&d))]);
    assert_eq!(
        store.id_for_key("k-1").await.unwrap().as_deref(),
        Some("p-1")
    );
    // The same key after acceptance still answers with the same proposal.
    assert_eq!(
        store.put_draft(&draft("p-9", "k-1", "x")).await.unwrap().id,
        "p-1"
    );
    // A different request under that key is a conflict, not the accepted proposal.
    match store.put_draft(&draft("p-9", "k-1", "pay 500 to Y")).await {
        Err(StoreError::IdempotencyConflict { existing, .. }) => assert_eq!(existing, "p-1"),
        other => panic!("a different request under an accepted key: {other:?}"),
    }

    let mut done = record(&d);
    done.state = State::Confirmed;
    store.update(&record(&d), &done, "test").await.unwrap();
    assert!(store.active().is_empty());
    assert_eq!(
        store.get("p-1").await.unwrap().unwrap().state,
        State::Confirmed
    );
    drop(store);
}

/// Proposals accepted and finished survive a reopen with their keys, their place in the
/// active index and their journal entries.
async fn accepted_and_finished_proposals_keep_keys_transitions_and_their_journal(b: Backing) {
    let drafts: Vec<Draft> = (0..3)
        .map(|i| draft(&format!("p-{i}"), &format!("k-{i}"), "x"))
        .collect();
    let accepted: Vec<ProposalRecord> = drafts.iter().map(record).collect();
    let updates: Vec<(ProposalRecord, ProposalRecord)> = accepted
        .iter()
        .map(|r| {
            let mut done = r.clone();
            done.state = State::Confirmed;
            done.confirmed_height = Some(7);
            (r.clone(), done)
        })
        .collect();
    {
        let store = b.open().await;
        store.accept_all(&accepted).await.unwrap();
        for (old, new) in &updates[..2] {
            store.update(old, new, "test").await.unwrap();
        }
    }
    let store = b.reopen().await;
    assert_eq!(
        store.get("p-1").await.unwrap().unwrap().state,
        State::Confirmed
    );
    assert_eq!(
        store.get("p-2").await.unwrap().unwrap().state,
        State::Proposed
    );
    let active: Vec<String> = store.active().iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        active,
        vec!["p-2"],
        "finished proposals leave the active index"
    );
    assert_eq!(
        store.id_for_key("k-0").await.unwrap().as_deref(),
        Some("p-0")
    );
    let (entries, head) = store.audit().await.unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e.event.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "proposal_accepted").count(),
        3
    );
    assert_eq!(kinds.iter().filter(|k| **k == "state_confirmed").count(), 2);
    assert_eq!(head.unwrap().seq + 1, entries.len() as u64);
    drop(store);
}

#[tokio::test]
async fn a_damaged_journal_tail_stops_the_start() {
    let b = Backing::embedded("journal");
    let path = b.path().to_path_buf();
    drop(with_accepted(&b, &draft("p-1", "k-1", "x")).await);
    // Damage made through sled itself, so its own checksums are right.
    let edit = |change: &dyn Fn(&sled::Tree)| {
        let db = when_unlocked(|| sled::open(&path)).unwrap();
        change(&db.open_tree("audit").unwrap());
        db.flush().unwrap();
    };
    edit(&|audit| {
        let (k, v) = audit.last().unwrap().unwrap();
        let text = String::from_utf8(v.to_vec()).unwrap();
        let edited = text.replace("proposal_accepted", "proposal_cancelled");
        assert_ne!(edited, text);
        audit.insert(k, edited.as_bytes()).unwrap();
    });
    let refused = |expected: &str| match when_unlocked(|| Store::open(&path)) {
        Err(e) => {
            let shown = e.to_string();
            assert!(shown.contains("the audit journal is damaged"), "{shown}");
            assert!(shown.contains(expected), "{shown}");
        }
        Ok(_) => panic!("started on a damaged journal ({expected})"),
    };
    refused("(edited)");
    edit(&|audit| {
        let (k, _) = audit.last().unwrap().unwrap();
        audit.remove(k).unwrap();
    });
    refused("(truncated)");
    std::fs::remove_dir_all(path).unwrap();
}

async fn pages_and_freeze(b: Backing) {
    let store = b.open().await;
    for i in 0..7 {
        let d = draft(&format!("p-{i}"), &format!("k-{i}"), "x");
        store.put_draft(&d).await.unwrap();
        let mut r = record(&d);
        if i % 2 == 0 {
            r.state = State::Confirmed;
        }
        store.accept(&r).await.unwrap();
    }
    let (first, token) = store
        .page(None, 2, |r| r.state == State::Confirmed)
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["p-0", "p-2"]
    );
    let (second, token) = store
        .page(token.as_deref(), 2, |r| r.state == State::Confirmed)
        .await
        .unwrap();
    assert_eq!(
        second.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["p-4", "p-6"]
    );
    let (rest, end) = store
        .page(token.as_deref(), 2, |r| r.state == State::Confirmed)
        .await
        .unwrap();
    assert!(rest.is_empty() && end.is_none());
    assert_eq!(store.active().len(), 3);

    store
        .set_freeze(&Freeze {
            frozen: true,
            reason: "outflow not sent by Hanko".into(),
            by: "admin-1".into(),
            since_ms: 5,
        })
        .await
        .unwrap();
    drop(store);
    let store = b.reopen().await;
    assert!(
        store.freeze().unwrap().unwrap().frozen,
        "a freeze survives restarts"
    );
    drop(store);
}

/// Where the chain watcher got to survives a restart (and, on a database, a change of leader),
/// so outflows confirmed while no watcher ran are checked, not only the newest page.
async fn where_the_chain_watcher_got_to_survives_reopening(b: Backing) {
    let store = b.open().await;
    assert!(
        store.watch_heights().await.unwrap().is_empty(),
        "nothing yet"
    );
    let heights: coordinator::store::WatchHeights = [
        (
            "TAMPNUVQ7VLXKZAPKDAGRZBWJEZA7JMWP3N6GTKW".to_string(),
            1_234,
        ),
        ("TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6".to_string(), 7),
    ]
    .into();
    store.set_watch_heights(&heights).await.unwrap();
    // Not flushed by itself: any later flush settles it.
    store.probe().await.unwrap();
    drop(store);
    let store = b.reopen().await;
    assert_eq!(store.watch_heights().await.unwrap(), heights);
    drop(store);
}

/// Group commit: transitions written by many requests are settled by one flush, each reported
/// durable only once a flush that started after it returned, and all there after reopening.
#[tokio::test]
async fn one_flush_settles_the_writes_made_before_it() {
    let path = dir("group");
    let store = Store::open(&path).unwrap();
    let mut records = vec![];
    for i in 0..10 {
        let d = draft(&format!("p-{i}"), &format!("k-{i}"), "x");
        store.put_draft(&d).await.unwrap();
        store.accept(&record(&d)).await.unwrap();
        records.push(record(&d));
    }
    let before = store.flushes();
    let mut tickets = vec![];
    for r in &records {
        let mut next = r.clone();
        next.state = State::Confirmed;
        tickets.push(store.write_update(r, &next, "test").await.unwrap());
    }
    assert!(
        store.flushed() < tickets[0].seq,
        "nothing written is reported durable before a flush"
    );
    let last = tickets.pop().unwrap();
    store.settle(last).await.unwrap();
    assert!(store.flushed() >= last.seq);
    for t in tickets {
        store.settle(t).await.unwrap();
    }
    assert_eq!(
        store.flushes() - before,
        1,
        "the writes made before the flush needed no other"
    );
    drop(store);
    let store = reopen(&path);
    assert!(store.active().is_empty());
    for r in &records {
        assert_eq!(
            store.get(&r.id).await.unwrap().unwrap().state,
            State::Confirmed
        );
    }
    drop(store);
    std::fs::remove_dir_all(path).unwrap();
}

/// Many transitions in one write: one number in the group commit, the journal chained in the
/// order they were made, a proposal that moved twice left where its second move put it, and
/// all of it there after reopening.
async fn transitions_written_together_are_one_write_in_order(b: Backing) {
    use coordinator::store::Transition;
    let store = b.open().await;
    let records: Vec<ProposalRecord> = (0..3)
        .map(|i| record(&draft(&format!("p-{i}"), &format!("k-{i}"), "x")))
        .collect();
    store.accept_all(&records).await.unwrap();
    let moved = |r: &ProposalRecord, state| ProposalRecord { state, ..r.clone() };
    let collecting = moved(&records[0], State::Collecting);
    let confirmed = moved(&collecting, State::Confirmed);
    let other = moved(&records[1], State::Collecting);
    let before = store.counted();
    let seq = store
        .write_updates(&[
            Transition {
                old: Some(&records[0]),
                new: &collecting,
                step: "test",
            },
            Transition {
                old: Some(&records[1]),
                new: &other,
                step: "test",
            },
            Transition {
                old: Some(&collecting),
                new: &confirmed,
                step: "test",
            },
        ])
        .await
        .unwrap();
    assert_eq!(
        (seq, store.counted()),
        (before + 1, before + 1),
        "one write"
    );
    // (That it is not durable before a flush is the embedded store's own: see
    // one_flush_settles_the_writes_made_before_it; a database's commit is durable at once.)
    store.durable(seq).await.unwrap();
    assert!(store.flushed() >= seq, "durable once durable() returns");
    drop(store);

    let store = b.reopen().await;
    assert_eq!(
        store.get("p-0").await.unwrap().unwrap().state,
        State::Confirmed
    );
    assert_eq!(
        store.get("p-1").await.unwrap().unwrap().state,
        State::Collecting
    );
    let active: Vec<String> = store.active().iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        active,
        vec!["p-1", "p-2"],
        "the finished one left the index"
    );
    let (entries, head) = store.audit().await.unwrap();
    hanko_runtime::audit::verify_with_head(&entries, head.as_ref()).unwrap();
    let moves: Vec<(String, String)> = entries
        .iter()
        .filter(|e| e.event.kind.starts_with("state_"))
        .map(|e| {
            (
                e.event.kind.clone(),
                e.event.proposal.clone().unwrap_or_default(),
            )
        })
        .collect();
    let want = [
        ("state_collecting", "p-0"),
        ("state_collecting", "p-1"),
        ("state_confirmed", "p-0"),
    ];
    assert_eq!(
        moves,
        want.map(|(k, p)| (k.to_string(), p.to_string())).to_vec(),
        "journaled in the order made"
    );
    drop(store);
}

/// The pending limit is counted in the same step as the acceptance: of 12 proposals accepted
/// at once for one account with a limit of 5, exactly 5 are stored and 7 are refused naming it.
async fn simultaneous_proposals_cannot_pass_the_pending_limit(b: Backing) {
    let store = std::sync::Arc::new(b.open().await);
    let c = offline(&store);
    let mut tasks = vec![];
    for i in 0..12 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let d = draft(&format!("p-{i}"), &format!("k-{i}"), "x");
            c.put_draft(d.clone()).await.unwrap();
            c.accept(record(&d), 5).await
        }));
    }
    let mut refusals = vec![];
    for t in tasks {
        if let Err(e) = t.await.unwrap() {
            refusals.push(e.to_string());
        }
    }
    assert_eq!(store.count_active(&account()), 5);
    assert_eq!(refusals.len(), 7);
    assert!(
        refusals[0].contains("limits.max_pending_per_account = 5"),
        "{}",
        refusals[0]
    );
    drop((c, store));
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The store on a 4 MiB tmpfs that fills up: new proposals are refused with the storage error
/// (nothing acknowledged), and once space is back every proposal accepted before is there.
#[tokio::test]
async fn a_full_disk_refuses_new_proposals_and_loses_none() {
    if !is_root() {
        println!("not root: the disk-full test mounts a tmpfs and runs only as root (CI runs it)");
        return;
    }
    let d = dir("full");
    std::fs::create_dir_all(&d).unwrap();
    let mount = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&d)
        .status()
        .unwrap();
    assert!(mount.success());
    let data = d.join("data");
    let mut accepted = vec![];
    let refusal = {
        let store = Store::open(&data).unwrap();
        {
            use std::io::Write;
            let mut filler = std::fs::File::create(d.join("filler")).unwrap();
            let block = vec![0u8; 64 * 1024];
            while filler.write_all(&block).is_ok() {}
        }
        let mut refusal = None;
        for i in 0..2_000 {
            let dr = draft(&format!("P-{i}"), &format!("k-{i}"), "d");
            let stored = match store.put_draft(&dr).await {
                Ok(_) => store.accept(&record(&dr)).await,
                Err(e) => Err(e),
            };
            match stored {
                Ok(()) => accepted.push(dr.id),
                Err(e) => {
                    refusal = Some(e.to_string());
                    break;
                }
            }
        }
        refusal
    };
    let refusal = refusal.unwrap_or_else(|| panic!("2,000 proposals stored on a full 4 MiB disk"));
    assert!(
        refusal.contains("No space left on device") || refusal.contains("os error 28"),
        "{refusal}"
    );
    std::fs::remove_file(d.join("filler")).unwrap();
    let store = reopen(&data);
    let mut lost = 0;
    for id in &accepted {
        if store.get(id).await.unwrap().is_none() {
            lost += 1;
        }
    }
    let _ = std::process::Command::new("umount")
        .arg("-l")
        .arg(&d)
        .status();
    let _ = std::fs::remove_dir_all(&d);
    println!(
        "coordinator disk full: {} proposals accepted on a 4 MiB tmpfs, the next refused ({refusal}); after reopening, {lost} lost",
        accepted.len()
    );
    assert_eq!(lost, 0);
}

/// Events applied at once, many on one proposal and some the core refuses: each caller hears
/// what became of its own event, every accepted change is on disk when its caller hears, and
/// no change is written twice.
async fn events_applied_at_once_each_hear_their_own_outcome(b: Backing) {
    use coordinator::core::Event;
    use coordinator::driver::DriverError;
    let store = std::sync::Arc::new(b.open().await);
    let records: Vec<ProposalRecord> = (0..40)
        .map(|i| record(&draft(&format!("p-{i}"), &format!("k-{i}"), "x")))
        .collect();
    store.accept_all(&records).await.unwrap();
    let c = offline(&store);
    let before = store.counted();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        for event in [
            Event::Distributed,
            Event::Cancel {
                reason: format!("cancel {i}"),
            },
        ] {
            let c = c.clone();
            tasks.spawn(async move { (i, c.apply(&format!("p-{i}"), event).await) });
        }
    }
    let c2 = c.clone();
    tasks.spawn(async move { (99, c2.apply("p-99", Event::Distributed).await) });
    let mut cancelled = 0;
    while let Some(joined) = tasks.join_next().await {
        let (i, outcome) = joined.unwrap();
        match outcome {
            Ok(r) => {
                assert_eq!(r.id, format!("p-{i}"), "its own proposal");
                if r.state == State::Cancelled {
                    cancelled += 1;
                }
            }
            Err(DriverError::NotFound(id)) => assert_eq!((i, id.as_str()), (99, "p-99")),
            // A cancel that came after the Distributed of a cancelled proposal, say.
            Err(DriverError::Transition(_)) => {}
            Err(e) => panic!("p-{i}: {e}"),
        }
    }
    assert!(cancelled >= 40, "every proposal was cancelled: {cancelled}");
    for r in &records {
        assert_eq!(
            store.get(&r.id).await.unwrap().unwrap().state,
            State::Cancelled
        );
    }
    let writes = store.counted() - before;
    println!("80 changes in {writes} writes");
    assert!(writes <= 80, "{writes} writes for 80 changes");
    let (entries, head) = store.audit().await.unwrap();
    hanko_runtime::audit::verify_with_head(&entries, head.as_ref()).unwrap();
    drop((c, store));
}

/// The pending count per account follows every write: an unfinished proposal counts once
/// however often it moves, and leaves the count when it finishes.
async fn unfinished_proposals_are_counted_per_account(b: Backing) {
    let store = b.open().await;
    let records: Vec<ProposalRecord> = (0..3)
        .map(|i| record(&draft(&format!("p-{i}"), &format!("k-{i}"), "x")))
        .collect();
    store.accept_all(&records).await.unwrap();
    assert_eq!(store.count_active(&account()), 3);
    let collecting = ProposalRecord {
        state: State::Collecting,
        ..records[0].clone()
    };
    store
        .update(&records[0], &collecting, "test")
        .await
        .unwrap();
    assert_eq!(
        store.count_active(&account()),
        3,
        "moving is not another one"
    );
    let done = ProposalRecord {
        state: State::Confirmed,
        ..collecting.clone()
    };
    store.update(&collecting, &done, "test").await.unwrap();
    assert_eq!(store.count_active(&account()), 2);
    let other = nem::Address::from_public_key(&nem::PublicKey([9; 32]), nem::Network::Testnet);
    assert_eq!(store.count_active(&other), 0);
    drop(store);
    assert_eq!(
        b.reopen().await.count_active(&account()),
        2,
        "after reopening"
    );
}

/// A coordinator on `store` with no node: what it is asked here acts on nothing outside the
/// store.
fn offline(store: &std::sync::Arc<Store>) -> std::sync::Arc<coordinator::driver::Coordinator> {
    testkit::coordinator::offline(store)
}

/// Drafts prepared at once go through the transition batches: each caller hears its own
/// answer (its draft, the first draft of a key asked twice, a conflict for another request
/// under that key, a refusal of bytes another draft has), all of it on disk, in no more
/// writes than drafts.
async fn drafts_prepared_at_once_each_hear_their_own_answer(b: Backing) {
    let store = std::sync::Arc::new(b.open().await);
    let c = offline(&store);
    let before = store.counted();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..30 {
        let c = c.clone();
        tasks.spawn(async move {
            let d = draft(&format!("p-{i}"), &format!("k-{i}"), "x");
            (i, c.put_draft(d).await)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (i, answer) = joined.unwrap();
        assert_eq!(answer.unwrap().id, format!("p-{i}"));
    }
    let writes = store.counted() - before;
    println!("30 drafts in {writes} writes");
    assert!(writes <= 30, "{writes}");
    let same_key = c.put_draft(draft("p-99", "k-3", "x")).await.unwrap();
    assert_eq!(
        same_key.id, "p-3",
        "a retry gets the first draft of its key"
    );
    match c.put_draft(draft("p-99", "k-3", "pay 500 to Y")).await {
        Err(StoreError::IdempotencyConflict { existing, .. }) => assert_eq!(existing, "p-3"),
        other => panic!("another request under a used key: {other:?}"),
    }
    let twin = Draft {
        inner: draft("p-4", "k-4", "x").inner,
        ..draft("p-98", "k-98", "x")
    };
    match c.put_draft(twin).await {
        Err(StoreError::SameBytes { existing }) => assert_eq!(existing, "p-4"),
        other => panic!("bytes another draft has: {other:?}"),
    }
    drop((c, store));
    let store = b.reopen().await;
    for i in 0..30 {
        assert!(
            store.draft(&format!("p-{i}")).await.unwrap().is_some(),
            "p-{i} on disk"
        );
    }
    drop(store);
}

/// Every contract test above, against the embedded store and against PostgreSQL (a server of
/// the test's own): the same bodies, the same assertions.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backing::embedded(stringify!($name))).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backing::postgres(stringify!($name))).await
                }
            )*
        }
    };
}

on_both_backends!(
    drafts_are_idempotent_and_conflicts_named,
    no_two_proposals_carry_the_same_bytes,
    accepted_proposals_survive_reopening_and_leave_active_when_finished,
    accepted_and_finished_proposals_keep_keys_transitions_and_their_journal,
    pages_and_freeze,
    transitions_written_together_are_one_write_in_order,
    simultaneous_proposals_cannot_pass_the_pending_limit,
    events_applied_at_once_each_hear_their_own_outcome,
    unfinished_proposals_are_counted_per_account,
    drafts_prepared_at_once_each_hear_their_own_answer,
    where_the_chain_watcher_got_to_survives_reopening,
);
