//! NEM's public NIS1 vectors (nemtech/test-vectors `nis1/`): 10,000 keys, 10,000 addresses on
//! three networks, and the Keccak-256 set. Every one must match.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use nem::{Address, KeyPair, Network, PrivateKey, PublicKey};
use serde::Deserialize;

fn load<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyVector {
    private_key: String,
    public_key: String,
}

#[derive(Deserialize)]
struct AddressVector {
    #[serde(rename = "publicKey")]
    public_key: String,
    #[serde(rename = "address_Public")]
    mainnet: String,
    #[serde(rename = "address_PublicTest")]
    testnet: String,
    #[serde(rename = "address_Mijin")]
    mijin: String,
}

#[derive(Deserialize)]
struct KeccakVector {
    hash: String,
    length: usize,
    data: String,
}

#[test]
fn every_key_vector() {
    let vectors: Vec<KeyVector> = load("1.test-keys.json");
    assert_eq!(vectors.len(), 10_000);
    let mut mismatches = 0;
    for v in &vectors {
        let pair = KeyPair::from_private_key(&PrivateKey::from_nis_hex(&v.private_key).unwrap());
        if pair.public_key().to_string() != v.public_key.to_lowercase() {
            mismatches += 1;
        }
    }
    println!("keys: {} vectors, {mismatches} mismatches", vectors.len());
    assert_eq!(mismatches, 0);
}

#[test]
fn every_address_vector() {
    let vectors: Vec<AddressVector> = load("1.test-address.json");
    assert_eq!(vectors.len(), 10_000);
    let mut mismatches = 0;
    for v in &vectors {
        let key: PublicKey = v.public_key.parse().unwrap();
        for (network, expected) in [
            (Network::Mainnet, &v.mainnet),
            (Network::Testnet, &v.testnet),
            (Network::Mijin, &v.mijin),
        ] {
            let derived = Address::from_public_key(&key, network);
            let parsed = Address::parse_for(expected, network).unwrap();
            if derived != parsed || derived.as_str() != expected {
                mismatches += 1;
            }
        }
    }
    println!(
        "addresses: {} vectors x 3 networks, {mismatches} mismatches",
        vectors.len()
    );
    assert_eq!(mismatches, 0);
}

#[test]
fn every_keccak_vector() {
    let vectors: Vec<KeccakVector> = load("0.test-keccak-256.json");
    assert!(!vectors.is_empty());
    let mut mismatches = 0;
    for v in &vectors {
        let data = hex::decode(&v.data).unwrap();
        assert_eq!(data.len(), v.length);
        if nem::Hash256::of(&data).to_string() != v.hash.to_lowercase() {
            mismatches += 1;
        }
    }
    println!(
        "keccak-256: {} vectors, {mismatches} mismatches",
        vectors.len()
    );
    assert_eq!(mismatches, 0);
}
