//! The cosigner engine against a real dev node: deterministic signatures, the velocity race,
//! outflows seen on chain, operator approval and rejection, freeze across restarts, and policy
//! reload.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::*;
use cosigner::engine::{Answer, Deferred, Operator, OperatorError};
use cosigner::record::confirm_code;
use nem::client::{ClientConfig, NisClient};

fn signed(a: &Answer) -> &cosigner::sign::Cosigned {
    match a {
        Answer::Signed(c) => c,
        other => panic!("expected a signature, got {other:?}"),
    }
}

fn operator(uid: u32) -> Operator {
    Operator {
        uid,
        name: format!("op{uid}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_proposal_gets_the_same_bytes_and_they_verify() {
    let node = devnode().await;
    let h = engine(&node, 2, &policy_text(250_000, ""));
    let tx = transfer(CUSTOMER, 1_500);
    let first = h.engine.decide(offer_for("p1", &tx)).await.unwrap();
    let again = h.engine.decide(offer_for("p1", &tx)).await.unwrap();
    assert_eq!(first, again, "asking again yields the same signed bytes");
    let pair = signed(&first);
    let wrapper = pair.wrapper.verify().unwrap();
    let cosig = pair.cosignature.verify().unwrap();
    assert_eq!(
        wrapper.inner().unwrap(),
        &tx,
        "the wrapper carries exactly the inner transaction"
    );
    assert_eq!(wrapper.header.timestamp, tx.header.timestamp);
    assert_eq!(wrapper.header.deadline, tx.header.deadline);
    assert_eq!(wrapper.header.fee.as_micro(), 150_000);
    assert_eq!(cosig.header.fee.as_micro(), 150_000);
    assert_eq!(cosig.header.signer, nem_key(2).public_key());
    match &cosig.body {
        nem::tx::Body::MultisigSignature(s) => {
            assert_eq!(s.other_hash, tx.hash().unwrap());
            assert_eq!(s.other_account.to_string(), TREASURY);
        }
        other => panic!("{other:?}"),
    }
    let b = h.engine.store().binding("p1").unwrap().unwrap();
    assert_eq!(b.status.name(), "signed");
    assert_eq!(b.inner_hash, tx.hash().unwrap());
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_proposals_sign_exactly_the_affordable_number() {
    let node = devnode().await;
    // Each proposal costs 1,000.55 XEM (1,000 XEM, its 0.1 XEM fee, the wrapper's 0.15 and
    // two signatures' 0.3): exactly 10 fit in 10,010 XEM a day.
    let h = engine(&node, 2, &policy_text(10_010, ""));
    let mut tasks = vec![];
    for i in 0..64 {
        let engine = h.engine.clone();
        let mut tx = transfer(CUSTOMER, 1_000);
        tx.header.timestamp = nem::NemTimestamp(tx.header.timestamp.0 - (i % 7));
        tasks.push(tokio::spawn(async move {
            engine.decide(offer_for(&format!("race-{i}"), &tx)).await
        }));
    }
    let mut signatures = 0;
    let mut refusals = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Answer::Signed(_) => signatures += 1,
            Answer::Refused { reasons, .. } => {
                assert!(
                    hanko_proto::reason::lines(&reasons)
                        .join(" ")
                        .contains("daily-xem"),
                    "{reasons:?}"
                );
                refusals += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    println!(
        "64 concurrent proposals of 1,000 XEM against 10,000 XEM: {signatures} signed, {refusals} refused"
    );
    assert_eq!(signatures, 10);
    assert_eq!(refusals, 54);
    node.stop().await;
}

/// A hostile coordinator routes each proposal to a different pair of a 2-of-3 set. Cosigner C
/// never saw the first payment, but its own node shows it, and velocity counts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outflows_seen_on_chain_count_against_velocity() {
    let node = devnode().await;
    let policy = policy_text(10_000, "");
    let a = engine(&node, 1, &policy);
    let b = engine(&node, 2, &policy);
    let c = engine(&node, 3, &policy);
    let client = NisClient::new(ClientConfig::new(node.url())).unwrap();

    let first = transfer(CUSTOMER, 8_000);
    let by_a = a.engine.decide(offer_for("route-1", &first)).await.unwrap();
    let by_b = b.engine.decide(offer_for("route-1", &first)).await.unwrap();
    client.announce(&signed(&by_a).wrapper).await.unwrap();
    client.announce(&signed(&by_b).cosignature).await.unwrap();
    let harvested = harvest(&node).await;
    assert_eq!(
        harvested["included"].as_array().unwrap().len(),
        1,
        "{harvested}"
    );

    // C's budget: 10,000 − 8,000.4 on chain (8,000 XEM, the inner fee 0.1, the wrapper's and
    // one signature's 0.15 each) = 1,999.6, and a withdrawal of 1,999 XEM costs 1,999.55.
    let over = c
        .engine
        .decide(offer_for("route-2", &transfer(CUSTOMER, 3_000)))
        .await
        .unwrap();
    match over {
        Answer::Refused { reasons, .. } => {
            assert!(
                hanko_proto::reason::lines(&reasons)
                    .join(" ")
                    .contains("daily-xem"),
                "{reasons:?}"
            )
        }
        other => panic!("C signed past the limit: {other:?}"),
    }
    let fits = c
        .engine
        .decide(offer_for("route-3", &transfer(CUSTOMER, 1_999)))
        .await
        .unwrap();
    signed(&fits);
    // A signed 8,000 itself and sees it on chain too (once it reads its node again): counted
    // once, at what it really cost, not twice.
    a.engine
        .chain()
        .invalidate(&TREASURY.parse().unwrap())
        .await;
    let a_fits = a
        .engine
        .decide(offer_for("route-4", &transfer(CUSTOMER, 1_999)))
        .await
        .unwrap();
    signed(&a_fits);
    node.stop().await;
}

/// The chain's velocity history is built when the node shows something new, and kept as it is
/// by every read that finds nothing new: a decision's cost does not follow the history's size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_history_is_rebuilt_only_when_the_chain_moved() {
    use cosigner::chain::ChainView;
    use policy::{History, Scope};
    let node = devnode().await;
    let policy = policy_text(100_000, "");
    let a = engine(&node, 1, &policy);
    let b = engine(&node, 2, &policy);
    let client = NisClient::new(ClientConfig::new(node.url())).unwrap();
    let view = ChainView::new(client.clone(), std::time::Duration::ZERO);
    let treasury = nem::Address::parse(TREASURY).unwrap();
    let moved = |h: &cosigner::chain::ChainHistory| {
        h.history
            .total(
                &Scope::Account(treasury),
                &nem::tx::MosaicId::xem(),
                jiff::Timestamp::UNIX_EPOCH,
            )
            .unwrap()
    };
    let empty = view.current(&treasury).await.unwrap();
    assert_eq!(moved(&empty.history), 0);

    let mut expected = 0;
    for (i, xem) in [(1, 8_000u64), (2, 500)] {
        let tx = transfer(CUSTOMER, xem);
        let id = format!("history-{i}");
        let by_a = a.engine.decide(offer_for(&id, &tx)).await.unwrap();
        let by_b = b.engine.decide(offer_for(&id, &tx)).await.unwrap();
        client.announce(&signed(&by_a).wrapper).await.unwrap();
        client.announce(&signed(&by_b).cosignature).await.unwrap();
        harvest(&node).await;
        // The amount and every fee the account paid: inner, wrapper, one signature.
        expected += u128::from(xem) * 1_000_000 + u128::from(tx.header.fee.as_micro()) + 300_000;
        let read = view.current(&treasury).await.unwrap();
        assert_eq!(moved(&read.history), expected, "payment {i} counted");
        assert!(read.history.on_chain.contains_key(&tx.hash().unwrap()));
        let again = view.current(&treasury).await.unwrap();
        assert!(
            std::sync::Arc::ptr_eq(&read.history, &again.history),
            "nothing new: the same history"
        );
        assert_eq!(again.outflows.len(), i);
    }
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_approve_with_the_hash_prefix_or_reject() {
    let node = devnode().await;
    let mut h = engine(&node, 2, &policy_text(250_000, ""));
    let big = transfer(CUSTOMER, 25_000);
    let answer = h.engine.decide(offer_for("big-1", &big)).await.unwrap();
    let Answer::NeedsApproval {
        approvals_required,
        reasons,
    } = answer
    else {
        panic!("{answer:?}")
    };
    assert_eq!(approvals_required, 1);
    assert!(
        hanko_proto::reason::lines(&reasons)
            .join(" ")
            .contains("large"),
        "{reasons:?}"
    );
    assert_eq!(h.engine.pending().unwrap().len(), 1);

    // What the operator sees comes from the bytes: label, amount, fee, hash, how to approve.
    let shown = cosigner::render::render(
        &h.engine.show("big-1").unwrap(),
        &h.engine.policy().loaded.linted.policy,
        3,
    );
    let text = cosigner::render::text(&shown);
    for part in [
        CUSTOMER,
        "[customer withdrawals]",
        "amount        25000 XEM",
        &format!("fee           {}", big.header.fee),
        &big.hash().unwrap().to_string(),
        "approvals     0 of 1",
        &format!("--confirm {}", confirm_code(&big.hash().unwrap())),
    ] {
        assert!(text.contains(part), "missing {part} in:\n{text}");
    }
    let err = h
        .engine
        .approve("big-1", "00000000", &operator(1000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, OperatorError::WrongConfirmation { .. }),
        "{err}"
    );
    let code = confirm_code(&big.hash().unwrap());
    let after = h
        .engine
        .approve("big-1", &code.to_uppercase(), &operator(1000))
        .await
        .unwrap();
    assert_eq!(after.status.name(), "signed");
    let out = h.outgoing.recv().await.unwrap();
    assert_eq!(out.proposal_id, "big-1");
    signed(&out.answer);
    // Offered again, the signed bytes come back unchanged.
    assert_eq!(
        h.engine.decide(offer_for("big-1", &big)).await.unwrap(),
        out.answer
    );

    let other = transfer(CUSTOMER, 30_000);
    h.engine.decide(offer_for("big-2", &other)).await.unwrap();
    let err = h
        .engine
        .reject("big-2", " ", &operator(1000))
        .await
        .unwrap_err();
    assert!(matches!(err, OperatorError::EmptyReason));
    h.engine
        .reject("big-2", "customer called: not theirs", &operator(1000))
        .await
        .unwrap();
    match h.outgoing.recv().await.unwrap().answer {
        Answer::Refused { reasons, .. } => assert!(reasons[0].to_string().contains("not theirs")),
        other => panic!("{other:?}"),
    }
    let err = h
        .engine
        .approve(
            "big-2",
            &confirm_code(&other.hash().unwrap()),
            &operator(1000),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, OperatorError::NotAwaiting { .. }), "{err}");
    assert!(h.engine.pending().unwrap().is_empty());
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_approvals_need_two_different_users() {
    let node = devnode().await;
    let policy = policy_text(250_000, "").replace("approvals = 1", "approvals = 2");
    let h = engine(&node, 2, &policy);
    let big = transfer(CUSTOMER, 25_000);
    h.engine.decide(offer_for("two", &big)).await.unwrap();
    let code = confirm_code(&big.hash().unwrap());
    let once = h
        .engine
        .approve("two", &code, &operator(1000))
        .await
        .unwrap();
    assert_eq!(once.status.name(), "awaiting_approval");
    let err = h
        .engine
        .approve("two", &code, &operator(1000))
        .await
        .unwrap_err();
    assert!(
        matches!(err, OperatorError::AlreadyApproved { .. }),
        "{err}"
    );
    let twice = h
        .engine
        .approve("two", &code, &operator(1001))
        .await
        .unwrap();
    assert_eq!(twice.status.name(), "signed");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freeze_stops_signing_and_survives_a_restart() {
    let node = devnode().await;
    let dir = temp_dir("freeze");
    let policy = policy_text(250_000, "");
    let h = engine_in(&dir, &node, 2, &policy);
    let tx = transfer(CUSTOMER, 100);
    signed(&h.engine.decide(offer_for("before", &tx)).await.unwrap());
    h.engine
        .freeze(&operator(1000), "investigating an alert")
        .await
        .unwrap();
    let err = h.engine.decide(offer_for("during", &tx)).await.unwrap_err();
    assert!(matches!(err, Deferred::Frozen(_)), "{err}");
    // Not even an earlier signature leaves while frozen.
    let err = h.engine.decide(offer_for("before", &tx)).await.unwrap_err();
    assert!(matches!(err, Deferred::Frozen(_)), "{err}");
    drop(h);

    let h = engine_in(&dir, &node, 2, &policy);
    assert!(
        h.engine.status().unwrap().frozen.is_some(),
        "frozen after restart"
    );
    assert!(matches!(
        h.engine.decide(offer_for("during", &tx)).await.unwrap_err(),
        Deferred::Frozen(_)
    ));
    h.engine
        .unfreeze(&operator(1000), "all clear")
        .await
        .unwrap();
    signed(&h.engine.decide(offer_for("during", &tx)).await.unwrap());
    let kinds: Vec<String> = h
        .engine
        .store()
        .audit()
        .unwrap()
        .into_iter()
        .map(|e| e.event.kind)
        .collect();
    assert!(
        kinds.contains(&"freeze".into()) && kinds.contains(&"unfreeze".into()),
        "{kinds:?}"
    );
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_policy_reevaluates_pending_approvals_and_a_bad_one_is_refused() {
    let node = devnode().await;
    let mut h = engine(&node, 2, &policy_text(250_000, ""));
    let big = transfer(CUSTOMER, 25_000);
    assert!(matches!(
        h.engine.decide(offer_for("pending", &big)).await.unwrap(),
        Answer::NeedsApproval { .. }
    ));
    let old_hash = h.engine.policy().hash().to_string();

    // A tampered file (signature no longer matches) is refused; the old policy stays.
    std::fs::write(
        &h.policy_path,
        policy_text(250_000, "").replace("\"20000\"", "\"40000\""),
    )
    .unwrap();
    let err = cosigner::reload::load(&h.policy_path, &h.officer.trust()).unwrap_err();
    h.engine.policy_refused("policy.toml", &err);
    assert_eq!(h.engine.policy().hash(), old_hash);
    assert!(
        h.engine
            .alerts()
            .iter()
            .any(|a| a.contains("policy_refused")),
        "{:?}",
        h.engine.alerts()
    );

    // Properly signed, the new tier (above 40,000) lets the pending proposal through.
    let text = policy_text(250_000, "").replace("\"20000\"", "\"40000\"");
    h.officer.write_signed(&h.policy_path, &text);
    let next = cosigner::reload::load(&h.policy_path, &h.officer.trust()).unwrap();
    h.engine.replace_policy(next).await.unwrap();
    assert_ne!(h.engine.policy().hash(), old_hash);
    let out = h.outgoing.recv().await.unwrap();
    assert_eq!(out.proposal_id, "pending");
    signed(&out.answer);
    assert_eq!(
        h.engine
            .store()
            .binding("pending")
            .unwrap()
            .unwrap()
            .status
            .name(),
        "signed"
    );
    node.stop().await;
}
