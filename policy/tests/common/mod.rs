//! A base policy with every rule kind, and helpers to run cases against it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use policy::Policy;
use policy::cases::{RawCase, run_case};

pub const TREASURY: &str = "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2";
pub const CUSTOMER: &str = "TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6";
pub const COLD: &str = "TA5IG3XFXZHIPJ5QLKX2FBJPEZYPMBPPKYOTH5YB";
pub const COOLING: &str = "TCLK3OLMHR3F2E3KSBUIZ4K5PNWUDN37MIBR5TMD";
pub const STOLEN: &str = "TAABHVFJDBM74XMJJ52R7QN2MTTG2ZUXPQ3F2EPH";
pub const STRANGER: &str = "TD3AHW4VTI5R5QE5V44KIGPRU5FBJ5AFUCOCH2F6";
pub const ALICE: &str = "2ebff201255f6cf948c78f528658b99a7c13ac791942fa22d59af610558111f5";
pub const BOB: &str = "419ed11d48730e4ae2c93f0ea4df853b8d578713a36dab227517cf965861af4e";
pub const MALLORY: &str = "a8fefd72a3b833dc7c7ed7d57ed86906dac22f88f1f4331873eb2da3152a3e77";
/// Tuesday 10:00 in Tokyo.
pub const TUESDAY: &str = "2026-11-24T10:00:00+09:00";

pub fn base_policy() -> String {
    format!(
        r#"
version = 1
name = "base"
network = "testnet"
accounts = ["{TREASURY}"]
time_zone = "Asia/Tokyo"

[[asset]]
id = "acme:token"
divisibility = 2

[[limit]]
name = "per-tx-xem"
asset = "nem:xem"
max = "1000"

[[limit]]
name = "per-tx-token"
asset = "acme:token"
max = "50"

[[velocity]]
name = "rolling-1h"
asset = "nem:xem"
max = "2000"
window = "1h"

[[velocity]]
name = "tokyo-day"
asset = "nem:xem"
max = "3000"
period = "day"

[[velocity]]
name = "tokyo-month"
asset = "nem:xem"
max = "10000"
period = "month"

[[velocity]]
name = "per-destination-24h"
asset = "nem:xem"
max = "1500"
window = "24h"
per = "destination"

[[velocity]]
name = "per-proposer-24h"
asset = "nem:xem"
max = "2500"
window = "24h"
per = "proposer"

[destinations]
unlisted = "deny"

[[destinations.whitelist]]
address = "{CUSTOMER}"
label = "customer"
active_from = "2026-01-01T00:00:00Z"

[[destinations.whitelist]]
address = "{COLD}"
label = "cold"
active_from = "2026-01-01T00:00:00Z"

[[destinations.whitelist]]
address = "{COOLING}"
label = "new"
active_from = "2026-11-25T00:00:00Z"

[[destinations.whitelist]]
address = "{STOLEN}"
label = "whitelisted by mistake"
active_from = "2026-01-01T00:00:00Z"

[[destinations.denylist]]
address = "{STOLEN}"
reason = "stolen funds"

[[window]]
name = "business-hours"
days = ["mon", "tue", "wed", "thu", "fri"]
from = "09:00"
to = "18:00"
holidays = ["2026-11-26"]
outside = "needs_approval"

[[window]]
name = "never-at-night"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
from = "06:00"
to = "23:00"
outside = "deny"

[[proposer]]
name = "alice"
key = "{ALICE}"
max_xem = "1000"

[[proposer]]
name = "bob"
key = "{BOB}"
max_xem = "100"
accounts = ["{TREASURY}"]

[[approval]]
name = "over-500"
asset = "nem:xem"
above = "500"

[[approval]]
name = "over-800"
asset = "nem:xem"
above = "800"
approvals = 2

[safety]
fee_cap = "0.5"
max_deadline = "2h"
max_timestamp_skew = "60s"

[safety.message]
max_bytes = 32
require_pattern = "^WD-[0-9]+$"
"#
    )
}

pub fn policy() -> Policy {
    match policy::lint(&base_policy()) {
        Ok(l) => l.policy,
        Err(p) => panic!("base policy: {p:?}"),
    }
}

/// A case in TOML: the fields of one `[[test]]` entry.
pub fn case(fields: &str) -> RawCase {
    let defaults = format!(
        "name = \"case\"\nexpect = \"allow\"\nat = \"{TUESDAY}\"\nto = \"{CUSTOMER}\"\nproposer = \"alice\"\nmessage = \"WD-1\"\n"
    );
    let mut table: toml::Table = toml::from_str(&defaults).unwrap();
    let extra: toml::Table = toml::from_str(fields).unwrap();
    table.extend(extra);
    table.try_into().unwrap()
}

/// Runs a table of (fields, expected outcome, rule that must fire) and reports every failure.
pub fn run_table(kind: &str, rows: &[(String, &str, &str)]) {
    let p = policy();
    let mut failures = Vec::new();
    for (fields, expect, rule) in rows {
        let mut c = case(fields);
        c.expect = expect.to_string();
        if !rule.is_empty() {
            c.expect_rules = vec![rule.to_string()];
        }
        let result = run_case(&p, &c);
        if !result.passed {
            failures.push(format!(
                "{kind}: [{fields}] → {}",
                result.failure.unwrap_or_default()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
