//! `hanko devnode` as a real process: prints its test keys and address, serves NIS, stops on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn devnode_starts_serves_and_stops() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hanko"))
        .args(["devnode", "--listen", "127.0.0.1:0", "--block-time-ms", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    let url = loop {
        let line = lines
            .next()
            .expect("devnode exited before it was ready")
            .unwrap();
        if let Some(rest) = line.strip_prefix("hanko devnode listening on ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
        banner.push(line);
    };
    let banner = banner.join("\n");
    assert!(
        banner.contains("TEST KEYS") && banner.contains("TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2"),
        "{banner}"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = nem::client::NisClient::new(nem::client::ClientConfig::new(url)).unwrap();
    let height = runtime.block_on(client.chain_height()).unwrap();
    assert_eq!(height, 1);

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}
