//! How much of each velocity rule is used, for the operators' console: per rule and per scope
//! it counts in, the total over its window now, and how that total built up. Counted exactly
//! as a decision counts (`decide::counted`): the chain's outflows from their blocks, this
//! cosigner's own signatures from their deadlines. Pure: snapshot, signatures and clock are
//! inputs.

use nem::Address;
use policy::model::{Per, Velocity};
use policy::{History, Policy, Scope};
use serde::{Deserialize, Serialize};

use crate::decide::{Context, counted, every_outflow};

/// Points drawn from the window's start to now.
const POINTS: usize = 48;
/// Scopes shown for a rule counted per destination or per proposer: the most used.
const TOP: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleUsage {
    pub rule: String,
    pub account: String,
    pub asset: String,
    /// account, destination or proposer.
    pub per: String,
    pub window_start: String,
    pub limit: String,
    pub scopes: Vec<ScopeUsage>,
    /// Why it could not be counted, if it could not.
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeUsage {
    /// The account, destination or proposer key counted.
    pub scope: String,
    pub used: String,
    /// In whole units of the asset, for drawing.
    pub used_units: f64,
    pub limit_units: f64,
    /// (fraction of the window gone, used so far), from the window's start to now.
    pub points: Vec<(f64, f64)>,
}

fn units(policy: &Policy, v: &Velocity, amount: u128) -> f64 {
    let d = policy.divisibility(&v.asset).unwrap_or(0);
    amount as f64 / 10f64.powi(i32::from(d))
}

fn scope_name(scope: &Scope) -> String {
    match scope {
        Scope::Account(a) | Scope::Destination(a) => a.to_string(),
        Scope::Proposer(k) => k.to_string(),
    }
}

/// Every velocity rule of `policy` for `account`, as of context `c`.
pub fn usage(policy: &Policy, account: Address, c: &Context<'_>) -> Vec<RuleUsage> {
    let history = counted(c);
    policy
        .velocity
        .iter()
        .map(|v| rule(policy, v, account, c, &history))
        .collect()
}

fn rule(
    policy: &Policy,
    v: &Velocity,
    account: Address,
    c: &Context<'_>,
    history: &dyn History,
) -> RuleUsage {
    let mut out = RuleUsage {
        rule: v.name.clone(),
        account: account.to_string(),
        asset: v.asset.to_string(),
        per: v.per.name().into(),
        window_start: String::new(),
        limit: policy.format_amount(&v.asset, v.max),
        scopes: vec![],
        error: None,
    };
    let start = match v.span.start(c.now) {
        Ok(s) => s,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    out.window_start = start.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let scopes: Vec<Scope> = match v.per {
        Per::Account => vec![Scope::Account(account)],
        Per::Destination | Per::Proposer => {
            let mut seen: Vec<Scope> = every_outflow(c)
                .filter(|o| o.account == account && o.asset == v.asset)
                .filter_map(|o| match v.per {
                    Per::Destination => o.destination.map(Scope::Destination),
                    _ => o.proposer.map(Scope::Proposer),
                })
                .collect();
            seen.sort();
            seen.dedup();
            seen
        }
    };
    let mut counted = Vec::new();
    for scope in scopes {
        match scope_usage(policy, v, &scope, start, c.now, history) {
            Ok(s) if s.used_units > 0.0 || v.per == Per::Account => counted.push(s),
            Ok(_) => {}
            Err(e) => out.error = Some(e),
        }
    }
    counted.sort_by(|a, b| b.used_units.total_cmp(&a.used_units));
    counted.truncate(TOP);
    out.scopes = counted;
    out
}

fn scope_usage(
    policy: &Policy,
    v: &Velocity,
    scope: &Scope,
    start: jiff::Timestamp,
    now: jiff::Timestamp,
    history: &dyn History,
) -> Result<ScopeUsage, String> {
    let used = history.total(scope, &v.asset, start)?;
    let span = (now.as_second() - start.as_second()).max(1);
    let mut points = Vec::with_capacity(POINTS + 1);
    for i in 0..POINTS {
        let at = start.as_second() + span * i as i64 / POINTS as i64;
        let since = jiff::Timestamp::from_second(at).map_err(|e| e.to_string())?;
        // What counted from the start up to `at`: all of it, less what counts from `at` on.
        let later = history.total(scope, &v.asset, since)?;
        points.push((
            i as f64 / POINTS as f64,
            units(policy, v, used - later.min(used)),
        ));
    }
    points.push((1.0, units(policy, v, used)));
    Ok(ScopeUsage {
        scope: scope_name(scope),
        used: policy.format_amount(&v.asset, used),
        used_units: units(policy, v, used),
        limit_units: units(policy, v, v.max),
        points,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use nem::tx::MosaicId;
    use nem::{Hash256, Network, PublicKey};
    use policy::Outflow;

    use super::*;
    use crate::chain::{ChainHistory, ChainOutflow, Snapshot};
    use crate::examine::AccountFacts;

    fn address(i: u8) -> Address {
        Address::from_public_key(&PublicKey([i; 32]), Network::Testnet)
    }

    fn policy() -> Policy {
        let text = format!(
            "version = 1\nname = \"t\"\nnetwork = \"testnet\"\naccounts = [\"{}\"]\n\n\
             [transaction_types]\nallow = [\"transfer\"]\n\n\
             [[velocity]]\nname = \"daily\"\nasset = \"nem:xem\"\nmax = \"1000\"\nwindow = \"24h\"\n\n\
             [[velocity]]\nname = \"per-destination\"\nasset = \"nem:xem\"\nmax = \"300\"\nwindow = \"24h\"\nper = \"destination\"\n\n\
             [destinations]\nunlisted = \"allow\"\n\n\
             [[proposer]]\nname = \"p\"\nkey = \"{}\"\n\n[safety]\nmax_unconfirmed = \"10000\"\n",
            address(1),
            PublicKey([3; 32])
        );
        policy::lint(&text)
            .unwrap_or_else(|p| panic!("{p:?}"))
            .policy
    }

    fn paid(hours_ago: i64, to: u8, xem: u128, now: jiff::Timestamp) -> ChainOutflow {
        let at = now - jiff::SignedDuration::from_hours(hours_ago);
        ChainOutflow {
            inner_hash: Hash256([to.wrapping_add(hours_ago as u8); 32]),
            at,
            outflows: vec![Outflow {
                at,
                account: address(1),
                destination: Some(address(to)),
                proposer: None,
                asset: MosaicId::xem(),
                amount: xem * 1_000_000,
            }],
        }
    }

    #[test]
    fn counts_the_window_only_and_draws_a_rising_line_that_ends_at_the_total() {
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        // 30 hours ago falls outside the 24 h window; the rest counts.
        let outflows = Arc::new(vec![
            paid(30, 7, 500, now),
            paid(20, 7, 100, now),
            paid(10, 8, 250, now),
            paid(1, 7, 50, now),
        ]);
        let snapshot = Snapshot {
            facts: AccountFacts {
                public_key: None,
                cosignatories: vec![],
                required: 1,
            },
            outflows: outflows.clone(),
            history: Arc::new(ChainHistory::of(outflows)),
            incomplete: None,
            read_at: std::time::Instant::now(),
        };
        let context = Context {
            snapshot: &snapshot,
            own: vec![],
            now,
        };
        let rules = usage(&policy(), address(1), &context);
        assert_eq!(rules.len(), 2);

        let daily = &rules[0];
        assert_eq!((daily.rule.as_str(), daily.scopes.len()), ("daily", 1));
        let s = &daily.scopes[0];
        assert_eq!(s.used, "400 XEM");
        assert_eq!((s.used_units, s.limit_units), (400.0, 1000.0));
        assert!(
            s.points
                .windows(2)
                .all(|w| w[0].1 <= w[1].1 && w[0].0 < w[1].0)
        );
        assert_eq!(s.points.first().map(|p| p.1), Some(0.0));
        assert_eq!(s.points.last().copied(), Some((1.0, 400.0)));

        // Per destination: each destination paid in the window, the most used first.
        let per = &rules[1];
        let scopes: Vec<(&str, &str)> = per
            .scopes
            .iter()
            .map(|s| (s.scope.as_str(), s.used.as_str()))
            .collect();
        let (seven, eight) = (address(7).to_string(), address(8).to_string());
        assert_eq!(
            scopes,
            vec![(eight.as_str(), "250 XEM"), (seven.as_str(), "150 XEM")]
        );
    }
}
