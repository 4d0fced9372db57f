//! The history: finished proposals and old journal entries move out of the main store, and
//! every read still finds them, once each; a move cut short (in both places) reads the same;
//! a store written before the history moves its finished proposals too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod stored;

use coordinator::core::{ProposalRecord, State};
use coordinator::store::{Archived, Keep, Store, StoreError};
use stored::*;

fn keep(finished: usize, journal: u64) -> Keep {
    Keep {
        finished,
        journal,
        batch: 100,
        interval_seconds: 1,
        checkpoint_writes: 1,
    }
}

/// A store with five proposals, the first three finished (confirmed), in id order p-0..p-4.
async fn five(path: &std::path::Path) -> (Store, Vec<ProposalRecord>) {
    let store = Store::open(path).unwrap();
    let mut records = vec![];
    for i in 0..5 {
        let d = draft(&format!("p-{i}"), &format!("k-{i}"), "x");
        store.put_draft(&d).await.unwrap();
        let accepted = record(&d);
        store.accept(&accepted).await.unwrap();
        let mut now = accepted.clone();
        if i < 3 {
            now.state = State::Confirmed;
            now.confirmed_height = Some(10 + i as u64);
            store.update(&accepted, &now, "test").await.unwrap();
        }
        records.push(now);
    }
    (store, records)
}

async fn all(store: &Store) -> Vec<ProposalRecord> {
    store.page(None, 1_000, |_| true).await.unwrap().0
}

async fn verified(store: &Store) -> u64 {
    let (entries, head) = store.audit().await.unwrap();
    hanko_runtime::audit::verify_with_head(&entries, head.as_ref()).unwrap()
}

#[tokio::test]
async fn finished_proposals_move_to_the_history_and_every_read_still_finds_them() {
    let path = dir("history-move");
    let (store, records) = five(&path).await;
    let journal = verified(&store).await;
    assert_eq!(journal, 8, "5 accepted, 3 confirmed");

    let moved = store.embedded().unwrap().archive(&keep(1, 2)).unwrap();
    assert_eq!(
        moved,
        Archived {
            proposals: 2,
            entries: 6
        },
        "the two oldest finished of three, the journal but its newest 2"
    );
    assert_eq!(
        store.embedded().unwrap().archive(&keep(1, 2)).unwrap(),
        Archived::default(),
        "nothing more to move"
    );
    for r in &records {
        assert_eq!(
            store.get(&r.id).await.unwrap().as_ref(),
            Some(r),
            "{}",
            r.id
        );
    }
    assert_eq!(all(&store).await, records, "listed once each, in id order");
    let page = store.page(Some("p-0"), 2, |_| true).await.unwrap();
    assert_eq!(page.0, records[1..3].to_vec());
    assert_eq!(page.1.as_deref(), Some("p-2"));
    assert_eq!(
        verified(&store).await,
        journal,
        "the whole journal, its older part moved"
    );

    // A retry of an archived proposal's key answers with it, not with a new proposal.
    let retry = store.put_draft(&draft("p-9", "k-0", "x")).await.unwrap();
    assert_eq!(
        (retry.id.as_str(), retry.inner),
        ("p-0", records[0].inner.clone())
    );
    assert!(
        matches!(
            store.put_draft(&draft("p-9", "k-0", "pay 500 to Y")).await,
            Err(StoreError::IdempotencyConflict { .. })
        ),
        "a different request under an archived proposal's key is a conflict"
    );

    // After a restart the history stays closed until something reads from it.
    drop(store);
    let store = reopen(&path);
    assert!(!store.embedded().unwrap().history_open());
    assert_eq!(store.get("p-2").await.unwrap().as_ref(), Some(&records[2]));
    assert!(
        !store.embedded().unwrap().history_open(),
        "p-2 is one of the newest finished"
    );
    assert_eq!(store.get("p-0").await.unwrap().as_ref(), Some(&records[0]));
    assert!(store.embedded().unwrap().history_open());
    assert!(
        !store
            .embedded()
            .unwrap()
            .close_history(std::time::Duration::from_secs(60))
            .unwrap(),
        "just read: stays open"
    );
    assert!(
        store
            .embedded()
            .unwrap()
            .close_history(std::time::Duration::ZERO)
            .unwrap()
    );
    assert!(!store.embedded().unwrap().history_open());
    assert_eq!(store.get("p-1").await.unwrap().as_ref(), Some(&records[1]));

    // Everything finished can go; the newest journal entry always stays.
    assert_eq!(
        store
            .embedded()
            .unwrap()
            .archive(&keep(0, 0))
            .unwrap()
            .proposals,
        1
    );
    assert_eq!(all(&store).await, records);
    assert_eq!(verified(&store).await, journal);
    drop(store);
    let store = reopen(&path);
    assert_eq!(verified(&store).await, journal);
    assert_eq!(store.active().len(), 2);
    drop(store);

    // Without its history the store does not open, and says why.
    std::fs::remove_dir_all(coordinator::store::history::dir_in(&path)).unwrap();
    match when_unlocked(|| Store::open(&path)) {
        Err(e @ coordinator::store::StoreError::HistoryMissing { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("journal entries before 7")
                    && text.contains("restore the data directory from a backup"),
                "{text}"
            );
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    std::fs::remove_dir_all(path).unwrap();
}

#[tokio::test]
async fn a_move_cut_short_reads_the_same_and_the_next_pass_finishes_it() {
    let path = dir("history-half");
    let (store, records) = five(&path).await;
    let (entries, _) = store.audit().await.unwrap();
    drop(store);
    // What a crash after the copy leaves: the history holds the finished records and the
    // older entries, the main store still holds them too.
    {
        let history =
            hanko_runtime::storage::reopen(&coordinator::store::history::dir_in(&path)).unwrap();
        let proposals = history.open_tree("proposals").unwrap();
        for r in &records[..3] {
            proposals
                .insert(r.id.as_bytes(), serde_json::to_vec(r).unwrap())
                .unwrap();
        }
        let audit = history.open_tree("audit").unwrap();
        for e in &entries[..5] {
            audit
                .insert(e.seq.to_be_bytes(), serde_json::to_vec(e).unwrap())
                .unwrap();
        }
        history.flush().unwrap();
    }
    let store = reopen(&path);
    assert_eq!(all(&store).await, records, "each once");
    assert_eq!(
        store.audit().await.unwrap().0,
        entries,
        "each once, in order"
    );
    assert_eq!(verified(&store).await, 8);

    let moved = store.embedded().unwrap().archive(&keep(0, 1)).unwrap();
    assert_eq!(moved.proposals, 3);
    assert_eq!(moved.entries, 7);
    assert_eq!(all(&store).await, records);
    for r in &records {
        assert_eq!(store.get(&r.id).await.unwrap().as_ref(), Some(r));
    }
    assert_eq!(store.audit().await.unwrap().0, entries);
    drop(store);
    std::fs::remove_dir_all(path).unwrap();
}

#[tokio::test]
async fn a_store_written_before_the_history_moves_its_finished_proposals_too() {
    let path = dir("history-legacy");
    let (store, records) = five(&path).await;
    drop(store);
    // As such a store is: no queue of finished proposals, no mark that they were queued.
    {
        let db = hanko_runtime::storage::reopen(&path).unwrap();
        db.open_tree("finished").unwrap().clear().unwrap();
        db.open_tree("meta")
            .unwrap()
            .remove(b"finished_queued")
            .unwrap();
        db.flush().unwrap();
    }
    let store = reopen(&path);
    assert_eq!(
        store
            .embedded()
            .unwrap()
            .archive(&keep(0, 100))
            .unwrap()
            .proposals,
        3
    );
    assert_eq!(
        store.embedded().unwrap().archive(&keep(0, 100)).unwrap(),
        Archived::default()
    );
    assert_eq!(all(&store).await, records);
    assert_eq!(store.active().len(), 2, "the unfinished ones stay");
    drop(store);
    std::fs::remove_dir_all(path).unwrap();
}

#[test]
fn checkpoints_under_concurrent_writes_and_reads_lose_nothing() {
    let path = dir("history-checkpoint");
    let store = std::sync::Arc::new(Store::open(&path).unwrap());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            let handle = runtime.handle().clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    let d = draft(&format!("p-{w}-{i:03}"), &format!("k-{w}-{i}"), "x");
                    handle.block_on(async {
                        store.put_draft(&d).await.unwrap();
                        store.accept(&record(&d)).await.unwrap();
                        assert_eq!(store.get(&d.id).await.unwrap().unwrap().id, d.id);
                    });
                }
            })
        })
        .collect();
    let mut done = 0;
    while writers.iter().any(|w| !w.is_finished()) {
        if store.embedded().unwrap().checkpoint().unwrap().is_some() {
            done += 1;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    for w in writers {
        w.join().unwrap();
    }
    assert!(done >= 3, "{done} checkpoints");
    runtime.block_on(store.probe()).unwrap();
    assert!(
        store.embedded().unwrap().checkpoint_due(1),
        "a write since the last one"
    );
    assert!(store.embedded().unwrap().checkpoint().unwrap().is_some());
    assert!(!store.embedded().unwrap().checkpoint_due(1), "none since");
    assert_eq!(store.active().len(), 400);
    assert_eq!(runtime.block_on(all(&store)).len(), 400);
    assert_eq!(runtime.block_on(verified(&store)), 400);
    drop(store);
    let store = reopen(&path);
    assert_eq!(store.active().len(), 400);
    assert_eq!(runtime.block_on(verified(&store)), 400);
    drop(store);
    std::fs::remove_dir_all(path).unwrap();
}
