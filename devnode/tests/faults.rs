//! Fault injection, one test per kind, through the real client: 503, delay, dropped
//! connection, malformed JSON, and "accept the announce, then drop the response".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::time::Duration;

use common::*;
use devnode::config::Faults;
use nem::client::{ClientConfig, NisClient, NisError};

async fn set_faults(node: &devnode::RunningNode, faults: Faults) {
    let response = reqwest::Client::new()
        .post(format!("{}/dev/faults", node.url()))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

#[tokio::test]
async fn unavailable_503() {
    let (node, client) = start(&example_config()).await;
    set_faults(
        &node,
        Faults {
            unavailable: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let e = client.heartbeat().await.unwrap_err();
    assert!(
        matches!(e, NisError::Http { status: 503, .. }) && e.is_retryable(),
        "{e}"
    );
    node.stop().await;
}

#[tokio::test]
async fn delay_becomes_a_client_timeout() {
    let (node, _) = start(&example_config()).await;
    set_faults(
        &node,
        Faults {
            delay: 1.0,
            delay_ms: 1_000,
            ..Faults::default()
        },
    )
    .await;
    let mut config = ClientConfig::new(node.url());
    config.timeout = Duration::from_millis(200);
    let e = NisClient::new(config)
        .unwrap()
        .chain_height()
        .await
        .unwrap_err();
    assert!(matches!(e, NisError::Timeout { .. }), "{e}");
    node.stop().await;
}

#[tokio::test]
async fn dropped_connection() {
    let (node, client) = start(&example_config()).await;
    set_faults(
        &node,
        Faults {
            drop: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let e = client.chain_height().await.unwrap_err();
    assert!(
        matches!(e, NisError::Unreachable { .. }) && e.is_retryable(),
        "{e}"
    );
    node.stop().await;
}

#[tokio::test]
async fn malformed_json() {
    let (node, client) = start(&example_config()).await;
    set_faults(
        &node,
        Faults {
            malformed: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let e = client.chain_height().await.unwrap_err();
    assert!(matches!(e, NisError::Malformed { .. }), "{e}");
    node.stop().await;
}

#[tokio::test]
async fn announce_accepted_then_response_dropped() {
    let k = keys();
    let (node, client) = start(&example_config()).await;
    set_time(&node, T + 10);
    set_faults(
        &node,
        Faults {
            announce_accept_then_drop: 1.0,
            ..Faults::default()
        },
    )
    .await;
    let tx = sign(
        &transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000),
        &k.ordinary,
    );
    let e = client.announce(&tx).await.unwrap_err();
    assert!(matches!(e, NisError::Unreachable { .. }), "{e}");
    // The node did take it: it is pending, and announcing the same bytes again is NEUTRAL.
    assert_eq!(
        client
            .unconfirmed_transactions(&address(&k.ordinary))
            .await
            .unwrap()
            .len(),
        1
    );
    set_faults(&node, Faults::default()).await;
    assert_eq!(announce(&client, &tx).await, 0);
    node.stop().await;
}

#[tokio::test]
async fn shares_are_seeded_and_partial() {
    let (node, client) = start(&example_config()).await;
    set_faults(
        &node,
        Faults {
            seed: 7,
            unavailable: 0.5,
            ..Faults::default()
        },
    )
    .await;
    let mut outcomes = Vec::new();
    for _ in 0..40 {
        outcomes.push(client.heartbeat().await.is_ok());
    }
    let ok = outcomes.iter().filter(|o| **o).count();
    assert!((5..=35).contains(&ok), "{ok} of 40 answered");
    // The same seed gives the same sequence.
    set_faults(
        &node,
        Faults {
            seed: 7,
            unavailable: 0.5,
            ..Faults::default()
        },
    )
    .await;
    for expected in outcomes {
        assert_eq!(client.heartbeat().await.is_ok(), expected);
    }
    let bad = reqwest::Client::new()
        .post(format!("{}/dev/faults", node.url()))
        .json(&Faults {
            drop: 1.5,
            ..Faults::default()
        })
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    node.stop().await;
}

#[tokio::test]
async fn request_log_keeps_every_announce_in_order() {
    let k = keys();
    let dir = std::env::temp_dir().join(format!("hanko-devnode-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("announces.jsonl");
    let _ = std::fs::remove_file(&log);
    let mut config = example_config();
    config.request_log = Some(log.clone());
    let (node, client) = start(&config).await;
    set_time(&node, T + 10);
    let first = sign(
        &transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000),
        &k.ordinary,
    );
    let second = sign(
        &transfer(&k.ordinary, address(&k.a), 2_000_000, 100_000),
        &k.ordinary,
    );
    announce(&client, &first).await;
    announce(&client, &second).await;
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["data"], hex::encode(&first.data));
    assert_eq!(lines[1]["signature"], second.signature.to_string());
    node.stop().await;
    std::fs::remove_dir_all(dir).unwrap();
}
