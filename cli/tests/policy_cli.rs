//! `hanko policy …` as a real process, with signatures made by the standard `minisign` tool
//! (installed by .ci/run).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// 2026-11-24 10:00 in Tokyo (a Tuesday), in NEM seconds.
const TUESDAY_10_TOKYO: u32 = 367_894_415;

fn hanko(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hanko"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn example(name: &str) -> String {
    format!("{}/../deploy/policies/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn temp(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hanko-policy-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Makes a minisign key pair without a password; returns the public key's base64 line.
fn minisign_keys(dir: &Path, name: &str) -> String {
    let status = Command::new("minisign")
        .args(["-G", "-W", "-p"])
        .arg(dir.join(format!("{name}.pub")))
        .arg("-s")
        .arg(dir.join(format!("{name}.key")))
        .output()
        .expect("the minisign tool: run the tests with tools/test.sh, which installs it");
    assert!(status.status.success(), "{}", text(&status));
    std::fs::read_to_string(dir.join(format!("{name}.pub")))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string()
}

fn minisign_sign(dir: &Path, name: &str, file: &Path) {
    let out = Command::new("minisign")
        .arg("-S")
        .arg("-s")
        .arg(dir.join(format!("{name}.key")))
        .arg("-m")
        .arg(file)
        .arg("-x")
        .arg(format!("{}.{name}.minisig", file.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn policies_signed_with_the_minisign_tool_verify_k_of_n() {
    let dir = temp("sign");
    let file = dir.join("cosigner-a.toml");
    std::fs::copy(example("cosigner-a.toml"), &file).unwrap();
    let alice = minisign_keys(&dir, "alice");
    let bob = minisign_keys(&dir, "bob");
    let carol = minisign_keys(&dir, "carol");
    let f = file.to_str().unwrap();
    let trusted = [
        format!("alice={alice}"),
        format!("bob={bob}"),
        format!("carol={carol}"),
    ];
    let verify = |threshold: &str| {
        hanko(&[
            "policy",
            "verify",
            f,
            "--trusted",
            &trusted[0],
            "--trusted",
            &trusted[1],
            "--trusted",
            &trusted[2],
            "--threshold",
            threshold,
        ])
    };

    minisign_sign(&dir, "alice", &file);
    let o = verify("2");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("signed by 1 of the 2 required"),
        "{}",
        text(&o)
    );

    minisign_sign(&dir, "carol", &file);
    let o = verify("2");
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("signed by alice, carol") && text(&o).contains("version hash"),
        "{}",
        text(&o)
    );

    std::fs::write(
        &file,
        std::fs::read_to_string(&file)
            .unwrap()
            .replace("max = \"50000\"", "max = \"90000\""),
    )
    .unwrap();
    let o = verify("2");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("changed after signing"), "{}", text(&o));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn lint_test_explain_diff_schema_simulate() {
    let a = example("cosigner-a.toml");
    let o = hanko(&["policy", "lint", &a]);
    assert!(
        o.status.success() && text(&o).contains("version hash (sha256)"),
        "{}",
        text(&o)
    );
    let o = hanko(&["policy", "test", &a]);
    assert!(
        o.status.success() && text(&o).contains("policy tests: 15 passed, 0 failed"),
        "{}",
        text(&o)
    );
    let o = hanko(&["policy", "test", &example("cosigner-b.toml")]);
    assert!(
        o.status.success() && text(&o).contains("9 passed, 0 failed"),
        "{}",
        text(&o)
    );

    let dir = temp("tools");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "version = 1\nnetwork = \"testnet\"\naccounts = [\"TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2\"]\n[[limit]]\nname = \"x\"\nasset = \"nem:xem\"\nmax = \"ten\"\ncolor = 1\n").unwrap();
    let o = hanko(&["policy", "lint", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("bad.toml:7:7: rule 'x': limit[0].max")
            && text(&o).contains("bad.toml:8:1: rule 'x': limit[0].color: unknown field"),
        "{}",
        text(&o)
    );

    // Explain a transfer built with hanko nem: 20,000 XEM to the customer on a Tuesday morning.
    let tx = serde_json::json!({
        "type": "transfer", "version": 1, "network": "testnet", "timestamp": TUESDAY_10_TOKYO, "deadline": TUESDAY_10_TOKYO + 3600,
        "fee": 100_000, "signer": "c5f54ba980fcbb657dbaaa42700539b207873e134d2375efeab5f1ab52f87844",
        "recipient": "TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6", "amount": 20_000_000_000u64,
    });
    let at = nem::NemTimestamp(TUESDAY_10_TOKYO)
        .to_timestamp()
        .to_string();
    let o = hanko(&[
        "policy",
        "explain",
        &a,
        "--tx",
        &tx.to_string(),
        "--at",
        &at,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("large-withdrawal")
            && text(&o).contains("whitelisted as 'customer withdrawals"),
        "{}",
        text(&o)
    );

    // Diff: raise a limit and whitelist an address.
    let looser = dir.join("looser.toml");
    let changed = std::fs::read_to_string(&a).unwrap().replace("max = \"50000\"", "max = \"80000\"").replace(
        "[[destinations.denylist]]",
        "[[destinations.whitelist]]\naddress = \"TD3AHW4VTI5R5QE5V44KIGPRU5FBJ5AFUCOCH2F6\"\nlabel = \"new partner\"\nactive_from = \"2026-12-01T00:00:00Z\"\n\n[[destinations.denylist]]",
    );
    std::fs::write(&looser, changed).unwrap();
    let o = hanko(&["policy", "diff", &a, looser.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("LOOSER   limit 'per-withdrawal-xem': 50000 XEM → 80000 XEM"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains(
            "LOOSER   whitelist: added TD3AHW4VTI5R5QE5V44KIGPRU5FBJ5AFUCOCH2F6 'new partner'"
        ),
        "{}",
        text(&o)
    );

    let o = hanko(&["policy", "schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(schema["properties"]["destinations"].is_object());

    // Simulate: three past 39,000 XEM withdrawals by a listed proposer, all allowed then; a
    // draft with a 100,000 XEM daily cap refuses the third (fees counted).
    let history = dir.join("history.jsonl");
    let mut lines = String::new();
    for i in 0..3u32 {
        let mut t = tx.clone();
        t["amount"] = 39_000_000_000u64.into();
        t["fee"] = 150_000.into();
        let at = nem::NemTimestamp(TUESDAY_10_TOKYO + i * 60)
            .to_timestamp()
            .to_string();
        lines.push_str(&serde_json::json!({"at": at, "tx": t, "proposer": "2ebff201255f6cf948c78f528658b99a7c13ac791942fa22d59af610558111f5", "decision": "allow"}).to_string());
        lines.push('\n');
    }
    std::fs::write(&history, lines).unwrap();
    let draft = dir.join("draft.toml");
    std::fs::write(
        &draft,
        std::fs::read_to_string(&a)
            .unwrap()
            .replace("max = \"250000\"", "max = \"100000\"")
            .replace("above = \"10000\"", "above = \"100000\""),
    )
    .unwrap();
    let o = hanko(&[
        "policy",
        "simulate",
        draft.to_str().unwrap(),
        "--history",
        history.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("3 proposals replayed, 1 decisions change")
            && text(&o).contains("line 3"),
        "{}",
        text(&o)
    );
    std::fs::remove_dir_all(dir).unwrap();
}
