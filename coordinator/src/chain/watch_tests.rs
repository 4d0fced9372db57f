//! The chain watcher's pure checks: what it calls an outflow Hanko did not send, and what not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::chain::watch::{AlertKind, check_clock, check_transaction};
use nem::nis_json::{NisTransaction, to_nis_json};
use nem::tx::{
    AggregateModification, Body, CosignatoryModification, Header, ModificationType, Transfer,
};
use nem::{Address, Amount, Hash256, KeyPair, NemTimestamp, Network, PrivateKey, Transaction};

fn key(seed: u8) -> KeyPair {
    KeyPair::from_private_key(&PrivateKey::from_seed([seed; 32]))
}

fn header(signer: &KeyPair) -> Header {
    Header {
        network: Network::Testnet,
        version: 1,
        timestamp: NemTimestamp(200_000_000),
        signer: signer.public_key(),
        fee: Amount::from_micro(150_000).unwrap(),
        deadline: NemTimestamp(200_003_600),
    }
}

fn wrapped(inner: Transaction, by: &KeyPair) -> serde_json::Value {
    let wrapper = Transaction {
        header: header(by),
        body: Body::Multisig(Box::new(inner)),
    };
    to_nis_json(&NisTransaction {
        transaction: wrapper,
        signature: None,
        cosignatures: vec![],
    })
}

fn payout(from: &KeyPair, xem: u64) -> Transaction {
    Transaction {
        header: header(from),
        body: Body::Transfer(Transfer {
            recipient: Address::from_public_key(&key(9).public_key(), Network::Testnet),
            amount: Amount::from_xem(xem).unwrap(),
            message: None,
            mosaics: vec![],
        }),
    }
}

#[test]
fn an_outflow_with_an_unknown_inner_hash_is_critical_and_a_known_one_is_not() {
    let (treasury, cosigner) = (key(1), key(2));
    let account = Address::from_public_key(&treasury.public_key(), Network::Testnet);
    let inner = payout(&treasury, 5_000);
    let hash = inner.hash().unwrap();
    let json = wrapped(inner, &cosigner);
    let unknown = check_transaction(&account, &json, &|_| false).unwrap();
    assert_eq!(unknown.kind, AlertKind::UnknownOutflow);
    assert!(unknown.kind.critical());
    assert!(
        unknown.message.contains(&hash.to_string()),
        "{}",
        unknown.message
    );
    let hanko = move |h: &Hash256| *h == hash;
    assert_eq!(check_transaction(&account, &json, &hanko), None);
}

#[test]
fn a_multisig_modification_is_always_an_alert() {
    let (treasury, cosigner) = (key(1), key(2));
    let account = Address::from_public_key(&treasury.public_key(), Network::Testnet);
    let mut h = header(&treasury);
    h.version = 2;
    let modification = Transaction {
        header: h,
        body: Body::MultisigModification(AggregateModification {
            modifications: vec![CosignatoryModification {
                kind: ModificationType::Add,
                cosignatory: key(66).public_key(),
            }],
            min_cosignatories_change: None,
        }),
    };
    let json = wrapped(modification, &cosigner);
    let alert = check_transaction(&account, &json, &|_| true).unwrap();
    assert_eq!(alert.kind, AlertKind::MultisigModification);
}

#[test]
fn another_accounts_transactions_and_a_sane_clock_are_quiet() {
    let (treasury, other) = (key(1), key(3));
    let account = Address::from_public_key(&treasury.public_key(), Network::Testnet);
    let json = wrapped(payout(&other, 10), &key(2));
    assert_eq!(check_transaction(&account, &json, &|_| false), None);
    assert_eq!(check_clock(1_000_000, 1_002_000, 5_000), None);
    let drift = check_clock(1_000_000, 1_010_000, 5_000).unwrap();
    assert_eq!(drift.kind, AlertKind::ClockDrift);
    assert!(drift.message.contains("behind"), "{}", drift.message);
}

#[test]
fn an_unreadable_transaction_is_reported_not_skipped() {
    let account = Address::from_public_key(&key(1).public_key(), Network::Testnet);
    let alert = check_transaction(&account, &serde_json::json!({"type": 257}), &|_| true).unwrap();
    assert_eq!(alert.kind, AlertKind::UnreadableTransaction);
}
