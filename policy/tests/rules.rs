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
            // The limit counts fees: 999.45 XEM + 0.55 XEM of fees (inner 0.1, wrapper 0.15,
            // two signatures 0.3) is exactly 1,000.
            ("amount = \"999.45\"", "needs_approval", "over-800"),
            ("amount = \"999.450001\"", "deny", "per-tx-xem"),
            ("amount = \"0\"", "allow", "per-tx-xem"),
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
                "amount = \"99.45\"\nproposer = \"bob\"".to_string(),
                "allow",
                "bob",
            ),
            (
                "amount = \"99.450001\"\nproposer = \"bob\"".to_string(),
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
            // Fees count: 499.45 XEM + 0.55 XEM of fees is exactly the 500 XEM tier.
            ("amount = \"499.45\"", "allow", ""),
            ("amount = \"499.450001\"", "needs_approval", "over-500"),
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
        cosignatories: 3,
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

/// Every allowed type is priced as what it costs the account; aggregate modifications and
/// importance transfers always wait for an operator; rentals go to NEM's sinks only; a new
/// mosaic's levy recipient is judged like a recipient.
#[test]
fn every_type_is_priced_and_control_changes_wait_for_an_operator() {
    use nem::tx::other_types::{mosaic_sink, namespace_sink};
    use nem::tx::*;
    let all = format!(
        "{}\n[transaction_types]\nallow = [\"transfer\", \"multisig_aggregate_modification\", \"importance_transfer\", \"provision_namespace\", \"mosaic_definition_creation\", \"mosaic_supply_change\"]\n",
        base_policy()
    );
    let p = policy::lint(&all).unwrap().policy;
    let treasury_key = PublicKey([3; 32]);
    let treasury = nem::Address::from_public_key(&treasury_key, Network::Testnet);
    let p = policy::Policy {
        accounts: vec![treasury],
        ..p
    };
    let decide = |body: Body| {
        let tx = Transaction {
            header: Header {
                fee: Amount::micro(150_000),
                ..header(treasury_key, 1)
            },
            body,
        };
        let req = Request {
            tx: &tx,
            proposer: ALICE.parse().unwrap(),
            now: TUESDAY.parse().unwrap(),
            minimum_fee: Amount::micro(150_000),
            cosignatories: 3,
        };
        evaluate_as(&p, &req, treasury, &WindowedHistory::new())
    };
    let fired = |d: &policy::Decision, rule: &str| d.fired.iter().any(|f| f.rule == rule);

    let add_key = decide(Body::MultisigModification(AggregateModification {
        modifications: vec![CosignatoryModification {
            kind: ModificationType::Add,
            cosignatory: PublicKey([66; 32]),
        }],
        min_cosignatories_change: None,
    }));
    assert_eq!(add_key.outcome, Outcome::NeedsApproval, "{add_key:?}");
    assert!(fired(&add_key, "operator_approval"));
    let harvest = decide(Body::ImportanceTransfer(ImportanceTransfer {
        mode: ImportanceMode::Activate,
        remote: PublicKey([67; 32]),
    }));
    assert_eq!(harvest.outcome, Outcome::NeedsApproval, "{harvest:?}");

    let rent = |sink, fee_xem: u64| {
        decide(Body::ProvisionNamespace(ProvisionNamespace {
            sink,
            rental_fee: Amount::from_xem(fee_xem).unwrap(),
            new_part: "treasury".into(),
            parent: None,
        }))
    };
    let fair = rent(namespace_sink(Network::Testnet), 100);
    assert_eq!(fair.outcome, Outcome::Allow, "{fair:?}");
    let elsewhere = rent(STRANGER.parse().unwrap(), 100);
    assert!(fired(&elsewhere, "rental_sink"), "{elsewhere:?}");
    assert_eq!(elsewhere.outcome, Outcome::Deny);
    // A rental of 1,000 XEM is money leaving: the 1,000 XEM per-transaction limit counts it.
    let dear = rent(namespace_sink(Network::Testnet), 1_000);
    assert!(
        dear.fired
            .iter()
            .any(|f| f.rule == "per-tx-xem" && f.outcome == Outcome::Deny),
        "{dear:?}"
    );

    let define = |levy_to: &str| {
        decide(Body::MosaicDefinition(MosaicDefinitionCreation {
            definition: MosaicDefinition {
                creator: treasury_key,
                id: "acme:token".parse().unwrap(),
                description: "a token".into(),
                properties: MosaicProperties {
                    divisibility: 2,
                    initial_supply: 1_000,
                    supply_mutable: true,
                    transferable: true,
                },
                levy: Some(MosaicLevy {
                    kind: LevyKind::Absolute,
                    recipient: levy_to.parse().unwrap(),
                    mosaic: MosaicId::xem(),
                    fee: 1_000_000,
                }),
            },
            sink: mosaic_sink(Network::Testnet),
            creation_fee: Amount::from_xem(10).unwrap(),
        }))
    };
    assert_eq!(define(CUSTOMER).outcome, Outcome::Allow);
    let stolen = define(STOLEN);
    assert!(
        stolen.fired.iter().any(|f| f.rule == "denylist"),
        "{stolen:?}"
    );

    let burn = decide(Body::MosaicSupplyChange(MosaicSupplyChange {
        mosaic: "acme:token".parse().unwrap(),
        kind: SupplyKind::Delete,
        delta: 5,
    }));
    assert_eq!(burn.outcome, Outcome::Allow, "{burn:?}");
}
