//! Amount rules: per-transaction limits, velocity and approval tiers.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use nem::Address;
use nem::tx::MosaicId;

use super::compiler::Compiler;
use crate::duration::parse_seconds;
use crate::model::*;
use crate::problem::Path;
use crate::raw::RawPolicy;

pub(super) fn limits(
    c: &mut Compiler,
    raw: &RawPolicy,
    accounts: &[Address],
    assets: &BTreeMap<MosaicId, u8>,
) -> Vec<Limit> {
    let p = Path::root;
    let mut limits = Vec::new();
    for (i, l) in raw.limits.iter().enumerate() {
        let path = p().key("limit").index(i);
        let rule = Some(l.name.as_str());
        c.check_name(path.clone(), &l.name);
        let asset = c.asset(path.key("asset"), rule, &l.asset, assets);
        let max = asset
            .as_ref()
            .and_then(|a| c.amount(path.key("max"), rule, &l.max, assets[a]));
        let mut limit_accounts = Vec::new();
        for (j, a) in l.accounts.iter().enumerate() {
            if let Some(a) = c.address(path.key("accounts").index(j), rule, a) {
                if !accounts.contains(&a) {
                    c.problem(
                        path.key("accounts").index(j),
                        rule,
                        format!("{a} is not one of the policy's accounts"),
                    );
                }
                limit_accounts.push(a);
            }
        }
        if let (Some(asset), Some(max)) = (asset, max) {
            limits.push(Limit {
                name: l.name.clone(),
                asset,
                max,
                accounts: limit_accounts,
            });
        }
    }

    limits
}

pub(super) fn velocity(
    c: &mut Compiler,
    raw: &RawPolicy,
    assets: &BTreeMap<MosaicId, u8>,
    default_tz: &TimeZone,
) -> Vec<Velocity> {
    let p = Path::root;
    let mut velocity = Vec::new();
    for (i, v) in raw.velocity.iter().enumerate() {
        let path = p().key("velocity").index(i);
        let rule = Some(v.name.as_str());
        c.check_name(path.clone(), &v.name);
        let asset = c.asset(path.key("asset"), rule, &v.asset, assets);
        let max = asset
            .as_ref()
            .and_then(|a| c.amount(path.key("max"), rule, &v.max, assets[a]));
        let tz = match &v.time_zone {
            Some(name) => c.time_zone(path.key("time_zone"), rule, name),
            None => Some(default_tz.clone()),
        };
        let span = match (&v.window, &v.period) {
            (Some(w), None) => match parse_seconds(w) {
                Ok(s) if s > MAX_WINDOW_SECONDS => {
                    c.problem(
                        path.key("window"),
                        rule,
                        format!("'{w}' is longer than 31d: a cosigner reads its account's outflows back 32 days, so a longer window would count less than it says"),
                    );
                    None
                }
                Ok(0) => {
                    c.problem(
                        path.key("window"),
                        rule,
                        "a window of no time counts nothing",
                    );
                    None
                }
                Ok(s) => Some(Span::Rolling(s)),
                Err(e) => {
                    c.problem(path.key("window"), rule, e);
                    None
                }
            },
            (None, Some(period)) => {
                let calendar = match period.as_str() {
                    "day" => Some(Calendar::Day),
                    "month" => Some(Calendar::Month),
                    other => {
                        c.problem(
                            path.key("period"),
                            rule,
                            format!("'{other}' is not day or month"),
                        );
                        None
                    }
                };
                calendar.zip(tz).map(|(cal, tz)| Span::Calendar(cal, tz))
            }
            _ => {
                c.problem(path.clone(), rule, "give exactly one of window (rolling, e.g. \"24h\") or period (\"day\", \"month\")");
                None
            }
        };
        let per = match v.per.as_deref() {
            None | Some("account") => Some(Per::Account),
            Some("destination") => Some(Per::Destination),
            Some("proposer") => Some(Per::Proposer),
            Some(other) => {
                c.problem(
                    path.key("per"),
                    rule,
                    format!("'{other}' is not account, destination or proposer"),
                );
                None
            }
        };
        if let (Some(asset), Some(max), Some(span), Some(per)) = (asset, max, span, per) {
            velocity.push(Velocity {
                name: v.name.clone(),
                asset,
                max,
                span,
                per,
            });
        }
    }

    velocity
}

pub(super) fn approvals(
    c: &mut Compiler,
    raw: &RawPolicy,
    assets: &BTreeMap<MosaicId, u8>,
) -> Vec<ApprovalTier> {
    let p = Path::root;
    let mut approvals = Vec::new();
    for (i, a) in raw.approvals.iter().enumerate() {
        let path = p().key("approval").index(i);
        let rule = Some(a.name.as_str());
        c.check_name(path.clone(), &a.name);
        let asset = c.asset(path.key("asset"), rule, &a.asset, assets);
        let above = asset
            .as_ref()
            .and_then(|x| c.amount(path.key("above"), rule, &a.above, assets[x]));
        let count = a.approvals.unwrap_or(1);
        if count == 0 || count > 16 {
            c.problem(
                path.key("approvals"),
                rule,
                "approvals is 1 to 16 operators",
            );
        }
        if let (Some(asset), Some(above)) = (asset, above) {
            approvals.push(ApprovalTier {
                name: a.name.clone(),
                asset,
                above,
                approvals: count.clamp(1, 16),
            });
        }
    }

    approvals
}
