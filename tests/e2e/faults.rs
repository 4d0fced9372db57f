//! NIS faults through the dev node's injection (503s, delays, dropped connections, malformed
//! JSON, announces taken and then the connection dropped): every proposal is paid exactly
//! once, and no cosigner signs anything twice.

use std::time::Duration;

use crate::common::*;

/// Proposes like a careful proposer: on a transient failure, again with the same key.
async fn propose_retrying(
    local: &hanko_cli::local::Local,
    to: &nem::Address,
    xem: &str,
    key: &str,
) -> (hanko_proto::v1::Proposal, u32) {
    let mut retries = 0;
    loop {
        match local.propose(to, xem, "", key).await {
            Ok(p) => return (p, retries),
            Err(e) if retries < 40 => {
                let text = e.to_string();
                assert!(
                    text.contains("Unavailable")
                        || text.contains("NIS node")
                        || text.contains("cannot reach")
                        || text.contains("Unknown")
                        || text.contains("Internal"),
                    "{key}: not a transient failure: {text}"
                );
                retries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{key}: still failing after {retries} retries: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_nis_faults_each_proposal_is_paid_exactly_once() {
    let local = start(plan("faults", 3, 2, vec![Rules::default()])).await;
    let ctx = local.layout.context.clone();
    let before = local.balance(&ctx.customer).await.unwrap();
    let faults = serde_json::json!({
        "seed": 7,
        "unavailable": 0.15,
        "delay": 0.1,
        "delay_ms": 1500,
        "drop": 0.1,
        "malformed": 0.1,
        "announce_accept_then_drop": 0.3,
    });
    let http = reqwest::Client::new();
    let set = http
        .post(format!("{}/dev/faults", local.node_url))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success(), "{}", set.text().await.unwrap());

    let count = 8u64;
    let mut ids = vec![];
    let mut retries = 0;
    for i in 0..count {
        let (p, r) = propose_retrying(
            &local,
            &ctx.customer,
            &format!("{}", i + 1),
            &format!("faults-{i}"),
        )
        .await;
        ids.push(p.id);
        retries += r;
    }
    // Faults for a few seconds more, while cosigners sign and the coordinator announces; then
    // the node heals and every retry must land on the one payment.
    tokio::time::sleep(Duration::from_secs(5)).await;
    http.post(format!("{}/dev/faults", local.node_url))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    let mut confirmed = 0;
    for id in &ids {
        let p = local
            .wait_for(id, Duration::from_secs(180), |_| {}, terminal)
            .await
            .unwrap();
        assert_eq!(state(&p), "confirmed", "{id}: {}", p.reason);
        confirmed += 1;
    }
    // Two blocks now, so a second payment announced meanwhile would show.
    local.block().await.unwrap();
    local.block().await.unwrap();
    let paid = local.balance(&ctx.customer).await.unwrap() - before;
    let expected: u64 = (1..=count).map(|x| x * XEM).sum();
    assert_eq!(
        paid, expected,
        "the customer received {paid}, not {expected}"
    );
    let check = sdk_check(&local, count as usize);
    let dir = local.dir().to_path_buf();
    stop_keeping(local).await;

    // No re-signs: each cosigner's journal has at most one signature per proposal.
    let mut signatures = 0;
    for c in ["cosigner-a", "cosigner-b", "cosigner-c"] {
        let out = std::process::Command::new(exe())
            .args(["audit", "export"])
            .arg(dir.join(c).join("data"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for id in &ids {
            let n = text
                .lines()
                .filter(|l| l.contains("\"kind\":\"signed\"") && l.contains(id.as_str()))
                .count();
            assert!(n <= 1, "{c} signed {id} {n} times");
            signatures += n;
        }
    }
    // The journals were read: every confirmed withdrawal was signed by at least two.
    assert!(
        signatures >= 2 * confirmed,
        "{signatures} signatures in the journals for {confirmed} confirmed"
    );
    println!(
        "NIS faults: {count} proposals, {retries} proposer retries, {confirmed} confirmed, \
         {} announces ({} distinct), {} payments, {signatures} signatures, 0 re-signs",
        check.announces, check.distinct, check.payments
    );
    let _ = std::fs::remove_dir_all(&dir);
}
