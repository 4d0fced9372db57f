//! The safe-to-sign store: decisions staged in the order made are read at once, written
//! before any other write (so the journal keeps that order) and by the next flush, and are on
//! disk after it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use cosigner::audit::{Event, verify_with_head};
use cosigner::record::{Binding, Status};
use cosigner::store::Store;
use nem::{Address, Hash256, NemTimestamp, Network, PublicKey};

fn binding(id: &str) -> Binding {
    Binding {
        proposal_id: id.into(),
        account: Address::from_public_key(&PublicKey([1; 32]), Network::Testnet),
        inner_hash: Hash256::of(id.as_bytes()),
        inner: id.as_bytes().to_vec(),
        proposer: PublicKey([2; 32]),
        proposer_signature: vec![3; 64],
        deadline: NemTimestamp(1_000),
        first_seen_ms: 0,
        status: Status::Refused {
            reasons: vec![hanko_proto::reason::Reason::new(
                "test",
                "limit",
                format!("{id} refused"),
            )],
            policy_hash: "h".into(),
        },
    }
}

fn decided(id: &str) -> Event {
    Event::new("refused", "policy").proposal(id, None::<&Hash256>)
}

#[tokio::test]
async fn staged_decisions_are_read_at_once_and_written_in_order_by_the_next_flush() {
    let dir = std::env::temp_dir().join(format!("hanko-cosigner-staged-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let store = Store::open(&dir).unwrap();
        store.stage(&binding("p1"), decided("p1"));
        store.stage(&binding("p2"), decided("p2"));
        assert_eq!(store.binding("p1").unwrap(), Some(binding("p1")));
        assert_eq!(
            store.bindings().unwrap(),
            vec![binding("p1"), binding("p2")]
        );
        assert_eq!(store.audit_head().unwrap(), None, "staged, not written");
        // Another write writes what was staged first.
        let alert = store.commit(None, Event::new("alert", "cosigner")).unwrap();
        assert_eq!(alert.seq, 2, "after the two staged decisions");
        store.stage(&binding("p3"), decided("p3"));
        store.flush().await.unwrap();
        assert_eq!(store.audit_head().unwrap().unwrap().seq, 3);
    }
    let store = Store::open(&dir).unwrap();
    let ids: Vec<String> = store
        .bindings()
        .unwrap()
        .into_iter()
        .map(|b| b.proposal_id)
        .collect();
    assert_eq!(ids, ["p1", "p2", "p3"], "on disk after the flush");
    let entries = store.audit().unwrap();
    verify_with_head(&entries, store.audit_head().unwrap().as_ref()).unwrap();
    let order: Vec<(String, Option<String>)> = entries
        .into_iter()
        .map(|e| (e.event.kind, e.event.proposal))
        .collect();
    let want = [
        ("refused", Some("p1")),
        ("refused", Some("p2")),
        ("alert", None),
        ("refused", Some("p3")),
    ];
    assert_eq!(
        order,
        want.map(|(k, p)| (k.to_string(), p.map(String::from)))
            .to_vec()
    );
    drop(store);
    std::fs::remove_dir_all(dir).unwrap();
}
