//! The ways around a cosigner's policy that a coordinator (or node) owned by an attacker has
//! without forging a byte, each closed: backdated timestamps, signatures that drop out of
//! velocity when the node hides them, fees no rule counted, unlisted proposers, floods of
//! oversized offers, approvals that outlive their policy, decisions held across a freeze,
//! and damaged storage. Each test failed on the engine before this hardening.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use cosigner::engine::{ActivePolicy, Answer, Deferred, Operator, OperatorError};
use cosigner::record::{Status, confirm_code};
use ed25519_dalek::SigningKey;
use nem::NemTimestamp;
use nem::client::{ClientConfig, NisClient};

const XEM: u64 = 1_000_000;

fn is_signed(a: &Answer) -> bool {
    matches!(a, Answer::Signed(_))
}

fn refused_by(a: &Answer, rule: &str) -> bool {
    matches!(a, Answer::Refused { reasons, .. } if hanko_proto::reason::lines(reasons).join(" ").contains(rule))
}

fn operator(uid: u32) -> Operator {
    Operator {
        uid,
        name: format!("op{uid}"),
    }
}

async fn set_faults(node: &devnode::RunningNode, faults: serde_json::Value) {
    let status = reqwest::Client::new()
        .post(format!("{}/dev/faults", node.url()))
        .json(&faults)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");
}

/// The test policy without an approval tier in the way, with room for 50,000 XEM and fees.
fn open_policy(daily_xem: u64, extra: &str) -> String {
    policy_text(daily_xem, extra)
        .replace("max = \"50000\"", "max = \"60000\"")
        .replace("above = \"20000\"", "above = \"200000\"")
}

/// Item 1: the coordinator stamps its offers an hour and a second in the past (the deadline
/// two hours after that, within max_deadline). Counted at their timestamps, none would fall in
/// a one-hour window; counted when this cosigner signs, the third passes the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backdated_offers_count_when_signed_not_when_stamped() {
    let node = devnode().await;
    let (clock, _) = movable_clock();
    let dir = temp_dir("backdated");
    // 100,002 XEM an hour: two withdrawals of 50,000 XEM and their fees (0.55 XEM each) fit.
    let hourly = "[[velocity]]\nname = \"hourly-xem\"\nasset = \"nem:xem\"\nmax = \"100002\"\nwindow = \"1h\"\n";
    let h = engine_with_clock(
        &dir,
        &node,
        2,
        &open_policy(1_000_000, hourly),
        clock.clone(),
    );
    let now = NemTimestamp::from_timestamp(clock()).unwrap().0;
    let mut answers = vec![];
    for i in 0..3 {
        let tx = transfer_at(50_000 * XEM, now - 3_601, 7_200);
        let mut tx = tx;
        // Three distinct withdrawals: they differ by a micro-XEM.
        if let nem::tx::Body::Transfer(t) = &mut tx.body {
            t.amount = nem::Amount::from_micro(50_000 * XEM + i).unwrap();
        }
        answers.push(
            h.engine
                .decide(offer_for(&format!("back-{i}"), &tx))
                .await
                .unwrap(),
        );
    }
    assert!(
        is_signed(&answers[0]) && is_signed(&answers[1]),
        "{answers:?}"
    );
    assert!(refused_by(&answers[2], "hourly-xem"), "{:?}", answers[2]);
    node.stop().await;
}

/// A coordinator that holds a signed withdrawal back, to broadcast it with the next hour's:
/// until the chain shows it paid, a signature counts until its deadline, so the next hour
/// still sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_held_back_still_counts_in_the_next_window() {
    let node = devnode().await;
    let (clock, offset) = movable_clock();
    let dir = temp_dir("held-back");
    let hourly = "[[velocity]]\nname = \"hourly-xem\"\nasset = \"nem:xem\"\nmax = \"50001\"\nwindow = \"1h\"\n";
    let h = engine_with_clock(
        &dir,
        &node,
        2,
        &open_policy(1_000_000, hourly),
        clock.clone(),
    );
    let stamp =
        |clock: &cosigner::engine::Clock| NemTimestamp::from_timestamp(clock()).unwrap().0 - 5;
    let first = transfer_at(50_000 * XEM, stamp(&clock), 7_200);
    assert!(is_signed(
        &h.engine.decide(offer_for("first", &first)).await.unwrap()
    ));
    // An hour and a second later, the first still unpaid (valid for another hour).
    offset.store(3_601, Ordering::SeqCst);
    let second = transfer_at(50_000 * XEM + 1, stamp(&clock), 7_200);
    let answer = h.engine.decide(offer_for("second", &second)).await.unwrap();
    assert!(refused_by(&answer, "hourly-xem"), "{answer:?}");
    node.stop().await;
}

/// Item 2: a node that lists no outgoing transfer at all. The cosigner signs its daily cap,
/// the deadlines pass, and its own signatures still count for the day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_count_past_their_deadline_when_the_node_hides_outflows() {
    let node = devnode().await;
    set_faults(&node, serde_json::json!({ "hide_outgoing": true })).await;
    let (clock, offset) = movable_clock();
    let dir = temp_dir("hidden");
    // Ten withdrawals of 1,000 XEM with their fees fit in 10,010 XEM a day.
    let h = engine_with_clock(&dir, &node, 2, &policy_text(10_010, ""), clock.clone());
    let stamp =
        |clock: &cosigner::engine::Clock| NemTimestamp::from_timestamp(clock()).unwrap().0 - 5;
    for i in 0..10 {
        let tx = transfer_at(1_000 * XEM + i, stamp(&clock), 3_600);
        let answer = h
            .engine
            .decide(offer_for(&format!("cap-{i}"), &tx))
            .await
            .unwrap();
        assert!(is_signed(&answer), "{i}: {answer:?}");
    }
    // Two hours on: every deadline has passed, the node still shows nothing.
    offset.store(7_200, Ordering::SeqCst);
    let tx = transfer_at(1_000 * XEM, stamp(&clock), 3_600);
    let answer = h.engine.decide(offer_for("after", &tx)).await.unwrap();
    assert!(refused_by(&answer, "daily-xem"), "{answer:?}");
    // A day later they no longer count.
    offset.store(86_400 + 7_200, Ordering::SeqCst);
    let tx = transfer_at(1_000 * XEM, stamp(&clock), 3_600);
    let answer = h.engine.decide(offer_for("next-day", &tx)).await.unwrap();
    assert!(is_signed(&answer), "{answer:?}");
    node.stop().await;
}

/// Item 2: a node that pages forever (every page full, whatever is asked) reaches the
/// paging cap; the history is incomplete, and every decision is refused, not undercounted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_pages_forever_gets_every_offer_refused() {
    let node = devnode().await;
    let a = engine(&node, 1, &policy_text(100_000, ""));
    let b = engine(&node, 2, &policy_text(100_000, ""));
    // One confirmed withdrawal for the node to repeat.
    let tx = transfer(CUSTOMER, 10);
    let client = NisClient::new(ClientConfig::new(node.url())).unwrap();
    let (Answer::Signed(x), Answer::Signed(y)) = (
        a.engine.decide(offer_for("paid", &tx)).await.unwrap(),
        b.engine.decide(offer_for("paid", &tx)).await.unwrap(),
    ) else {
        panic!("the first withdrawal was not signed")
    };
    client.announce(&x.wrapper).await.unwrap();
    client.announce(&y.cosignature).await.unwrap();
    harvest(&node).await;
    set_faults(&node, serde_json::json!({ "endless_outgoing": true })).await;
    let dir = temp_dir("endless");
    let chain = cosigner::chain::ChainView::new(client, Duration::ZERO).with_page_limit(3);
    let c = engine_with(
        &dir,
        3,
        &policy_text(100_000, ""),
        cosigner::engine::system_clock(),
        chain,
    );
    let answer = c
        .engine
        .decide(offer_for("next", &transfer(CUSTOMER, 1)))
        .await
        .unwrap();
    assert!(refused_by(&answer, "velocity_history"), "{answer:?}");
    assert!(refused_by(&answer, "outflows"), "{answer:?}");
    node.stop().await;
}

/// Item 3: a thousand zero-amount transfers cost the account their fees (0.55 XEM each: the
/// inner 0.1, the wrapper 0.15 and two signatures 0.3); a 100 XEM daily budget stops them
/// after 181.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_amount_offers_stop_when_their_fees_spend_the_budget() {
    let node = devnode().await;
    let h = engine(&node, 2, &policy_text(100, ""));
    let (mut signed, mut refused) = (0, 0);
    for i in 0..1_000 {
        let tx = transfer_from(&nem_key(0), CUSTOMER, 0, format!("WD-{i:06}").as_bytes());
        match h
            .engine
            .decide(offer_for(&format!("zero-{i}"), &tx))
            .await
            .unwrap()
        {
            Answer::Signed(_) => signed += 1,
            a if refused_by(&a, "daily-xem") => refused += 1,
            other => panic!("{i}: {other:?}"),
        }
    }
    println!("1,000 zero-amount offers against 100 XEM a day: {signed} signed, {refused} refused");
    assert_eq!(signed, 181);
    assert_eq!(refused, 819);
    node.stop().await;
}

/// Item 4: an offer signed by a key the policy does not list is refused before anything
/// about it is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlisted_proposer_leaves_nothing_behind() {
    let node = devnode().await;
    let h = engine(&node, 2, &policy_text(250_000, ""));
    let before = h.engine.store().bindings().unwrap().len();
    let stranger = SigningKey::from_bytes(&[77; 32]);
    let offer = signed_offer(
        "stranger-1",
        TREASURY,
        transfer(CUSTOMER, 5).to_bytes().unwrap(),
        &stranger,
    );
    let answer = h.engine.decide(offer).await.unwrap();
    assert!(refused_by(&answer, "not a proposer"), "{answer:?}");
    assert!(h.engine.store().binding("stranger-1").unwrap().is_none());
    assert_eq!(h.engine.store().bindings().unwrap().len(), before);
    node.stop().await;
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Item 6: ten thousand offers with 3.9 MiB ids or 64 KiB inner transactions are refused
/// before anything is looked up; the journal records 20 of them and counts the rest, and the
/// store does not grow with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_oversized_offers_leaves_the_store_as_it_was() {
    let node = devnode().await;
    let h = engine(&node, 2, &policy_text(250_000, ""));
    assert!(is_signed(
        &h.engine
            .decide(offer_for("first", &transfer(CUSTOMER, 1)))
            .await
            .unwrap()
    ));
    h.engine.store().flush().await.unwrap();
    let data = h.dir.join("data");
    let (bytes_before, entries_before) =
        (dir_bytes(&data), h.engine.store().audit().unwrap().len());
    let rss_before = peak_rss_kib();
    let big_id = "x".repeat(3_900 * 1024);
    for i in 0..10_000 {
        let mut offer = offer_for("flood", &transfer(CUSTOMER, 1));
        if i % 2 == 0 {
            offer.proposal_id = big_id.clone();
        } else {
            offer.proposal_id = format!("flood-{i}");
            offer.inner_transaction = vec![0; 64 * 1024];
        }
        let answer = h.engine.decide(offer).await.unwrap();
        assert!(matches!(answer, Answer::Refused { .. }), "{i}: {answer:?}");
    }
    h.engine.flush_noise();
    h.engine.store().flush().await.unwrap();
    let journal = h.engine.store().audit().unwrap();
    let written = journal.len() - entries_before;
    let grown = dir_bytes(&data).saturating_sub(bytes_before);
    println!(
        "10,000 oversized offers: {written} journal entries, store grew {grown} bytes, peak memory grew {} KiB",
        peak_rss_kib().saturating_sub(rss_before)
    );
    // At most 20 a minute one by one, and a summary a minute: the run takes well under 3.
    assert!(
        written <= 3 * (cosigner::engine::noise::PER_MINUTE as usize + 1),
        "{written}"
    );
    assert!(
        h.engine.store().bindings().unwrap().len() == 1,
        "nothing about them is bound"
    );
    assert!(grown < 1024 * 1024, "the store grew {grown} bytes");
    assert!(
        !journal
            .iter()
            .any(|e| e.event.proposal.as_ref().is_some_and(|p| p.len() > 64)),
        "no journal entry keeps an oversized id"
    );
    node.stop().await;
}

/// Item 7: an approval given under one policy version does not count under another, even
/// when the reload could not evaluate the proposal again (the node was down): the operator
/// is told to look again, and the proposal is evaluated under the policy in force.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_count_only_under_the_policy_they_were_given_under() {
    let node = devnode().await;
    let two = policy_text(250_000, "").replace("approvals = 1", "approvals = 2");
    let h = engine(&node, 2, &two);
    let tx = transfer(CUSTOMER, 25_000);
    let code = confirm_code(&tx.hash().unwrap());
    let answer = h.engine.decide(offer_for("big", &tx)).await.unwrap();
    assert!(
        matches!(
            answer,
            Answer::NeedsApproval {
                approvals_required: 2,
                ..
            }
        ),
        "{answer:?}"
    );
    h.engine
        .approve("big", &code, &operator(1001))
        .await
        .unwrap();

    // A new version while the node is down: the proposal cannot be evaluated again yet.
    set_faults(&node, serde_json::json!({ "unavailable": 1.0 })).await;
    h.engine
        .chain()
        .invalidate(&TREASURY.parse().unwrap())
        .await;
    let v2 = format!("{two}\n# version 2\n");
    h.officer.write_signed(&h.policy_path, &v2);
    let next = cosigner::reload::load(&h.policy_path, &h.officer.trust()).unwrap();
    h.engine.replace_policy(next).await.unwrap();
    set_faults(&node, serde_json::json!({})).await;

    let err = h
        .engine
        .approve("big", &code, &operator(1002))
        .await
        .unwrap_err();
    assert!(matches!(err, OperatorError::PolicyChanged { .. }), "{err}");
    let b = h.engine.show("big").unwrap();
    let Status::AwaitingApproval {
        approvals,
        policy_hash,
        ..
    } = &b.status
    else {
        panic!("{:?}", b.status)
    };
    assert!(
        approvals.is_empty(),
        "the approval under version 1 does not count: {approvals:?}"
    );
    assert_eq!(policy_hash, h.engine.policy().hash());
    h.engine
        .approve("big", &code, &operator(1002))
        .await
        .unwrap();
    assert_eq!(
        h.engine.show("big").unwrap().status.name(),
        "awaiting_approval"
    );
    h.engine
        .approve("big", &code, &operator(1001))
        .await
        .unwrap();
    assert_eq!(h.engine.show("big").unwrap().status.name(), "signed");

    // Held for operators, then the recipient is denylisted: the reload refuses it at once.
    let held = transfer(CUSTOMER, 26_000);
    h.engine.decide(offer_for("held", &held)).await.unwrap();
    let v3 = format!(
        "{}\n[[destinations.denylist]]\naddress = \"{CUSTOMER}\"\nreason = \"compromised\"\n",
        v2.replace(
            &format!("[[destinations.whitelist]]\naddress = \"{CUSTOMER}\""),
            "[[destinations.whitelist]]\naddress = \"TCLK3OLMHR3F2E3KSBUIZ4K5PNWUDN37MIBR5TMD\""
        )
    );
    h.officer.write_signed(&h.policy_path, &v3);
    let next: ActivePolicy = cosigner::reload::load(&h.policy_path, &h.officer.trust()).unwrap();
    h.engine.replace_policy(next).await.unwrap();
    let b = h.engine.show("held").unwrap();
    assert!(
        matches!(&b.status, Status::Refused { reasons, .. } if hanko_proto::reason::lines(reasons).join(" ").contains("denylist")),
        "{:?}",
        b.status
    );
    node.stop().await;
}

/// Item 7: a freeze takes effect at once (a decision reading its node when it comes gives no
/// signature); a signed decision asked for again after an unfreeze is looked at again under
/// the chain as it is then; and the unfreeze evaluates every decision held for operators
/// again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freeze_holds_nothing_back_unexamined() {
    let node = devnode().await;
    let policy = policy_text(60_000, "");
    let mut b = engine(&node, 2, &policy);
    let open = open_policy(250_000, "");
    let a = engine(&node, 1, &open);
    let c = engine(&node, 3, &open);
    let treasury = TREASURY.parse().unwrap();

    // A decision slowed by its node: the freeze that comes meanwhile stops it.
    set_faults(&node, serde_json::json!({ "delay": 1.0, "delay_ms": 700 })).await;
    b.engine.chain().invalidate(&treasury).await;
    let engine = b.engine.clone();
    let slow = tokio::spawn(async move {
        engine
            .decide(offer_for("slow", &transfer(CUSTOMER, 100)))
            .await
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    b.engine.freeze(&operator(1001), "incident").await.unwrap();
    assert!(!slow.is_finished(), "the freeze waited for the decision");
    let slow = slow.await.unwrap();
    assert!(matches!(slow, Err(Deferred::Frozen(_))), "{slow:?}");
    assert!(b.engine.store().binding("slow").unwrap().is_none());
    set_faults(&node, serde_json::json!({})).await;
    b.engine
        .unfreeze(&operator(1001), "resolved")
        .await
        .unwrap();

    // Signed, then a freeze and an unfreeze: asked again, it is looked at again.
    let early = transfer(CUSTOMER, 19_000);
    assert!(is_signed(
        &b.engine.decide(offer_for("early", &early)).await.unwrap()
    ));
    // Held for an operator (above 20,000 XEM).
    let held = b
        .engine
        .decide(offer_for("held", &transfer(CUSTOMER, 25_000)))
        .await
        .unwrap();
    assert!(matches!(held, Answer::NeedsApproval { .. }), "{held:?}");
    b.engine
        .freeze(&operator(1001), "look at the chain")
        .await
        .unwrap();
    // Meanwhile A and C pay 41,000 XEM: with the 19,000 signed, B's 60,000 a day is spent.
    let paid = transfer(CUSTOMER, 41_000);
    let client = NisClient::new(ClientConfig::new(node.url())).unwrap();
    let (Answer::Signed(x), Answer::Signed(y)) = (
        a.engine.decide(offer_for("paid", &paid)).await.unwrap(),
        c.engine.decide(offer_for("paid", &paid)).await.unwrap(),
    ) else {
        panic!("A and C did not sign")
    };
    client.announce(&x.wrapper).await.unwrap();
    client.announce(&y.cosignature).await.unwrap();
    harvest(&node).await;
    b.engine.chain().invalidate(&treasury).await;
    while b.outgoing.try_recv().is_ok() {}
    tokio::time::sleep(Duration::from_millis(5)).await;
    b.engine
        .unfreeze(&operator(1001), "resolved")
        .await
        .unwrap();
    let status = b.engine.show("held").unwrap().status;
    assert!(
        matches!(&status, Status::Refused { reasons, .. } if hanko_proto::reason::lines(reasons).join(" ").contains("daily-xem")),
        "{status:?}"
    );
    let told = b.outgoing.try_recv().expect("the coordinator is told");
    assert_eq!(told.proposal_id, "held");
    let again = b.engine.decide(offer_for("early", &early)).await.unwrap();
    assert!(refused_by(&again, "decided before a freeze"), "{again:?}");
    node.stop().await;
}

/// A node that dates a block before the signature it confirms (here by 500 s) is not
/// believed: the signature counts from its deadline, not from the block the node claims.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_dated_before_the_signature_is_not_believed() {
    let node = devnode().await;
    let (clock, offset) = movable_clock();
    let hourly = "[[velocity]]\nname = \"hourly-xem\"\nasset = \"nem:xem\"\nmax = \"2002\"\nwindow = \"1h\"\n";
    let dir = temp_dir("backdated-block");
    let b = engine_with_clock(&dir, &node, 2, &open_policy(250_000, hourly), clock.clone());
    let a = engine(&node, 1, &open_policy(250_000, ""));
    // The node's clock, and so its blocks, 500 s behind.
    reqwest::Client::new()
        .post(format!("{}/dev/clock", node.url()))
        .json(&serde_json::json!({ "offset_ms": -500_000 }))
        .send()
        .await
        .unwrap();
    let stamp = NemTimestamp::from_timestamp(clock()).unwrap().0 - 510;
    let tx = transfer_at(1_000 * XEM, stamp, 3_600);
    let client = NisClient::new(ClientConfig::new(node.url())).unwrap();
    let (Answer::Signed(x), Answer::Signed(y)) = (
        a.engine.decide(offer_for("p1", &tx)).await.unwrap(),
        b.engine.decide(offer_for("p1", &tx)).await.unwrap(),
    ) else {
        panic!("p1 was not signed")
    };
    client.announce(&x.wrapper).await.unwrap();
    client.announce(&y.cosignature).await.unwrap();
    let block = harvest(&node).await;
    assert_eq!(block["included"].as_array().unwrap().len(), 1, "{block}");
    // 55 minutes on: the node's block (500 s before the signature) is outside the hour, the
    // signature's deadline inside it.
    offset.store(3_300, Ordering::SeqCst);
    b.engine
        .chain()
        .invalidate(&TREASURY.parse().unwrap())
        .await;
    let stamp = NemTimestamp::from_timestamp(clock()).unwrap().0 - 5;
    let p2 = b
        .engine
        .decide(offer_for("p2", &transfer_at(1_000 * XEM + 1, stamp, 3_600)))
        .await
        .unwrap();
    assert!(is_signed(&p2), "{p2:?}");
    let p3 = b
        .engine
        .decide(offer_for("p3", &transfer_at(1_000 * XEM + 2, stamp, 3_600)))
        .await
        .unwrap();
    assert!(refused_by(&p3, "hourly-xem"), "{p3:?}");
    node.stop().await;
}

/// Per-proposer velocity keeps counting a withdrawal once it confirms: the chain cannot say
/// who proposed it, this cosigner can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_proposer_velocity_counts_what_confirmed() {
    let node = devnode().await;
    let per = "[[velocity]]\nname = \"per-proposer\"\nasset = \"nem:xem\"\nmax = \"2002\"\nwindow = \"24h\"\nper = \"proposer\"\n";
    let a = engine(&node, 1, &open_policy(250_000, ""));
    let b = engine(&node, 2, &open_policy(250_000, per));
    let client = NisClient::new(ClientConfig::new(node.url())).unwrap();
    let first = transfer(CUSTOMER, 1_000);
    let (Answer::Signed(x), Answer::Signed(y)) = (
        a.engine.decide(offer_for("q1", &first)).await.unwrap(),
        b.engine.decide(offer_for("q1", &first)).await.unwrap(),
    ) else {
        panic!("q1 was not signed")
    };
    client.announce(&x.wrapper).await.unwrap();
    client.announce(&y.cosignature).await.unwrap();
    harvest(&node).await;
    b.engine
        .chain()
        .invalidate(&TREASURY.parse().unwrap())
        .await;
    let mut next = transfer(CUSTOMER, 1_000);
    next.header.fee = first.header.fee;
    if let nem::tx::Body::Transfer(t) = &mut next.body {
        t.amount = nem::Amount::from_micro(1_000 * XEM + 1).unwrap();
    }
    assert!(is_signed(
        &b.engine.decide(offer_for("q2", &next)).await.unwrap()
    ));
    let third = transfer(CUSTOMER, 900);
    let answer = b.engine.decide(offer_for("q3", &third)).await.unwrap();
    assert!(refused_by(&answer, "per-proposer"), "{answer:?}");
    node.stop().await;
}

/// What this cosigner's node shows already paid is not signed again: a signature would only
/// count it twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_chain_shows_paid_is_not_signed_again() {
    let node = devnode().await;
    let policy = policy_text(250_000, "");
    let a = engine(&node, 1, &policy);
    let c = engine(&node, 3, &policy);
    let b = engine(&node, 2, &policy);
    let tx = transfer(CUSTOMER, 10);
    let client = NisClient::new(ClientConfig::new(node.url())).unwrap();
    let (Answer::Signed(x), Answer::Signed(y)) = (
        a.engine.decide(offer_for("late", &tx)).await.unwrap(),
        c.engine.decide(offer_for("late", &tx)).await.unwrap(),
    ) else {
        panic!("not signed")
    };
    client.announce(&x.wrapper).await.unwrap();
    client.announce(&y.cosignature).await.unwrap();
    harvest(&node).await;
    let answer = b.engine.decide(offer_for("late", &tx)).await.unwrap();
    assert!(refused_by(&answer, "already_confirmed"), "{answer:?}");
    node.stop().await;
}

/// Item 12: the stored bytes of a signed decision are checked against the inner hash they
/// were bound to before they are signed again: damaged storage gives no signature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_bytes_that_do_not_hash_to_their_binding_are_never_signed() {
    let node = devnode().await;
    let h = engine(&node, 2, &policy_text(250_000, ""));
    let tx = transfer(CUSTOMER, 5);
    assert!(is_signed(
        &h.engine.decide(offer_for("kept", &tx)).await.unwrap()
    ));
    let mut damaged = h.engine.store().binding("kept").unwrap().unwrap();
    damaged.inner_hash = transfer(CUSTOMER, 6).hash().unwrap();
    h.engine
        .store()
        .commit(Some(&damaged), cosigner::audit::Event::new("test", "test"))
        .unwrap();
    let again = h.engine.decide(offer_for("kept", &tx)).await;
    assert!(
        matches!(&again, Err(Deferred::Sign(why)) if why.contains("not to the bound inner hash")),
        "{again:?}"
    );
    assert!(
        h.engine
            .alerts()
            .iter()
            .any(|a| a.contains("store_damaged"))
    );
    node.stop().await;
}
