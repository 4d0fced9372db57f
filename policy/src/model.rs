//! The compiled policy: every value parsed and checked, ready to evaluate.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use nem::tx::MosaicId;
use nem::{Address, Amount, Network, PublicKey, TransactionType};
use regex::Regex;

use crate::decision::Outcome;

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub network: Network,
    pub accounts: Vec<Address>,
    /// SHA-256 of the policy file's bytes, hex: the version hash decisions cite.
    pub hash: String,
    pub allowed_types: Vec<TransactionType>,
    /// Decimal places of every asset the policy knows; `nem:xem` is always 6.
    pub assets: BTreeMap<MosaicId, u8>,
    pub limits: Vec<Limit>,
    pub velocity: Vec<Velocity>,
    pub unlisted: Outcome,
    pub whitelist: HashMap<Address, WhitelistEntry>,
    pub denylist: HashMap<Address, String>,
    pub windows: Vec<Window>,
    pub proposers: Vec<Proposer>,
    /// `proposers = "any"`: any proposer key; otherwise only those listed.
    pub any_proposer: bool,
    pub approvals: Vec<ApprovalTier>,
    pub safety: Safety,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub name: String,
    pub asset: MosaicId,
    /// Smallest units.
    pub max: u128,
    /// Empty: every account.
    pub accounts: Vec<Address>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Per {
    Account,
    Destination,
    Proposer,
}

impl Per {
    pub fn name(self) -> &'static str {
        match self {
            Per::Account => "account",
            Per::Destination => "destination",
            Per::Proposer => "proposer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calendar {
    Day,
    Month,
}

/// The longest velocity window: a cosigner reads the chain back 32 days, so a longer window
/// would count less than it says.
pub const MAX_WINDOW_SECONDS: u64 = 31 * 86_400;

#[derive(Debug, Clone, PartialEq)]
pub enum Span {
    /// The last N seconds.
    Rolling(u64),
    /// Since the start of the current day or month in the zone.
    Calendar(Calendar, TimeZone),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Velocity {
    pub name: String,
    pub asset: MosaicId,
    pub max: u128,
    pub span: Span,
    pub per: Per,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WhitelistEntry {
    pub label: String,
    pub active_from: jiff::Timestamp,
}

#[derive(Debug, Clone)]
pub struct Window {
    pub name: String,
    /// Monday first.
    pub days: [bool; 7],
    pub from: Time,
    pub to: Time,
    pub time_zone: TimeZone,
    pub holidays: HashSet<Date>,
    pub outside: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Proposer {
    pub name: String,
    pub key: PublicKey,
    pub accounts: Vec<Address>,
    pub max_xem: Option<Amount>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalTier {
    pub name: String,
    pub asset: MosaicId,
    pub above: u128,
    pub approvals: u32,
}

#[derive(Debug, Clone)]
pub struct Safety {
    pub fee_cap: Option<Amount>,
    /// XEM signed and not yet confirmed, at most (enforced by the cosigner, which knows n and m).
    pub max_unconfirmed: Option<Amount>,
    pub max_deadline_seconds: u32,
    pub max_timestamp_skew_seconds: u32,
    pub message_max_bytes: usize,
    pub message_pattern: Option<Regex>,
    pub allow_encrypted: bool,
}

impl Span {
    /// The start of the window at `now`: now minus the rolling span, or the start of the day
    /// or month in the zone.
    pub fn start(&self, now: jiff::Timestamp) -> Result<jiff::Timestamp, String> {
        match self {
            Span::Rolling(seconds) => now
                .checked_sub(jiff::SignedDuration::from_secs(*seconds as i64))
                .map_err(|e| format!("window start: {e}")),
            Span::Calendar(calendar, tz) => {
                let day = now.to_zoned(tz.clone()).date();
                let first: Date = match calendar {
                    Calendar::Day => day,
                    Calendar::Month => day.first_of_month(),
                };
                first
                    .to_zoned(tz.clone())
                    .map(|z| z.timestamp())
                    .map_err(|e| format!("period start: {e}"))
            }
        }
    }

    /// The longest stretch of time this window can cover.
    pub fn max_seconds(&self) -> u64 {
        match self {
            Span::Rolling(s) => *s,
            Span::Calendar(Calendar::Day, _) => 25 * 3_600,
            Span::Calendar(Calendar::Month, _) => 31 * 86_400 + 3_600,
        }
    }
}

impl Policy {
    /// How long this cosigner's own signatures must stay in its velocity history: the
    /// longest window of any velocity rule.
    pub fn longest_window_seconds(&self) -> u64 {
        self.velocity
            .iter()
            .map(|v| v.span.max_seconds())
            .max()
            .unwrap_or(0)
    }

    pub fn divisibility(&self, asset: &MosaicId) -> Option<u8> {
        self.assets.get(asset).copied()
    }

    /// An amount in smallest units, written in the asset's decimals.
    pub fn format_amount(&self, asset: &MosaicId, units: u128) -> String {
        let d = self.divisibility(asset).unwrap_or(0);
        let text = match u64::try_from(units) {
            Ok(u) => nem::amount::format_decimal(u, u32::from(d)),
            Err(_) => units.to_string(),
        };
        if asset.is_xem() {
            format!("{text} XEM")
        } else {
            format!("{text} {asset}")
        }
    }
}
