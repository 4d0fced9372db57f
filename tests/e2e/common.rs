//! Shared by the end-to-end tests: a local Hanko of real processes per test, policies, and
//! the official NEM SDK's check of everything the dev node was asked to announce.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub use hanko_cli::local::policies::{Rules, policy};
use hanko_cli::local::{Local, Plan};
use hanko_proto::v1 as pb;
use hanko_proto::v1::cosigner_decision::Outcome;

pub const STEP: Duration = Duration::from_secs(60);

pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hanko"))
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "hanko-e2e-{tag}-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A plan with cheap key-file hashing, fast blocks and per-cosigner rules.
pub fn plan(tag: &str, cosigners: usize, required: usize, rules: Vec<Rules>) -> Plan {
    Plan {
        kdf: testkit::FAST_KDF,
        block_time_ms: 300,
        policy: Box::new(move |i, ctx| policy(i, ctx, &rules[i.min(rules.len() - 1)])),
        ..Plan::new(temp_dir(tag), cosigners, required)
    }
}

/// A 2-of-3 plan with two coordinators on the database at `url` (lease `lease_ms`), whose
/// clients may ask as often, and have as many unfinished, as the tests need.
pub fn ha_plan(tag: &str, rules: Rules, url: &str, lease_ms: u64) -> Plan {
    let mut p = plan(tag, 3, 2, vec![rules]);
    p.standbys = 1;
    p.store =
        coordinator::store::StoreConfig::Postgres(coordinator::store::postgres::PostgresConfig {
            lease_ms,
            ..coordinator::store::postgres::PostgresConfig::at(url)
        });
    p.limits = Some(coordinator::config::limits::Limits {
        requests_per_second: 1_000,
        burst: 1_000,
        max_pending_per_account: 1_000,
        ..Default::default()
    });
    p
}

pub async fn start(plan: Plan) -> Local {
    tokio::task::spawn_blocking(move || Local::start(&exe(), &plan))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("local Hanko did not start: {e}"))
}

/// Stops every daemon and removes the test's directory: a test that passes leaves nothing
/// behind, one that fails keeps its logs and stores for a look.
pub async fn stop(local: Local) {
    let dir = local.dir().to_path_buf();
    stop_keeping(local).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Stops every daemon and keeps the directory, for a test that reads the stores afterwards
/// (it removes the directory itself once it passes).
pub async fn stop_keeping(local: Local) {
    tokio::task::spawn_blocking(move || local.stop())
        .await
        .unwrap();
}

/// Proposal `id` as the coordinators answer now; `None` while none answers.
pub async fn get(local: &Local, id: &str) -> Option<pb::Proposal> {
    let mut t = local.treasury().await.ok()?;
    t.get(pb::GetRequest { id: id.into() })
        .await
        .ok()
        .map(|r| r.into_inner())
}

pub fn state(p: &pb::Proposal) -> &'static str {
    hanko_cli::treasury::render::state_name(p.state)
}

pub fn terminal(p: &pb::Proposal) -> bool {
    hanko_cli::treasury::render::is_terminal(p.state)
}

pub async fn until_terminal(local: &Local, id: &str) -> pb::Proposal {
    local
        .wait_for(id, STEP, |_| {}, terminal)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

pub fn outcome_of<'a>(p: &'a pb::Proposal, key: &nem::PublicKey) -> Option<&'a Outcome> {
    p.decisions
        .iter()
        .find(|d| d.cosigner == key.0)
        .and_then(|d| d.outcome.as_ref())
}

pub fn needs_approval(p: &pb::Proposal, key: &nem::PublicKey) -> bool {
    matches!(outcome_of(p, key), Some(Outcome::NeedsApproval(_)))
}

pub fn signed_by(p: &pb::Proposal, key: &nem::PublicKey) -> bool {
    matches!(outcome_of(p, key), Some(Outcome::Signed(_)))
}

pub async fn approve(local: &Local, i: usize, p: &pb::Proposal) {
    local
        .operator(
            i,
            cosigner::operator::Request::Approve {
                id: p.id.clone(),
                confirm: p.inner_hash[..8].to_string(),
                name: "e2e-operator".into(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("approval on cosigner {i}: {e}"));
}

/// The official SDK's verdict on the dev node's announce log.
#[derive(Debug, serde::Deserialize)]
pub struct SdkCheck {
    /// Lines, retries included.
    pub announces: usize,
    /// Distinct announced bytes.
    pub distinct: usize,
    /// Distinct wrappers and cosignatures.
    pub wrappers: usize,
    pub cosignatures: usize,
    /// Distinct inner transactions announced inside wrappers.
    pub payments: usize,
    pub problems: Vec<String>,
}

pub fn sdk_check_file(log: &Path) -> (bool, SdkCheck) {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/sdk-vectors/check-announces.js");
    let out = Command::new("node")
        .arg(&script)
        .arg(log)
        .output()
        .unwrap_or_else(|e| {
            panic!("node is needed for the NEM SDK check ({e}): run the tests with tools/test.sh, which installs it")
        });
    let text = String::from_utf8_lossy(&out.stdout);
    let check: SdkCheck = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("Cannot find module") {
            panic!("the NEM SDK is not installed: run the tests with tools/test.sh, which installs it\n{err}");
        }
        panic!("check-announces.js printed no summary ({e}): {text}{err}")
    });
    (out.status.success(), check)
}

/// Every announce is accepted by nem-sdk, and exactly `payments` inner transactions were
/// announced, each in one wrapper.
pub fn sdk_check(local: &Local, payments: usize) -> SdkCheck {
    let (ok, check) = sdk_check_file(&local.layout.announce_log);
    assert!(
        ok && check.problems.is_empty(),
        "nem-sdk disagrees: {check:?}"
    );
    assert_eq!(check.payments, payments, "payments announced: {check:?}");
    assert_eq!(
        check.wrappers, payments,
        "one wrapper per payment: {check:?}"
    );
    println!(
        "nem-sdk checked {} announces ({} distinct: {} wrappers, {} cosignatures): 0 problems",
        check.announces, check.distinct, check.wrappers, check.cosignatures
    );
    check
}

pub const XEM: u64 = 1_000_000;
