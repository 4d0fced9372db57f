//! A hostile coordinator (or proposer PC) tries to get a signature the cosigner must not give:
//! every field of the inner transaction changed after the proposer signed, undecodable and
//! non-canonical bytes, the wrong network or account, nested multisig, an aggregate
//! modification, fees and deadlines out of bounds, a reused proposal id, bad intents, and
//! destinations policy refuses. Each is refused with the expected reason; none is signed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::*;
use cosigner::engine::Answer;
use cosigner::examine::Offer;
use ed25519_dalek::SigningKey;
use nem::tx::{
    AggregateModification, Body, CosignatoryModification, Message, MessageType, ModificationType,
    Mosaic, MosaicId,
};
use nem::{Amount, NemTimestamp, Network, Transaction};

/// Byte offsets in a version-1 transfer (nem-protocol.md §4).
const VERSION: usize = 4;
const NETWORK: usize = 7;
const TIMESTAMP: usize = 8;
const SIGNER: usize = 16;
const FEE: usize = 48;
const DEADLINE: usize = 56;
const RECIPIENT: usize = 64;
const AMOUNT: usize = 104;
const MESSAGE_PAYLOAD: usize = 124;

fn base() -> Transaction {
    transfer(CUSTOMER, 1_000)
}

/// The proposer signed `base()`; then the coordinator changed `bytes` at `at`.
fn tampered(id: &str, at: usize, bytes: &[u8]) -> Offer {
    let mut offer = offer_for(id, &base());
    offer.inner_transaction[at..at + bytes.len()].copy_from_slice(bytes);
    offer
}

/// A transaction the proposer did sign, changed by `f` before signing.
fn proposed(id: &str, f: impl FnOnce(&mut Transaction)) -> Offer {
    let mut tx = base();
    f(&mut tx);
    offer_for(id, &tx)
}

fn with_fee(tx: &mut Transaction) {
    tx.header.fee = Amount::from_micro(tx.header.fee.as_micro() + 1).unwrap();
}

fn variants() -> Vec<(&'static str, Offer, &'static str)> {
    let other_signer = nem_key(5).public_key();
    let le = |v: u32| v.to_le_bytes();
    let t = now().0;
    let v: Vec<(&'static str, Offer, &'static str)> = vec![
        (
            "recipient changed after signing",
            tampered("h01", RECIPIENT, DENYLISTED.as_bytes()),
            "proposer_signature",
        ),
        (
            "amount changed after signing",
            tampered("h02", AMOUNT, &2_000_000_000u64.to_le_bytes()),
            "proposer_signature",
        ),
        (
            "fee changed after signing",
            tampered("h03", FEE, &20_000_000u64.to_le_bytes()),
            "proposer_signature",
        ),
        (
            "timestamp changed after signing",
            tampered("h04", TIMESTAMP, &le(t - 30)),
            "proposer_signature",
        ),
        (
            "deadline changed after signing",
            tampered("h05", DEADLINE, &le(t + 7_000)),
            "proposer_signature",
        ),
        (
            "message changed after signing",
            tampered("h06", MESSAGE_PAYLOAD, b"X"),
            "proposer_signature",
        ),
        (
            "signer changed after signing",
            tampered("h07", SIGNER, other_signer.as_bytes()),
            "inner_transaction.signer",
        ),
        (
            "network byte changed after signing",
            tampered("h08", NETWORK, &[0x68]),
            "inner_transaction.network",
        ),
        (
            "version changed after signing",
            tampered("h09", VERSION, &[2]),
            "inner_transaction:",
        ),
        (
            "truncated inner bytes",
            {
                let mut o = offer_for("h10", &base());
                o.inner_transaction.truncate(90);
                o
            },
            "truncated",
        ),
        (
            "trailing byte",
            {
                let mut o = offer_for("h11", &base());
                o.inner_transaction.push(0);
                o
            },
            "trailing",
        ),
        (
            "hash-only request (no inner bytes)",
            {
                let mut o = offer_for("h12", &base());
                o.inner_transaction = base().hash().unwrap().0.to_vec();
                o
            },
            "inner_transaction:",
        ),
        (
            "empty inner transaction",
            signed_offer("h13", TREASURY, vec![], &proposer()),
            "inner_transaction:",
        ),
        (
            "wrong network, properly proposed",
            {
                let mut o = proposed("h14", |tx| tx.header.network = Network::Mainnet);
                o.account = TREASURY.into();
                o
            },
            "inner_transaction.network",
        ),
        (
            "an account this cosigner does not serve",
            {
                let mut tx = base();
                tx.header.signer = nem_key(4).public_key();
                offer_for("h15", &tx)
            },
            "not an account this cosigner serves",
        ),
        (
            "served account whose cosignatories do not include this cosigner",
            offer_for(
                "h16",
                &transfer_from(&nem_key(5), CUSTOMER, 1_000_000, b"WD-000001"),
            ),
            "is not a cosignatory",
        ),
        (
            "offer names another account than the bytes",
            {
                let mut o = offer_for("h17", &base());
                o.account =
                    nem::Address::from_public_key(&nem_key(5).public_key(), Network::Testnet)
                        .to_string();
                o
            },
            "inner_transaction.signer",
        ),
        (
            "aggregate modification (0x1001) inside the wrapper",
            proposed("h18", |tx| {
                tx.header.fee = Amount::from_micro(500_000).unwrap();
                tx.body = Body::MultisigModification(AggregateModification {
                    modifications: vec![CosignatoryModification {
                        kind: ModificationType::Add,
                        cosignatory: nem_key(5).public_key(),
                    }],
                    min_cosignatories_change: None,
                });
            }),
            "multisig_aggregate_modification transactions are not allowed",
        ),
        (
            "a multisig wrapper (0x1004) as the inner transaction",
            {
                let inner = base();
                let mut wrapper = inner.clone();
                wrapper.header.fee = Amount::from_micro(150_000).unwrap();
                wrapper.body = Body::Multisig(Box::new(inner));
                offer_for("h19", &wrapper)
            },
            "cannot be the inner transaction",
        ),
        ("fee above the minimum", proposed("h20", with_fee), "fee"),
        (
            "deadline 23 h out",
            proposed("h21", |tx| {
                tx.header.deadline = NemTimestamp(tx.header.timestamp.0 + 23 * 3_600)
            }),
            "max_deadline",
        ),
        (
            "timestamp 10 minutes in the future",
            proposed("h22", |tx| {
                tx.header.timestamp = NemTimestamp(t + 600);
                tx.header.deadline = NemTimestamp(t + 1_800);
            }),
            "max_timestamp_skew",
        ),
        (
            "deadline already passed",
            proposed("h23", |tx| {
                tx.header.timestamp = NemTimestamp(t - 4_000);
                tx.header.deadline = NemTimestamp(t - 400);
            }),
            "has passed",
        ),
        (
            "unsigned intent",
            {
                let mut o = offer_for("h24", &base());
                o.proposer_signature = vec![];
                o
            },
            "proposer_signature: expected 64 bytes",
        ),
        (
            "intent signed by another key",
            {
                let mut o = offer_for("h25", &base());
                let other = SigningKey::from_bytes(&[7; 32]);
                o.proposer_signature =
                    signed_offer("h25", TREASURY, o.inner_transaction.clone(), &other)
                        .proposer_signature;
                o
            },
            "proposer_signature: does not verify",
        ),
        (
            "intent signed for another proposal id",
            {
                let mut o = offer_for("h26", &base());
                o.proposer_signature = offer_for("h26-other", &base()).proposer_signature;
                o
            },
            "proposer_signature: does not verify",
        ),
        (
            "malleated intent signature (S + L)",
            {
                let mut o = offer_for("h27", &base());
                let mut sig = [0u8; 64];
                sig.copy_from_slice(&o.proposer_signature);
                o.proposer_signature = nem::testing::non_canonical_twin(&nem::Signature(sig))
                    .0
                    .to_vec();
                o
            },
            "proposer_signature",
        ),
        (
            "proposer key of the wrong length",
            {
                let mut o = offer_for("h28", &base());
                o.proposer = vec![1; 31];
                o
            },
            "proposer: expected 32 bytes",
        ),
        (
            "look-alike of a whitelisted address",
            proposed("h29", |tx| {
                if let Body::Transfer(t) = &mut tx.body {
                    // Same first and last four characters as the customer's address.
                    t.recipient = lookalike();
                }
            }),
            "resembles whitelisted",
        ),
        (
            "denylisted destination",
            proposed("h30", |tx| {
                if let Body::Transfer(t) = &mut tx.body {
                    t.recipient = DENYLISTED.parse().unwrap();
                }
            }),
            "denylist",
        ),
        (
            "over the per-withdrawal limit",
            offer_for("h31", &transfer(CUSTOMER, 50_001)),
            "per-withdrawal-xem",
        ),
        (
            "encrypted message",
            proposed("h32", |tx| {
                if let Body::Transfer(t) = &mut tx.body {
                    t.message = Some(Message {
                        kind: MessageType::Encrypted,
                        payload: vec![1; 48],
                    });
                }
                tx.header.fee = nem::fees::minimum_fee(tx, &nem::fees::XemOnly).unwrap();
            }),
            "encrypted",
        ),
        (
            "a mosaic the policy does not declare",
            proposed("h33", |tx| {
                tx.header.version = 2;
                if let Body::Transfer(t) = &mut tx.body {
                    t.amount = Amount::from_micro(1_000_000).unwrap();
                    t.mosaics = vec![Mosaic {
                        id: "acme:gold".parse::<MosaicId>().unwrap(),
                        quantity: 5,
                    }];
                }
            }),
            "acme:gold",
        ),
        (
            "bad proposal id",
            {
                let mut o = offer_for("h34", &base());
                o.proposal_id = "../../etc/passwd".into();
                o
            },
            "proposal_id",
        ),
        (
            "garbage account",
            {
                let mut o = offer_for("h35", &base());
                o.account = "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK3".into();
                o
            },
            "account:",
        ),
    ];
    v
}

/// An address with the customer's first five and last four characters (a valid checksum,
/// nobody's key: an attacker only needs the address to look right).
fn lookalike() -> nem::Address {
    use data_encoding::BASE32_NOPAD;
    use sha3::{Digest, Keccak256};
    let mut raw = [0u8; 25];
    BASE32_NOPAD
        .decode_mut(CUSTOMER.as_bytes(), &mut raw)
        .unwrap();
    for i in 0u32.. {
        raw[10..14].copy_from_slice(&i.to_le_bytes());
        let sum = Keccak256::digest(&raw[..21]);
        raw[21..].copy_from_slice(&sum[..4]);
        let text = BASE32_NOPAD.encode(&raw);
        if text[36..] == CUSTOMER[36..] && text != CUSTOMER {
            return text.parse().unwrap();
        }
    }
    unreachable!()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_offers_get_no_signature() {
    let node = devnode().await;
    let h = engine(&node, 2, &policy_text(250_000, ""));
    // First a legitimate proposal under id "known", then the same id with other bytes.
    let known = offer_for("known", &base());
    assert!(matches!(
        h.engine.decide(known).await.unwrap(),
        Answer::Signed(_)
    ));
    let mut all = variants();
    all.push((
        "known proposal id with a new hash",
        offer_for("known", &transfer(CUSTOMER, 999)),
        "AlreadyExists",
    ));
    assert!(all.len() >= 30, "{} variants", all.len());

    let mut signed = 0;
    let mut wrong = vec![];
    for (name, offer, expected) in &all {
        match h.engine.decide(offer.clone()).await {
            Ok(Answer::Refused { reasons, .. }) => {
                let text = reasons.join(" | ");
                if !text.contains(expected) {
                    wrong.push(format!("{name}: expected '{expected}' in: {text}"));
                }
            }
            Ok(Answer::Signed(_)) => {
                signed += 1;
                wrong.push(format!("{name}: SIGNED"));
            }
            other => wrong.push(format!("{name}: {other:?}")),
        }
    }
    println!("{} hostile variants, {signed} signatures", all.len());
    assert_eq!(signed, 0);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Refusals are in the audit journal (those before policy at a bounded rate), which still
    // verifies.
    let journal = h.engine.store().audit().unwrap();
    assert_eq!(
        cosigner::audit::verify(&journal).unwrap() as usize,
        journal.len()
    );
    assert!(journal.iter().filter(|e| e.event.kind == "refused").count() >= 20);
    assert!(journal.iter().any(|e| e.event.kind == "conflict"));
    assert!(
        h.engine
            .alerts()
            .iter()
            .any(|a| a.contains("AlreadyExists"))
    );
    node.stop().await;
}
