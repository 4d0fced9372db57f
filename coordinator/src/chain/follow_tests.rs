//! Blocks with more than a page of a treasury's outflows, on the dev node: the chain follower
//! finds every withdrawal confirmed in them by reading the account's outgoing transfers back
//! to the last height looked at, each once, and a follower that starts over finds them by
//! their own hashes; the chain watcher checks every outflow in them, not only the newest page,
//! and while the store cannot say which outflows are Hanko's it raises nothing on a guess and
//! leaves them for its next pass. A watcher resumed from a saved position (a restart, a new
//! leader) checks everything since.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use devnode::config::EXAMPLE_KEYS;
use nem::{KeyPair, PrivateKey};

const CUSTOMER: &str = "TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6";

fn nem_key(i: usize) -> KeyPair {
    KeyPair::from_private_key(&PrivateKey::from_nis_hex(EXAMPLE_KEYS[i].1).unwrap())
}

use std::collections::HashMap;
use std::sync::Arc;

use crate::chain::follow::{Follower, read_page};
use crate::chain::watch::{AlertKind, Checked, Watched, pass};
use crate::core::build::{BuildConfig, ConfiguredAccount, WithdrawalRequest, build_inner};
use crate::core::{ProposalRecord, State};
use nem::client::{ClientConfig, NisClient, TransactionMetaDataPair};
use nem::tx::{Body, Header, MultisigSignature};
use nem::{Address, Amount, Hash256, Network, SignedTransaction, Transaction};

/// More than one page of 25, and fewer than a block takes (60 withdrawals of 2-of-3).
const WITHDRAWALS: usize = 30;

fn treasury() -> Address {
    Address::from_public_key(&nem_key(0).public_key(), Network::Testnet)
}

/// Cosigner `i`'s wrapper and cosignature of `inner`.
fn signed(i: usize, inner: &Transaction) -> (SignedTransaction, SignedTransaction) {
    let key = nem_key(i);
    let header = Header {
        network: Network::Testnet,
        version: 1,
        timestamp: inner.header.timestamp,
        signer: key.public_key(),
        fee: Amount::micro(150_000),
        deadline: inner.header.deadline,
    };
    let wrapper = Transaction {
        header: header.clone(),
        body: Body::Multisig(Box::new(inner.clone())),
    };
    let cosignature = Transaction {
        header,
        body: Body::MultisigSignature(MultisigSignature {
            other_hash: inner.hash().unwrap(),
            other_account: treasury(),
        }),
    };
    (wrapper.sign(&key).unwrap(), cosignature.sign(&key).unwrap())
}

/// `WITHDRAWALS` withdrawals announced to the node (wrapper by cosigner 1, cosignature by
/// cosigner 2), as the coordinator holds them once announced.
async fn announced(nis: &NisClient, count: usize) -> Vec<Arc<ProposalRecord>> {
    let cfg = BuildConfig {
        network: Network::Testnet,
        deadline_seconds: 3_600,
        timestamp_lag_seconds: 2,
    };
    let accounts = [configured()];
    let time = nis.network_time().await.unwrap();
    let mut records = vec![];
    for i in 0..count {
        let request = WithdrawalRequest {
            account: treasury().to_string(),
            recipient: CUSTOMER.into(),
            amount: format!("{}", i + 1),
            mosaics: vec![],
            message: String::new(),
        };
        let inner = build_inner(&request, &cfg, &accounts, time, &nem::fees::XemOnly).unwrap();
        let (wrapper, _) = signed(1, &inner);
        let (_, cosignature) = signed(2, &inner);
        nis.announce(&wrapper).await.unwrap();
        nis.announce(&cosignature).await.unwrap();
        let mut r = crate::testing::collecting(
            &format!("p-{i:02}"),
            treasury(),
            inner.to_bytes().unwrap(),
            accounts[0].cosigners.clone(),
        );
        r.state = State::Announced;
        r.broadcast.wrapper_hash = Some(wrapper.hash());
        records.push(Arc::new(r));
    }
    records
}

/// A dev node that makes blocks only when asked, and a client of it.
async fn dev_node() -> (devnode::RunningNode, NisClient) {
    let mut config = devnode::Config::example().unwrap();
    config.block_time_ms = 0;
    let node = devnode::start(
        &config,
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .unwrap();
    let nis = NisClient::new(ClientConfig::new(node.url())).unwrap();
    (node, nis)
}

/// A block now, made in process as `POST /dev/block` makes it.
fn block(node: &devnode::RunningNode) {
    let now = node.node.now();
    node.node.lock_chain().harvest(now);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmations_are_found_by_block_and_by_hash_after_a_restart() {
    let (node, nis) = dev_node().await;
    // NIS includes only transactions stamped before the block.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let records = announced(&nis, WITHDRAWALS).await;

    let mut follower = Follower::default();
    let before = nis.chain_height().await.unwrap();
    let found = follower.pass(&nis, before, &records).await;
    assert!(found.is_empty(), "nothing confirmed yet: {found:?}");
    assert_eq!(follower.looked(), Some(before));

    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    block(&node);
    let height = nis.chain_height().await.unwrap();
    assert_eq!(height, before + 1);
    let found = follower.pass(&nis, height, &records).await;
    let by_id: HashMap<&str, (u64, Hash256)> = found
        .iter()
        .map(|f| (f.id.as_str(), (f.height, f.wrapper_hash)))
        .collect();
    assert_eq!(
        by_id.len(),
        WITHDRAWALS,
        "every one once, over two pages: {found:?}"
    );
    for r in &records {
        assert_eq!(
            by_id[r.id.as_str()],
            (height, r.broadcast.wrapper_hash.unwrap()),
            "{} at its block, by its wrapper",
            r.id
        );
    }
    println!(
        "follower: {} confirmations found at height {height} by reading the account's outgoing transfers",
        found.len()
    );

    // The same height again asks nothing; a new block without them finds nothing again.
    assert!(follower.pass(&nis, height, &records).await.is_empty());
    block(&node);
    let next = nis.chain_height().await.unwrap();
    assert!(follower.pass(&nis, next, &records).await.is_empty());
    assert_eq!(follower.looked(), Some(next));

    // A restarted coordinator's follower looks each announced proposal up by its hash.
    let mut restarted = Follower::default();
    let found = restarted.pass(&nis, next, &records).await;
    assert_eq!(found.len(), WITHDRAWALS);
    assert!(found.iter().all(|f| f.height == height));

    // A chain that went back (another node): everything is looked at again.
    let again = follower.pass(&nis, height - 1, &records).await;
    assert_eq!(again.len(), WITHDRAWALS);
    node.stop().await;
}

fn configured() -> ConfiguredAccount {
    ConfiguredAccount {
        public_key: nem_key(0).public_key(),
        cosigners: (1..=3).map(|i| nem_key(i).public_key()).collect(),
        required: 2,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_checks_every_outflow_of_a_block_not_only_the_newest_page() {
    let (node, nis) = dev_node().await;
    let watched = [Watched {
        account: configured(),
        address: treasury(),
        max_balance: None,
        min_balance: None,
    }];
    let mut checked = Checked::default();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    // The first one announced is the oldest in its block: listed after a page of 25 newer.
    let records = announced(&nis, WITHDRAWALS + 1).await;
    let stranger = records[0].inner_hash;
    let hanko: std::collections::HashSet<Hash256> =
        records[1..].iter().map(|r| r.inner_hash).collect();
    let known = async |hashes: Vec<Hash256>| {
        Some(
            hashes
                .into_iter()
                .filter(|h| hanko.contains(h))
                .collect::<std::collections::HashSet<_>>(),
        )
    };
    // A store that does not answer (its database failing over, say).
    let unanswered = async |_: Vec<Hash256>| None;
    let unknown = |alerts: &[crate::chain::watch::Alert]| -> Vec<String> {
        alerts
            .iter()
            .filter(|a| a.kind == AlertKind::UnknownOutflow)
            .map(|a| a.message.clone())
            .collect()
    };
    let look = async |checked: &mut Checked| {
        pass(&nis, &watched, checked, Network::Testnet, 60_000, &known).await
    };
    // Before the block: nothing confirmed to check yet.
    let passed = look(&mut checked).await;
    assert!(passed.reachable && passed.placed);
    let before = checked.height(&treasury());

    // The watcher stops here (a restart, a change of leader); the next resumes from where
    // it got to, as saved.
    let saved = checked.to_saved();
    let mut checked = Checked::from_saved(&saved);

    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    block(&node);
    let height = nis.chain_height().await.unwrap();
    // While the store cannot say which are Hanko's, nothing is raised on a guess and
    // nothing is marked checked: the next pass checks the block.
    let blind = pass(
        &nis,
        &watched,
        &mut checked,
        Network::Testnet,
        60_000,
        &unanswered,
    )
    .await;
    assert!(blind.reachable && !blind.placed, "{blind:?}");
    assert!(unknown(&blind.alerts).is_empty(), "{:?}", blind.alerts);
    assert_eq!(checked.height(&treasury()), before);
    let alerts = look(&mut checked).await.alerts;
    let found = unknown(&alerts);
    assert_eq!(
        found.len(),
        1,
        "the stranger, on the second page: {alerts:?}"
    );
    assert!(found[0].contains(&stranger.to_string()), "{}", found[0]);
    assert_eq!(checked.height(&treasury()), Some(height), "from {before:?}");
    println!(
        "watcher: {} confirmed outflows in one block, the one Hanko did not send found past the first page",
        WITHDRAWALS + 1
    );

    // A new block without outflows: nothing left to check, nothing raised again.
    block(&node);
    let alerts = look(&mut checked).await.alerts;
    assert!(unknown(&alerts).is_empty(), "{alerts:?}");
    node.stop().await;
}

fn entry(height: u64, hash: u8, inner: Option<u8>) -> TransactionMetaDataPair {
    let inner = inner.map_or(
        serde_json::json!({}),
        |i| serde_json::json!({ "data": Hash256([i; 32]).to_string() }),
    );
    serde_json::from_value(serde_json::json!({
        "meta": {
            "height": height,
            "id": hash,
            "hash": { "data": Hash256([hash; 32]).to_string() },
            "innerHash": inner,
        },
        "transaction": {},
    }))
    .unwrap()
}

#[test]
fn a_page_is_read_down_to_the_height_already_looked_at() {
    let unfinished: HashMap<Hash256, String> = [(Hash256([1; 32]), "p-1".to_string())]
        .into_iter()
        .chain([(Hash256([2; 32]), "p-2".to_string())])
        .collect();
    // Newest first: p-1 at 12, a transfer Hanko did not send, p-2 at 10 (already looked at).
    let page = [
        entry(12, 9, Some(1)),
        entry(11, 8, None),
        entry(10, 7, Some(2)),
    ];
    let read = read_page(&page, 10, &unfinished);
    assert_eq!(read.found.len(), 1);
    assert_eq!(
        (
            read.found[0].id.as_str(),
            read.found[0].height,
            read.found[0].wrapper_hash
        ),
        ("p-1", 12, Hash256([9; 32]))
    );
    assert!(read.reached, "reached height 10");

    // A full page above the height already looked at: read on from its last entry.
    let full: Vec<_> = (0..25u8)
        .map(|i| entry(20, 100 + i, Some(50 + i)))
        .collect();
    let read = read_page(&full, 10, &unfinished);
    assert!(!read.reached && read.found.is_empty());
    assert_eq!(read.next, Some(Hash256([124; 32])));
    // A short page is the end of the list.
    assert!(read_page(&full[..3], 10, &unfinished).reached);
}
