//! The withdrawal flows a treasury sees: happy paths, refusals, limits, cancel, expiry.

use std::process::Command;

use hanko_proto::v1::cosigner_decision::Outcome;

use crate::common::*;

#[test]
fn the_demo_runs_once_and_exits_zero() {
    let dir = temp_dir("demo");
    let data = dir.join("data");
    let out = Command::new(exe())
        .args(["demo", "--once", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "hanko demo --once failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "proposed",
        "cosigner A   signed",
        "cosigner B   needs its operator's approval",
        "operator B   approved",
        "cosigner B   signed",
        "broadcast    wrapper",
        "confirmed    at height",
        "customer +1000 XEM",
        "refused",
        "is not on the whitelist",
        "rejected",
    ] {
        assert!(
            stdout.contains(step),
            "the demo did not show '{step}':\n{stdout}"
        );
    }
    let (ok, check) = sdk_check_file(&data.join("devnode").join("announces.jsonl"));
    assert!(ok, "{check:?}");
    assert_eq!(
        (check.payments, check.wrappers, check.cosignatures),
        (1, 1, 1),
        "{check:?}"
    );
    // Every daemon kept its own data, log and configuration.
    for d in [
        "devnode",
        "coordinator",
        "cosigner-a",
        "cosigner-b",
        "cosigner-c",
    ] {
        assert!(data.join(d).join("log.txt").exists(), "{d} has no log");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_three_pays_once_even_when_the_proposal_is_retried() {
    let local = start(plan("happy", 3, 2, vec![Rules::default()])).await;
    let ctx = local.layout.context.clone();
    let before = local.balance(&ctx.customer).await.unwrap();
    let p = local
        .propose(&ctx.customer, "1250.5", "WD-000001", "happy-1")
        .await
        .unwrap();
    let again = local
        .propose(&ctx.customer, "1250.5", "WD-000001", "happy-1")
        .await
        .unwrap();
    assert_eq!(
        again.id, p.id,
        "the same idempotency key made a second proposal"
    );
    let p = until_terminal(&local, &p.id).await;
    assert_eq!(state(&p), "confirmed", "{}", p.reason);
    assert!(p.confirmed_height > 0 && !p.wrapper_hash.is_empty());
    let received = local.balance(&ctx.customer).await.unwrap() - before;
    assert_eq!(received, 1_250_500_000);
    sdk_check(&local, 1);
    // The SDK check can fail: a flipped signature digit (first line) or data digit (the
    // others) is caught on every line.
    let text = std::fs::read_to_string(&local.layout.announce_log).unwrap();
    let tampered: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            let field = if i == 0 { "signature" } else { "data" };
            let hex = v[field].as_str().unwrap().to_string();
            let flipped = if hex.ends_with('0') { "1" } else { "0" };
            v[field] = format!("{}{flipped}", &hex[..hex.len() - 1]).into();
            v.to_string()
        })
        .collect();
    let bad = local.dir().join("tampered.jsonl");
    std::fs::write(&bad, tampered.join("\n")).unwrap();
    let (ok, check) = sdk_check_file(&bad);
    assert!(!ok && check.problems.len() == tampered.len(), "{check:?}");
    stop(local).await;
}

/// Four withdrawals alike in everything but their idempotency keys, prepared at once: each
/// gets bytes of its own (NIS would take the same bytes as one payment while all four read as
/// confirmed), and the customer receives four payments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_withdrawals_at_once_are_each_paid() {
    let local = start(plan("alike", 3, 2, vec![Rules::default()])).await;
    let ctx = local.layout.context.clone();
    let before = local.balance(&ctx.customer).await.unwrap();
    let to = ctx.customer;
    let (a, b, c, d) = tokio::join!(
        local.propose(&to, "7", "payout", "alike-1"),
        local.propose(&to, "7", "payout", "alike-2"),
        local.propose(&to, "7", "payout", "alike-3"),
        local.propose(&to, "7", "payout", "alike-4"),
    );
    let mut inner = std::collections::HashSet::new();
    let mut stamps: std::collections::HashSet<nem::NemTimestamp> = Default::default();
    for p in [a, b, c, d] {
        let p = until_terminal(&local, &p.unwrap().id).await;
        assert_eq!(state(&p), "confirmed", "{}", p.reason);
        let tx = nem::Transaction::from_bytes(&p.inner_transaction).unwrap();
        assert_eq!(tx.transfer().unwrap().amount.as_micro(), 7_000_000);
        assert!(
            inner.insert(tx.hash().unwrap()),
            "two proposals with the same bytes"
        );
        stamps.insert(tx.header.timestamp);
    }
    assert!(
        stamps.len() < 4,
        "at least two were stamped in the same second: {stamps:?}"
    );
    let received = local.balance(&ctx.customer).await.unwrap() - before;
    assert_eq!(received, 4 * 7_000_000, "four payments");
    sdk_check(&local, 4);
    println!("4 identical withdrawals prepared at once: 4 distinct inner transactions, 4 payments");
    stop(local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_of_three_needs_every_cosigner() {
    let local = start(plan("3of3", 3, 3, vec![Rules::default()])).await;
    let ctx = local.layout.context.clone();
    let p = local
        .propose(&ctx.customer, "10", "", "three-1")
        .await
        .unwrap();
    let p = until_terminal(&local, &p.id).await;
    assert_eq!(state(&p), "confirmed", "{}", p.reason);
    assert_eq!(p.required_signatures, 3);
    for c in &local.layout.cosigners {
        assert!(signed_by(&p, &c.public_key), "{} did not sign", c.name);
    }
    let check = sdk_check(&local, 1);
    assert_eq!(
        check.cosignatures, 2,
        "a 3-of-3 needs the wrapper and two cosignatures"
    );
    stop(local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_three_completes_with_one_cosigner_down() {
    let mut local = start(plan("down", 3, 2, vec![Rules::default()])).await;
    local.kill_cosigner(2);
    let ctx = local.layout.context.clone();
    let p = local
        .propose(&ctx.customer, "42", "", "down-1")
        .await
        .unwrap();
    let p = until_terminal(&local, &p.id).await;
    assert_eq!(state(&p), "confirmed", "{}", p.reason);
    let c = &local.layout.cosigners;
    assert!(signed_by(&p, &c[0].public_key) && signed_by(&p, &c[1].public_key));
    assert!(
        outcome_of(&p, &c[2].public_key).is_none(),
        "cosigner C was down"
    );
    sdk_check(&local, 1);
    stop(local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_cosigners_reasons_reach_the_proposer_and_the_others_complete() {
    let refusing = Rules {
        whitelist_customer: false,
        ..Rules::default()
    };
    let local = start(plan(
        "refuse",
        3,
        2,
        vec![Rules::default(), Rules::default(), refusing],
    ))
    .await;
    let ctx = local.layout.context.clone();
    let p = local
        .propose(&ctx.customer, "7", "", "refuse-1")
        .await
        .unwrap();
    let c_key = local.layout.cosigners[2].public_key;
    // Wait for C's answer too, not only for the confirmation.
    let p = local
        .wait_for(
            &p.id,
            STEP,
            |_| {},
            |p| terminal(p) && outcome_of(p, &c_key).is_some(),
        )
        .await
        .unwrap();
    assert_eq!(state(&p), "confirmed", "{}", p.reason);
    match outcome_of(&p, &c_key) {
        Some(Outcome::Refused(r)) => {
            assert!(
                r.reasons.iter().any(|x| x.contains("not on the whitelist")),
                "{:?}",
                r.reasons
            );
            // Structured too: each reason names its rule and kind, and reads as its line.
            assert!(
                !r.details.is_empty()
                    && r.details
                        .iter()
                        .all(|d| !d.rule.is_empty() && !d.kind.is_empty()),
                "{:?}",
                r.details
            );
            let lines: Vec<String> = r
                .details
                .iter()
                .map(|d| format!("{} ({}): {}", d.rule, d.kind, d.text))
                .collect();
            assert_eq!(lines, r.reasons);
        }
        other => panic!("cosigner C should have refused: {other:?}"),
    }
    sdk_check(&local, 1);
    stop(local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn velocity_exhaustion_refuses_what_exceeds_the_daily_budget() {
    let tight = Rules {
        daily_max_xem: 1_500,
        ..Rules::default()
    };
    let local = start(plan("velocity", 3, 2, vec![tight])).await;
    let ctx = local.layout.context.clone();
    let first = local
        .propose(&ctx.customer, "1000", "", "velocity-1")
        .await
        .unwrap();
    assert_eq!(state(&until_terminal(&local, &first.id).await), "confirmed");
    let second = local
        .propose(&ctx.customer, "1000", "", "velocity-2")
        .await
        .unwrap();
    let second = until_terminal(&local, &second.id).await;
    assert_eq!(state(&second), "rejected");
    assert!(
        second.reason.contains("daily-xem"),
        "the reason should name the velocity rule: {}",
        second.reason
    );
    // A smaller one still fits the budget.
    let third = local
        .propose(&ctx.customer, "400", "", "velocity-3")
        .await
        .unwrap();
    assert_eq!(state(&until_terminal(&local, &third.id).await), "confirmed");
    sdk_check(&local, 2);
    stop(local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_time_window_is_refused() {
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let days: Vec<String> = [-1i64, 0, 1]
        .iter()
        .map(|d| format!("\"{}\"", today.saturating_add(jiff::Span::new().days(*d))))
        .collect();
    let closed = Rules {
        extra: format!(
            "[[window]]\nname = \"business-days\"\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\nfrom = \"00:00\"\nto = \"23:59\"\nholidays = [{}]\noutside = \"deny\"\n",
            days.join(", ")
        ),
        ..Rules::default()
    };
    let local = start(plan("window", 3, 2, vec![closed])).await;
    let ctx = local.layout.context.clone();
    let p = local
        .propose(&ctx.customer, "5", "", "window-1")
        .await
        .unwrap();
    let p = until_terminal(&local, &p.id).await;
    assert_eq!(state(&p), "rejected");
    assert!(p.reason.contains("business-days"), "{}", p.reason);
    sdk_check(&local, 0);
    stop(local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_proposal_is_never_paid() {
    let waiting = Rules {
        approval_above: Some(1),
        ..Rules::default()
    };
    let local = start(plan("cancel", 3, 2, vec![waiting])).await;
    let ctx = local.layout.context.clone();
    let before = local.balance(&ctx.account).await.unwrap();
    let p = local
        .propose(&ctx.customer, "100", "", "cancel-1")
        .await
        .unwrap();
    let keys: Vec<_> = local
        .layout
        .cosigners
        .iter()
        .map(|c| c.public_key)
        .collect();
    let p = local
        .wait_for(
            &p.id,
            STEP,
            |_| {},
            |p| keys.iter().all(|k| needs_approval(p, k)),
        )
        .await
        .unwrap();
    let mut treasury = local.treasury().await.unwrap();
    let cancelled = treasury
        .cancel(hanko_proto::v1::CancelRequest {
            id: p.id.clone(),
            reason: "customer withdrew the request".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&cancelled), "cancelled");
    assert!(cancelled.reason.contains("customer withdrew the request"));
    // Operators approving afterwards changes nothing on chain.
    approve(&local, 0, &p).await;
    approve(&local, 1, &p).await;
    let after = local
        .wait_for(
            &p.id,
            STEP,
            |_| {},
            |q| signed_by(q, &keys[0]) || terminal(q),
        )
        .await
        .unwrap();
    assert_eq!(state(&after), "cancelled");
    // Two blocks now: a payment announced for it would be in the chain.
    local.block().await.unwrap();
    local.block().await.unwrap();
    assert_eq!(local.balance(&ctx.account).await.unwrap(), before);
    sdk_check(&local, 0);
    stop(local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_expires_at_its_deadline_and_is_never_paid() {
    let waiting = Rules {
        approval_above: Some(1),
        ..Rules::default()
    };
    let mut p = plan("expiry", 3, 2, vec![Rules::default(), waiting]);
    // The coordinator calls it expired only 120 s after the deadline, once the chain shows
    // it is not there (a late confirmation would still win).
    p.deadline = "5s".into();
    let local = start(p).await;
    let ctx = local.layout.context.clone();
    let before = local.balance(&ctx.account).await.unwrap();
    let p = local
        .propose(&ctx.customer, "3", "", "expiry-1")
        .await
        .unwrap();
    assert!(p.deadline > p.timestamp && p.deadline - p.timestamp == 5);
    let p = local
        .wait_for(&p.id, std::time::Duration::from_secs(180), |_| {}, terminal)
        .await
        .unwrap();
    assert_eq!(state(&p), "expired", "{}", p.reason);
    let a = local.layout.cosigners[0].public_key;
    assert!(signed_by(&p, &a), "A signed, but one signature is not two");
    assert_eq!(local.balance(&ctx.account).await.unwrap(), before);
    sdk_check(&local, 0);
    stop(local).await;
}
