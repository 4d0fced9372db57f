//! kill -9 the coordinator process after it accepted a proposal, restart it on the same data
//! directory: the proposal is still there, cosigners get it, it completes, and the treasury pays
//! exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use hanko_proto::v1::treasury_client::TreasuryClient;
use hanko_runtime::pki::{Usage, Validity, issue, new_ca};
use nem::{Address, Network};

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
    let mut node_config = devnode::Config::example().unwrap();
    node_config.block_time_ms = 200;
    let node = devnode::start(
        &node_config,
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .unwrap();
    let nis = nem::client::NisClient::new(nem::client::ClientConfig::new(node.url())).unwrap();
    let treasury = Address::from_public_key(&nem_key(0).public_key(), Network::Testnet);
    let before = nis.account(&treasury).await.unwrap().account.balance;

    let dir = std::env::temp_dir().join(format!("hanko-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ca = new_ca("ca", 5, YEAR).unwrap();
    let server = issue(
        &ca,
        "coordinator",
        Usage::Server {
            names: vec!["localhost".into()],
        },
        Validity::Years(1),
        YEAR,
    )
    .unwrap();
    std::fs::write(dir.join("ca.pem"), &ca.cert_pem).unwrap();
    std::fs::write(dir.join("coordinator.pem"), &server.cert_pem).unwrap();
    std::fs::write(dir.join("coordinator.key"), &server.key_pem).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        let private = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(dir.join("coordinator.key"), private).unwrap();
    }
    let cert = |n: &str| issue(&ca, n, Usage::Client, Validity::Years(1), YEAR).unwrap();
    let key = |i: usize| nem_key(i).public_key().to_string();
    let config = dir.join("coordinator.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:0"
data_dir = "data"
node = "{}"
network = "testnet"
deadline = "1h"
tick_ms = 200

[tls]
ca = "ca.pem"
cert = "coordinator.pem"
key = "coordinator.key"

[[account]]
public_key = "{}"
cosigners = ["{}", "{}", "{}"]
required = 2

[[client]]
name = "alice"
role = "proposer"

[[client]]
name = "cosigner-a"
role = "cosigner"
cosigner_key = "{}"

[[client]]
name = "cosigner-b"
role = "cosigner"
cosigner_key = "{}"
"#,
            node.url(),
            key(0),
            key(1),
            key(2),
            key(3),
            key(1),
            key(2)
        ),
    )
    .unwrap();

    let alice = cert("alice");
    let (mut first, addr) = start(&config);
    let mut t = TreasuryClient::new(channel(&ca, &alice, addr).await);
    let id = propose(&mut t, treasury, "250", "restart-1").await;
    first.kill().unwrap(); // SIGKILL: no shutdown, no flush beyond what was acknowledged
    first.wait().unwrap();
    drop(t);

    let (mut second, addr) = start(&config);
    tokio::spawn(test_cosigner(
        ca.clone(),
        cert("cosigner-a"),
        addr,
        nem_key(1),
        treasury,
    ));
    tokio::spawn(test_cosigner(
        ca.clone(),
        cert("cosigner-b"),
        addr,
        nem_key(2),
        treasury,
    ));
    let mut t = TreasuryClient::new(channel(&ca, &alice, addr).await);
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
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = std::fs::remove_dir_all(&dir);
}
