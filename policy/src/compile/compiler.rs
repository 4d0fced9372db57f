//! The compiler's state: the problems found so far, the network, the rule names seen, and the
//! conversions every part shares (addresses, time zones, assets, amounts, outcomes).

use std::collections::{BTreeMap, HashSet};

use jiff::tz::TimeZone;
use nem::tx::MosaicId;
use nem::{Address, Network};

use crate::decision::Outcome;
use crate::problem::{Path, Problem};

pub(super) struct Compiler {
    pub(super) problems: Vec<Problem>,
    pub(super) network: Network,
    names: HashSet<String>,
}

impl Compiler {
    pub(super) fn new(network: Network) -> Compiler {
        Compiler {
            problems: vec![],
            network,
            names: HashSet::new(),
        }
    }

    /// Every rule needs a name, and names are unique: decisions cite rules by them.
    pub(super) fn check_name(&mut self, path: Path, name: &str) {
        if name.trim().is_empty() {
            self.problem(path.key("name"), None, "every rule needs a name");
        } else if !self.names.insert(name.to_string()) {
            self.problem(
                path.key("name"),
                Some(name),
                format!("rule name '{name}' is used twice; names identify rules in decisions"),
            );
        }
    }

    pub(super) fn problem(&mut self, path: Path, rule: Option<&str>, message: impl Into<String>) {
        self.problems.push(Problem {
            path,
            rule: rule.map(str::to_string),
            message: message.into(),
            line: 0,
            column: 0,
        });
    }

    pub(super) fn address(
        &mut self,
        path: Path,
        rule: Option<&str>,
        text: &str,
    ) -> Option<Address> {
        match Address::parse_for(text, self.network) {
            Ok(a) => Some(a),
            Err(e) => {
                self.problem(path, rule, e.to_string());
                None
            }
        }
    }

    pub(super) fn time_zone(
        &mut self,
        path: Path,
        rule: Option<&str>,
        name: &str,
    ) -> Option<TimeZone> {
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

    pub(super) fn asset(
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
    pub(super) fn amount(
        &mut self,
        path: Path,
        rule: Option<&str>,
        text: &str,
        decimals: u8,
    ) -> Option<u128> {
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

    pub(super) fn outcome(
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
