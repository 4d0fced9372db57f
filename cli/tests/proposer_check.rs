//! The proposer's own check of what the coordinator prepared: every field changed by a
//! hostile coordinator is refused before anything is signed, naming what differs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use hanko_cli::treasury::check::{Asked, check_prepared};
use nem::fees::{XemOnly, minimum_fee};
use nem::tx::{Body, Header, Message, MessageType, Transfer};
use nem::{Address, Amount, KeyPair, NemTimestamp, Network, PrivateKey, Transaction};

fn key(seed: u8) -> KeyPair {
    KeyPair::from_private_key(&PrivateKey::from_seed([seed; 32]))
}

fn addr(seed: u8) -> Address {
    Address::from_public_key(&key(seed).public_key(), Network::Testnet)
}

fn now() -> NemTimestamp {
    NemTimestamp::now().unwrap()
}

fn asked() -> Asked {
    Asked::parse(
        Network::Testnet,
        &addr(1).to_string(),
        &addr(2).to_string(),
        Some("12.5"),
        &[],
        "WD-000001",
    )
    .unwrap()
}

/// What an honest coordinator prepares for `asked()`.
fn honest() -> Transaction {
    let t = now();
    let mut tx = Transaction {
        header: Header {
            network: Network::Testnet,
            version: 1,
            timestamp: NemTimestamp(t.0 - 2),
            signer: key(1).public_key(),
            fee: Amount::ZERO,
            deadline: NemTimestamp(t.0 + 3_598),
        },
        body: Body::Transfer(Transfer {
            recipient: addr(2),
            amount: Amount::from_micro(12_500_000).unwrap(),
            message: Some(Message {
                kind: MessageType::Plain,
                payload: b"WD-000001".to_vec(),
            }),
            mosaics: vec![],
        }),
    };
    tx.header.fee = minimum_fee(&tx, &XemOnly).unwrap();
    tx
}

fn transfer(tx: &mut Transaction) -> &mut Transfer {
    match &mut tx.body {
        Body::Transfer(t) => t,
        _ => unreachable!(),
    }
}

#[test]
fn the_honest_preparation_passes() {
    let bytes = honest().to_bytes().unwrap();
    check_prepared(&asked(), &bytes, Network::Testnet, now()).unwrap();
}

#[test]
fn every_hostile_change_is_refused_before_signing() {
    type Change = fn(&mut Transaction);
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "recipient",
            |t| transfer(t).recipient = addr(9),
            "recipient",
        ),
        (
            "amount",
            |t| transfer(t).amount = Amount::from_xem(125).unwrap(),
            "amount",
        ),
        ("message", |t| transfer(t).message = None, "message"),
        (
            "account",
            |t| t.header.signer = key(7).public_key(),
            "account",
        ),
        (
            "fee",
            |t| t.header.fee = Amount::from_xem(50).unwrap(),
            "fee",
        ),
        (
            "deadline",
            |t| t.header.deadline = NemTimestamp(t.header.timestamp.0 + 90_000),
            "deadline",
        ),
        (
            "timestamp",
            |t| {
                t.header.timestamp = NemTimestamp(t.header.timestamp.0 - 7_200);
                t.header.deadline = NemTimestamp(t.header.timestamp.0 + 3_600);
            },
            "timestamp",
        ),
        (
            "encrypted message",
            |t| {
                transfer(t).message = Some(Message {
                    kind: MessageType::Encrypted,
                    payload: b"WD-000001".to_vec(),
                })
            },
            "encrypted",
        ),
    ];
    let mut refused = 0;
    for (name, change, expected) in &cases {
        let mut tx = honest();
        change(&mut tx);
        if *name != "fee" && *name != "account" {
            tx.header.fee = minimum_fee(&tx, &XemOnly).unwrap();
        }
        let bytes = tx.to_bytes().unwrap();
        let err = check_prepared(&asked(), &bytes, Network::Testnet, now())
            .expect_err(&format!("{name}: a changed preparation was accepted"));
        assert!(err.contains(expected), "{name}: {err}");
        refused += 1;
    }
    let mut wrong_network = honest().to_bytes().unwrap();
    // The version field's top byte is the network: mainnet (0x68) instead of testnet.
    wrong_network[7] = 0x68;
    assert!(check_prepared(&asked(), &wrong_network, Network::Testnet, now()).is_err());
    let mut trailing = honest().to_bytes().unwrap();
    trailing.push(0);
    assert!(check_prepared(&asked(), &trailing, Network::Testnet, now()).is_err());
    println!("{} hostile preparations refused, 0 signed", refused + 2);
}

#[test]
fn bad_input_names_the_flag() {
    let e = Asked::parse(
        Network::Testnet,
        "TBAD",
        &addr(2).to_string(),
        Some("1"),
        &[],
        "",
    )
    .unwrap_err();
    assert!(e.starts_with("--account:"), "{e}");
    let e = Asked::parse(
        Network::Testnet,
        &addr(1).to_string(),
        &addr(2).to_string(),
        Some("1.0000001"),
        &[],
        "",
    )
    .unwrap_err();
    assert!(e.starts_with("--amount:") && e.contains("7 decimal"), "{e}");
    let e = Asked::parse(
        Network::Testnet,
        &addr(1).to_string(),
        &addr(2).to_string(),
        None,
        &["acme:token".into()],
        "",
    )
    .unwrap_err();
    assert!(e.starts_with("--mosaic acme:token:"), "{e}");
}
