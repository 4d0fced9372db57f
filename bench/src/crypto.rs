//! The NIS1 crypto and codec ceiling: what one core does per second.

use std::time::Duration;

use anyhow::Result;
use nem::tx::{Body, Header, Message, MessageType, Transfer};
use nem::{
    Address, Amount, Hash256, KeyPair, NemTimestamp, Network, PrivateKey, Transaction, keys,
};

use ed25519_dalek::Signer;

use crate::measure::{Figure, throughput};

/// The worked example's 2-of-3 withdrawal: a transfer with a message inside a wrapper.
fn multisig_transfer(cosigner: &KeyPair, multisig: &KeyPair) -> Result<Transaction> {
    let header = |signer, fee: u32| Header {
        network: Network::Testnet,
        version: 1,
        timestamp: NemTimestamp(300_000_000),
        signer,
        fee: Amount::micro(fee),
        deadline: NemTimestamp(300_003_600),
    };
    let inner = Transaction {
        header: header(multisig.public_key(), 100_000),
        body: Body::Transfer(Transfer {
            recipient: Address::parse("TBZ6JK5YOCU6UPSSZ5D3G27UHAPHTY5HDQCDS5YA")?,
            amount: Amount::from_micro(1_500_000)?,
            message: Some(Message {
                kind: MessageType::Plain,
                payload: b"hello".to_vec(),
            }),
            mosaics: vec![],
        }),
    };
    Ok(Transaction {
        header: header(cosigner.public_key(), 150_000),
        body: Body::Multisig(Box::new(inner)),
    })
}

/// The signing key of the measurements (NEM's public vector key; NIS hex).
pub const SIGNER: &str = "5B0E3FA5D3B49A79022D7C1E121BA1CBBF4DB5821F47AB8C708EF88DEFC29BFE";

/// The payload every signer signs: the 2-of-3 withdrawal's wrapper bytes.
pub fn payload() -> Result<(KeyPair, Transaction, Vec<u8>)> {
    let cosigner = KeyPair::from_private_key(&PrivateKey::from_nis_hex(SIGNER)?);
    let multisig = KeyPair::from_private_key(&PrivateKey::from_nis_hex(
        "575DBB3062267EFF57C970A336EBBC8FBCFE12C5BD3ED7BC11EB0481D7704CED",
    )?);
    let wrapper = multisig_transfer(&cosigner, &multisig)?;
    let bytes = wrapper.to_bytes()?;
    Ok((cosigner, wrapper, bytes))
}

pub fn run(budget: Duration) -> Result<Vec<Figure>> {
    let (cosigner, wrapper, bytes) = payload()?;
    let signature = cosigner.sign(&bytes);
    let public = cosigner.public_key();
    keys::verify(&public, &bytes, &signature)?;
    // What a proposer signs: the intent over the inner transaction (RFC 8032 Ed25519).
    let proposer = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let proposer_public = proposer.verifying_key();
    let intent = hanko_proto::intent("0123456789abcdef0123456789abcdef", &bytes);
    let intent_signature = proposer.sign(&intent);

    Ok(vec![
        throughput("nis1_sign (193-byte wrapper)", budget, || {
            cosigner.sign(&bytes)
        }),
        throughput("nis1_verify (193-byte wrapper)", budget, || {
            keys::verify(&public, &bytes, &signature).is_ok()
        }),
        throughput("ed25519_sign (proposer intent)", budget, || {
            proposer.sign(&intent)
        }),
        throughput("ed25519_verify (proposer intent)", budget, || {
            proposer_public
                .verify_strict(&intent, &intent_signature)
                .is_ok()
        }),
        throughput("keccak256 (193 bytes)", budget, || Hash256::of(&bytes)),
        throughput("encode multisig transfer", budget, || {
            wrapper.to_bytes().map(|b| b.len()).unwrap_or(0)
        }),
        throughput("decode multisig transfer", budget, || {
            Transaction::from_bytes(&bytes).is_ok()
        }),
    ])
}
