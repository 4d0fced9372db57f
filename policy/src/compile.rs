//! Raw → compiled. Checks every value and reports every problem at once, each with the path of
//! the field and the rule's name; `lint` turns paths into line:column.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use nem::tx::{MosaicId, validate_mosaic_id};
use nem::{Address, Amount, Network, PublicKey, TransactionType};
use regex::Regex;

use crate::decision::Outcome;
use crate::duration::parse_seconds;
use crate::model::*;
use crate::problem::{Path, Problem};
use crate::raw::*;

struct Compiler {
    problems: Vec<Problem>,
    network: Network,
}

impl Compiler {
    fn problem(&mut self, path: Path, rule: Option<&str>, message: impl Into<String>) {
        self.problems.push(Problem {
            path,
            rule: rule.map(str::to_string),
            message: message.into(),
            line: 0,
            column: 0,
        });
    }

    fn address(&mut self, path: Path, rule: Option<&str>, text: &str) -> Option<Address> {
        match Address::parse_for(text, self.network) {
            Ok(a) => Some(a),
            Err(e) => {
                self.problem(path, rule, e.to_string());
                None
            }
        }
    }

    fn time_zone(&mut self, path: Path, rule: Option<&str>, name: &str) -> Option<TimeZone> {
        match TimeZone::get(name) {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.problem(
                    path,
                    rule,
                    format!("'{name}' is not an IANA time zone (e.g. Asia/Tokyo, UTC)"),
                );
                None
            }
        }
    }

    fn asset(
        &mut self,
        path: Path,
        rule: Option<&str>,
        text: &str,
        assets: &BTreeMap<MosaicId, u8>,
    ) -> Option<MosaicId> {
        let Some((namespace, name)) = text.split_once(':') else {
            self.problem(
                path,
                rule,
                format!("'{text}' is not namespace:name (XEM is nem:xem)"),
            );
            return None;
        };
        let id = MosaicId {
            namespace: namespace.into(),
            name: name.into(),
        };
        if !assets.contains_key(&id) {
            self.problem(path, rule, format!("asset '{text}' is not declared; add [[asset]] id = \"{text}\" with its divisibility"));
            return None;
        }
        Some(id)
    }

    /// A decimal amount of an asset in its smallest units.
    fn amount(&mut self, path: Path, rule: Option<&str>, text: &str, decimals: u8) -> Option<u128> {
        match nem::amount::parse_decimal(text, u32::from(decimals)) {
            Ok(v) => Some(u128::from(v)),
            Err(nem::AmountError::TooManyDecimals {
                decimals: found, ..
            }) => {
                self.problem(
                    path,
                    rule,
                    format!(
                        "'{text}' has {found} decimal places; this asset has at most {decimals}"
                    ),
                );
                None
            }
            Err(e) => {
                self.problem(path, rule, e.to_string());
                None
            }
        }
    }

    fn outcome(
        &mut self,
        path: Path,
        rule: Option<&str>,
        text: Option<&str>,
        default: Outcome,
        allowed: &[Outcome],
    ) -> Outcome {
        let Some(text) = text else { return default };
        match Outcome::parse(text).filter(|o| allowed.contains(o)) {
            Some(o) => o,
            None => {
                let names: Vec<&str> = allowed.iter().map(|o| o.name()).collect();
                self.problem(
                    path,
                    rule,
                    format!("'{text}' is not one of {}", names.join(", ")),
                );
                default
            }
        }
    }
}

pub fn compile(raw: &RawPolicy, hash: &str) -> Result<Policy, Vec<Problem>> {
    let p = Path::root;
    let network = raw.network.parse::<Network>();
    let mut c = Compiler {
        problems: vec![],
        network: *network.as_ref().unwrap_or(&Network::Testnet),
    };
    if let Err(e) = network {
        c.problem(p().key("network"), None, e.to_string());
    }
    if raw.version != 1 {
        c.problem(
            p().key("version"),
            None,
            format!(
                "version {} is not supported; this Hanko reads version 1",
                raw.version
            ),
        );
    }
    let mut accounts = Vec::new();
    for (i, a) in raw.accounts.iter().enumerate() {
        if let Some(a) = c.address(p().key("accounts").index(i), None, a) {
            accounts.push(a);
        }
    }
    if raw.accounts.is_empty() {
        c.problem(
            p().key("accounts"),
            None,
            "list at least one multisig account this policy signs for",
        );
    }
    let default_tz = match &raw.time_zone {
        Some(name) => c
            .time_zone(p().key("time_zone"), None, name)
            .unwrap_or(TimeZone::UTC),
        None => TimeZone::UTC,
    };

    let mut allowed_types = vec![TransactionType::Transfer];
    if let Some(t) = &raw.transaction_types {
        allowed_types.clear();
        for (i, name) in t.allow.iter().enumerate() {
            match TransactionType::from_name(name).filter(|t| t.is_embeddable()) {
                Some(t) => allowed_types.push(t),
                None => c.problem(
                    p().key("transaction_types").key("allow").index(i),
                    None,
                    format!("'{name}' is not a type a multisig account can send (transfer, multisig_aggregate_modification, importance_transfer, provision_namespace, mosaic_definition_creation, mosaic_supply_change)"),
                ),
            }
        }
    }

    let mut assets = BTreeMap::from([(MosaicId::xem(), 6u8)]);
    for (i, a) in raw.assets.iter().enumerate() {
        let path = p().key("asset").index(i);
        match a.id.split_once(':') {
            Some((ns, name)) => {
                let id = MosaicId {
                    namespace: ns.into(),
                    name: name.into(),
                };
                if let Err(e) = validate_mosaic_id(&id) {
                    c.problem(path.key("id"), None, e);
                } else if a.divisibility > 6 {
                    c.problem(path.key("divisibility"), None, "divisibility is 0 to 6");
                } else if assets.insert(id, a.divisibility).is_some() {
                    c.problem(
                        path.key("id"),
                        None,
                        format!("asset '{}' is declared twice", a.id),
                    );
                }
            }
            None => c.problem(
                path.key("id"),
                None,
                format!("'{}' is not namespace:name", a.id),
            ),
        }
    }

    let mut names = HashSet::new();
    let mut check_name = |c: &mut Compiler, path: Path, name: &str| {
        if name.trim().is_empty() {
            c.problem(path.key("name"), None, "every rule needs a name");
        } else if !names.insert(name.to_string()) {
            c.problem(
                path.key("name"),
                Some(name),
                format!("rule name '{name}' is used twice; names identify rules in decisions"),
            );
        }
    };

    let mut limits = Vec::new();
    for (i, l) in raw.limits.iter().enumerate() {
        let path = p().key("limit").index(i);
        let rule = Some(l.name.as_str());
        check_name(&mut c, path.clone(), &l.name);
        let asset = c.asset(path.key("asset"), rule, &l.asset, &assets);
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

    let mut velocity = Vec::new();
    for (i, v) in raw.velocity.iter().enumerate() {
        let path = p().key("velocity").index(i);
        let rule = Some(v.name.as_str());
        check_name(&mut c, path.clone(), &v.name);
        let asset = c.asset(path.key("asset"), rule, &v.asset, &assets);
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

    let mut whitelist = HashMap::new();
    let mut denylist = HashMap::new();
    let mut unlisted = Outcome::Deny;
    if let Some(d) = &raw.destinations {
        let path = p().key("destinations");
        unlisted = c.outcome(
            path.key("unlisted"),
            None,
            d.unlisted.as_deref(),
            Outcome::Deny,
            &[Outcome::Deny, Outcome::NeedsApproval, Outcome::Allow],
        );
        for (i, w) in d.whitelist.iter().enumerate() {
            let entry = path.key("whitelist").index(i);
            let address = c.address(entry.key("address"), Some(&w.label), &w.address);
            let active_from = match w.active_from.parse::<jiff::Timestamp>() {
                Ok(t) => Some(t),
                Err(e) => {
                    c.problem(
                        entry.key("active_from"),
                        Some(&w.label),
                        format!(
                            "'{}' is not an RFC 3339 time like 2026-11-01T09:00:00Z: {e}",
                            w.active_from
                        ),
                    );
                    None
                }
            };
            if let (Some(address), Some(active_from)) = (address, active_from)
                && whitelist
                    .insert(
                        address,
                        WhitelistEntry {
                            label: w.label.clone(),
                            active_from,
                        },
                    )
                    .is_some()
            {
                c.problem(
                    entry.key("address"),
                    Some(&w.label),
                    format!("{address} is whitelisted twice"),
                );
            }
        }
        for (i, x) in d.denylist.iter().enumerate() {
            let entry = path.key("denylist").index(i);
            if let Some(address) = c.address(entry.key("address"), None, &x.address) {
                denylist.insert(address, x.reason.clone());
            }
        }
    }

    let mut windows = Vec::new();
    for (i, w) in raw.windows.iter().enumerate() {
        let path = p().key("window").index(i);
        let rule = Some(w.name.as_str());
        check_name(&mut c, path.clone(), &w.name);
        let mut days = [false; 7];
        for (j, d) in w.days.iter().enumerate() {
            match ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .iter()
                .position(|x| x == d)
            {
                Some(k) => days[k] = true,
                None => c.problem(
                    path.key("days").index(j),
                    rule,
                    format!("'{d}' is not mon, tue, wed, thu, fri, sat or sun"),
                ),
            }
        }
        let time = |c: &mut Compiler, key: &str, text: &str| match text.parse::<Time>() {
            Ok(t) => Some(t),
            Err(_) => {
                c.problem(
                    path.key(key),
                    rule,
                    format!("'{text}' is not a local time like 09:00"),
                );
                None
            }
        };
        let from = time(&mut c, "from", &w.from);
        let to = time(&mut c, "to", &w.to);
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            c.problem(
                path.key("to"),
                rule,
                format!("the window ends ({t}) before it starts ({f})"),
            );
        }
        let tz = match &w.time_zone {
            Some(name) => c.time_zone(path.key("time_zone"), rule, name),
            None => Some(default_tz.clone()),
        };
        let mut holidays = HashSet::new();
        for (j, h) in w.holidays.iter().enumerate() {
            match h.parse::<Date>() {
                Ok(d) => {
                    holidays.insert(d);
                }
                Err(_) => c.problem(
                    path.key("holidays").index(j),
                    rule,
                    format!("'{h}' is not a date like 2026-12-31"),
                ),
            }
        }
        let outside = c.outcome(
            path.key("outside"),
            rule,
            w.outside.as_deref(),
            Outcome::Deny,
            &[Outcome::Deny, Outcome::NeedsApproval],
        );
        if let (Some(from), Some(to), Some(time_zone)) = (from, to, tz) {
            windows.push(Window {
                name: w.name.clone(),
                days,
                from,
                to,
                time_zone,
                holidays,
                outside,
            });
        }
    }

    let mut proposers = Vec::new();
    for (i, pr) in raw.proposers.iter().enumerate() {
        let path = p().key("proposer").index(i);
        let rule = Some(pr.name.as_str());
        check_name(&mut c, path.clone(), &pr.name);
        let key = match pr.key.parse::<PublicKey>() {
            Ok(k) => Some(k),
            Err(e) => {
                c.problem(path.key("key"), rule, e.to_string());
                None
            }
        };
        let mut proposer_accounts = Vec::new();
        for (j, a) in pr.accounts.iter().enumerate() {
            if let Some(a) = c.address(path.key("accounts").index(j), rule, a) {
                proposer_accounts.push(a);
            }
        }
        let max_xem = match &pr.max_xem {
            Some(text) => match text.parse::<Amount>() {
                Ok(a) => Some(a),
                Err(e) => {
                    c.problem(path.key("max_xem"), rule, e.to_string());
                    None
                }
            },
            None => None,
        };
        if let Some(key) = key {
            proposers.push(Proposer {
                name: pr.name.clone(),
                key,
                accounts: proposer_accounts,
                max_xem,
            });
        }
    }

    let mut approvals = Vec::new();
    for (i, a) in raw.approvals.iter().enumerate() {
        let path = p().key("approval").index(i);
        let rule = Some(a.name.as_str());
        check_name(&mut c, path.clone(), &a.name);
        let asset = c.asset(path.key("asset"), rule, &a.asset, &assets);
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

    let any_proposer = match raw.any_proposer.as_deref() {
        None => false,
        Some("any") => true,
        Some(other) => {
            c.problem(
                p().key("proposers"),
                None,
                format!("'{other}' is not \"any\"; to name proposers, list them as [[proposer]]"),
            );
            false
        }
    };
    match (any_proposer, raw.proposers.is_empty()) {
        (false, true) if raw.any_proposer.is_none() => c.problem(
            p().key("proposer"),
            None,
            "no proposer is listed: list the proposers' keys as [[proposer]], or write proposers = \"any\" to let any key propose",
        ),
        (true, false) => c.problem(
            p().key("proposers"),
            None,
            "proposers = \"any\" and [[proposer]] entries contradict each other: keep one",
        ),
        _ => {}
    }

    let safety = compile_safety(&mut c, raw.safety.as_ref().cloned().unwrap_or_default());
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    Ok(Policy {
        name: raw.name.clone().unwrap_or_else(|| "unnamed policy".into()),
        network: c.network,
        accounts,
        hash: hash.to_string(),
        allowed_types,
        assets,
        limits,
        velocity,
        unlisted,
        whitelist,
        denylist,
        windows,
        proposers,
        any_proposer,
        approvals,
        safety,
    })
}

fn compile_safety(c: &mut Compiler, s: RawSafety) -> Safety {
    let path = Path::root().key("safety");
    let mut xem = |key: &str, text: Option<&String>| {
        text.and_then(|t| match t.parse::<Amount>() {
            Ok(a) => Some(a),
            Err(e) => {
                c.problem(path.key(key), None, e.to_string());
                None
            }
        })
    };
    let fee_cap = xem("fee_cap", s.fee_cap.as_ref());
    let max_unconfirmed = xem("max_unconfirmed", s.max_unconfirmed.as_ref());
    let mut seconds = |key: &str, text: Option<&String>, default: u32, max: u32| -> u32 {
        let Some(text) = text else { return default };
        match parse_seconds(text) {
            Ok(s) if s <= u64::from(max) => s as u32,
            Ok(_) => {
                c.problem(
                    path.key(key),
                    None,
                    format!(
                        "'{text}' exceeds {}",
                        crate::duration::format_seconds(u64::from(max))
                    ),
                );
                default
            }
            Err(e) => {
                c.problem(path.key(key), None, e);
                default
            }
        }
    };
    let max_deadline_seconds = seconds(
        "max_deadline",
        s.max_deadline.as_ref(),
        7_200,
        nem::time::MAX_DEADLINE_SPAN_SECONDS,
    );
    let max_timestamp_skew_seconds = seconds(
        "max_timestamp_skew",
        s.max_timestamp_skew.as_ref(),
        60,
        3_600,
    );
    let m = s.message.unwrap_or_default();
    let message_pattern = m
        .require_pattern
        .as_ref()
        .and_then(|text| match Regex::new(text) {
            Ok(r) => Some(r),
            Err(e) => {
                c.problem(
                    path.key("message").key("require_pattern"),
                    None,
                    format!("not a valid regular expression: {e}"),
                );
                None
            }
        });
    let message_max_bytes = m.max_bytes.unwrap_or(nem::fees::MAX_MESSAGE_BYTES);
    if message_max_bytes > nem::fees::MAX_MESSAGE_BYTES {
        c.problem(
            path.key("message").key("max_bytes"),
            None,
            "NIS accepts at most 1024 bytes",
        );
    }
    Safety {
        fee_cap,
        max_unconfirmed,
        max_deadline_seconds,
        max_timestamp_skew_seconds,
        message_max_bytes,
        message_pattern,
        allow_encrypted: m.allow_encrypted,
    }
}
