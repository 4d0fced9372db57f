//! The cosigner's own clock against timestamps, deadlines and time windows: a matrix of skews
//! (±59 s, ±61 s, ±10 min) around each edge, each with the outcome it must have.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::sync::Arc;

use common::*;
use cosigner::engine::Answer;
use nem::fees::{XemOnly, minimum_fee};
use nem::tx::{Body, Header, Transfer};
use nem::{Amount, NemTimestamp, Network, Transaction};

/// A transfer to the customer timestamped `ts`, deadline an hour later.
fn tx_at(ts: NemTimestamp) -> Transaction {
    let mut tx = Transaction {
        header: Header {
            network: Network::Testnet,
            version: 1,
            timestamp: ts,
            signer: nem_key(0).public_key(),
            fee: Amount::ZERO,
            deadline: NemTimestamp(ts.0 + 3_600),
        },
        body: Body::Transfer(Transfer {
            recipient: CUSTOMER.parse().unwrap(),
            amount: Amount::from_xem(10).unwrap(),
            message: None,
            mosaics: vec![],
        }),
    };
    tx.header.fee = minimum_fee(&tx, &XemOnly).unwrap();
    tx
}

fn clock_at(t: jiff::Timestamp) -> cosigner::engine::Clock {
    Arc::new(move || t)
}

fn outcome(a: &Result<Answer, cosigner::engine::Deferred>) -> String {
    match a {
        Ok(Answer::Signed(_)) => "signed".into(),
        Ok(Answer::Refused { reasons, .. }) => format!(
            "refused: {}",
            hanko_proto::reason::lines(reasons).join("; ")
        ),
        Ok(other) => format!("{other:?}"),
        Err(e) => format!("deferred: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skew_against_timestamp_and_deadline_edges() {
    let node = devnode().await;
    let base = NemTimestamp::now().unwrap();
    let tx = tx_at(base);
    let at = |offset: i64| jiff::Timestamp::from_second(base.unix_seconds() + offset).unwrap();
    // (cosigner clock minus the transaction's timestamp, expected outcome, rule)
    let cases: [(i64, bool, &str); 10] = [
        (0, true, ""),
        (-59, true, ""),
        (-61, false, "max_timestamp_skew"),
        (-600, false, "max_timestamp_skew"),
        (59, true, ""),
        (61, true, ""),
        (600, true, ""),
        (3_599, true, ""),
        (3_601, false, "deadline"),
        (3_600 + 600, false, "deadline"),
    ];
    let mut checked = 0;
    for (i, (offset, signs, rule)) in cases.iter().enumerate() {
        let dir = temp_dir(&format!("skew-{i}"));
        let h = engine_with_clock(
            &dir,
            &node,
            2,
            &policy_text(250_000, ""),
            clock_at(at(*offset)),
        );
        let got = h.engine.decide(offer_for(&format!("skew-{i}"), &tx)).await;
        let text = outcome(&got);
        if *signs {
            assert_eq!(text, "signed", "clock {offset:+} s: {text}");
        } else {
            assert!(
                text.starts_with("refused") && text.contains(rule),
                "clock {offset:+} s: expected a refusal by {rule}, got {text}"
            );
        }
        checked += 1;
    }
    println!("clock skew: {checked} cases, each with its expected outcome");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skew_against_a_time_window_edge() {
    let node = devnode().await;
    let window = r#"
[[window]]
name = "business-hours"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
from = "09:00"
to = "18:00"
outside = "deny"
"#;
    let policy = policy_text(250_000, window);
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let nine = today
        .at(9, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp();
    // The transaction is timestamped at 09:00 sharp; the cosigner's clock decides.
    let tx = tx_at(NemTimestamp::from_timestamp(nine).unwrap());
    for (i, (offset, signs)) in [(-61i64, false), (-1, false), (0, true), (59, true)]
        .iter()
        .enumerate()
    {
        let dir = temp_dir(&format!("window-{i}"));
        let clock = clock_at(
            nine.checked_add(jiff::SignedDuration::from_secs(*offset))
                .unwrap(),
        );
        let h = engine_with_clock(&dir, &node, 2, &policy, clock);
        let got = outcome(
            &h.engine
                .decide(offer_for(&format!("window-{i}"), &tx))
                .await,
        );
        if *signs {
            assert_eq!(got, "signed", "clock 09:00 {offset:+} s: {got}");
        } else {
            assert!(
                got.contains("business-hours"),
                "clock 09:00 {offset:+} s: {got}"
            );
        }
    }
}
