//! Lint reports every problem at once, with line:column and rule name; unknown fields are
//! errors. Shipped example policies lint and pass their tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use policy::cases::{parse_case_file, run_case};

#[test]
fn every_problem_at_once_with_positions() {
    let text = r#"version = 2
network = "devnet"
accounts = ["TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK3"]
surprise = 1
[[limit]]
name = "x"
asset = "acme:coin"
max = "1.5"
colour = "red"
[[velocity]]
name = "x"
asset = "nem:xem"
max = "1.1234567"
window = "24"
"#;
    let problems = policy::lint(text).unwrap_err();
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let expect = [
        "1:1: proposer: no proposer is listed",
        "1:11: version",
        "2:11: network",
        "3:13: accounts[0]: address checksum mismatch",
        "4:1: surprise: unknown field 'surprise'",
        "7:9: rule 'x': limit[0].asset: asset 'acme:coin' is not declared",
        "9:1: rule 'x': limit[0].colour: unknown field 'colour'",
        "11:8: rule 'x': velocity[0].name: rule name 'x' is used twice",
        "13:7: rule 'x': velocity[0].max: '1.1234567' has 7 decimal places",
        "14:10: rule 'x': velocity[0].window: '24' needs a unit",
    ];
    assert_eq!(shown.len(), expect.len(), "{shown:#?}");
    for (s, e) in shown.iter().zip(expect) {
        assert!(s.starts_with(e), "{s} should start with {e}");
    }
}

#[test]
fn syntax_and_type_errors_have_positions() {
    let problems = policy::lint("version = 1\nnetwork = \"testnet\"\naccounts = [\n").unwrap_err();
    assert_eq!(
        (problems[0].line, problems[0].column),
        (3, 13),
        "the unclosed [: {problems:?}"
    );
    let problems =
        policy::lint("version = \"one\"\nnetwork = \"testnet\"\naccounts = []\n").unwrap_err();
    assert_eq!(
        (problems[0].line, problems[0].column),
        (1, 11),
        "{problems:?}"
    );
}

#[test]
fn shipped_examples_lint_and_pass_their_tests() {
    let dir = format!("{}/../deploy/policies", env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.to_string_lossy().to_string();
        if !name.ends_with(".toml") || name.ends_with(".tests.toml") {
            continue;
        }
        let linted = policy::lint(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|p| panic!("{name}: {p:#?}"));
        let mut cases = linted.raw.tests.clone();
        let sibling = format!("{name}.tests.toml");
        if let Ok(text) = std::fs::read_to_string(&sibling) {
            cases.extend(parse_case_file(&text).unwrap());
        }
        assert!(!cases.is_empty(), "{name} has no test cases");
        for case in &cases {
            let result = run_case(&linted.policy, case);
            assert!(result.passed, "{name}: {}: {:?}", case.name, result.failure);
        }
        println!("{name}: {} cases passed", cases.len());
        checked += 1;
    }
    assert!(checked >= 2);
}

#[test]
fn schema_describes_the_format_and_refuses_unknown_fields() {
    let schema = policy::schema();
    assert_eq!(schema["additionalProperties"], false);
    assert!(schema["properties"]["velocity"].is_object());
}

#[test]
fn max_unconfirmed_is_xem_and_a_bad_value_is_named() {
    let base = r#"version = 1
name = "p"
network = "testnet"
accounts = ["TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2"]
proposers = "any"
[transaction_types]
allow = ["transfer"]
[safety]
"#;
    let ok = policy::lint(&format!("{base}max_unconfirmed = \"2500.5\"\n")).unwrap();
    assert_eq!(
        ok.policy.safety.max_unconfirmed.map(|a| a.as_micro()),
        Some(2_500_500_000)
    );
    let problems = policy::lint(&format!("{base}max_unconfirmed = \"lots\"\n")).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let shown = problems[0].to_string();
    assert!(shown.starts_with("9:"), "{shown}");
    assert!(shown.contains("safety.max_unconfirmed"), "{shown}");
}

const MINIMAL: &str = r#"version = 1
network = "testnet"
accounts = ["TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2"]
"#;

/// A policy must say who may propose: a list, or `proposers = "any"` written out; a fresh key
/// per offer would otherwise reset every per-proposer rule.
#[test]
fn a_policy_names_its_proposers_or_says_any() {
    let problems = policy::lint(MINIMAL).unwrap_err();
    assert!(
        problems[0].to_string().contains("no proposer is listed"),
        "{problems:?}"
    );
    let any = policy::lint(&format!("{MINIMAL}proposers = \"any\"\n")).unwrap();
    assert!(any.policy.any_proposer);
    let listed = format!(
        "{MINIMAL}[[proposer]]\nname = \"alice\"\nkey = \"2ebff201255f6cf948c78f528658b99a7c13ac791942fa22d59af610558111f5\"\n"
    );
    assert!(!policy::lint(&listed).unwrap().policy.any_proposer);
    let both = listed.replace("[[proposer]]", "proposers = \"any\"\n[[proposer]]");
    let problems = policy::lint(&both).unwrap_err();
    assert!(
        problems[0].to_string().contains("contradict"),
        "{problems:?}"
    );
    let other = policy::lint(&format!("{MINIMAL}proposers = \"all\"\n")).unwrap_err();
    assert!(other[0].to_string().contains("'all' is not"), "{other:?}");
}

/// Without a [destinations] section, unlisted destinations are denied, as the format says.
#[test]
fn destinations_are_denied_unless_listed() {
    let p = policy::lint(&format!("{MINIMAL}proposers = \"any\"\n"))
        .unwrap()
        .policy;
    assert_eq!(p.unlisted, policy::Outcome::Deny);
}

/// A cosigner reads its account's outflows back 32 days: a longer window is refused.
#[test]
fn velocity_windows_fit_what_a_cosigner_reads_back() {
    let rule = |window: &str| {
        format!(
            "{MINIMAL}proposers = \"any\"\n[[velocity]]\nname = \"v\"\nasset = \"nem:xem\"\nmax = \"1\"\nwindow = \"{window}\"\n"
        )
    };
    assert!(policy::lint(&rule("31d")).is_ok());
    let problems = policy::lint(&rule("32d")).unwrap_err();
    assert!(
        problems[0].to_string().contains("longer than 31d"),
        "{problems:?}"
    );
    assert!(policy::lint(&rule("0s")).is_err());
}

/// `diff` compares every field of a policy: dropping the unconfirmed cap or declaring an asset
/// (undeclared assets are refused) is looser.
#[test]
fn diff_flags_a_dropped_unconfirmed_cap_and_a_new_asset_as_looser() {
    let base = format!("{MINIMAL}proposers = \"any\"\n[safety]\nmax_unconfirmed = \"1000\"\n");
    let old = policy::lint(&base).unwrap().policy;
    let dropped = policy::lint(&base.replace("max_unconfirmed = \"1000\"\n", ""))
        .unwrap()
        .policy;
    let with_asset = policy::lint(&format!(
        "{}[[asset]]\nid = \"acme:coin\"\ndivisibility = 2\n",
        base.replace("[safety]\nmax_unconfirmed = \"1000\"\n", "")
    ))
    .unwrap()
    .policy;
    let looser = |changes: Vec<policy::diff::Change>, what: &str| {
        changes
            .iter()
            .any(|c| c.direction == policy::diff::Direction::Looser && c.what.contains(what))
    };
    assert!(looser(
        policy::diff::diff(&old, &dropped),
        "max unconfirmed"
    ));
    assert!(looser(
        policy::diff::diff(&dropped, &with_asset),
        "asset acme:coin declared"
    ));
}
