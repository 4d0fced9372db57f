//! Policies for local installations used by the end-to-end tests and the benchmark.

use super::Context;

/// What a policy of a local installation says (tests and benchmarks); everything else is as
/// in the demo.
#[derive(Clone)]
pub struct Rules {
    /// Above this many XEM an operator must approve.
    pub approval_above: Option<u64>,
    pub daily_max_xem: u64,
    pub whitelist_customer: bool,
    pub extra: String,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            approval_above: None,
            daily_max_xem: 100_000,
            whitelist_customer: true,
            extra: String::new(),
        }
    }
}

/// The policy text of cosigner `i` under rules `r`.
pub fn policy(i: usize, ctx: &Context, r: &Rules) -> String {
    let letter = (b'A' + i as u8) as char;
    let whitelist = if r.whitelist_customer {
        format!(
            "[[destinations.whitelist]]\naddress = \"{}\"\nlabel = \"customer withdrawals\"\nactive_from = \"2026-01-01T00:00:00Z\"\n",
            ctx.customer
        )
    } else {
        String::new()
    };
    let approval = r
        .approval_above
        .map(|x| {
            format!(
                "[[approval]]\nname = \"operator-above-{x}-xem\"\nasset = \"nem:xem\"\nabove = \"{x}\"\napprovals = 1\n"
            )
        })
        .unwrap_or_default();
    format!(
        r#"version = 1
name = "local cosigner {letter}"
network = "testnet"
accounts = ["{account}"]
time_zone = "UTC"

[transaction_types]
allow = ["transfer"]

[[limit]]
name = "per-withdrawal-xem"
asset = "nem:xem"
max = "50000"

[[velocity]]
name = "daily-xem"
asset = "nem:xem"
max = "{daily}"
window = "24h"

[destinations]
unlisted = "deny"

{whitelist}
[[proposer]]
name = "treasury-alice"
key = "{proposer}"

{approval}
[safety]
max_deadline = "2h"

{extra}
"#,
        account = ctx.account,
        daily = r.daily_max_xem,
        proposer = ctx.proposer,
        extra = r.extra,
    )
}
