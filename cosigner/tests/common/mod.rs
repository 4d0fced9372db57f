//! Shared by the cosigner's tests: a dev node, a signed test policy, an engine, offers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cosigner::chain::ChainView;
use cosigner::engine::{ActivePolicy, Engine, Outgoing, Parts, system_clock};
use cosigner::examine::Offer;
use cosigner::store::Store;
use devnode::RunningNode;
use ed25519_dalek::{Signer, SigningKey};
use nem::client::{ClientConfig, NisClient};
use nem::fees::{XemOnly, minimum_fee};
use nem::tx::{Body, Header, Message, MessageType, Transfer};
use nem::{Address, Amount, KeyPair, NemTimestamp, Network, Transaction};
use tokio::sync::mpsc;

pub use testkit::policy::{Officer, policy_text};
#[allow(unused_imports)] // each test uses some
pub use testkit::{CUSTOMER, DENYLISTED, TREASURY, TempDir, nem_key, proposer, temp_dir};

pub async fn devnode() -> RunningNode {
    testkit::node::example().await
}

/// Asks the dev node to make a block now; its answer (what was included).
pub async fn harvest(node: &RunningNode) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{}/dev/block", node.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub struct Harness {
    pub engine: Arc<Engine>,
    pub outgoing: mpsc::UnboundedReceiver<Outgoing>,
    pub dir: PathBuf,
    pub officer: Officer,
    pub policy_path: PathBuf,
    /// The directory, when the harness made it: removed with the harness.
    pub owned: Option<TempDir>,
}

/// An engine for cosigner `who` (1 = A, 2 = B, 3 = C) over `node`, with `policy`.
pub fn engine_in(dir: &Path, node: &RunningNode, who: usize, policy: &str) -> Harness {
    engine_with_clock(dir, node, who, policy, system_clock())
}

/// The same, with the cosigner's own clock.
pub fn engine_with_clock(
    dir: &Path,
    node: &RunningNode,
    who: usize,
    policy: &str,
    clock: cosigner::engine::Clock,
) -> Harness {
    let client = NisClient::new(ClientConfig::new(node.url())).unwrap();
    let chain = ChainView::new(client, Duration::from_millis(200));
    engine_with(dir, who, policy, clock, chain)
}

/// The same, with its own view of the chain.
pub fn engine_with(
    dir: &Path,
    who: usize,
    policy: &str,
    clock: cosigner::engine::Clock,
    chain: ChainView,
) -> Harness {
    let officer = Officer::new();
    let policy_path = dir.join("policy.toml");
    officer.write_signed(&policy_path, policy);
    let loaded = policy::signing::load(&policy_path, &officer.trust()).unwrap();
    let ordinary = Address::from_public_key(&nem_key(5).public_key(), Network::Testnet);
    let (engine, outgoing) = Engine::new(Parts {
        key: nem_key(who),
        network: Network::Testnet,
        accounts: vec![TREASURY.parse().unwrap(), ordinary],
        store: open_store(&dir.join("data")),
        chain,
        policy: ActivePolicy {
            loaded,
            source: policy_path.display().to_string(),
        },
        clock,
    })
    .unwrap();
    Harness {
        engine,
        outgoing,
        dir: dir.to_path_buf(),
        officer,
        policy_path,
        owned: None,
    }
}

/// Opens the store, waiting (bounded) while a dropped engine's last task still holds its lock.
fn open_store(path: &Path) -> Store {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match Store::open(path) {
            Ok(store) => return store,
            Err(e) if std::time::Instant::now() > deadline => panic!("{}: {e}", path.display()),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

pub fn engine(node: &RunningNode, who: usize, policy: &str) -> Harness {
    let dir = temp_dir("engine");
    let h = engine_in(&dir, node, who, policy);
    Harness {
        owned: Some(dir),
        ..h
    }
}

pub fn now() -> NemTimestamp {
    NemTimestamp::now().unwrap()
}

/// A clock that stands still until moved: `(clock, offset in seconds)`.
pub fn movable_clock() -> (cosigner::engine::Clock, Arc<std::sync::atomic::AtomicI64>) {
    let start = jiff::Timestamp::now();
    let offset = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let read = offset.clone();
    let clock: cosigner::engine::Clock = Arc::new(move || {
        start + jiff::SignedDuration::from_secs(read.load(std::sync::atomic::Ordering::SeqCst))
    });
    (clock, offset)
}

/// A transfer of `micro` micro-XEM to the customer stamped `at` (NEM seconds), valid for
/// `span` seconds.
pub fn transfer_at(micro: u64, at: u32, span: u32) -> Transaction {
    let mut tx = transfer_from(&nem_key(0), CUSTOMER, micro, b"WD-000001");
    tx.header.timestamp = NemTimestamp(at);
    tx.header.deadline = NemTimestamp(at + span);
    tx
}

/// A transfer from `from` (the multisig key, index 0, by default) with the minimum fee.
pub fn transfer_from(from: &KeyPair, to: &str, micro: u64, message: &[u8]) -> Transaction {
    let t = now();
    let mut tx = Transaction {
        header: Header {
            network: Network::Testnet,
            version: 1,
            timestamp: NemTimestamp(t.0 - 5),
            signer: from.public_key(),
            fee: Amount::ZERO,
            deadline: NemTimestamp(t.0 + 3_600),
        },
        body: Body::Transfer(Transfer {
            recipient: to.parse().unwrap(),
            amount: Amount::from_micro(micro).unwrap(),
            message: (!message.is_empty()).then(|| Message {
                kind: MessageType::Plain,
                payload: message.to_vec(),
            }),
            mosaics: vec![],
        }),
    };
    tx.header.fee = minimum_fee(&tx, &XemOnly).unwrap();
    tx
}

pub fn transfer(to: &str, xem: u64) -> Transaction {
    transfer_from(&nem_key(0), to, xem * 1_000_000, b"WD-000001")
}

/// An offer of `tx` properly signed by the test proposer.
pub fn offer_for(id: &str, tx: &Transaction) -> Offer {
    signed_offer(
        id,
        &tx.signer_address().to_string(),
        tx.to_bytes().unwrap(),
        &proposer(),
    )
}

pub fn signed_offer(id: &str, account: &str, inner: Vec<u8>, by: &SigningKey) -> Offer {
    let signature = by.sign(&hanko_proto::intent(id, &inner));
    Offer {
        proposal_id: id.into(),
        account: account.into(),
        inner_transaction: inner,
        proposer: by.verifying_key().to_bytes().to_vec(),
        proposer_signature: signature.to_bytes().to_vec(),
    }
}
