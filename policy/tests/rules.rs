//! Every rule kind, table-driven: inputs it allows and inputs it refuses. Each row is the
//! fields of one test case against the base policy (tests/common), the expected outcome, and
//! the rule that must fire with it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::*;
use nem::tx::{AggregateModification, Body, Header};
use nem::{Amount, NemTimestamp, Network, PublicKey, Transaction};
use policy::{Outcome, Request, WindowedHistory, evaluate_as};

fn rows(list: &[(&str, &'static str, &'static str)]) -> Vec<(String, &'static str, &'static str)> {
    list.iter()
        .map(|(f, e, r)| (f.to_string(), *e, *r))
        .collect()
}

/// Past outflows, proposed by bob (so alice's per-proposer velocity stays untouched).
fn history(entries: &[(&str, &str, &str)]) -> String {
    let items: Vec<String> = entries
        .iter()
        .map(|(at, amount, to)| {
            format!("{{ at = \"{at}\", amount = \"{amount}\", to = \"{to}\", proposer = \"bob\" }}")
        })
        .collect();
    format!("history = [{}]", items.join(", "))
}

#[test]
fn per_transaction_limits() {
    run_table(
        "limit",
        &rows(&[
            ("amount = \"400\"", "allow", "per-tx-xem"),
            ("amount = \"1000\"", "needs_approval", "over-800"),
            ("amount = \"1000.000001\"", "deny", "per-tx-xem"),
            (
                "mosaics = [{ id = \"acme:token\", quantity = \"50\" }]",
                "allow",
                "per-tx-token",
            ),
            (
                "mosaics = [{ id = \"acme:token\", quantity = \"50.01\" }]",
                "deny",
                "per-tx-token",
            ),
            (
                "mosaics = [{ id = \"nem:xem\", quantity = \"1001\" }]",
                "deny",
                "per-tx-xem",
            ),
        ]),
    );
}

#[test]
fn velocity_rolling_calendar_destination_and_proposer() {
    let t = |h: &str| format!("2026-11-24T{h}:00+09:00");
    let table = vec![
        (
            format!(
                "amount = \"400\"\n{}",
                history(&[(&t("09:30"), "1100", COLD)])
            ),
            "allow",
            "rolling-1h",
        ),
        (
            format!(
                "amount = \"400\"\n{}",
                history(&[(&t("09:30"), "1700", COLD)])
            ),
            "deny",
            "rolling-1h",
        ),
        // Older than an hour: out of the rolling window, still in the Tokyo day.
        (
            format!(
                "amount = \"400\"\n{}",
                history(&[(&t("08:30"), "1700", COLD)])
            ),
            "allow",
            "rolling-1h",
        ),
        (
            format!(
                "amount = \"400\"\n{}",
                history(&[(&t("06:30"), "1400", COLD), (&t("07:30"), "1300", COLD)])
            ),
            "deny",
            "tokyo-day",
        ),
        // 23:30 Tokyo the day before is yesterday in Tokyo, though the same UTC day.
        (
            format!(
                "amount = \"400\"\n{}",
                history(&[
                    ("2026-11-23T23:30:00+09:00", "1400", COLD),
                    ("2026-11-23T22:30:00+09:00", "1300", COLD)
                ])
            ),
            "allow",
            "tokyo-day",
        ),
        (
            format!(
                "amount = \"400\"\n{}",
                history(&[("2026-11-02T10:00:00+09:00", "9700", COLD)])
            ),
            "deny",
            "tokyo-month",
        ),
        (
            format!(
                "amount = \"400\"\n{}",
                history(&[("2026-10-31T10:00:00+09:00", "9700", COLD)])
            ),
            "allow",
            "tokyo-month",
        ),
        (
            format!(
                "amount = \"400\"\n{}",
                history(&[("2026-11-23T12:00:00+09:00", "1200", CUSTOMER)])
            ),
            "deny",
            "per-destination-24h",
        ),
        (
            format!(
                "amount = \"400\"\n{}",
                history(&[("2026-11-23T12:00:00+09:00", "1200", COLD)])
            ),
            "allow",
            "per-destination-24h",
        ),
        (
            format!(
                "amount = \"400\"\n{}\nproposer = \"alice\"",
                "history = [{ at = \"2026-11-23T12:00:00+09:00\", amount = \"2200\", to = \"TA5IG3XFXZHIPJ5QLKX2FBJPEZYPMBPPKYOTH5YB\", proposer = \"alice\" }]"
            ),
            "deny",
            "per-proposer-24h",
        ),
        (
            format!(
                "amount = \"90\"\n{}\nproposer = \"bob\"",
                "history = [{ at = \"2026-11-23T12:00:00+09:00\", amount = \"2200\", to = \"TA5IG3XFXZHIPJ5QLKX2FBJPEZYPMBPPKYOTH5YB\", proposer = \"alice\" }]"
            ),
            "allow",
            "per-proposer-24h",
        ),
    ];
    run_table("velocity", &table);
}

#[test]
fn destinations() {
    run_table(
        "destination",
        &[
            (
                format!("to = \"{CUSTOMER}\"\namount = \"1\""),
                "allow",
                "whitelist",
            ),
            (
                format!("to = \"{STRANGER}\"\namount = \"1\""),
                "deny",
                "unlisted_destination",
            ),
            (
                format!("to = \"{COOLING}\"\namount = \"1\""),
                "deny",
                "whitelist",
            ),
            (
                format!("to = \"{COOLING}\"\namount = \"1\"\nat = \"2026-11-25T10:00:00+09:00\""),
                "allow",
                "whitelist",
            ),
            // The denylist wins over a whitelist entry for the same address.
            (
                format!("to = \"{STOLEN}\"\namount = \"1\""),
                "deny",
                "denylist",
            ),
        ],
    );
}

#[test]
fn time_windows() {
    run_table(
        "window",
        &rows(&[
            ("amount = \"1\"", "allow", "business-hours"),
            (
                "amount = \"1\"\nat = \"2026-11-24T17:59:59+09:00\"",
                "allow",
                "business-hours",
            ),
            (
                "amount = \"1\"\nat = \"2026-11-24T18:00:00+09:00\"",
                "needs_approval",
                "business-hours",
            ),
            (
                "amount = \"1\"\nat = \"2026-11-28T10:00:00+09:00\"",
                "needs_approval",
                "business-hours",
            ),
            (
                "amount = \"1\"\nat = \"2026-11-26T10:00:00+09:00\"",
                "needs_approval",
                "business-hours",
            ),
            // 01:00 UTC is 10:00 in Tokyo: the zone decides, not UTC.
            (
                "amount = \"1\"\nat = \"2026-11-24T01:00:00Z\"",
                "allow",
                "business-hours",
            ),
            (
                "amount = \"1\"\nat = \"2026-11-24T23:30:00+09:00\"",
                "deny",
                "never-at-night",
            ),
        ]),
    );
}

#[test]
fn proposers() {
    run_table(
        "proposer",
        &[
            (
                "amount = \"100\"\nproposer = \"bob\"".to_string(),
                "allow",
                "bob",
            ),
            (
                "amount = \"100.5\"\nproposer = \"bob\"".to_string(),
                "deny",
                "bob",
            ),
            (
                format!("amount = \"1\"\nproposer = \"{MALLORY}\""),
                "deny",
                "proposers",
            ),
            (
                "amount = \"400\"\nproposer = \"alice\"".to_string(),
                "allow",
                "alice",
            ),
        ],
    );
}

#[test]
fn approval_tiers() {
    run_table(
        "approval",
        &rows(&[
            ("amount = \"500\"", "allow", ""),
            ("amount = \"500.000001\"", "needs_approval", "over-500"),
            ("amount = \"900\"", "needs_approval", "over-800"),
        ]),
    );
    let mut c = case("amount = \"900\"");
    c.expect = "needs_approval".into();
    let result = policy::cases::run_case(&policy(), &c);
    assert_eq!(
        result.decision.unwrap().approvals_required,
        2,
        "the strictest tier sets the count"
    );
}

#[test]
fn safety_bounds() {
    run_table(
        "safety",
        &rows(&[
            ("amount = \"1\"\nfee = \"0.5\"", "allow", ""),
            ("amount = \"1\"\nfee = \"0.500001\"", "deny", "fee_cap"),
            ("amount = \"1\"\nfee = \"0.01\"", "deny", "fee"),
            ("amount = \"1\"\ndeadline = \"2h\"", "allow", ""),
            (
                "amount = \"1\"\ndeadline = \"7201s\"",
                "deny",
                "max_deadline",
            ),
            (
                "amount = \"1\"\ndeadline = \"121m\"",
                "deny",
                "max_deadline",
            ),
            (
                "amount = \"1\"\ntimestamp = \"2026-11-24T10:01:00+09:00\"",
                "allow",
                "",
            ),
            (
                "amount = \"1\"\ntimestamp = \"2026-11-24T10:01:01+09:00\"",
                "deny",
                "max_timestamp_skew",
            ),
            (
                "amount = \"1\"\ntimestamp = \"2026-11-24T07:59:00+09:00\"",
                "deny",
                "deadline",
            ),
            ("amount = \"1\"\nmessage = \"WD-12345\"", "allow", ""),
            ("amount = \"1\"\nmessage = \"hello\"", "deny", "memo"),
            (
                "amount = \"1\"\nmessage = \"WD-123456789012345678901234567890\"",
                "deny",
                "message",
            ),
            (
                "amount = \"1\"\nmessage = \"WD-1\"\nencrypted_message = true",
                "deny",
                "message",
            ),
        ]),
    );
}

fn header(signer: PublicKey, version: u8) -> Header {
    Header {
        network: Network::Testnet,
        version,
        timestamp: NemTimestamp::from_timestamp(TUESDAY.parse().unwrap()).unwrap(),
        signer,
        fee: Amount::micro(500_000),
        deadline: NemTimestamp::from_timestamp(TUESDAY.parse().unwrap())
            .unwrap()
            .checked_add(600)
            .unwrap(),
    }
}

#[test]
fn transaction_types_network_and_account() {
    let p = policy();
    let treasury = TREASURY.parse().unwrap();
    let now = TUESDAY.parse().unwrap();
    let modification = Transaction {
        header: header(PublicKey([3; 32]), 2),
        body: Body::MultisigModification(AggregateModification {
            modifications: vec![],
            min_cosignatories_change: Some(-1),
        }),
    };
    let req = Request {
        tx: &modification,
        proposer: ALICE.parse().unwrap(),
        now,
        minimum_fee: Amount::micro(500_000),
    };
    let d = evaluate_as(&p, &req, treasury, &WindowedHistory::new());
    assert_eq!(d.outcome, Outcome::Deny);
    assert!(
        d.fired.iter().any(|f| f.rule == "transaction_types"
            && f.reason.contains("multisig_aggregate_modification")),
        "{d:?}"
    );

    let enabled = format!(
        "{}\n[transaction_types]\nallow = [\"transfer\", \"multisig_aggregate_modification\"]\n",
        base_policy()
    );
    let p2 = policy::lint(&enabled).unwrap().policy;
    let d = evaluate_as(&p2, &req, treasury, &WindowedHistory::new());
    assert!(
        !d.fired.iter().any(|f| f.rule == "transaction_types"),
        "{d:?}"
    );

    let mut c = case("amount = \"1\"");
    c.account = Some(COLD.into());
    c.expect = "deny".into();
    c.expect_rules = vec!["account".into()];
    assert!(policy::cases::run_case(&p, &c).passed);

    let mainnet = base_policy().replace("network = \"testnet\"", "network = \"mainnet\"");
    assert!(
        policy::lint(&mainnet).is_err(),
        "testnet addresses in a mainnet policy are refused"
    );
}
