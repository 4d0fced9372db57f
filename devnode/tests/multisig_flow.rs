//! A 2-of-3 multisig transfer goes pending → signature → confirmed, and balances change by the
//! amount plus every fee; n-of-n needs everyone; a pending transaction dies at its deadline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::*;

#[tokio::test]
async fn two_of_three_pending_then_signature_then_confirmed() {
    let k = keys();
    let (node, client) = start(&example_config()).await;
    set_time(&node, T + 10);
    let multisig = address(&k.multisig);
    let customer = address(&k.customer);
    let before = balance(&client, &multisig).await;

    let inner = transfer(&k.multisig, customer, 100_000_000, 100_000);
    let inner_hash = inner.hash().unwrap();
    assert_eq!(
        announce(&client, &sign(&wrapper(&k.a, inner), &k.a)).await,
        1
    );

    // Pending: visible to the multisig account, the recipient and every cosignatory.
    for who in [
        multisig,
        customer,
        address(&k.a),
        address(&k.b),
        address(&k.c),
    ] {
        let pending = client.unconfirmed_transactions(&who).await.unwrap();
        assert_eq!(pending.len(), 1, "{who}");
        assert_eq!(pending[0].meta.data, Some(inner_hash));
    }
    // One signature of two: a block leaves it pending.
    assert_eq!(block(&node).await["included"].as_array().unwrap().len(), 0);
    assert_eq!(balance(&client, &customer).await, 0);

    assert_eq!(
        announce(
            &client,
            &sign(&cosignature(&k.b, inner_hash, multisig), &k.b)
        )
        .await,
        1
    );
    let pending = client.unconfirmed_transactions(&multisig).await.unwrap();
    assert_eq!(
        pending[0].transaction["signatures"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let summary = block(&node).await;
    assert_eq!(summary["included"].as_array().unwrap().len(), 1);
    assert_eq!(balance(&client, &customer).await, 100_000_000);
    // Amount + inner fee 0.10 + wrapper fee 0.15 + signature fee 0.15.
    assert_eq!(
        before - balance(&client, &multisig).await,
        100_000_000 + 100_000 + 150_000 + 150_000
    );
    assert!(
        client
            .unconfirmed_transactions(&multisig)
            .await
            .unwrap()
            .is_empty()
    );

    // Confirmed: in the outgoing list of the account and of each cosignatory, and by hash.
    let out = client.outgoing_transfers(&multisig, None).await.unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].meta.inner_hash.data, Some(inner_hash));
    assert_eq!(
        client
            .outgoing_transfers(&address(&k.c), None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(client.incoming_transfers(&customer).await.unwrap().len(), 1);
    let wrapper_hash = out[0].meta.hash.data.unwrap();
    assert_eq!(
        client.transaction(&wrapper_hash).await.unwrap().meta.height,
        3,
        "the first block left it pending"
    );

    // The same inner transaction again: NIS answers NEUTRAL (already in the chain).
    let again = wrapper(&k.c, transfer(&k.multisig, customer, 100_000_000, 100_000));
    assert_eq!(announce(&client, &sign(&again, &k.c)).await, 0);
    node.stop().await;
}

#[tokio::test]
async fn n_of_n_needs_every_cosignatory() {
    let k = keys();
    let mut config = example_config();
    config.multisigs[0].min_cosignatories = 0;
    let (node, client) = start(&config).await;
    set_time(&node, T + 10);
    let multisig = address(&k.multisig);
    let inner = transfer(&k.multisig, address(&k.customer), 1_000_000, 100_000);
    let inner_hash = inner.hash().unwrap();
    assert_eq!(
        announce(&client, &sign(&wrapper(&k.a, inner), &k.a)).await,
        1
    );
    assert_eq!(
        announce(
            &client,
            &sign(&cosignature(&k.b, inner_hash, multisig), &k.b)
        )
        .await,
        1
    );
    assert_eq!(
        block(&node).await["included"].as_array().unwrap().len(),
        0,
        "2 of 3 is not enough"
    );
    assert_eq!(
        announce(
            &client,
            &sign(&cosignature(&k.c, inner_hash, multisig), &k.c)
        )
        .await,
        1
    );
    assert_eq!(block(&node).await["included"].as_array().unwrap().len(), 1);
    node.stop().await;
}

#[tokio::test]
async fn pending_multisig_dies_with_its_earliest_deadline() {
    let k = keys();
    let (node, client) = start(&example_config()).await;
    set_time(&node, T + 10);
    let multisig = address(&k.multisig);
    let inner = transfer(&k.multisig, address(&k.customer), 1_000_000, 100_000);
    assert_eq!(
        announce(&client, &sign(&wrapper(&k.a, inner), &k.a)).await,
        1
    );
    set_time(&node, T + 3601);
    let summary = block(&node).await;
    assert_eq!(summary["dropped"].as_array().unwrap().len(), 1, "{summary}");
    assert!(
        client
            .unconfirmed_transactions(&multisig)
            .await
            .unwrap()
            .is_empty()
    );
    node.stop().await;
}

#[tokio::test]
async fn transactions_stamped_at_block_time_wait_for_the_next_block() {
    let k = keys();
    let (node, client) = start(&example_config()).await;
    set_time(&node, T);
    let tx = transfer(&k.ordinary, address(&k.customer), 1_000_000, 100_000);
    assert_eq!(announce(&client, &sign(&tx, &k.ordinary)).await, 1);
    assert_eq!(block(&node).await["included"].as_array().unwrap().len(), 0);
    set_time(&node, T + 1);
    assert_eq!(block(&node).await["included"].as_array().unwrap().len(), 1);
    node.stop().await;
}
