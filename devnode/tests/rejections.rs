//! One test per NIS answer the dev node gives on announce, with NIS's codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::*;
use nem::tx::{AggregateModification, Body, CosignatoryModification, ModificationType};
use nem::{Address, Amount, NemTimestamp, Network, SignedTransaction};

async fn setup() -> (devnode::RunningNode, nem::client::NisClient, Keys) {
    let (node, client) = start(&example_config()).await;
    set_time(&node, T + 10);
    (node, client, keys())
}

#[tokio::test]
async fn signature_not_verifiable_8() {
    let (node, client, k) = setup().await;
    let mut signed = sign(
        &transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000),
        &k.ordinary,
    );
    signed.signature.0[0] ^= 1;
    assert_eq!(announce(&client, &signed).await, 8);
    // Signed by someone other than the header's signer.
    let tx = transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000);
    let forged = SignedTransaction {
        data: tx.to_bytes().unwrap(),
        signature: k.a.sign(&tx.to_bytes().unwrap()),
    };
    assert_eq!(announce(&client, &forged).await, 8);
    node.stop().await;
}

#[tokio::test]
async fn wrong_network_20() {
    let (node, client, k) = setup().await;
    let mut tx = transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000);
    tx.header.network = Network::Mainnet;
    assert_eq!(announce(&client, &sign(&tx, &k.ordinary)).await, 20);
    // An address of another network is one NIS's account cache refuses: HTTP 404.
    let mainnet_recipient = Address::from_public_key(&k.customer.public_key(), Network::Mainnet);
    let tx = transfer(&k.ordinary, mainnet_recipient, 1_000_000, 100_000);
    let signed = sign(&tx, &k.ordinary);
    let response = reqwest::Client::new()
        .post(format!("{}/transaction/announce", node.url()))
        .json(&serde_json::json!({ "data": hex::encode(&signed.data), "signature": signed.signature.to_string() }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    node.stop().await;
}

#[tokio::test]
async fn past_deadline_3_and_future_deadline_4() {
    let (node, client, k) = setup().await;
    let mut tx = transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000);
    tx.header.deadline = tx.header.timestamp;
    assert_eq!(
        announce(&client, &sign(&tx, &k.ordinary)).await,
        3,
        "deadline not after timestamp"
    );
    tx.header.deadline = NemTimestamp(T + 86_401);
    assert_eq!(
        announce(&client, &sign(&tx, &k.ordinary)).await,
        4,
        "more than 24 h"
    );
    tx.header.deadline = NemTimestamp(T + 5);
    assert_eq!(
        announce(&client, &sign(&tx, &k.ordinary)).await,
        3,
        "already passed"
    );
    node.stop().await;
}

#[tokio::test]
async fn timestamp_too_far_in_future_10() {
    let (node, client, k) = setup().await;
    let mut tx = transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000);
    tx.header.timestamp = NemTimestamp(T + 21);
    assert_eq!(announce(&client, &sign(&tx, &k.ordinary)).await, 10);
    tx.header.timestamp = NemTimestamp(T + 20);
    assert_eq!(
        announce(&client, &sign(&tx, &k.ordinary)).await,
        1,
        "10 s ahead is allowed"
    );
    node.stop().await;
}

#[tokio::test]
async fn insufficient_fee_17_on_outer_inner_and_signature() {
    let (node, client, k) = setup().await;
    let tx = transfer(&k.ordinary, address(&k.customer), 1_000_000, 99_999);
    assert_eq!(announce(&client, &sign(&tx, &k.ordinary)).await, 17);
    let inner = transfer(&k.multisig, address(&k.customer), 1_000_000, 99_999);
    assert_eq!(
        announce(&client, &sign(&wrapper(&k.a, inner), &k.a)).await,
        17,
        "inner fee"
    );
    let mut w = wrapper(
        &k.a,
        transfer(&k.multisig, address(&k.customer), 1_000_000, 100_000),
    );
    w.header.fee = Amount::from_micro(149_999).unwrap();
    assert_eq!(announce(&client, &sign(&w, &k.a)).await, 17, "wrapper fee");
    let mut s = cosignature(&k.b, w.inner_hash().unwrap().unwrap(), address(&k.multisig));
    s.header.fee = Amount::from_xem(1_001).unwrap();
    assert_eq!(
        announce(&client, &sign(&s, &k.b)).await,
        17,
        "signature fee above 1,000 XEM"
    );
    node.stop().await;
}

#[tokio::test]
async fn insufficient_balance_5() {
    let (node, client, k) = setup().await;
    // The ordinary account holds 100,000 XEM.
    let tx = transfer(
        &k.ordinary,
        address(&k.customer),
        100_000_000_000,
        1_250_000,
    );
    assert_eq!(announce(&client, &sign(&tx, &k.ordinary)).await, 5);
    // Pending debits count: two transfers of 60,000 XEM cannot both be accepted.
    let first = transfer(&k.ordinary, address(&k.customer), 60_000_000_000, 1_250_000);
    assert_eq!(announce(&client, &sign(&first, &k.ordinary)).await, 1);
    let mut second = transfer(&k.ordinary, address(&k.a), 60_000_000_000, 1_250_000);
    second.header.timestamp = NemTimestamp(T + 1);
    assert_eq!(announce(&client, &sign(&second, &k.ordinary)).await, 5);
    // A multisig transfer is paid by the multisig account (1,000,000 XEM).
    let inner = transfer(
        &k.multisig,
        address(&k.customer),
        1_000_001_000_000,
        1_300_000,
    );
    assert_eq!(
        announce(&client, &sign(&wrapper(&k.a, inner), &k.a)).await,
        5
    );
    node.stop().await;
}

#[tokio::test]
async fn wrapper_signer_not_a_cosigner_71() {
    let (node, client, k) = setup().await;
    let inner = transfer(&k.multisig, address(&k.customer), 1_000_000, 100_000);
    assert_eq!(
        announce(&client, &sign(&wrapper(&k.ordinary, inner), &k.ordinary)).await,
        71
    );
    // A wrapper around a transfer from an account that is not multisig at all.
    let inner = transfer(&k.customer, address(&k.ordinary), 1_000_000, 100_000);
    assert_eq!(
        announce(&client, &sign(&wrapper(&k.a, inner), &k.a)).await,
        71
    );
    node.stop().await;
}

#[tokio::test]
async fn signature_without_matching_multisig_73() {
    let (node, client, k) = setup().await;
    let multisig = address(&k.multisig);
    let inner = transfer(&k.multisig, address(&k.customer), 1_000_000, 100_000);
    let inner_hash = inner.hash().unwrap();
    // Before the wrapper: 73.
    assert_eq!(
        announce(
            &client,
            &sign(&cosignature(&k.b, inner_hash, multisig), &k.b)
        )
        .await,
        73
    );
    assert_eq!(
        announce(&client, &sign(&wrapper(&k.a, inner), &k.a)).await,
        1
    );
    // The initiator cannot cosign its own wrapper: 73.
    assert_eq!(
        announce(
            &client,
            &sign(&cosignature(&k.a, inner_hash, multisig), &k.a)
        )
        .await,
        73
    );
    // Not a cosignatory: 73.
    assert_eq!(
        announce(
            &client,
            &sign(&cosignature(&k.ordinary, inner_hash, multisig), &k.ordinary)
        )
        .await,
        73
    );
    // Wrong multisig account for that hash: 73.
    let wrong = address(&k.customer);
    assert_eq!(
        announce(&client, &sign(&cosignature(&k.c, inner_hash, wrong), &k.c)).await,
        73
    );
    node.stop().await;
}

#[tokio::test]
async fn push_cache_repeats_the_first_answer_for_identical_bytes() {
    let (node, client, k) = setup().await;
    let multisig = address(&k.multisig);
    let inner = transfer(&k.multisig, address(&k.customer), 1_000_000, 100_000);
    let early = sign(&cosignature(&k.b, inner.hash().unwrap(), multisig), &k.b);
    assert_eq!(announce(&client, &early).await, 73);
    assert_eq!(
        announce(&client, &sign(&wrapper(&k.a, inner), &k.a)).await,
        1
    );
    // NIS caches the answer for 600 s: the same bytes again still get 73.
    assert_eq!(announce(&client, &early).await, 73);
    set_time(&node, T + 10 + 601);
    assert_eq!(
        announce(&client, &early).await,
        1,
        "after 600 s the cache forgets"
    );
    node.stop().await;
}

#[tokio::test]
async fn a_bad_signature_poisons_the_hash_for_600_seconds() {
    // The push cache is keyed by the transaction hash, which does not cover the signature: a
    // push with a wrong signature makes the node repeat 8 for the genuine one. (Hanko's
    // coordinator verifies every signature before it announces.)
    let (node, client, k) = setup().await;
    let genuine = sign(
        &transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000),
        &k.ordinary,
    );
    let mut bad = genuine.clone();
    bad.signature.0[10] ^= 0x80;
    assert_eq!(announce(&client, &bad).await, 8);
    assert_eq!(announce(&client, &genuine).await, 8);
    set_time(&node, T + 10 + 601);
    assert_eq!(announce(&client, &genuine).await, 1);
    node.stop().await;
}

#[tokio::test]
async fn multisig_account_cannot_sign_74() {
    let (node, client, k) = setup().await;
    let tx = transfer(&k.multisig, address(&k.customer), 1_000_000, 100_000);
    assert_eq!(announce(&client, &sign(&tx, &k.multisig)).await, 74);
    node.stop().await;
}

#[tokio::test]
async fn duplicates_are_neutral() {
    let (node, client, k) = setup().await;
    let tx = sign(
        &transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000),
        &k.ordinary,
    );
    assert_eq!(announce(&client, &tx).await, 1);
    assert_eq!(announce(&client, &tx).await, 0, "the same bytes again");
    // A second wrapper around the same inner transaction, from another cosignatory: NEUTRAL.
    let inner = transfer(&k.multisig, address(&k.customer), 2_000_000, 100_000);
    assert_eq!(
        announce(&client, &sign(&wrapper(&k.a, inner.clone()), &k.a)).await,
        1
    );
    assert_eq!(
        announce(&client, &sign(&wrapper(&k.b, inner.clone()), &k.b)).await,
        0
    );
    // A second signature from the same cosignatory (other bytes): NEUTRAL.
    let multisig = address(&k.multisig);
    assert_eq!(
        announce(
            &client,
            &sign(&cosignature(&k.b, inner.hash().unwrap(), multisig), &k.b)
        )
        .await,
        1
    );
    let mut again = cosignature(&k.b, inner.hash().unwrap(), multisig);
    again.header.timestamp = NemTimestamp(T + 1);
    assert_eq!(announce(&client, &sign(&again, &k.b)).await, 0);
    node.stop().await;
}

#[tokio::test]
async fn aggregate_modification_rules() {
    let (node, client, k) = setup().await;
    let modify = |mods: Vec<(ModificationType, &nem::KeyPair)>, change: Option<i32>| {
        let mut header = header(&k.multisig, T, T + 3600, 500_000);
        header.version = 2;
        let mut modifications: Vec<CosignatoryModification> = mods
            .into_iter()
            .map(|(kind, key)| CosignatoryModification {
                kind,
                cosignatory: key.public_key(),
            })
            .collect();
        nem::tx::sort_modifications(&header, &mut modifications);
        let inner = nem::Transaction {
            header,
            body: Body::MultisigModification(AggregateModification {
                modifications,
                min_cosignatories_change: change,
            }),
        };
        sign(&wrapper(&k.a, inner), &k.a)
    };
    use ModificationType::{Add, Delete};
    assert_eq!(
        announce(&client, &modify(vec![(Add, &k.b)], None)).await,
        75,
        "already a cosigner"
    );
    assert_eq!(
        announce(&client, &modify(vec![(Delete, &k.b), (Delete, &k.c)], None)).await,
        77
    );
    assert_eq!(
        announce(&client, &modify(vec![(Delete, &k.ordinary)], None)).await,
        71,
        "delete a non-cosigner"
    );
    assert_eq!(
        announce(&client, &modify(vec![(Add, &k.multisig)], None)).await,
        81,
        "nesting"
    );
    assert_eq!(
        announce(&client, &modify(vec![], Some(2))).await,
        82,
        "min 4 of 3"
    );
    assert_eq!(
        announce(&client, &modify(vec![(Add, &k.customer)], Some(1))).await,
        1
    );
    node.stop().await;
}

#[tokio::test]
async fn malformed_requests_get_nis_error_objects() {
    let (node, _client, k) = setup().await;
    let http = reqwest::Client::new();
    let post = |body: String| {
        http.post(format!("{}/transaction/announce", node.url()))
            .body(body)
            .send()
    };
    let response = post("not json".into()).await.unwrap();
    assert_eq!(response.status(), 400);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["status"], 400);
    assert!(error["message"].as_str().unwrap().contains("not JSON"));

    let tx = sign(
        &transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000),
        &k.ordinary,
    );
    // NIS's deserializer fails with a SerializationException: HTTP 500.
    let truncated = serde_json::json!({ "data": hex::encode(&tx.data[..100]), "signature": tx.signature.to_string() });
    let response = post(truncated.to_string()).await.unwrap();
    assert_eq!(response.status(), 500);
    let error: serde_json::Value = response.json().await.unwrap();
    assert!(
        error["message"].as_str().unwrap().contains("at byte"),
        "{error}"
    );

    let response = http
        .get(format!("{}/account/get?address=TDD2", node.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = http
        .get(format!(
            "{}/transaction/get?hash={}",
            node.url(),
            "00".repeat(32)
        ))
        .send()
        .await
        .unwrap();
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["message"], "Hash was not found in cache");
    node.stop().await;
}

/// NIS reads some bytes more leniently than Hanko's decoder and answers by what went wrong
/// (devnode `chain::malformed`): what it writes back differently fails the signature (200, 8),
/// an address it cannot use is 404, a bad type 400, a failure to deserialize 500.
#[tokio::test]
async fn the_dev_node_answers_what_nis_answers_for_what_hanko_refuses() {
    let (node, _client, k) = setup().await;
    let http = reqwest::Client::new();
    let url = format!("{}/transaction/announce", node.url());
    let post = |data: Vec<u8>, signature: String| {
        let body = serde_json::json!({ "data": hex::encode(data), "signature": signature });
        let request = http.post(&url).json(&body).send();
        async move {
            let response = request.await.unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, body["code"].as_i64())
        }
    };
    // Signed over the bytes as sent, as a client that wrote them would.
    let signed_raw = |data: Vec<u8>| {
        let signature = k.ordinary.sign(&data).to_string();
        (data, signature)
    };
    let base = transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000);
    let bytes = base.to_bytes().unwrap();

    let mut trailing = bytes.clone();
    trailing.extend([0, 0, 0]);
    let (d, s) = signed_raw(trailing);
    assert_eq!(post(d, s).await, (200, Some(8)), "trailing bytes");

    // No message: an 8-byte envelope with an empty payload instead.
    let mut plain = base.clone();
    if let nem::tx::Body::Transfer(t) = &mut plain.body {
        t.message = None;
    }
    let mut envelope = plain.to_bytes().unwrap();
    envelope.truncate(envelope.len() - 4);
    envelope.extend([8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    let (d, s) = signed_raw(envelope);
    assert_eq!(post(d, s).await, (200, Some(8)), "empty message envelope");

    let recipient_at = 64;
    let mut lower = bytes.clone();
    lower[recipient_at..recipient_at + 40].make_ascii_lowercase();
    let (d, s) = signed_raw(lower);
    assert_eq!(post(d, s).await, (200, Some(8)), "lower-case recipient");

    let mut checksum = bytes.clone();
    checksum[recipient_at + 39] = if checksum[recipient_at + 39] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let (d, s) = signed_raw(checksum);
    assert_eq!(post(d, s).await.0, 404, "recipient with a bad checksum");

    let mut unknown = bytes.clone();
    unknown[0] = 0x77;
    let (d, s) = signed_raw(unknown);
    assert_eq!(post(d, s).await.0, 400, "unknown type");

    let mut version = bytes.clone();
    version[4] = 3;
    let (d, s) = signed_raw(version.clone());
    assert_eq!(post(d, s).await, (200, Some(22)), "transfer version 3");
    // Other bytes (NIS remembers an answer by hash for 600 s), signed by another key.
    version[48] ^= 1;
    let forged = k.customer.sign(&version).to_string();
    assert_eq!(
        post(version, forged).await,
        (200, Some(8)),
        "version 3, another's signature"
    );

    let mut network = bytes.clone();
    network[7] = 0x42;
    let (d, s) = signed_raw(network);
    assert_eq!(post(d, s).await, (200, Some(20)), "unknown network byte");

    let (d, s) = signed_raw(bytes[..90].to_vec());
    assert_eq!(post(d, s).await.0, 500, "truncated");

    let missing = http
        .post(&url)
        .json(&serde_json::json!({ "data": "00" }))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 500, "no signature");
    let empty = http
        .post(&url)
        .json(&serde_json::json!({ "data": "", "signature": "00".repeat(64) }))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 500, "empty data");

    let get = |path: String| {
        let request = http.get(format!("{}{path}", node.url())).send();
        async move { request.await.unwrap().status().as_u16() }
    };
    let customer = address(&k.customer);
    assert_eq!(
        get(format!("/transaction/get?hash={}", "zz".repeat(32))).await,
        500
    );
    assert_eq!(
        get(format!("/transaction/get?hash={}", "00".repeat(31))).await,
        400
    );
    assert_eq!(
        get(format!(
            "/account/transfers/outgoing?address={customer}&hash={}",
            "00".repeat(32)
        ))
        .await,
        400,
        "a paging hash NIS does not know"
    );
    assert_eq!(
        get(format!(
            "/account/transfers/outgoing?address={customer}&hash="
        ))
        .await,
        200
    );
    assert_eq!(
        get(format!(
            "/account/transfers/outgoing?address={customer}&pageSize=-3"
        ))
        .await,
        200
    );
    assert_eq!(
        get(format!(
            "/account/transfers/outgoing?address={customer}&pageSize=x"
        ))
        .await,
        400
    );
    assert_eq!(
        get(format!("/account/get?address={}", customer.pretty())).await,
        400,
        "dashes"
    );
    assert_eq!(
        get(format!(
            "/account/get?address={}",
            customer.as_str().to_ascii_lowercase()
        ))
        .await,
        200
    );
    let block = |body: serde_json::Value| {
        let request = http
            .post(format!("{}/block/at/public", node.url()))
            .json(&body)
            .send();
        async move { request.await.unwrap().status().as_u16() }
    };
    assert_eq!(block(serde_json::json!({ "height": 1 })).await, 200);
    assert_eq!(block(serde_json::json!({ "height": 0 })).await, 400);
    assert_eq!(block(serde_json::json!({ "height": 99 })).await, 404);
    assert_eq!(block(serde_json::json!({ "height": "one" })).await, 500);
    node.stop().await;
}
