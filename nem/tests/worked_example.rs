//! nem-protocol.md §10: the 2-of-n multisig transfer, byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use nem::tx::{Body, Header, Message, MessageType, MultisigSignature, Transfer};
use nem::*;

const INNER: &str = "010100000100009800A3E11120000000C5F54BA980FCBB657DBAAA42700539B207873E134D2375EFEAB5F1AB52F87844A08601000000000010B1E1112800000054425A364A4B35594F435536555053535A354433473237554841504854593548445143445335594160E31600000000000D000000010000000500000068656C6C6F";
const WRAPPER: &str = "041000000100009800A3E1112000000096EB2A145211B1B7AB5F0D4B14F8ABC8D695C7AEE31A3CFC2D4881313C68EEA3F04902000000000010B1E11181000000010100000100009800A3E11120000000C5F54BA980FCBB657DBAAA42700539B207873E134D2375EFEAB5F1AB52F87844A08601000000000010B1E1112800000054425A364A4B35594F435536555053535A354433473237554841504854593548445143445335594160E31600000000000D000000010000000500000068656C6C6F";
const SIGNATURE_TX: &str = "02100000010000983CA3E111200000002D8425E4CA2D8926346C7A7CA39826ACD881A8639E81BD68820409C6E30D142AF0490200000000004CB1E11124000000200000009A0A7C94204C53186C088C3A8CBAE02E55123C98F118476314457DFDFC71F72E28000000544444324354364C514C49595135364B49584933454E544D36454B3344343450354B5A50464D4B32";

const KEY_MULTISIG: &str = "575DBB3062267EFF57C970A336EBBC8FBCFE12C5BD3ED7BC11EB0481D7704CED";
const KEY_A: &str = "5B0E3FA5D3B49A79022D7C1E121BA1CBBF4DB5821F47AB8C708EF88DEFC29BFE";
const KEY_B: &str = "738BA9BB9110AEA8F15CAA353ACA5653B4BDFCA1DB9F34D0EFED2CE1325AEEDA";

fn pair(hex: &str) -> KeyPair {
    KeyPair::from_private_key(&PrivateKey::from_nis_hex(hex).unwrap())
}

fn header(signer: PublicKey, timestamp: u32, deadline: u32, fee: u64) -> Header {
    Header {
        network: Network::Testnet,
        version: 1,
        timestamp: NemTimestamp(timestamp),
        signer,
        fee: Amount::from_micro(fee).unwrap(),
        deadline: NemTimestamp(deadline),
    }
}

fn inner() -> Transaction {
    Transaction {
        header: header(
            pair(KEY_MULTISIG).public_key(),
            300_000_000,
            300_003_600,
            100_000,
        ),
        body: Body::Transfer(Transfer {
            recipient: Address::parse("TBZ6JK5YOCU6UPSSZ5D3G27UHAPHTY5HDQCDS5YA").unwrap(),
            amount: Amount::from_micro(1_500_000).unwrap(),
            message: Some(Message {
                kind: MessageType::Plain,
                payload: b"hello".to_vec(),
            }),
            mosaics: vec![],
        }),
    }
}

#[test]
fn inner_transfer_bytes_and_hash() {
    let tx = inner();
    assert_eq!(hex::encode_upper(tx.to_bytes().unwrap()), INNER);
    assert_eq!(
        tx.hash().unwrap().to_string(),
        "9a0a7c94204c53186c088c3a8cbae02e55123c98f118476314457dfdfc71f72e"
    );
    assert_eq!(tx.transfer().unwrap().amount.as_micro(), 1_500_000);
    assert_eq!(
        nem::fees::minimum_fee(&tx, &nem::fees::XemOnly)
            .unwrap()
            .as_micro(),
        100_000
    );
}

#[test]
fn wrapper_bytes_hash_and_signature() {
    let a = pair(KEY_A);
    let wrapper = Transaction {
        header: header(a.public_key(), 300_000_000, 300_003_600, 150_000),
        body: Body::Multisig(Box::new(inner())),
    };
    let signed = wrapper.sign(&a).unwrap();
    assert_eq!(hex::encode_upper(&signed.data), WRAPPER);
    assert_eq!(
        signed.hash().to_string(),
        "250e6c26a06d90bf27c41387e9c4bbcedca60f2d56eee497c753423b9e381141"
    );
    assert_eq!(
        signed.signature.to_string(),
        "c164cb997d9b46ba274dafaa865f3aa5caaf0a8a90ad2456ef435a8c2d43c5ab94a32dbacadac9557dce0be62e507c16f88b30b03c4f1e5687211ac4e0e98e05"
    );
    assert_eq!(
        wrapper.inner_hash().unwrap().unwrap().to_string(),
        "9a0a7c94204c53186c088c3a8cbae02e55123c98f118476314457dfdfc71f72e"
    );
    assert_eq!(signed.verify().unwrap(), wrapper);
}

#[test]
fn signature_transaction_bytes_hash_and_signature() {
    let b = pair(KEY_B);
    let multisig = Address::from_public_key(&pair(KEY_MULTISIG).public_key(), Network::Testnet);
    let cosign = Transaction {
        header: header(b.public_key(), 300_000_060, 300_003_660, 150_000),
        body: Body::MultisigSignature(MultisigSignature {
            other_hash: inner().hash().unwrap(),
            other_account: multisig,
        }),
    };
    let signed = cosign.sign(&b).unwrap();
    assert_eq!(hex::encode_upper(&signed.data), SIGNATURE_TX);
    assert_eq!(
        signed.hash().to_string(),
        "3cec8a14b731a80f17d7d7d170ff19047405d2bdd459b30b13d935aa4d204157"
    );
    assert_eq!(
        signed.signature.to_string(),
        "07a030ab0c20a76c8340cee0f97120afab5ad62eafb46d0b742263cd165c41cdffcba5759c19dc82a2e331275238c24aff6ae3685caa6149ab7ef49e14941300"
    );
}

#[test]
fn decoding_round_trips_each_example() {
    for hex_tx in [INNER, WRAPPER, SIGNATURE_TX] {
        let bytes = hex::decode(hex_tx).unwrap();
        let tx = Transaction::from_bytes(&bytes).unwrap();
        assert_eq!(tx.to_bytes().unwrap(), bytes);
    }
}

#[test]
fn signing_with_the_wrong_key_is_refused() {
    let wrapper = Transaction {
        header: header(pair(KEY_A).public_key(), 300_000_000, 300_003_600, 150_000),
        body: Body::Multisig(Box::new(inner())),
    };
    assert!(wrapper.sign(&pair(KEY_B)).is_err());
}
