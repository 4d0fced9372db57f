//! Shared helpers: an in-process dev node on 127.0.0.1:0 and transaction builders.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use devnode::config::EXAMPLE_KEYS;
use devnode::{Config, RunningNode};
use nem::client::{ClientConfig, NisClient, NisError};
use nem::tx::{Body, Header, Message, MessageType, MultisigSignature, Transfer};
use nem::{
    Address, Amount, Hash256, KeyPair, NemTimestamp, Network, PrivateKey, SignedTransaction,
    Transaction,
};

pub const T: u32 = 400_000_000;

pub struct Keys {
    pub multisig: KeyPair,
    pub a: KeyPair,
    pub b: KeyPair,
    pub c: KeyPair,
    pub customer: KeyPair,
    pub ordinary: KeyPair,
}

pub fn keys() -> Keys {
    let k =
        |i: usize| KeyPair::from_private_key(&PrivateKey::from_nis_hex(EXAMPLE_KEYS[i].1).unwrap());
    Keys {
        multisig: k(0),
        a: k(1),
        b: k(2),
        c: k(3),
        customer: k(4),
        ordinary: k(5),
    }
}

pub fn address(k: &KeyPair) -> Address {
    Address::from_public_key(&k.public_key(), Network::Testnet)
}

/// The built-in example (2-of-3 treasury of 1,000,000 XEM), blocks only on demand.
pub fn example_config() -> Config {
    let mut config = Config::example().unwrap();
    config.block_time_ms = 0;
    config
}

pub async fn start(config: &Config) -> (RunningNode, NisClient) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let node = devnode::start(config, listener).unwrap();
    let client = NisClient::new(ClientConfig::new(node.url())).unwrap();
    (node, client)
}

/// Sets the node's network time to `t` seconds.
pub fn set_time(node: &RunningNode, t: u32) {
    let offset =
        i64::from(t) * 1000 - node.node.network_millis() as i64 + node.node.clock_offset_ms();
    node.node.set_clock_offset_ms(offset);
}

pub fn header(signer: &KeyPair, ts: u32, deadline: u32, fee: u64) -> Header {
    Header {
        network: Network::Testnet,
        version: 1,
        timestamp: NemTimestamp(ts),
        signer: signer.public_key(),
        fee: Amount::from_micro(fee).unwrap(),
        deadline: NemTimestamp(deadline),
    }
}

pub fn transfer(from: &KeyPair, to: Address, micro: u64, fee: u64) -> Transaction {
    Transaction {
        header: header(from, T, T + 3600, fee),
        body: Body::Transfer(Transfer {
            recipient: to,
            amount: Amount::from_micro(micro).unwrap(),
            message: Some(Message {
                kind: MessageType::Plain,
                payload: b"test".to_vec(),
            }),
            mosaics: vec![],
        }),
    }
}

pub fn wrapper(cosigner: &KeyPair, inner: Transaction) -> Transaction {
    Transaction {
        header: header(cosigner, T, T + 3600, 150_000),
        body: Body::Multisig(Box::new(inner)),
    }
}

pub fn cosignature(cosigner: &KeyPair, inner_hash: Hash256, multisig: Address) -> Transaction {
    Transaction {
        header: header(cosigner, T, T + 3600, 150_000),
        body: Body::MultisigSignature(MultisigSignature {
            other_hash: inner_hash,
            other_account: multisig,
        }),
    }
}

pub fn sign(tx: &Transaction, key: &KeyPair) -> SignedTransaction {
    tx.sign(key).unwrap()
}

/// The NIS result code of an announce (1 SUCCESS, 0 NEUTRAL, or the failure code).
pub async fn announce(client: &NisClient, signed: &SignedTransaction) -> i32 {
    match client.announce(signed).await {
        Ok(a) if a.neutral => 0,
        Ok(_) => 1,
        Err(NisError::Rejected { result, .. }) => result.code(),
        Err(e) => panic!("announce failed: {e}"),
    }
}

/// `POST /dev/block`: makes a block now; returns its summary.
pub async fn block(node: &RunningNode) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{}/dev/block", node.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn balance(client: &NisClient, address: &Address) -> u64 {
    client.account(address).await.unwrap().account.balance
}
