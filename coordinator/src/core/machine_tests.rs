//! Every transition of the proposal core, and its safety invariants under random event orders.
//! The helpers serve the driver's batch tests too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::core::*;
use nem::{Address, Hash256, NemTimestamp, Network, PublicKey, Signature, SignedTransaction};
use proptest::prelude::*;

pub(crate) const NOW: NemTimestamp = NemTimestamp(1_000);
pub(crate) const DEADLINE: NemTimestamp = NemTimestamp(4_600);

pub(crate) fn key(i: u8) -> PublicKey {
    PublicKey([i; 32])
}

pub(crate) fn pair(i: u8) -> SignedPair {
    SignedPair {
        wrapper: SignedTransaction {
            data: vec![0x04, i],
            signature: Signature([i; 64]),
        },
        cosignature: SignedTransaction {
            data: vec![0x02, i],
            signature: Signature([i; 64]),
        },
    }
}

pub(crate) fn proposal(n: u8, m: usize) -> ProposalRecord {
    ProposalRecord {
        id: "p-1".into(),
        idempotency_key: "k-1".into(),
        request_digest: String::new(),
        account: Address::from_public_key(&key(100), Network::Testnet),
        inner: vec![1, 2, 3],
        inner_hash: Hash256::of(&[1, 2, 3]),
        proposer: key(200),
        proposer_signature: Signature([7; 64]),
        deadline: DEADLINE,
        cosigners: (1..=n).map(key).collect(),
        required: m,
        state: State::Proposed,
        decisions: Default::default(),
        broadcast: Default::default(),
        confirmed_height: None,
        reason: None,
    }
}

pub(crate) fn run(r: &ProposalRecord, e: Event) -> (ProposalRecord, Vec<Action>) {
    step(r, e, NOW).unwrap()
}

pub(crate) fn signed(i: u8) -> Event {
    Event::Decision {
        cosigner: key(i),
        decision: CosignerDecision::Signed(pair(i)),
    }
}

pub(crate) fn refused(i: u8) -> Event {
    Event::Decision {
        cosigner: key(i),
        decision: CosignerDecision::Refused {
            reasons: vec![hanko_proto::reason::Reason::new(
                "limit",
                "limit",
                format!("rule {i}"),
            )],
        },
    }
}

/// A 2-of-3 proposal collecting, with cosigners 1 and 2 signed and the wrapper accepted.
pub(crate) fn ready_and_wrapped() -> ProposalRecord {
    let (r, _) = run(&proposal(3, 2), Event::Distributed);
    let (r, _) = run(&r, signed(1));
    let (r, _) = run(&r, signed(2));
    let (r, _) = run(&r, Event::WrapperAnswer(Answer::Accepted));
    r
}

#[test]
fn proposed_distributes_then_collects() {
    let (r, a) = run(&proposal(3, 2), Event::Tick);
    assert_eq!((r.state, a), (State::Proposed, vec![Action::Distribute]));
    let (r, a) = run(&r, Event::Distributed);
    assert_eq!(r.state, State::Collecting);
    assert!(a.contains(&Action::Notify));
}

#[test]
fn threshold_met_announces_one_wrapper_then_one_cosignature() {
    let (r, _) = run(&proposal(3, 2), Event::Distributed);
    let (r, a) = run(&r, signed(2));
    assert_eq!(r.state, State::Collecting);
    assert_eq!(
        r.tally(),
        Tally::Pending {
            signed: 1,
            needed: 2
        }
    );
    assert!(a.is_empty());
    let (r, a) = run(&r, signed(1));
    assert_eq!(r.state, State::Ready);
    // The initiator is the first signer in key order; only its wrapper goes out.
    assert_eq!(
        a[0],
        Action::AnnounceWrapper {
            cosigner: key(1),
            transaction: pair(1).wrapper
        }
    );
    assert_eq!(r.broadcast.wrapper_hash, Some(pair(1).wrapper.hash()));
    let (r, a) = run(&r, Event::WrapperAnswer(Answer::Accepted));
    assert_eq!(
        a,
        vec![Action::AnnounceCosignature {
            cosigner: key(2),
            transaction: pair(2).cosignature
        }]
    );
    let (r, a) = run(
        &r,
        Event::CosignatureAnswer {
            cosigner: key(2),
            answer: Answer::AlreadyKnown,
        },
    );
    assert_eq!(r.state, State::Announced);
    assert!(a.contains(&Action::TrackConfirmation) && a.contains(&Action::Notify));
    let (r, _) = run(
        &r,
        Event::Confirmed {
            height: 9,
            wrapper_hash: pair(1).wrapper.hash(),
        },
    );
    assert_eq!((r.state, r.confirmed_height), (State::Confirmed, Some(9)));
}

#[test]
fn a_third_signature_is_not_announced() {
    let r = ready_and_wrapped();
    let (r, a) = run(&r, signed(3));
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(matches!(a[0], Action::AnnounceCosignature { cosigner, .. } if cosigner == key(2)));
    assert_eq!(r.broadcast.initiator, Some(key(1)));
}

#[test]
fn refusals_make_it_impossible() {
    let (r, _) = run(&proposal(3, 2), Event::Distributed);
    let (r, _) = run(&r, refused(1));
    assert_eq!(
        r.state,
        State::Collecting,
        "one refusal of three still leaves two"
    );
    let (r, _) = run(&r, refused(3));
    assert_eq!(r.state, State::Rejected);
    let reason = r.reason.unwrap();
    assert!(
        reason.contains("rule 1") && reason.contains("rule 3"),
        "{reason}"
    );
}

#[test]
fn n_of_n_needs_everyone() {
    let (r, _) = run(&proposal(3, 3), Event::Distributed);
    let (r, _) = run(&r, signed(1));
    let (r, _) = run(&r, signed(2));
    assert_eq!(r.state, State::Collecting);
    let (r, _) = run(&r, refused(3));
    assert_eq!(r.state, State::Rejected);
}

#[test]
fn needs_approval_then_signed_counts_but_refusals_and_signatures_are_final() {
    let (r, _) = run(&proposal(3, 2), Event::Distributed);
    let (r, _) = run(
        &r,
        Event::Decision {
            cosigner: key(1),
            decision: CosignerDecision::NeedsApproval {
                reasons: vec![hanko_proto::reason::Reason::new(
                    "large", "approval", "large",
                )],
            },
        },
    );
    let (r, _) = run(&r, signed(1));
    assert!(r.pair(&key(1)).is_some());
    let (r, _) = run(&r, refused(2));
    let (r, _) = run(&r, signed(2));
    assert!(
        matches!(r.decisions[&key(2)], CosignerDecision::Refused { .. }),
        "a refusal is final"
    );
    let other = Event::Decision {
        cosigner: key(1),
        decision: CosignerDecision::Signed(pair(9)),
    };
    let (r, a) = run(&r, other);
    assert_eq!(r.pair(&key(1)), Some(&pair(1)), "the first signature stays");
    assert!(matches!(&a[0], Action::Alert { cosigner, .. } if *cosigner == key(1)));
}

#[test]
fn strangers_cannot_decide() {
    let (r, _) = run(&proposal(3, 2), Event::Distributed);
    let e = step(&r, signed(42), NOW).unwrap_err();
    assert!(matches!(e, TransitionError::NotACosigner { .. }), "{e}");
}

#[test]
fn cancel_before_broadcast_only() {
    let (r, _) = run(&proposal(3, 2), Event::Distributed);
    let (c, _) = run(
        &r,
        Event::Cancel {
            reason: "typo in amount".into(),
        },
    );
    assert_eq!(
        (c.state, c.reason.as_deref()),
        (State::Cancelled, Some("typo in amount"))
    );
    assert!(matches!(
        step(
            &c,
            Event::Cancel {
                reason: "again".into()
            },
            NOW
        ),
        Err(TransitionError::Terminal { .. })
    ));
    let e = step(
        &ready_and_wrapped(),
        Event::Cancel {
            reason: "too late".into(),
        },
        NOW,
    )
    .unwrap_err();
    assert!(matches!(e, TransitionError::AlreadyBroadcast { .. }), "{e}");
}

#[test]
fn transient_wrapper_failures_back_off_and_resend_the_same_bytes() {
    let (r, _) = run(&proposal(3, 2), Event::Distributed);
    let (r, _) = run(&r, signed(1));
    let (r, _) = run(&r, signed(2));
    let (r, a) = run(
        &r,
        Event::WrapperAnswer(Answer::Transient("timeout".into())),
    );
    assert!(a.is_empty(), "waits: {a:?}");
    let retry_at = r.broadcast.next_attempt.unwrap();
    assert!(retry_at > NOW);
    let (r, a) = step(&r, Event::Tick, NemTimestamp(retry_at.0 - 1)).unwrap();
    assert!(a.is_empty());
    let (_, a) = step(&r, Event::Tick, retry_at).unwrap();
    assert_eq!(
        a,
        vec![Action::AnnounceWrapper {
            cosigner: key(1),
            transaction: pair(1).wrapper
        }]
    );
}

#[test]
fn a_refused_wrapper_fails_without_resigning() {
    let (r, _) = run(&proposal(3, 2), Event::Distributed);
    let (r, _) = run(&r, signed(1));
    let (r, _) = run(&r, signed(2));
    let (r, _) = run(
        &r,
        Event::WrapperAnswer(Answer::Refused {
            code: 5,
            name: "FAILURE_INSUFFICIENT_BALANCE".into(),
        }),
    );
    assert_eq!(r.state, State::Failed);
    assert!(r.reason.unwrap().contains("FAILURE_INSUFFICIENT_BALANCE"));
}

#[test]
fn a_73_resends_the_wrapper_and_prefers_another_signer() {
    let r = ready_and_wrapped();
    let (r, _) = run(&r, signed(3));
    let (r, a) = run(
        &r,
        Event::CosignatureAnswer {
            cosigner: key(2),
            answer: Answer::NoMatchingMultisig,
        },
    );
    assert_eq!(
        a,
        vec![Action::AnnounceWrapper {
            cosigner: key(1),
            transaction: pair(1).wrapper
        }]
    );
    let (r, a) = run(&r, Event::WrapperAnswer(Answer::AlreadyKnown));
    assert_eq!(
        a,
        vec![Action::AnnounceCosignature {
            cosigner: key(3),
            transaction: pair(3).cosignature
        }],
        "cosigner 2 is blocked for 600 s"
    );
    // Without another signer, cosigner 2's bytes go again once NIS's push cache forgot them.
    let (r2, _) = run(
        &ready_and_wrapped(),
        Event::CosignatureAnswer {
            cosigner: key(2),
            answer: Answer::NoMatchingMultisig,
        },
    );
    let (r2, a) = run(&r2, Event::WrapperAnswer(Answer::Accepted));
    assert!(a.is_empty(), "{a:?}");
    let (_, a) = step(&r2, Event::Tick, NemTimestamp(NOW.0 + PUSH_CACHE_SECONDS)).unwrap();
    assert_eq!(
        a,
        vec![Action::AnnounceCosignature {
            cosigner: key(2),
            transaction: pair(2).cosignature
        }]
    );
    let _ = r;
}

#[test]
fn expiry_needs_a_chain_check_and_a_late_confirmation_wins() {
    let (r, _) = run(&proposal(3, 2), Event::Distributed);
    let late = NemTimestamp(DEADLINE.0 + 1);
    let (r, a) = step(&r, Event::Tick, late).unwrap();
    assert_eq!((r.state, a), (State::Collecting, vec![Action::CheckChain]));
    let (r, _) = step(&r, Event::NotOnChain, late).unwrap();
    assert_eq!(r.state, State::Collecting, "within the margin: not yet");
    let after = NemTimestamp(DEADLINE.0 + EXPIRY_MARGIN_SECONDS);
    let (r, _) = step(&r, Event::NotOnChain, after).unwrap();
    assert_eq!(r.state, State::Expired);
    assert!(r.reason.as_deref().unwrap().contains("propose again"));
    let (r, _) = step(
        &r,
        Event::Confirmed {
            height: 5,
            wrapper_hash: Hash256([1; 32]),
        },
        after,
    )
    .unwrap();
    assert_eq!(r.state, State::Confirmed, "the chain is the truth");
}

#[test]
fn idle_ticks_are_the_ones_that_change_nothing() {
    let (collecting, _) = run(&proposal(3, 2), Event::Distributed);
    assert!(idle(&collecting, NOW), "waits for its cosigners");
    let late = NemTimestamp(DEADLINE.0 + 1);
    assert!(!idle(&collecting, late), "past the deadline: a chain check");

    let (ready, _) = run(&collecting, signed(1));
    let (ready, _) = run(&ready, signed(2));
    let (waiting, _) = run(
        &ready,
        Event::WrapperAnswer(Answer::Transient("timeout".into())),
    );
    let retry_at = waiting.broadcast.next_attempt.unwrap();
    assert!(idle(&waiting, NemTimestamp(retry_at.0 - 1)), "backing off");
    assert!(!idle(&waiting, retry_at), "the retry is due");

    let (r, _) = run(&ready, Event::WrapperAnswer(Answer::Accepted));
    let (announced, _) = run(
        &r,
        Event::CosignatureAnswer {
            cosigner: key(2),
            answer: Answer::Accepted,
        },
    );
    assert_eq!(announced.state, State::Announced);
    assert!(idle(&announced, NOW), "waits for its block");
    assert!(!idle(&announced, late), "past the deadline: a chain check");
    // Every idle verdict is a tick that would change nothing.
    for r in [&collecting, &waiting, &announced] {
        for now in [NOW, retry_at, late] {
            if idle(r, now) {
                assert_eq!(step(r, Event::Tick, now).unwrap(), (r.clone(), vec![]));
            }
        }
    }
}

#[test]
fn finished_proposals_ignore_late_answers() {
    let (r, _) = run(&proposal(3, 2), Event::Cancel { reason: "x".into() });
    let (s, a) = run(&r, Event::WrapperAnswer(Answer::Accepted));
    assert_eq!((s.state, a.len()), (State::Cancelled, 0));
    let (s, a) = run(&r, Event::Tick);
    assert_eq!((s.state, a.len()), (State::Cancelled, 0));
}

// ---- invariants under random event orders -------------------------------------------------

fn events() -> impl Strategy<Value = (Event, u32)> {
    let cosigner = 1u8..=4;
    let answer = prop_oneof![
        Just(Answer::Accepted),
        Just(Answer::AlreadyKnown),
        Just(Answer::NoMatchingMultisig),
        Just(Answer::Transient("t".into())),
        Just(Answer::Refused {
            code: 5,
            name: "FAILURE_INSUFFICIENT_BALANCE".into()
        }),
    ];
    let event = prop_oneof![
        Just(Event::Distributed),
        Just(Event::Tick),
        Just(Event::NotOnChain),
        cosigner.clone().prop_map(signed),
        cosigner.clone().prop_map(refused),
        (cosigner.clone(), 10u8..12).prop_map(|(c, v)| Event::Decision {
            cosigner: key(c),
            decision: CosignerDecision::Signed(pair(v))
        }),
        answer.clone().prop_map(Event::WrapperAnswer),
        (cosigner, answer).prop_map(|(c, answer)| Event::CosignatureAnswer {
            cosigner: key(c),
            answer
        }),
        Just(Event::Cancel { reason: "c".into() }),
        Just(Event::Confirmed {
            height: 3,
            wrapper_hash: Hash256([3; 32])
        }),
    ];
    (event, 0u32..400)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn safety_invariants_hold(n in 2u8..=4, m_seed in 0usize..4, evs in prop::collection::vec(events(), 1..40)) {
        let m = 1 + m_seed % usize::from(n);
        let mut r = proposal(n, m);
        let mut now = NOW;
        let mut wrappers: Vec<SignedTransaction> = Vec::new();
        for (event, dt) in evs {
            now = NemTimestamp(now.0 + dt);
            let before = r.clone();
            let Ok((next, actions)) = step(&r, event.clone(), now) else { continue };
            for a in &actions {
                match a {
                    Action::AnnounceWrapper { cosigner, transaction } => {
                        prop_assert_eq!(Some(*cosigner), next.broadcast.initiator);
                        prop_assert!(wrappers.iter().all(|w| w == transaction), "a second, different wrapper");
                        wrappers.push(transaction.clone());
                        prop_assert_eq!(next.pair(cosigner).map(|p| &p.wrapper), Some(transaction));
                    }
                    Action::AnnounceCosignature { cosigner, transaction } => {
                        prop_assert!(next.broadcast.wrapper_accepted, "cosignature before the wrapper");
                        prop_assert!(Some(*cosigner) != next.broadcast.initiator, "the initiator cosigned");
                        prop_assert_eq!(next.pair(cosigner).map(|p| &p.cosignature), Some(transaction));
                    }
                    _ => {}
                }
            }
            if before.state.is_terminal() {
                prop_assert!(next.state == before.state || next.state == State::Confirmed, "left a terminal state");
            }
            if next.state == State::Expired && before.state != State::Expired {
                prop_assert!(now.0 >= DEADLINE.0 + EXPIRY_MARGIN_SECONDS);
            }
            if let (Some(a), Some(b)) = (before.broadcast.initiator, next.broadcast.initiator) {
                prop_assert_eq!(a, b, "the initiator changed");
            }
            prop_assert!(next.signers().count() <= usize::from(n));
            // The ticker skips exactly the ticks that would change nothing.
            for later in [now, NemTimestamp(now.0 + 1), NemTimestamp(now.0 + 600), NemTimestamp(DEADLINE.0 + 1)] {
                let tick = step(&next, Event::Tick, later);
                let nothing = matches!(&tick, Ok((t, a)) if a.is_empty() && *t == next);
                prop_assert_eq!(idle(&next, later), nothing, "idle at {:?} in {:?}", later, next.state);
            }
            r = next;
        }
    }
}
