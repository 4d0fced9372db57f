//! Detection and response: an outflow signed outside Hanko is caught and freezes the
//! coordinator within two blocks; metrics are scraped; every daemon's audit journal verifies
//! and a tampered one is named at the exact record.

use std::process::Command;
use std::time::{Duration, Instant};

use hanko_proto::v1 as pb;
use nem::fees::{XemOnly, minimum_fee};
use nem::tx::{Body, Header, Transfer};
use nem::{Amount, KeyPair, NemTimestamp, Network, Transaction};

use crate::common::*;
use hanko_cli::local::metric;

async fn scrape(local: &hanko_cli::local::Local) -> String {
    local.metrics().await.unwrap()
}

fn cosigner_key(local: &hanko_cli::local::Local, i: usize) -> KeyPair {
    let c = &local.layout.cosigners[i];
    let key = cosigner::keystore::open(
        &c.dir.join("cosigner.key"),
        hanko_cli::local::layout::PASSPHRASE.as_bytes(),
    )
    .unwrap();
    KeyPair::from_private_key(&key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outflow_signed_outside_hanko_freezes_the_coordinator_within_two_blocks() {
    let local = start(plan("outside", 3, 2, vec![Rules::default()])).await;
    let ctx = local.layout.context.clone();
    // A Hanko withdrawal first: the watcher must not mistake it for a theft.
    let p = local
        .propose(&ctx.customer, "5", "", "outside-1")
        .await
        .unwrap();
    assert_eq!(state(&until_terminal(&local, &p.id).await), "confirmed");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let metrics = scrape(&local).await;
    assert_eq!(
        metric(&metrics, "hanko_coordinator_frozen"),
        Some(0.0),
        "{metrics}"
    );

    // Two stolen cosigner keys, used directly: the coordinator never saw this transaction.
    let (a, b) = (cosigner_key(&local, 0), cosigner_key(&local, 1));
    let now = NemTimestamp::now().unwrap();
    let thief_key = KeyPair::from_private_key(&cosigner::keystore::generate().unwrap());
    let thief = nem::Address::from_public_key(&thief_key.public_key(), Network::Testnet);
    let mut inner = Transaction {
        header: Header {
            network: Network::Testnet,
            version: 1,
            timestamp: NemTimestamp(now.0 - 2),
            signer: local.layout.multisig,
            fee: Amount::ZERO,
            deadline: NemTimestamp(now.0 + 3_600),
        },
        body: Body::Transfer(Transfer {
            recipient: thief,
            amount: Amount::from_xem(900_000).unwrap(),
            message: None,
            mosaics: vec![],
        }),
    };
    inner.header.fee = minimum_fee(&inner, &XemOnly).unwrap();
    let by_a = cosigner::sign::cosign(&a, &inner, ctx.account).unwrap();
    let by_b = cosigner::sign::cosign(&b, &inner, ctx.account).unwrap();
    let height_before = local.node.chain_height().await.unwrap();
    let sent = Instant::now();
    local.node.announce(&by_a.wrapper).await.unwrap();
    local.node.announce(&by_b.cosignature).await.unwrap();

    let mut admin = hanko_cli::client::ClientConfig::load(&local.layout.admin_config)
        .unwrap()
        .admin()
        .await
        .unwrap();
    let frozen = loop {
        let s = admin
            .status(pb::StatusRequest {})
            .await
            .unwrap()
            .into_inner();
        let f = s.freeze.unwrap_or_default();
        if f.frozen {
            // Status shows the alert that froze it, for the consoles' alert list.
            assert!(
                s.alerts
                    .iter()
                    .any(|a| a.kind == "unknown_outflow" && a.critical),
                "{:?}",
                s.alerts
            );
            break f;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(30),
            "no freeze after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let height_frozen = local.node.chain_height().await.unwrap();
    println!(
        "outflow announced at height {height_before}, coordinator frozen at height {height_frozen} after {} ms: {}",
        sent.elapsed().as_millis(),
        frozen.reason
    );
    assert!(
        height_frozen <= height_before + 2,
        "frozen only {} blocks later",
        height_frozen - height_before
    );
    assert_eq!(frozen.by, "chain-watcher");
    assert!(
        frozen.reason.contains(&thief.to_string()),
        "{}",
        frozen.reason
    );

    // Frozen: no new proposal is taken.
    let refused = local.propose(&ctx.customer, "1", "", "outside-2").await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("frozen")),
        "{refused:?}"
    );
    // Cosigner C, which never saw it, notices on its own node once it is confirmed.
    let mut seen_by_c = false;
    for _ in 0..100 {
        let status = local
            .operator(2, cosigner::operator::Request::Status)
            .await
            .unwrap();
        if status.to_string().contains("never decided") {
            seen_by_c = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = local
        .node
        .outgoing_transfers(&ctx.account, None)
        .await
        .unwrap();
    assert!(
        seen_by_c,
        "cosigner C's watcher raised no alert; the node shows {} outgoing transactions",
        out.len()
    );
    let metrics = scrape(&local).await;
    assert_eq!(metric(&metrics, "hanko_coordinator_frozen"), Some(1.0));
    assert!(
        metrics.contains("hanko_coordinator_alerts_total{kind=\"unknown_outflow\"} 1"),
        "{metrics}"
    );
    stop(local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_states_decisions_and_announces() {
    let local = start(plan("metrics", 3, 2, vec![Rules::default()])).await;
    let ctx = local.layout.context.clone();
    let p = local
        .propose(&ctx.customer, "2", "", "metrics-1")
        .await
        .unwrap();
    assert_eq!(state(&until_terminal(&local, &p.id).await), "confirmed");
    let text = scrape(&local).await;
    println!("{text}");
    for (line, at_least) in [
        (
            "hanko_coordinator_transitions_total{state=\"confirmed\"}",
            1.0,
        ),
        (
            "hanko_coordinator_transitions_total{state=\"announced\"}",
            1.0,
        ),
        ("hanko_coordinator_decisions_total{outcome=\"signed\"}", 2.0),
        ("hanko_coordinator_announces_total{result=\"success\"}", 2.0),
        ("hanko_coordinator_node_reachable", 1.0),
    ] {
        let value = metric(&text, line).unwrap_or_else(|| panic!("no {line} in:\n{text}"));
        assert!(
            value >= at_least,
            "{line} = {value}, expected at least {at_least}"
        );
    }
    assert_eq!(metric(&text, "hanko_coordinator_frozen"), Some(0.0));
    assert!(metric(&text, "hanko_coordinator_watcher_lag_seconds").is_some_and(|v| v < 5.0));
    assert!(
        metric(&text, "hanko_coordinator_signing_latency_seconds_count").is_some_and(|v| v >= 2.0),
        "{text}"
    );
    // Each flush settles at least one write; a confirmed proposal took several of each.
    let writes = metric(&text, "hanko_coordinator_store_writes_total").unwrap_or_default();
    let flushes = metric(&text, "hanko_coordinator_store_flushes_total").unwrap_or_default();
    assert!(flushes >= 5.0 && writes >= flushes, "{text}");
    // A refusal is counted under the rule the cosigner named.
    let refused = local
        .propose(&ctx.unlisted, "2", "", "metrics-2")
        .await
        .unwrap();
    assert_eq!(
        state(&until_terminal(&local, &refused.id).await),
        "rejected"
    );
    let text = scrape(&local).await;
    let line = "hanko_coordinator_decisions_by_rule_total{outcome=\"refused\",rule=\"unlisted_destination\"}";
    assert!(metric(&text, line).is_some_and(|v| v >= 2.0), "{text}");
    stop(local).await;
}

fn audit(args: &[&str]) -> std::process::Output {
    Command::new(exe())
        .arg("audit")
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_daemons_audit_journal_verifies_and_a_tampered_record_is_named() {
    // The coordinator moves its older journal entries to its history: verify reads both.
    let mut p = plan("audit", 3, 2, vec![Rules::default()]);
    p.history = Some(coordinator::store::Keep {
        finished: 0,
        journal: 2,
        batch: 100,
        interval_seconds: 1,
        ..Default::default()
    });
    let local = start(p).await;
    let ctx = local.layout.context.clone();
    let p = local
        .propose(&ctx.customer, "3", "WD-000777", "audit-1")
        .await
        .unwrap();
    assert_eq!(state(&until_terminal(&local, &p.id).await), "confirmed");
    let log = local.log_of(None).unwrap();
    let moved = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("moved finished proposals and journal entries to the history")
    {
        assert!(moved.elapsed() < Duration::from_secs(20), "nothing moved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dir = local.dir().to_path_buf();
    stop_keeping(local).await;

    for daemon in ["coordinator", "cosigner-a", "cosigner-b", "cosigner-c"] {
        let data = dir.join(daemon).join("data");
        let out = audit(&["verify", data.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{daemon}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("chain intact"), "{text}");
        let export = audit(&[
            "export",
            data.to_str().unwrap(),
            "--since",
            "2020-01-01T00:00:00Z",
        ]);
        let lines = String::from_utf8_lossy(&export.stdout);
        assert!(lines.lines().count() >= 1, "{daemon}: nothing exported");
        for line in lines.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(v["hash"].is_string() && v["at"].is_string() && v["kind"].is_string());
        }
        if daemon == "coordinator" {
            assert!(lines.contains("proposal_accepted") && lines.contains("state_confirmed"));
        }
    }

    // Edit one record of the coordinator's journal in place (an old one: in its history):
    // verify names exactly that one.
    let data = dir.join("coordinator").join("data");
    {
        let db = sled::open(coordinator::store::history::dir_in(&data)).unwrap();
        let tree = db.open_tree("audit").unwrap();
        let key = 1u64.to_be_bytes();
        let mut entry: serde_json::Value =
            serde_json::from_slice(&tree.get(key).unwrap().unwrap()).unwrap();
        entry["actor"] = "someone else".into();
        tree.insert(key, serde_json::to_vec(&entry).unwrap())
            .unwrap();
        db.flush().unwrap();
    }
    let out = audit(&["verify", data.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("entry 1: its content does not match its hash"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
