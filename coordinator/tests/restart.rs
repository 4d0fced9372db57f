//! kill -9 the coordinator process after it accepted a proposal, restart it on the same data
//! directory: the proposal is still there, cosigners get it, it completes, and the treasury pays
//! exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::*;
use coordinator::api::auth::Role;
use hanko_proto::v1::treasury_client::TreasuryClient;
use nem::{Address, Network};
use testkit::coordinator::{Setup, client, cosigner};

fn start(config: &std::path::Path) -> (Child, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hanko-coordinator"))
        .arg("--config")
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take();
    let ready = stdout.and_then(|out| {
        BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| {
                line.strip_prefix("hanko-coordinator ready on ")
                    .and_then(|a| a.trim().parse().ok())
            })
    });
    match ready {
        Some(addr) => (child, addr),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("coordinator exited before it was ready");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_coordinator_resumes_and_completes_the_proposal() {
    let node = testkit::node::start(200, |_| {}).await;
    let nis = testkit::node::client(&node);
    let treasury = Address::from_public_key(&nem_key(0).public_key(), Network::Testnet);
    let before = nis.account(&treasury).await.unwrap().account.balance;

    let (pki, dir) = (Pki::new(), testkit::temp_dir("restart"));
    let setup = Setup {
        clients: vec![
            client("alice", Role::Proposer),
            cosigner("cosigner-a", nem_key(1).public_key()),
            cosigner("cosigner-b", nem_key(2).public_key()),
        ],
        ..Setup::default()
    };
    let config = dir.join("coordinator.toml");
    testkit::coordinator::write(
        &testkit::coordinator::configure(setup, &pki, &node.url(), &dir),
        &config,
    );
    let cert = |name: &str| pki.client(name);

    let alice = cert("alice");
    let (mut first, addr) = start(&config);
    let mut t = TreasuryClient::new(pki.channel(&alice, addr).await);
    let id = propose(&mut t, treasury, "250", "restart-1").await;
    first.kill().unwrap(); // SIGKILL: no shutdown, no flush beyond what was acknowledged
    first.wait().unwrap();
    drop(t);

    let (mut second, addr) = start(&config);
    tokio::spawn(test_cosigner(
        pki.clone(),
        cert("cosigner-a"),
        addr,
        nem_key(1),
        treasury,
    ));
    tokio::spawn(test_cosigner(
        pki.clone(),
        cert("cosigner-b"),
        addr,
        nem_key(2),
        treasury,
    ));
    let mut t = TreasuryClient::new(pki.channel(&alice, addr).await);
    let p = wait_confirmed(&mut t, &id, 20).await;
    assert!(p.confirmed_height > 1);
    let after = nis.account(&treasury).await.unwrap().account.balance;
    assert_eq!(
        before - after,
        250_000_000 + 100_000 + 150_000 + 150_000,
        "exactly one payment"
    );

    second.kill().unwrap();
    second.wait().unwrap();
    node.stop().await;
}
