//! Properties: a tighter limit never allows more; a new denylist entry never allows more; the
//! same inputs always give the same decision; no input text panics the parser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::*;
use nem::tx::{Body, Header, Message, MessageType, Transfer};
use nem::{Address, Amount, NemTimestamp, Network, PublicKey, Transaction};
use policy::{Decision, Outflow, Request, WindowedHistory, evaluate_as};
use proptest::prelude::*;

const DESTINATIONS: [&str; 5] = [CUSTOMER, COLD, COOLING, STOLEN, STRANGER];

fn with_limits(per_tx: u64, daily: u64, approval: u64) -> policy::Policy {
    let text = base_policy()
        .replace(
            "name = \"per-tx-xem\"\nasset = \"nem:xem\"\nmax = \"1000\"",
            &format!("name = \"per-tx-xem\"\nasset = \"nem:xem\"\nmax = \"{per_tx}\""),
        )
        .replace(
            "name = \"tokyo-day\"\nasset = \"nem:xem\"\nmax = \"3000\"",
            &format!("name = \"tokyo-day\"\nasset = \"nem:xem\"\nmax = \"{daily}\""),
        )
        .replace(
            "name = \"over-500\"\nasset = \"nem:xem\"\nabove = \"500\"",
            &format!("name = \"over-500\"\nasset = \"nem:xem\"\nabove = \"{approval}\""),
        );
    policy::lint(&text).unwrap().policy
}

#[derive(Debug)]
struct Input {
    tx: Transaction,
    now: jiff::Timestamp,
    proposer: PublicKey,
    history: WindowedHistory,
}

fn input(
    amount_xem: u64,
    to: usize,
    minutes: i64,
    past: &[(i64, u64, usize)],
    proposer_alice: bool,
) -> Input {
    let now: jiff::Timestamp =
        TUESDAY.parse::<jiff::Timestamp>().unwrap() + jiff::SignedDuration::from_mins(minutes);
    let ts = NemTimestamp::from_timestamp(now).unwrap();
    let to: Address = DESTINATIONS[to % DESTINATIONS.len()].parse().unwrap();
    let mut tx = Transaction {
        header: Header {
            network: Network::Testnet,
            version: 1,
            timestamp: ts,
            signer: PublicKey([9; 32]),
            fee: Amount::ZERO,
            deadline: ts.checked_add(3_600).unwrap(),
        },
        body: Body::Transfer(Transfer {
            recipient: to,
            amount: Amount::from_xem(amount_xem).unwrap(),
            message: Some(Message {
                kind: MessageType::Plain,
                payload: b"WD-7".to_vec(),
            }),
            mosaics: vec![],
        }),
    };
    tx.header.fee = nem::fees::minimum_fee(&tx, &nem::fees::XemOnly).unwrap();
    let proposer: PublicKey = if proposer_alice { ALICE } else { BOB }.parse().unwrap();
    let mut history = WindowedHistory::new();
    for (ago, xem, dest) in past {
        history.record(&Outflow {
            at: now - jiff::SignedDuration::from_mins(*ago),
            account: TREASURY.parse().unwrap(),
            destination: Some(DESTINATIONS[dest % DESTINATIONS.len()].parse().unwrap()),
            proposer: Some(proposer),
            asset: nem::tx::MosaicId::xem(),
            amount: u128::from(*xem) * 1_000_000,
        });
    }
    Input {
        tx,
        now,
        proposer,
        history,
    }
}

fn decide(p: &policy::Policy, i: &Input) -> Decision {
    let req = Request {
        tx: &i.tx,
        proposer: i.proposer,
        now: i.now,
        minimum_fee: i.tx.header.fee,
        cosignatories: 3,
    };
    evaluate_as(p, &req, TREASURY.parse().unwrap(), &i.history)
}

fn inputs() -> impl Strategy<Value = Input> {
    (
        0u64..1_500,
        0usize..5,
        -600i64..600,
        prop::collection::vec((0i64..3_000, 0u64..2_000, 0usize..5), 0..6),
        any::<bool>(),
    )
        .prop_map(|(amount, to, minutes, past, alice)| input(amount, to, minutes, &past, alice))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn tighter_limits_never_allow_more(
        i in inputs(),
        per_tx in 0u64..1_500, cut in 0u64..1_500,
        daily in 0u64..5_000, daily_cut in 0u64..5_000,
        approval in 0u64..1_500, approval_cut in 0u64..1_500,
    ) {
        let loose = with_limits(per_tx, daily, approval);
        let tight = with_limits(per_tx.saturating_sub(cut), daily.saturating_sub(daily_cut), approval.saturating_sub(approval_cut));
        let (l, t) = (decide(&loose, &i), decide(&tight, &i));
        prop_assert!(t.outcome >= l.outcome, "tight {:?} vs loose {:?}", t.reasons(), l.reasons());
    }

    #[test]
    fn a_new_denylist_entry_never_allows_more(i in inputs(), which in 0usize..5) {
        let before = policy();
        let text = format!("{}\n[[destinations.denylist]]\naddress = \"{}\"\nreason = \"new\"\n", base_policy(), DESTINATIONS[which]);
        let after = policy::lint(&text).unwrap().policy;
        prop_assert!(decide(&after, &i).outcome >= decide(&before, &i).outcome);
    }

    #[test]
    fn same_inputs_same_decision(i in inputs()) {
        let p = policy();
        prop_assert_eq!(decide(&p, &i), decide(&p, &i));
    }

    #[test]
    fn no_text_panics_the_parser(text in "\\PC{0,400}") {
        let _ = policy::lint(&text);
    }

    #[test]
    fn no_mutation_of_a_real_policy_panics_the_parser(at in any::<prop::sample::Index>(), len in 0usize..40, junk in "\\PC{0,20}") {
        let text = base_policy();
        let mut start = at.index(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + len).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mutated = format!("{}{}{}", &text[..start], junk, &text[end..]);
        let _ = policy::lint(&mutated);
    }
}
