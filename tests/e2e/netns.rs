//! As root: every daemon in its own Linux network namespace, joined by veth links to a bridge
//! in a hub namespace (the test itself reaches the coordinator through one more veth). The
//! 2-of-3 happy path, then cosigner A's link is cut while a proposal waits for it, and
//! restored: A reconnects and completes it.

use std::net::IpAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use hanko_cli::local::layout::Hosts;

use crate::common::*;

const DAEMONS: [&str; 5] = [
    "devnode",
    "coordinator",
    "cosigner-a",
    "cosigner-b",
    "cosigner-c",
];

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The namespaces and links; removed again when dropped.
struct Net {
    tag: String,
    subnet: u8,
}

impl Net {
    fn hub(&self) -> String {
        format!("{}-hub", self.tag)
    }

    fn ns(&self, i: usize) -> String {
        format!("{}-{i}", self.tag)
    }

    /// The hub's side of daemon `i`'s link.
    fn link(&self, i: usize) -> String {
        format!("{}v{i}", self.tag)
    }

    fn addr(&self, host: u8) -> IpAddr {
        IpAddr::from([10, 231, self.subnet, host])
    }

    fn build() -> Net {
        let subnet = 1 + rand::random::<u8>() % 250;
        let net = Net {
            tag: format!("hk{subnet:03}{}", rand::random::<u16>() % 100),
            subnet,
        };
        let hub = net.hub();
        ip(&["netns", "add", &hub]);
        ip(&["-n", &hub, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &hub, "link", "set", "br0", "up"]);
        ip(&["-n", &hub, "link", "set", "lo", "up"]);
        for i in 0..DAEMONS.len() {
            let ns = net.ns(i);
            let link = net.link(i);
            ip(&["netns", "add", &ns]);
            ip(&[
                "-n", &hub, "link", "add", &link, "type", "veth", "peer", "name", "eth0", "netns",
                &ns,
            ]);
            ip(&["-n", &hub, "link", "set", &link, "master", "br0", "up"]);
            let addr = format!("{}/24", net.addr(10 + i as u8));
            ip(&["-n", &ns, "addr", "add", &addr, "dev", "eth0"]);
            ip(&["-n", &ns, "link", "set", "eth0", "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        // The test process (treasury, operators' sockets are files) joins from this namespace.
        let mine = format!("{}t", net.tag);
        ip(&[
            "link", "add", &mine, "type", "veth", "peer", "name", "tester", "netns", &hub,
        ]);
        ip(&["-n", &hub, "link", "set", "tester", "master", "br0", "up"]);
        ip(&["addr", "add", &format!("{}/24", net.addr(1)), "dev", &mine]);
        ip(&["link", "set", &mine, "up"]);
        net
    }

    fn hosts(&self) -> Hosts {
        let mut hosts = Hosts::default();
        for (i, d) in DAEMONS.iter().enumerate() {
            hosts
                .placed
                .insert(d.to_string(), (self.ns(i), self.addr(10 + i as u8)));
        }
        hosts
    }

    fn set_link(&self, daemon: &str, up: bool) {
        let i = DAEMONS.iter().position(|d| *d == daemon).unwrap();
        let state = if up { "up" } else { "down" };
        ip(&["-n", &self.hub(), "link", "set", &self.link(i), state]);
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &format!("{}t", self.tag)])
            .status();
        for i in 0..DAEMONS.len() {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.ns(i)])
                .status();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.hub()])
            .status();
    }
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_daemon_in_its_own_network_namespace_survives_a_cut_cosigner_link() {
    if !is_root() {
        println!("not root: the network-namespace test runs only as root (CI runs it)");
        return;
    }
    let net = Net::build();
    let waiting = Rules {
        approval_above: Some(1),
        ..Rules::default()
    };
    // A and B sign on their own; C always waits for its operator (who never answers here).
    let mut p = plan(
        "netns",
        3,
        2,
        vec![Rules::default(), Rules::default(), waiting],
    );
    p.hosts = net.hosts();
    let local = start(p).await;
    let ctx = local.layout.context.clone();
    assert!(
        local.coordinator_addr.ip() == net.addr(11),
        "coordinator not in its namespace"
    );

    let first = local
        .propose(&ctx.customer, "10", "", "netns-1")
        .await
        .unwrap();
    let first = until_terminal(&local, &first.id).await;
    assert_eq!(state(&first), "confirmed", "{}", first.reason);

    // Cut A off; B's signature alone is not enough, C waits for its operator.
    net.set_link("cosigner-a", false);
    let second = local
        .propose(&ctx.customer, "20", "", "netns-2")
        .await
        .unwrap();
    let (a, b) = (
        local.layout.cosigners[0].public_key,
        local.layout.cosigners[1].public_key,
    );
    let waiting = local
        .wait_for(&second.id, STEP, |_| {}, |p| signed_by(p, &b))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let still = local
        .wait_for(&waiting.id, STEP, |_| {}, |_| true)
        .await
        .unwrap();
    assert!(
        !signed_by(&still, &a) && !terminal(&still),
        "A signed through a cut link"
    );

    let restored = Instant::now();
    net.set_link("cosigner-a", true);
    let done = until_terminal(&local, &second.id).await;
    assert_eq!(state(&done), "confirmed", "{}", done.reason);
    assert!(signed_by(&done, &a));
    println!(
        "cosigner A's link restored: proposal confirmed {} ms later",
        restored.elapsed().as_millis()
    );
    sdk_check(&local, 2);
    stop(local).await;
}

impl Net {
    /// Drops everything from daemon `from` to daemon `to` (a blackhole route in `from`'s
    /// namespace), or lifts that again.
    fn partition(&self, from: &str, to: &str, cut: bool) {
        let i = DAEMONS.iter().position(|d| *d == from).unwrap();
        let j = DAEMONS.iter().position(|d| *d == to).unwrap();
        let target = format!("{}/32", self.addr(10 + j as u8));
        let op = if cut { "add" } else { "del" };
        ip(&["-n", &self.ns(i), "route", op, "blackhole", &target]);
    }
}

async fn connected(local: &hanko_cli::local::Local, key: &nem::PublicKey) -> bool {
    let Ok(config) = hanko_cli::client::ClientConfig::load(&local.layout.admin_config) else {
        return false;
    };
    let Ok(mut admin) = config.admin().await else {
        return false;
    };
    admin
        .status(hanko_proto::v1::StatusRequest {})
        .await
        .map(|s| {
            s.into_inner()
                .cosigners
                .iter()
                .any(|c| c.cosigner == key.0 && c.connected)
        })
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_and_a_flapping_link_never_pay_twice() {
    if !is_root() {
        println!("not root: the partition test runs only as root (CI runs it)");
        return;
    }
    let net = Net::build();
    let mut p = plan("partitions", 3, 2, vec![Rules::default()]);
    p.hosts = net.hosts();
    let local = start(p).await;
    let ctx = local.layout.context.clone();
    let before = local.balance(&ctx.customer).await.unwrap();
    let keys: Vec<_> = local
        .layout
        .cosigners
        .iter()
        .map(|c| c.public_key)
        .collect();
    let mut total = 0;

    // coordinator | cosigner A: B and C complete it.
    net.partition("cosigner-a", "coordinator", true);
    let p1 = local
        .propose(&ctx.customer, "11", "", "part-1")
        .await
        .unwrap();
    let p1 = until_terminal(&local, &p1.id).await;
    assert_eq!(state(&p1), "confirmed", "{}", p1.reason);
    assert!(!signed_by(&p1, &keys[0]));
    total += 11;
    net.partition("cosigner-a", "coordinator", false);
    let healed = Instant::now();
    while !connected(&local, &keys[0]).await {
        assert!(
            healed.elapsed() < Duration::from_secs(60),
            "A never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered_a = healed.elapsed();

    // cosigner B | its node: B cannot see the chain, so it signs nothing; A and C complete it.
    net.partition("cosigner-b", "devnode", true);
    // Past the age up to which B may decide on its last reading of the chain.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let p2 = local
        .propose(&ctx.customer, "12", "", "part-2")
        .await
        .unwrap();
    let p2 = until_terminal(&local, &p2.id).await;
    assert_eq!(state(&p2), "confirmed", "{}", p2.reason);
    assert!(!signed_by(&p2, &keys[1]), "B signed without its node");
    total += 12;
    net.partition("cosigner-b", "devnode", false);

    // Cosigner C's link flaps every 300 ms while two proposals go through.
    let flapping = {
        let hub = net.hub();
        let link = net.link(4);
        tokio::task::spawn_blocking(move || {
            for i in 0..10 {
                let state = if i % 2 == 0 { "down" } else { "up" };
                let _ = Command::new("ip")
                    .args(["-n", &hub, "link", "set", &link, state])
                    .status();
                std::thread::sleep(Duration::from_millis(300));
            }
            let _ = Command::new("ip")
                .args(["-n", &hub, "link", "set", &link, "up"])
                .status();
        })
    };
    let p3 = local
        .propose(&ctx.customer, "13", "", "part-3")
        .await
        .unwrap();
    let p4 = local
        .propose(&ctx.customer, "14", "", "part-4")
        .await
        .unwrap();
    flapping.await.unwrap();
    for p in [p3, p4] {
        let p = until_terminal(&local, &p.id).await;
        assert_eq!(state(&p), "confirmed", "{}", p.reason);
    }
    total += 13 + 14;
    let flap_done = Instant::now();
    while !connected(&local, &keys[2]).await {
        assert!(
            flap_done.elapsed() < Duration::from_secs(60),
            "C never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered_c = flap_done.elapsed();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        local.balance(&ctx.customer).await.unwrap() - before,
        total * XEM
    );
    let check = sdk_check(&local, 4);
    println!(
        "partitions: 4 proposals confirmed, {} payments, 0 safety violations; A reconnected \
         {} ms after its partition healed, C {} ms after its link stopped flapping",
        check.payments,
        recovered_a.as_millis(),
        recovered_c.as_millis()
    );
    stop(local).await;
}
