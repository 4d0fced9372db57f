//! Subset routing: an adversarial coordinator offers proposal k only to pair k mod 3 of a
//! 2-of-3 set (A+B, B+C, C+A) and announces whatever pair of signatures it gets, until no pair
//! signs. Each cosigner reads its own node, where every payment shows whoever signed it, so
//! the outflow stays within the daily limit. In the control run the cosigners read a second dev
//! node that never sees the payments (no chain observation): each cosigner then counts only
//! what it signed itself, and the same routing reaches 1.5 × the limit, which shows the test
//! bites.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::time::Duration;

use common::*;
use cosigner::engine::Answer;
use nem::client::{ClientConfig, NisClient};

const LIMIT_XEM: u64 = 10_000;
const EACH_XEM: u64 = 1_000;
/// The daily budget: ten withdrawals of 1,000 XEM with every fee (1,000.55 XEM each as a
/// cosigner reserves it: its inner fee, the wrapper and a signature from each other
/// cosignatory).
const BUDGET_XEM: u64 = 10_010;
const PAIRS: [(usize, usize); 3] = [(0, 1), (1, 2), (2, 0)];

async fn balance(client: &NisClient) -> u64 {
    let customer = CUSTOMER.parse().unwrap();
    client.account(&customer).await.unwrap().account.balance
}

/// XEM paid to the customer, and the proposals offered, by one routing run.
async fn route(observe_chain: bool) -> (u64, usize) {
    let paying = devnode().await;
    let blind = if observe_chain {
        None
    } else {
        Some(devnode().await)
    };
    let view = blind.as_ref().unwrap_or(&paying);
    let policy = policy_text(BUDGET_XEM, "");
    let cosigners = [
        engine(view, 1, &policy),
        engine(view, 2, &policy),
        engine(view, 3, &policy),
    ];
    let client = NisClient::new(ClientConfig::new(paying.url())).unwrap();
    let before = balance(&client).await;
    let (mut offered, mut refused_in_a_row) = (0, 0);
    while refused_in_a_row < PAIRS.len() {
        let (i, j) = PAIRS[offered % PAIRS.len()];
        let id = format!("subset-{observe_chain}-{offered}");
        let tx = transfer_from(&nem_key(0), CUSTOMER, EACH_XEM * 1_000_000, id.as_bytes());
        offered += 1;
        let first = cosigners[i]
            .engine
            .decide(offer_for(&id, &tx))
            .await
            .unwrap();
        let second = cosigners[j]
            .engine
            .decide(offer_for(&id, &tx))
            .await
            .unwrap();
        let (Answer::Signed(x), Answer::Signed(y)) = (first, second) else {
            refused_in_a_row += 1;
            continue;
        };
        refused_in_a_row = 0;
        client.announce(&x.wrapper).await.unwrap();
        client.announce(&y.cosignature).await.unwrap();
        let block = harvest(&paying).await;
        assert_eq!(block["included"].as_array().unwrap().len(), 1, "{block}");
        // Past the cosigners' chain cache (200 ms), as a real coordinator's pace would be.
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(offered < 100, "routing never ran out of signatures");
    }
    let after = balance(&client).await;
    paying.stop().await;
    if let Some(b) = blind {
        b.stop().await;
    }
    ((after - before) / 1_000_000, offered)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subset_routing_never_pays_past_the_limit_and_the_control_run_does() {
    let (paid, offered) = route(true).await;
    let (control, control_offered) = route(false).await;
    println!(
        "subset routing: {offered} proposals routed to rotating pairs, {paid} XEM paid against a {BUDGET_XEM} XEM daily budget with fees ({:.2} × {LIMIT_XEM}); control run without chain observation: {control_offered} proposals, {control} XEM ({:.2} ×)",
        paid as f64 / LIMIT_XEM as f64,
        control as f64 / LIMIT_XEM as f64
    );
    assert!(paid <= LIMIT_XEM, "paid {paid} XEM past the limit");
    assert_eq!(paid, LIMIT_XEM, "the limit itself must be reachable");
    assert!(
        control * 2 >= LIMIT_XEM * 3,
        "the control run reached only {control} XEM: the routing does not bite"
    );
}
