//! `hanko nem …` as a real process: JSON on stdout, one error line and a non-zero exit on bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const INNER: &str = "010100000100009800A3E11120000000C5F54BA980FCBB657DBAAA42700539B207873E134D2375EFEAB5F1AB52F87844A08601000000000010B1E1112800000054425A364A4B35594F435536555053535A354433473237554841504854593548445143445335594160E31600000000000D000000010000000500000068656C6C6F";
const WRAPPER: &str = "041000000100009800A3E1112000000096EB2A145211B1B7AB5F0D4B14F8ABC8D695C7AEE31A3CFC2D4881313C68EEA3F04902000000000010B1E11181000000010100000100009800A3E11120000000C5F54BA980FCBB657DBAAA42700539B207873E134D2375EFEAB5F1AB52F87844A08601000000000010B1E1112800000054425A364A4B35594F435536555053535A354433473237554841504854593548445143445335594160E31600000000000D000000010000000500000068656C6C6F";
const WRAPPER_SIG: &str = "C164CB997D9B46BA274DAFAA865F3AA5CAAF0A8A90AD2456EF435A8C2D43C5AB94A32DBACADAC9557DCE0BE62E507C16F88B30B03C4F1E5687211AC4E0E98E05";
const SIGNATURE_TX: &str = "02100000010000983CA3E111200000002D8425E4CA2D8926346C7A7CA39826ACD881A8639E81BD68820409C6E30D142AF0490200000000004CB1E11124000000200000009A0A7C94204C53186C088C3A8CBAE02E55123C98F118476314457DFDFC71F72E28000000544444324354364C514C49595135364B49584933454E544D36454B3344343450354B5A50464D4B32";
const SIGNATURE_SIG: &str = "07A030AB0C20A76C8340CEE0F97120AFAB5AD62EAFB46D0B742263CD165C41CDFFCBA5759C19DC82A2E331275238C24AFF6AE3685CAA6149AB7EF49E14941300";
const KEY_A: &str = "5B0E3FA5D3B49A79022D7C1E121BA1CBBF4DB5821F47AB8C708EF88DEFC29BFE";
const PUB_A: &str = "96eb2a145211b1b7ab5f0d4b14f8abc8d695c7aee31a3cfc2d4881313c68eea3";

fn hanko(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hanko"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok_json(args: &[&str], stdin: &str) -> Value {
    let out = hanko(args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs a command that must fail; returns (exit code, the one stderr line).
fn fails(args: &[&str], stdin: &str) -> (i32, String) {
    let out = hanko(args, stdin);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{args:?} succeeded");
    assert_eq!(
        stderr.lines().count(),
        1,
        "expected one line, got: {stderr}"
    );
    (out.status.code().unwrap(), stderr.trim().to_string())
}

#[test]
fn decode_prints_the_worked_example_fields() {
    let inner = ok_json(&["nem", "decode", INNER], "");
    assert_eq!(inner["type"], "transfer");
    assert_eq!(inner["version"], 1);
    assert_eq!(inner["network"], "testnet");
    assert_eq!(inner["timestamp"], 300_000_000);
    assert_eq!(inner["deadline"], 300_003_600);
    assert_eq!(inner["fee"], 100_000);
    assert_eq!(
        inner["signer"],
        "c5f54ba980fcbb657dbaaa42700539b207873e134d2375efeab5f1ab52f87844"
    );
    assert_eq!(
        inner["recipient"],
        "TBZ6JK5YOCU6UPSSZ5D3G27UHAPHTY5HDQCDS5YA"
    );
    assert_eq!(inner["amount"], 1_500_000);
    assert_eq!(inner["message"]["text"], "hello");
    assert_eq!(
        inner["hash"],
        "9a0a7c94204c53186c088c3a8cbae02e55123c98f118476314457dfdfc71f72e"
    );

    let wrapper = ok_json(&["nem", "decode", WRAPPER], "");
    assert_eq!(wrapper["type"], "multisig");
    assert_eq!(wrapper["signer"], PUB_A);
    assert_eq!(wrapper["fee"], 150_000);
    assert_eq!(
        wrapper["hash"],
        "250e6c26a06d90bf27c41387e9c4bbcedca60f2d56eee497c753423b9e381141"
    );
    assert_eq!(
        wrapper["inner_hash"],
        "9a0a7c94204c53186c088c3a8cbae02e55123c98f118476314457dfdfc71f72e"
    );
    assert_eq!(wrapper["inner"], inner);

    let signature = ok_json(&["nem", "decode", SIGNATURE_TX], "");
    assert_eq!(signature["type"], "multisig_signature");
    assert_eq!(signature["timestamp"], 300_000_060);
    assert_eq!(
        signature["other_hash"],
        "9a0a7c94204c53186c088c3a8cbae02e55123c98f118476314457dfdfc71f72e"
    );
    assert_eq!(
        signature["other_account"],
        "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2"
    );
    assert_eq!(
        signature["hash"],
        "3cec8a14b731a80f17d7d7d170ff19047405d2bdd459b30b13d935aa4d204157"
    );
}

#[test]
fn encode_round_trips_decode() {
    for hex_tx in [INNER, WRAPPER, SIGNATURE_TX] {
        let decoded = hanko(&["nem", "decode", hex_tx], "");
        let encoded = ok_json(
            &["nem", "encode"],
            &String::from_utf8(decoded.stdout).unwrap(),
        );
        assert_eq!(encoded["data"], hex_tx.to_lowercase());
    }
    let raw = hanko(
        &["nem", "encode", "--raw"],
        &String::from_utf8(hanko(&["nem", "decode", INNER], "").stdout).unwrap(),
    );
    assert_eq!(
        String::from_utf8(raw.stdout).unwrap().trim(),
        INNER.to_lowercase()
    );
}

#[test]
fn encode_refuses_inconsistent_json() {
    let mut j: Value = ok_json(&["nem", "decode", INNER], "");
    j["amount"] = 2_000_000.into();
    let (code, line) = fails(&["nem", "encode"], &j.to_string());
    assert_eq!(code, 2);
    assert!(
        line.contains("hash") && line.contains("remove it to recompute"),
        "{line}"
    );
    j.as_object_mut().unwrap().remove("hash");
    j["other_hash"] = "00".repeat(32).into();
    let (_, line) = fails(&["nem", "encode"], &j.to_string());
    assert!(
        line.contains("other_hash: does not apply to a transfer"),
        "{line}"
    );
}

#[test]
fn keys_sign_and_verify() {
    assert_eq!(ok_json(&["nem", "pubkey"], KEY_A)["public_key"], PUB_A);
    assert_eq!(
        ok_json(&["nem", "pubkey"], &format!("00{KEY_A}\n"))["public_key"],
        PUB_A
    );
    let address = ok_json(&["nem", "address", "--network", "mainnet", PUB_A], "");
    assert!(address["address"].as_str().unwrap().starts_with('N'));

    let request = serde_json::json!({ "private_key": KEY_A, "data": WRAPPER }).to_string();
    let signature = ok_json(&["nem", "sign"], &request);
    assert_eq!(signature["signature"], WRAPPER_SIG.to_lowercase());
    let valid = ok_json(
        &[
            "nem",
            "verify",
            "--public-key",
            PUB_A,
            "--data",
            WRAPPER,
            "--signature",
            WRAPPER_SIG,
        ],
        "",
    );
    assert_eq!(valid["valid"], true);
    let wrong = ok_json(
        &[
            "nem",
            "verify",
            "--public-key",
            PUB_A,
            "--data",
            INNER,
            "--signature",
            WRAPPER_SIG,
        ],
        "",
    );
    assert_eq!(wrong["valid"], false);
}

#[test]
fn non_canonical_s_is_refused() {
    // S + L: the same scalar, not canonical. NIS refuses it; so must we.
    let sig = nem::testing::non_canonical_twin(&WRAPPER_SIG.parse().unwrap()).to_string();
    let verdict = ok_json(
        &[
            "nem",
            "verify",
            "--public-key",
            PUB_A,
            "--data",
            WRAPPER,
            "--signature",
            &sig,
        ],
        "",
    );
    assert_eq!(verdict["valid"], false);
    assert!(
        verdict["reason"]
            .as_str()
            .unwrap()
            .contains("not canonical")
    );
    let request = serde_json::json!({ "data": WRAPPER, "signature": sig }).to_string();
    let (code, line) = fails(&["nem", "check-announce", "--no-clock"], &request);
    assert_eq!(code, 1);
    assert!(
        line.contains("item 0") && line.contains("FAILURE_SIGNATURE_NOT_VERIFIABLE (8)"),
        "{line}"
    );
}

#[test]
fn bad_input_gets_one_line_saying_what_and_where() {
    let (code, line) = fails(&["nem", "decode", &INNER[..101]], "");
    assert_eq!(code, 2);
    assert!(line.contains("odd length 101"), "{line}");

    let (_, line) = fails(&["nem", "decode", &INNER[..200]], "");
    assert!(
        line.contains("recipient at byte 64") && line.contains("truncated"),
        "{line}"
    );

    // One character of the recipient changed: the checksum no longer matches.
    let mut bad_checksum = INNER.to_string();
    bad_checksum.replace_range(130..132, "43");
    let (_, line) = fails(&["nem", "decode", &bad_checksum], "");
    assert!(
        line.contains("recipient at byte 64") && line.contains("checksum"),
        "{line}"
    );

    let (code, line) = fails(&["nem", "pubkey"], &format!("01{KEY_A}"));
    assert_eq!(code, 2);
    assert!(line.contains("must start with '00'"), "{line}");

    let (_, line) = fails(
        &["nem", "address", "--network", "mainnet", &PUB_A[..60]],
        "",
    );
    assert!(
        line.contains("public key") && line.contains("expected 64 hex digits"),
        "{line}"
    );

    let (_, line) = fails(&["nem", "sign"], &format!("{{\"private_key\": {KEY_A}}}"));
    assert!(
        !line.contains(&KEY_A[..10]),
        "error must not echo the key: {line}"
    );
}

#[test]
fn check_announce_applies_stateless_rules() {
    let items = serde_json::json!([
        { "data": WRAPPER, "signature": WRAPPER_SIG },
        { "data": SIGNATURE_TX, "signature": SIGNATURE_SIG },
    ])
    .to_string();
    let results = ok_json(
        &[
            "nem",
            "check-announce",
            "--network",
            "testnet",
            "--at",
            "2024-09-29T05:30:00Z",
        ],
        &items,
    );
    assert_eq!(results[0]["ok"], true);
    assert_eq!(
        results[0]["inner_hash"],
        "9a0a7c94204c53186c088c3a8cbae02e55123c98f118476314457dfdfc71f72e"
    );
    assert_eq!(results[1]["ok"], true);
    assert_eq!(results[1]["transaction"]["type"], "multisig_signature");

    let (code, line) = fails(
        &[
            "nem",
            "check-announce",
            "--network",
            "mainnet",
            "--no-clock",
        ],
        &items,
    );
    assert_eq!(code, 1);
    assert!(
        line.contains("item 0") && line.contains("FAILURE_WRONG_NETWORK (20)"),
        "{line}"
    );

    let (_, line) = fails(&["nem", "check-announce", "--network", "testnet"], &items);
    assert!(
        line.contains("FAILURE_PAST_DEADLINE (3)") && line.contains("has passed"),
        "{line}"
    );

    let (_, line) = fails(
        &["nem", "check-announce", "--at", "2024-09-29T05:26:00Z"],
        &items,
    );
    assert!(
        line.contains("FAILURE_TIMESTAMP_TOO_FAR_IN_FUTURE (10)"),
        "{line}"
    );

    let mut flipped = WRAPPER.to_string();
    flipped.replace_range(2..4, "11");
    let one = serde_json::json!({ "data": flipped, "signature": WRAPPER_SIG }).to_string();
    let (_, line) = fails(&["nem", "check-announce", "--no-clock"], &one);
    assert!(
        line.contains("malformed") && line.contains("unknown transaction type"),
        "{line}"
    );
}
