//! A batch of events and acceptances steps as the same work would one at a time, and counts
//! acceptances against the pending limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::core::machine_tests::{NOW, proposal, run, signed};
use crate::core::*;
use nem::Hash256;

/// A batch steps like the same events one at a time: a proposal that moves twice moves the
/// second time from where the first left it; an event the core refuses, or for a proposal that
/// does not exist, gets its own error and the others go on.
#[test]
fn a_batch_steps_as_the_events_would_one_at_a_time() {
    use super::{Work, step_all};
    use crate::driver::DriverError;
    let stored = proposal(3, 2);
    let event = |id: &str, event| Work::Event {
        id: id.into(),
        event,
    };
    let work = [
        event("p-1", Event::Distributed),
        event("p-1", signed(1)),
        event("p-1", signed(42)),
        event("p-9", Event::Tick),
        event("p-1", signed(2)),
        event("p-1", signed(2)),
    ];
    let mut reads = 0;
    let out = step_all(
        &work,
        |id| {
            reads += 1;
            Ok((id == "p-1").then(|| stored.clone()))
        },
        |_| 0,
        NOW,
    );
    assert_eq!(reads, 2, "each proposal read once, as last written");

    let (collecting, _) = run(&stored, Event::Distributed);
    let (one, _) = run(&collecting, signed(1));
    let (two, actions) = run(&one, signed(2));
    let ok = |i: usize| out[i].as_ref().unwrap();
    assert_eq!(
        (ok(0).old.as_ref(), &*ok(0).next, ok(0).step),
        (Some(&stored), &collecting, Some("distributed"))
    );
    assert_eq!(
        (ok(1).old.as_ref(), &*ok(1).next),
        (Some(&collecting), &one)
    );
    assert!(
        matches!(
            out[2],
            Err(DriverError::Transition(
                TransitionError::NotACosigner { .. }
            ))
        ),
        "a stranger's decision is refused alone"
    );
    assert!(matches!(&out[3], Err(DriverError::NotFound(id)) if id == "p-9"));
    assert_eq!((ok(4).old.as_ref(), &*ok(4).next), (Some(&one), &two));
    assert_eq!(
        ok(4).actions,
        actions,
        "the announce of the threshold's wrapper"
    );
    assert_eq!(
        (ok(5).old.as_ref(), &*ok(5).next, ok(5).step),
        (None, &two, None),
        "a repeated decision changes nothing and writes nothing"
    );
}

/// Acceptances in a batch: each counts against its account's pending limit with those before
/// it; the same proposal twice is accepted once; the same id with other bytes is refused; a
/// tick in the same batch steps from the accepted record.
#[test]
fn acceptances_in_a_batch_count_against_the_pending_limit() {
    use super::{Work, step_all};
    use crate::driver::DriverError;
    let numbered = |n: u8| ProposalRecord {
        id: format!("p-{n}"),
        inner: vec![n],
        inner_hash: Hash256::of(&[n]),
        ..proposal(3, 2)
    };
    let accept = |r: ProposalRecord| Work::Accept {
        record: r,
        max_pending: 3,
    };
    let other_bytes = ProposalRecord {
        inner: vec![9, 9],
        ..numbered(1)
    };
    let work = [
        accept(numbered(1)),
        Work::Event {
            id: "p-1".into(),
            event: Event::Tick,
        },
        accept(numbered(1)),
        accept(other_bytes),
        accept(numbered(2)),
        accept(numbered(3)),
    ];
    // One unfinished proposal of this account is already stored.
    let out = step_all(&work, |_| Ok(None), |_| 1, NOW);
    let ok = |i: usize| out[i].as_ref().unwrap();
    assert_eq!(
        (ok(0).old.as_ref(), &*ok(0).next, ok(0).step),
        (None, &numbered(1), Some("proposal"))
    );
    let (ticked, actions) = run(&numbered(1), Event::Tick);
    assert_eq!((&*ok(1).next, &ok(1).actions), (&ticked, &actions));
    assert_eq!(ok(2).step, None, "accepted once");
    assert!(matches!(&out[3], Err(DriverError::Exists(id)) if id == "p-1"));
    assert_eq!(ok(4).step, Some("proposal"));
    match &out[5] {
        Err(DriverError::TooManyPending { pending, max, .. }) => {
            assert_eq!((*pending, *max), (3, 3))
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a fourth unfinished proposal passed a limit of 3"),
    }
}
