//! Transactions the official nem-sdk built and signed (nem/tests/vectors/sdk-vectors.json,
//! `announce_sequence`, made with the example genesis keys) are accepted and confirmed; the same
//! bytes with one byte flipped are refused with the right code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::*;
use nem::{Signature, SignedTransaction};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    announce_time: u32,
    announce_sequence: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    kind: String,
    data: String,
    signature: String,
}

#[tokio::test]
async fn sdk_built_transactions_are_accepted_and_flipped_bytes_refused() {
    let path = format!(
        "{}/../nem/tests/vectors/sdk-vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let file: File = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let k = keys();
    let (node, client) = start(&example_config()).await;
    set_time(&node, file.announce_time + 10);
    let customer = address(&k.customer);
    let ordinary_before = balance(&client, &address(&k.ordinary)).await;
    let multisig_before = balance(&client, &address(&k.multisig)).await;

    for v in &file.announce_sequence {
        let signed = SignedTransaction {
            data: hex::decode(&v.data).unwrap(),
            signature: v.signature.parse::<Signature>().unwrap(),
        };
        // Flip one byte in the amount/fee region: the signature no longer matches.
        let mut flipped = signed.clone();
        flipped.data[50] ^= 0x01;
        assert_eq!(
            announce(&client, &flipped).await,
            8,
            "{}: flipped fee byte",
            v.kind
        );
        // Flip the type: NIS cannot deserialize it and answers HTTP 400.
        let mut flipped = signed.clone();
        flipped.data[1] ^= 0x40;
        assert!(
            matches!(
                client.announce(&flipped).await,
                Err(nem::client::NisError::Http { status: 400, .. })
            ),
            "{}",
            v.kind
        );
        assert_eq!(announce(&client, &signed).await, 1, "{}: accepted", v.kind);
    }
    let summary = block(&node).await;
    assert_eq!(
        summary["included"].as_array().unwrap().len(),
        3,
        "{summary}"
    );

    // 25 XEM (v1) and 3 XEM (nem:xem mosaic) from the ordinary account, 100 XEM from the treasury.
    assert_eq!(balance(&client, &customer).await, 128_000_000);
    assert_eq!(
        ordinary_before - balance(&client, &address(&k.ordinary)).await,
        25_000_000 + 100_000 + 3_000_000 + 50_000
    );
    assert_eq!(
        multisig_before - balance(&client, &address(&k.multisig)).await,
        100_000_000 + 100_000 + 150_000 + 150_000
    );
    node.stop().await;
}
