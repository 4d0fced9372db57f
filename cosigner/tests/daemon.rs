//! The real `hanko-cosigner` process against an in-process coordinator and dev node over mTLS.
//! It is killed as abruptly as kill -9 (abort at an armed crash point) around every step of
//! record → flush → sign → send, and restarted: no signature ever reaches the coordinator
//! without its durable record on the cosigner, and each proposal ends with one signature.
//! Everything runs at TRACE; neither the private key nor the passphrase appears in any output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use coordinator::api::auth::Role;
use cosigner::config::{Config, CoordinatorLink, PolicySource, TrustedKey};
use cosigner::keystore;
use devnode::config::EXAMPLE_KEYS;
use hanko_proto::tls::TlsFiles;
use hanko_proto::v1 as pb;
use hanko_proto::v1::treasury_client::TreasuryClient;
use nem::{Network, PrivateKey};
use testkit::pki::write_private;
use testkit::{FAST_KDF, Pki};
use tonic::transport::Channel;

const PASSPHRASE: &str = "correct horse battery staple 7191";

struct Setup {
    dir: TempDir,
    officer: Officer,
    config: PathBuf,
    treasury: TreasuryClient<Channel>,
    /// The installation's CA and the coordinator's server certificate.
    pki: Pki,
    /// The coordinator, in process; stopped when the setup is dropped.
    _coordinator: coordinator::daemon::Running,
}

/// A coordinator in process serving the example treasury to `alice` and cosigner B, and
/// cosigner B's files (key, certificate, signed policy, configuration) as an operator would
/// lay them out, for the real `hanko-cosigner` process.
async fn setup(node: &devnode::RunningNode) -> Setup {
    let (pki, dir) = (Pki::new(), temp_dir("daemon"));
    let clients = vec![
        testkit::coordinator::client("alice", Role::Proposer),
        testkit::coordinator::cosigner("cosigner-b", nem_key(2).public_key()),
    ];
    let setup = testkit::coordinator::Setup {
        clients,
        ..Default::default()
    };
    let running =
        testkit::coordinator::start(setup, &pki, &node.url(), &dir.join("coordinator")).await;

    let key = testkit::nem_private(2);
    keystore::create(
        &dir.join("cosigner.key"),
        &key,
        PASSPHRASE.as_bytes(),
        FAST_KDF,
    )
    .unwrap();
    write_private(&dir.join("passphrase"), PASSPHRASE);
    pki.write_client(&dir, &pki.client("cosigner-b"));
    let officer = Officer::new();
    officer.write_signed(&dir.join("policy.toml"), &policy_text(250_000, ""));
    let config = Config {
        data_dir: "data".into(),
        state_dir: None,
        network: Network::Testnet,
        accounts: vec![TREASURY.parse().unwrap()],
        node: node.url(),
        key_file: "cosigner.key".into(),
        passphrase_file: Some("passphrase".into()),
        socket: "operator.sock".into(),
        operator_group: None,
        operator_uids: vec![],
        chain_max_age_ms: 500,
        coordinator: CoordinatorLink {
            address: running.addr.to_string().as_str().into(),
            server_name: "localhost".into(),
            heartbeat_ms: 1_000,
            retry_ms: 300,
        },
        tls: TlsFiles {
            ca: "ca.pem".into(),
            cert: "tls.pem".into(),
            key: "tls.key".into(),
        },
        policy: PolicySource {
            file: "policy.toml".into(),
            threshold: 1,
            trusted: vec![TrustedKey {
                name: "compliance".into(),
                key: officer.keys.pk.to_base64(),
            }],
            watch_ms: 500,
        },
        watch: Default::default(),
    };
    let path = dir.join("cosigner.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    let treasury = TreasuryClient::new(pki.channel(&pki.client("alice"), running.addr).await);
    Setup {
        dir,
        officer,
        config: path,
        treasury,
        pki,
        _coordinator: running,
    }
}

async fn propose(t: &mut TreasuryClient<Channel>, key: &str) -> String {
    testkit::treasury::propose(t, TREASURY, "12.5", key).await
}

/// The proposals for which the coordinator holds cosigner B's signature.
async fn signed_by_b(t: &mut TreasuryClient<Channel>, ids: &[String]) -> Vec<String> {
    let b = nem_key(2).public_key().0.to_vec();
    let mut out = vec![];
    for id in ids {
        let p = t
            .get(pb::GetRequest { id: id.clone() })
            .await
            .unwrap()
            .into_inner();
        if p.decisions.iter().any(|d| {
            d.cosigner == b && matches!(d.outcome, Some(pb::cosigner_decision::Outcome::Signed(_)))
        }) {
            out.push(id.clone());
        }
    }
    out
}

/// Polls until the coordinator holds B's signature for every one of `ids`, or `seconds` pass;
/// the ones it holds.
async fn until_signed_by_b(
    t: &mut TreasuryClient<Channel>,
    ids: &[String],
    seconds: u64,
) -> Vec<String> {
    let mut got = vec![];
    for _ in 0..seconds * 10 {
        got = signed_by_b(t, ids).await;
        if got.len() == ids.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got
}

/// `hanko-cosigner status --json` on the operator socket, parsed.
fn operator_status(socket: &std::path::Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_hanko-cosigner"))
        .args(["status", "--json", "--socket"])
        .arg(socket)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn spawn(s: &Setup, failpoint: Option<&str>, log: &str) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hanko-cosigner"));
    cmd.args(["run", "--config"])
        .arg(&s.config)
        .env("HANKO_LOG", "trace")
        .stdout(std::fs::File::create(s.dir.join(format!("{log}.out"))).unwrap())
        .stderr(std::fs::File::create(s.dir.join(format!("{log}.err"))).unwrap())
        .stdin(Stdio::null());
    match failpoint {
        Some(f) => cmd.env("HANKO_FAILPOINT", f),
        None => cmd.env_remove("HANKO_FAILPOINT"),
    };
    cmd.spawn().unwrap()
}

/// Waits until the daemon logging to `log` says it is ready (its operator socket is bound).
async fn until_ready(s: &Setup, log: &str, seconds: u64) {
    let out = s.dir.join(format!("{log}.out"));
    for _ in 0..seconds * 20 {
        if std::fs::read_to_string(&out)
            .unwrap_or_default()
            .contains("hanko-cosigner ready")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{log}: the cosigner did not get ready within {seconds} s");
}

async fn wait_exit(child: &mut Child, seconds: u64) -> Option<std::process::ExitStatus> {
    for _ in 0..seconds * 20 {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_points_around_flush_then_sign_never_leak_an_unrecorded_signature() {
    let node = devnode().await;
    let mut s = setup(&node).await;
    let mut ids = vec![];
    for (i, point) in [
        "cosigner.decision_recorded",
        "cosigner.decision_flushed",
        "cosigner.signature_made",
        "cosigner.answer_sending",
    ]
    .iter()
    .enumerate()
    {
        ids.push(propose(&mut s.treasury, &format!("crash-{i}")).await);
        let mut child = spawn(&s, Some(point), &format!("run-{i}"));
        let status = wait_exit(&mut child, 30).await.unwrap_or_else(|| {
            let _ = child.kill();
            panic!("the cosigner did not reach crash point {point}")
        });
        assert!(!status.success(), "{point}: {status}");
        let err = std::fs::read_to_string(s.dir.join(format!("run-{i}.err"))).unwrap();
        assert!(
            err.contains(&format!("crash point {point}")),
            "{point}: {err}"
        );
        assert!(
            signed_by_b(&mut s.treasury, &ids).await.is_empty(),
            "a signature left the cosigner before {point} completed"
        );
    }
    // After the answer was sent: the coordinator has it, the cosigner dies before logging.
    ids.push(propose(&mut s.treasury, "crash-sent").await);
    let mut child = spawn(&s, Some("cosigner.answer_sent"), "run-sent");
    assert!(!wait_exit(&mut child, 30).await.unwrap().success());

    // A clean restart answers everything. (The crashed runs may already have delivered every
    // answer, so wait for this one to be up before asking its operator socket.)
    let mut child = spawn(&s, None, "run-final");
    until_ready(&s, "run-final", 30).await;
    let got = until_signed_by_b(&mut s.treasury, &ids, 30).await;
    assert_eq!(
        got.len(),
        ids.len(),
        "every proposal ends with B's signature"
    );

    // The operator's view, from the real command line.
    let socket = s.dir.join("operator.sock");
    let report = operator_status(&socket);
    assert_eq!(report["public_key"], nem_key(2).public_key().to_string());
    assert_eq!(report["signed"], ids.len());
    let pending = Command::new(env!("CARGO_BIN_EXE_hanko-cosigner"))
        .args(["pending", "--socket"])
        .arg(&socket)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&pending.stdout).trim(),
        "nothing is waiting for approval"
    );

    // A new signed policy file is picked up while running; a tampered one is refused with an
    // alert and the policy in force stays.
    let status = || operator_status(&socket);
    let before = report["policy_hash"].clone();
    s.officer
        .write_signed(&s.dir.join("policy.toml"), &policy_text(200_000, ""));
    let mut after = before.clone();
    for _ in 0..100 {
        after = status()["policy_hash"].clone();
        if after != before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(after, before, "the re-signed policy file was not loaded");
    std::fs::write(s.dir.join("policy.toml"), policy_text(900_000, "")).unwrap();
    let mut alerted = false;
    for _ in 0..100 {
        let r = status();
        if r["alerts"].to_string().contains("policy_refused") {
            assert_eq!(
                r["policy_hash"], after,
                "a refused file does not replace the policy"
            );
            alerted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(alerted, "a tampered policy file raised no alert");

    let _ = child.kill();
    let _ = child.wait();

    // Every signature the coordinator holds has its durable record on the cosigner.
    let store = cosigner::store::Store::open(&s.dir.join("data")).unwrap();
    for id in &got {
        let b = store
            .binding(id)
            .unwrap()
            .unwrap_or_else(|| panic!("{id}: signature without record"));
        assert_eq!(b.status.name(), "signed", "{id}");
    }
    let journal = store.audit().unwrap();
    cosigner::audit::verify(&journal).unwrap();

    // TRACE everywhere, and still no secret in any output.
    let key = PrivateKey::from_nis_hex(EXAMPLE_KEYS[2].1).unwrap();
    let secrets = [
        EXAMPLE_KEYS[2].1.to_lowercase(),
        key.to_nis_hex().to_lowercase(),
        hex::encode(key.seed()),
        PASSPHRASE.to_string(),
    ];
    let mut bytes = 0;
    for entry in std::fs::read_dir(&s.dir).unwrap() {
        let path = entry.unwrap().path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("out" | "err")
        ) {
            let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
            bytes += text.len();
            for secret in &secrets {
                assert!(
                    !text.contains(&secret.to_lowercase()),
                    "{} leaks a secret",
                    path.display()
                );
            }
        }
    }
    println!(
        "{} proposals, {} crash runs, {bytes} bytes of TRACE output, no secret",
        ids.len(),
        5
    );
    assert!(bytes > 10_000, "TRACE output was captured");
    node.stop().await;
}

/// If the decision and its audit record cannot be written, nothing is signed: the cosigner
/// answers nothing and keeps trying; once storage works again it signs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_journal_means_no_signature() {
    let node = devnode().await;
    let mut s = setup(&node).await;
    let id = propose(&mut s.treasury, "journal-down").await;
    let mut child = spawn(&s, Some("cosigner.journal_write"), "run-journal");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        signed_by_b(&mut s.treasury, std::slice::from_ref(&id))
            .await
            .is_empty(),
        "a signature left without its durable record"
    );
    let _ = child.kill();
    let _ = child.wait();
    let err = std::fs::read_to_string(s.dir.join("run-journal.err")).unwrap();
    assert!(err.contains("the audit journal cannot be written"), "{err}");
    let mut child = spawn(&s, None, "run-journal-ok");
    let got = until_signed_by_b(&mut s.treasury, std::slice::from_ref(&id), 10).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(got, vec![id], "signed once storage works again");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// How a start on damaged storage ended.
#[derive(Debug, PartialEq)]
enum Start {
    /// The cosigner refused to start, saying why.
    Refused(String),
    /// It started with everything it had signed.
    Whole,
    /// It started having forgotten a signature: the failure this test exists to catch.
    Forgot(usize),
}

async fn start_on(s: &Setup, log: &str, signed: usize) -> Start {
    let mut child = spawn(s, None, log);
    let out = s.dir.join(format!("{log}.out"));
    for _ in 0..400 {
        if let Some(status) = child.try_wait().unwrap() {
            let err = std::fs::read_to_string(s.dir.join(format!("{log}.err"))).unwrap();
            assert!(!status.success());
            let last = err.lines().last().unwrap_or_default().to_string();
            return Start::Refused(last);
        }
        if std::fs::read_to_string(&out)
            .unwrap_or_default()
            .contains("hanko-cosigner ready")
        {
            let report = operator_status(&s.dir.join("operator.sock"));
            let _ = child.kill();
            let _ = child.wait();
            let now = report["signed"].as_u64().unwrap() as usize;
            return if now == signed {
                Start::Whole
            } else {
                Start::Forgot(signed - now)
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    panic!("{log}: neither started nor stopped in 20 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_deleted_or_replaced_storage_never_starts_a_forgetful_cosigner() {
    use rand::{Rng, SeedableRng};
    let node = devnode().await;
    let mut s = setup(&node).await;
    let ids = vec![
        propose(&mut s.treasury, "store-1").await,
        propose(&mut s.treasury, "store-2").await,
    ];
    let mut child = spawn(&s, None, "run-store");
    assert_eq!(
        until_signed_by_b(&mut s.treasury, &ids, 30).await.len(),
        ids.len()
    );
    let _ = child.kill();
    let _ = child.wait();
    let data = s.dir.join("data");
    let pristine = s.dir.join("pristine");
    copy_dir(&data, &pristine);
    let restore = || {
        let _ = std::fs::remove_dir_all(&data);
        copy_dir(&pristine, &data);
    };
    assert_eq!(start_on(&s, "intact", ids.len()).await, Start::Whole);

    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5707e);
    let mut outcomes: Vec<(String, Start)> = vec![];
    let mut trial = |name: String, outcome: Start| {
        if let Start::Forgot(n) = outcome {
            panic!("{name}: the cosigner started having forgotten {n} signatures");
        }
        outcomes.push((name, outcome));
    };
    // Bit flips and truncations anywhere in sled's files.
    for i in 0..24 {
        restore();
        let all = files(&data);
        let file = &all[rng.random_range(0..all.len())];
        let mut bytes = std::fs::read(file).unwrap();
        let what = if i % 3 == 2 && bytes.len() > 1 {
            let len = rng.random_range(0..bytes.len());
            bytes.truncate(len);
            format!("{} truncated to {len} bytes", file.display())
        } else if bytes.is_empty() {
            bytes.push(1);
            format!("{} given a byte", file.display())
        } else {
            let at = rng.random_range(0..bytes.len());
            bytes[at] ^= 1 << rng.random_range(0..8);
            format!("{} bit flipped at byte {at}", file.display())
        };
        std::fs::write(file, &bytes).unwrap();
        trial(what, start_on(&s, &format!("flip-{i}"), ids.len()).await);
    }
    // Each of sled's files deleted, then the whole directory.
    for (i, file) in files(&pristine).iter().enumerate() {
        restore();
        let target = data.join(file.strip_prefix(&pristine).unwrap());
        std::fs::remove_file(&target).unwrap();
        let name = format!("{} deleted", target.display());
        trial(name, start_on(&s, &format!("delete-{i}"), ids.len()).await);
    }
    std::fs::remove_dir_all(&data).unwrap();
    let name = "the data directory deleted".to_string();
    trial(name, start_on(&s, "delete-all", ids.len()).await);
    // Edits that keep sled's own checksums right: a journal entry, a binding, the head.
    for (i, edit) in ["journal entry", "signed binding", "journal head"]
        .iter()
        .enumerate()
    {
        restore();
        {
            let db = sled::open(&data).unwrap();
            match *edit {
                "journal entry" => {
                    let audit = db.open_tree("audit").unwrap();
                    let (k, v) = audit.first().unwrap().unwrap();
                    let text = String::from_utf8_lossy(&v).replace("policy", "p0licy");
                    audit.insert(k, text.as_bytes()).unwrap();
                }
                "signed binding" => {
                    let bindings = db.open_tree("bindings").unwrap();
                    bindings.remove(ids[0].as_bytes()).unwrap();
                }
                _ => {
                    let audit = db.open_tree("audit").unwrap();
                    let (k, _) = audit.last().unwrap().unwrap();
                    audit.remove(k).unwrap();
                }
            }
            db.flush().unwrap();
        }
        trial(
            format!("{edit} edited"),
            start_on(&s, &format!("edit-{i}"), ids.len()).await,
        );
    }
    let refused = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Start::Refused(_)))
        .count();
    for (name, outcome) in &outcomes {
        println!("  {name}: {outcome:?}");
    }
    println!(
        "corrupted storage: {} damaged starts, {refused} refused with a reason, {} started whole, 0 started having forgotten a signature",
        outcomes.len(),
        outcomes.len() - refused
    );
    // Deleting the store or editing what it says is always caught.
    for (name, outcome) in &outcomes {
        if name.contains("directory deleted") || name.contains("edited") {
            assert!(matches!(outcome, Start::Refused(_)), "{name}: {outcome:?}");
        }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The cosigner's data directory on a 4 MiB tmpfs that then fills up: the proposal that needs
/// a write gets no signature and the log says why; once space is back, a restart finds the store
/// whole and signs what waited, and every signature the coordinator holds has its binding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_means_no_signature_and_nothing_lost() {
    if !is_root() {
        println!("not root: the disk-full test mounts a tmpfs and runs only as root (CI runs it)");
        return;
    }
    let node = devnode().await;
    let mut s = setup(&node).await;
    let data = s.dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&data)
        .status()
        .unwrap();
    assert!(
        mounted.success(),
        "cannot mount a tmpfs on {}",
        data.display()
    );
    let unmount = || {
        let _ = Command::new("umount").arg("-l").arg(&data).status();
    };
    let mut child = spawn(&s, None, "run-full");
    let mut ids = vec![propose(&mut s.treasury, "full-0").await];
    let signed = until_signed_by_b(&mut s.treasury, &ids, 10).await;
    assert_eq!(signed.len(), 1, "nothing signed on the fresh tmpfs");
    // Fill the disk.
    {
        use std::io::Write;
        let mut filler = std::fs::File::create(data.join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while filler.write_all(&block).is_ok() {}
        let _ = filler.sync_all();
    }
    let mut refused_at = None;
    for i in 1..=40 {
        let id = propose(&mut s.treasury, &format!("full-{i}")).await;
        ids.push(id.clone());
        let got = !until_signed_by_b(&mut s.treasury, std::slice::from_ref(&id), 3)
            .await
            .is_empty();
        if !got {
            refused_at = Some(i);
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(s.dir.join("run-full.err")).unwrap();
    let Some(refused_at) = refused_at else {
        unmount();
        panic!("40 proposals signed on a full disk: sled never needed more space");
    };
    let held_before = signed_by_b(&mut s.treasury, &ids).await;
    assert!(
        log.contains("No space left on device") || log.contains("os error 28"),
        "the log does not say the disk is full"
    );
    // Space comes back: the store is whole, and what waited is signed.
    std::fs::remove_file(data.join("filler")).unwrap();
    let mut child = spawn(&s, None, "run-full-after");
    let got = until_signed_by_b(&mut s.treasury, &ids, 20).await;
    let report = operator_status(&s.dir.join("operator.sock"));
    let _ = child.kill();
    let _ = child.wait();
    unmount();
    assert_eq!(
        got.len(),
        ids.len(),
        "not everything was signed once space came back"
    );
    assert_eq!(report["signed"].as_u64().unwrap() as usize, ids.len());
    println!(
        "disk full: {} signed on a 4 MiB tmpfs before it filled, proposal {refused_at} got no signature and the log named the full disk; {} signatures held then, each with its binding; after space came back all {} signed, none lost",
        refused_at,
        held_before.len(),
        ids.len()
    );
}

/// `hanko-cosigner ARGS --socket SOCKET` as Unix user `uid` in the supplementary `groups`.
fn as_user(uid: u32, groups: &[u32], socket: &Path, args: &[&str]) -> std::process::Output {
    let groups = if groups.is_empty() {
        "--clear-groups".to_string()
    } else {
        format!(
            "--groups={}",
            groups
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    Command::new("setpriv")
        .arg(format!("--reuid={uid}"))
        .arg(format!("--regid={uid}"))
        .arg(groups)
        .arg(env!("CARGO_BIN_EXE_hanko-cosigner"))
        .args(args)
        .arg("--socket")
        .arg(socket)
        .output()
        .unwrap()
}

/// Item 8 of the hardening: with an operator group, two distinct non-root users of the group
/// each approve through the socket (a withdrawal needing two approvals is signed), the same
/// user cannot approve twice, and a user outside the group cannot even connect. As root
/// (setpriv changes users); CI runs as root.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_operators_of_the_group_approve_and_no_one_else_reaches_the_socket() {
    if !is_root() {
        println!(
            "not root: the operator-group test changes Unix users and runs only as root (CI runs it)"
        );
        return;
    }
    const GROUP: u32 = 48_420;
    let node = devnode().await;
    let mut s = setup(&node).await;
    // Every withdrawal needs two operators; the socket in a directory of its own.
    let policy = policy_text(250_000, "")
        .replace("above = \"20000\"", "above = \"1\"")
        .replace("approvals = 1", "approvals = 2");
    s.officer.write_signed(&s.dir.join("policy.toml"), &policy);
    let config = std::fs::read_to_string(&s.config).unwrap().replace(
        "socket = \"operator.sock\"",
        &format!("socket = \"run/operator.sock\"\noperator_group = \"{GROUP}\""),
    );
    std::fs::write(&s.config, config).unwrap();
    std::fs::create_dir_all(s.dir.join("run")).unwrap();
    let socket = s.dir.join("run/operator.sock");
    let id = propose(&mut s.treasury, "operators-1").await;
    let mut child = spawn(&s, None, "run-operators");
    until_ready(&s, "run-operators", 30).await;

    let mut code = None;
    for _ in 0..300 {
        let out = as_user(4_001, &[GROUP], &socket, &["show", &id, "--json"]);
        if out.status.success() {
            let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            if shown["status"] == "awaiting_approval" {
                code = shown["confirm"].as_str().map(str::to_string);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let code = code.expect("the proposal waits for its operators");
    let approve = |uid: u32, groups: &[u32]| {
        as_user(
            uid,
            groups,
            &socket,
            &[
                "approve",
                &id,
                "--confirm",
                &code,
                "--name",
                &format!("op{uid}"),
            ],
        )
    };
    let stranger = as_user(4_003, &[], &socket, &["pending"]);
    let said = String::from_utf8_lossy(&stranger.stderr).to_string();
    assert!(
        !stranger.status.success(),
        "a user outside the group reached the socket"
    );
    assert!(
        said.contains("Permission denied") || said.contains("cannot reach"),
        "{said}"
    );

    let first = approve(4_001, &[GROUP]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let twice = approve(4_001, &[GROUP]);
    assert!(!twice.status.success(), "the same user approved twice");
    assert!(
        String::from_utf8_lossy(&twice.stderr).contains("already approved"),
        "{}",
        String::from_utf8_lossy(&twice.stderr)
    );
    let second = approve(4_002, &[GROUP]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(
        until_signed_by_b(&mut s.treasury, std::slice::from_ref(&id), 30).await,
        [id]
    );

    let mode = |p: &Path| {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let m = std::fs::metadata(p).unwrap();
        (m.permissions().mode() & 0o777, m.gid())
    };
    assert_eq!(mode(&socket), (0o660, GROUP));
    assert_eq!(mode(&s.dir.join("run")), (0o750, GROUP));
    let _ = child.kill();
    let _ = child.wait();
    node.stop().await;
}

/// A coordinator of the attacker's own, over the installation's mTLS: it streams `total`
/// offers made by `offer`, takes every answer and counts them.
struct Flooder {
    total: usize,
    offer: fn(usize) -> pb::ProposalForSigning,
    answers: Arc<std::sync::atomic::AtomicUsize>,
}

#[tonic::async_trait]
impl hanko_proto::v1::cosigner_link_server::CosignerLink for Flooder {
    type SubscribeStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<pb::ProposalForSigning, tonic::Status>> + Send>,
    >;

    async fn subscribe(
        &self,
        _: tonic::Request<pb::SubscribeRequest>,
    ) -> Result<tonic::Response<Self::SubscribeStream>, tonic::Status> {
        use tokio_stream::StreamExt;
        let offer = self.offer;
        let stream = tokio_stream::iter(0..self.total).map(move |i| Ok(offer(i)));
        Ok(tonic::Response::new(Box::pin(stream)))
    }

    async fn submit_decision(
        &self,
        _: tonic::Request<pb::SubmitDecisionRequest>,
    ) -> Result<tonic::Response<pb::SubmitDecisionResponse>, tonic::Status> {
        self.answers
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(tonic::Response::new(pb::SubmitDecisionResponse {
            state: 0,
        }))
    }

    async fn heartbeat(
        &self,
        _: tonic::Request<pb::HeartbeatRequest>,
    ) -> Result<tonic::Response<pb::HeartbeatResponse>, tonic::Status> {
        Ok(tonic::Response::new(pb::HeartbeatResponse {
            coordinator_time_ms: 0,
        }))
    }
}

/// Serves `flooder` with the coordinator's certificate; its address.
async fn serve_flooder(s: &Setup, flooder: Flooder) -> std::net::SocketAddr {
    use hanko_proto::v1::cosigner_link_server::CosignerLinkServer;
    let tls = s.pki.server_config();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            if let Ok(stream) = acceptor.accept(tcp).await
                && tx.send(Ok::<_, std::io::Error>(stream)).await.is_err()
            {
                break;
            }
        }
    });
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(CosignerLinkServer::new(flooder))
            .serve_with_incoming(tokio_stream::wrappers::ReceiverStream::new(rx)),
    );
    addr
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn tree_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => tree_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The bound the real cosigner keeps its peak memory under while a coordinator floods it.
const FLOOD_PEAK_MIB: u64 = 96;
/// What its data directory may grow by under the flood.
const FLOOD_STORE_GROWTH_MIB: u64 = 2;

/// Item 6 of the hardening, against the real `hanko-cosigner` over mTLS: a coordinator of the
/// attacker's own streams 10,000 offers, every tenth with a 3.9 MiB proposal id and the rest
/// with 64 KiB inner transactions. The cosigner reads them all (backpressure, not memory),
/// refuses each before looking anything up, keeps its peak memory and its data directory
/// within stated bounds, and answers only under ids the coordinator could have made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_coordinator_cannot_exhaust_the_real_cosigner() {
    let node = devnode().await;
    let s = setup(&node).await;
    let answers = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let flooder = Flooder {
        total: 10_000,
        offer: |i| {
            let (proposal_id, inner) = if i % 10 == 0 {
                ("i".repeat(3_900 * 1024), vec![])
            } else {
                (format!("flood-{i}"), vec![7; 64 * 1024])
            };
            pb::ProposalForSigning {
                proposal_id,
                account: TREASURY.into(),
                inner_transaction: inner,
                proposer: vec![1; 32],
                proposer_signature: vec![2; 64],
                required_signatures: 2,
            }
        },
        answers: answers.clone(),
    };
    let addr = serve_flooder(&s, flooder).await;
    let config = std::fs::read_to_string(&s.config).unwrap();
    let start = config.find("address = \"").unwrap() + "address = \"".len();
    let end = start + config[start..].find('"').unwrap();
    std::fs::write(
        &s.config,
        format!("{}{addr}{}", &config[..start], &config[end..]),
    )
    .unwrap();

    let mut child = spawn(&s, None, "run-flood");
    until_ready(&s, "run-flood", 30).await;
    let data = s.dir.join("data");
    let before = tree_bytes(&data);
    let started = std::time::Instant::now();
    // Every offer with a valid id is answered (its refusal); wait for the 9,000.
    while answers.load(std::sync::atomic::Ordering::SeqCst) < 9_000 {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the flood was not read"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the cosigner died under the flood"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let peak = status_kib(child.id(), "VmHWM:");
    let grown = tree_bytes(&data).saturating_sub(before);
    println!(
        "flood of 10,000 offers (1,000 with 3.9 MiB ids, 9,000 with 64 KiB inner bytes, {:.1} GiB) in {:.1} s: cosigner peak memory {} MiB (bound {FLOOD_PEAK_MIB}), data directory grew {} KiB (bound {} KiB), {} answers",
        (1_000.0 * 3.9 + 9_000.0 / 16.0) / 1024.0,
        started.elapsed().as_secs_f64(),
        peak / 1024,
        grown / 1024,
        FLOOD_STORE_GROWTH_MIB * 1024,
        answers.load(std::sync::atomic::Ordering::SeqCst)
    );
    let status = operator_status(&s.dir.join("operator.sock"));
    assert_eq!(status["signed"], 0);
    assert!(peak < FLOOD_PEAK_MIB * 1024, "peak memory {peak} KiB");
    assert!(
        grown < FLOOD_STORE_GROWTH_MIB * 1024 * 1024,
        "data directory grew {grown} bytes"
    );
    assert_eq!(
        answers.load(std::sync::atomic::Ordering::SeqCst),
        9_000,
        "no answer under an invalid id"
    );
    let _ = child.kill();
    let _ = child.wait();
    node.stop().await;
}
