//! The policy file as written: a serde mirror of the TOML with its JSON Schema. Values stay
//! strings where people write them as text (amounts, addresses, times); `compile` checks them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Hanko cosigner policy (TOML). Every rule has a `name` that decisions and errors cite.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawPolicy {
    /// Format version; must be 1.
    pub version: u32,
    /// A name for this policy, shown in decisions.
    #[serde(default)]
    pub name: Option<String>,
    /// mainnet, testnet or mijin.
    pub network: String,
    /// The multisig accounts this policy signs for (addresses).
    pub accounts: Vec<String>,
    /// Default IANA time zone for time windows and calendar periods, e.g. "Asia/Tokyo".
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub transaction_types: Option<RawTransactionTypes>,
    /// Mosaics other than nem:xem must be declared to be limited or allowed.
    #[serde(default, rename = "asset")]
    pub assets: Vec<RawAsset>,
    #[serde(default, rename = "limit")]
    pub limits: Vec<RawLimit>,
    #[serde(default, rename = "velocity")]
    pub velocity: Vec<RawVelocity>,
    #[serde(default)]
    pub destinations: Option<RawDestinations>,
    #[serde(default, rename = "window")]
    pub windows: Vec<RawWindow>,
    #[serde(default, rename = "proposer")]
    pub proposers: Vec<RawProposer>,
    /// "any" lets any proposer key propose. Without it, list the proposers (`[[proposer]]`):
    /// a policy must say which of the two it means.
    #[serde(default, rename = "proposers")]
    pub any_proposer: Option<String>,
    #[serde(default, rename = "approval")]
    pub approvals: Vec<RawApproval>,
    #[serde(default)]
    pub safety: Option<RawSafety>,
    /// Test cases run by `hanko policy test`.
    #[serde(default, rename = "test")]
    pub tests: Vec<RawCase>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawTransactionTypes {
    /// Inner transaction types this cosigner may sign. Default: ["transfer"].
    pub allow: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawAsset {
    /// `namespace:name`, e.g. "acme.jpy:yen".
    pub id: String,
    /// Decimal places of the mosaic (its divisibility), 0 to 6.
    pub divisibility: u8,
}

/// Largest amount of an asset one transaction may move.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawLimit {
    pub name: String,
    /// "nem:xem" or a declared mosaic.
    pub asset: String,
    /// Decimal amount in the asset's units, e.g. "50000" or "12.5".
    pub max: String,
    /// Only for these multisig accounts (default: all).
    #[serde(default)]
    pub accounts: Vec<String>,
}

/// Total outflow of an asset within a rolling window or a calendar period.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawVelocity {
    pub name: String,
    pub asset: String,
    pub max: String,
    /// Rolling window: "1h", "24h", "7d", at most "31d" (exclusive with `period`).
    #[serde(default)]
    pub window: Option<String>,
    /// Calendar period in the time zone: "day" or "month" (exclusive with `window`).
    #[serde(default)]
    pub period: Option<String>,
    /// Count per: "account" (default), "destination" or "proposer".
    #[serde(default)]
    pub per: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawDestinations {
    /// What happens to a recipient not on the whitelist: "deny" (default, also without a
    /// `[destinations]` section), "needs_approval" or "allow".
    #[serde(default)]
    pub unlisted: Option<String>,
    #[serde(default)]
    pub whitelist: Vec<RawWhitelistEntry>,
    /// Recipients never paid, whatever else says (e.g. addresses holding stolen funds).
    #[serde(default)]
    pub denylist: Vec<RawDenylistEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawWhitelistEntry {
    pub address: String,
    pub label: String,
    /// Usable only from this time (RFC 3339): the cooling-off for a new entry.
    pub active_from: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawDenylistEntry {
    pub address: String,
    pub reason: String,
}

/// When withdrawals may happen.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawWindow {
    pub name: String,
    /// Weekdays: "mon" … "sun".
    pub days: Vec<String>,
    /// Local start, "09:00".
    pub from: String,
    /// Local end, exclusive, "18:00".
    pub to: String,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Dates ("2026-12-31") on which the window is closed.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Outside the window: "deny" (default) or "needs_approval".
    #[serde(default)]
    pub outside: Option<String>,
}

/// Who may propose: only listed proposers' offers are examined at all.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawProposer {
    pub name: String,
    /// The proposer's Ed25519 identity key (hex).
    pub key: String,
    /// Accounts this proposer may propose from (default: all of the policy's).
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Largest XEM amount per transaction this proposer may propose.
    #[serde(default)]
    pub max_xem: Option<String>,
}

/// Above an amount, an operator must approve.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawApproval {
    pub name: String,
    pub asset: String,
    /// Amounts strictly above this need approval.
    pub above: String,
    /// How many distinct operators must approve (default 1).
    #[serde(default)]
    pub approvals: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawSafety {
    /// If set, any fee from the NIS minimum up to this cap (XEM); if not, exactly the minimum.
    #[serde(default)]
    pub fee_cap: Option<String>,
    /// Longest deadline after the timestamp, e.g. "2h" (default "2h", at most "24h").
    #[serde(default)]
    pub max_deadline: Option<String>,
    /// How far the timestamp may be ahead of this cosigner's clock (default "60s").
    #[serde(default)]
    pub max_timestamp_skew: Option<String>,
    /// The most XEM this cosigner may have signed and not yet seen confirmed. When set, every
    /// velocity rule also counts (n − 1) × this / m as already spent (n cosignatories, m
    /// required), for what other cosigner pairs may have signed unseen: a coordinator that
    /// gathers signatures from different pairs at once then cannot pass the limit.
    #[serde(default)]
    pub max_unconfirmed: Option<String>,
    #[serde(default)]
    pub message: Option<RawMessageRules>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawMessageRules {
    /// Longest plain message in bytes (default 1024, NIS's limit).
    #[serde(default)]
    pub max_bytes: Option<usize>,
    /// A regular expression the whole message text must match, e.g. "^WD-[0-9]{6}$".
    #[serde(default)]
    pub require_pattern: Option<String>,
    /// Encrypted messages cannot be read by the cosigner; refused unless true.
    #[serde(default)]
    pub allow_encrypted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCase {
    pub name: String,
    /// The cosigner's clock (RFC 3339), e.g. "2026-11-24T10:00:00+09:00".
    pub at: String,
    /// allow, needs_approval or deny.
    pub expect: String,
    /// Rules that must fire with the expected outcome.
    #[serde(default)]
    pub expect_rules: Vec<String>,
    /// The multisig account (default: the policy's first).
    #[serde(default)]
    pub account: Option<String>,
    /// Recipient address.
    pub to: String,
    /// XEM (a plain transfer).
    #[serde(default)]
    pub amount: Option<String>,
    /// Mosaics, in their units (a version 2 transfer).
    #[serde(default)]
    pub mosaics: Vec<RawCaseMosaic>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub encrypted_message: bool,
    /// A proposer's name from this policy, or a key (hex).
    #[serde(default)]
    pub proposer: Option<String>,
    /// XEM; default: the NIS minimum.
    #[serde(default)]
    pub fee: Option<String>,
    /// Transaction timestamp (RFC 3339); default: `at`.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Deadline after the timestamp, e.g. "1h" (default).
    #[serde(default)]
    pub deadline: Option<String>,
    /// Earlier outflows of the account.
    #[serde(default)]
    pub history: Vec<RawCaseOutflow>,
    /// The account's cosignatories, each of whom may add a signature fee (default 3).
    #[serde(default)]
    pub cosignatories: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCaseMosaic {
    pub id: String,
    pub quantity: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCaseOutflow {
    pub at: String,
    pub amount: String,
    /// Default nem:xem.
    #[serde(default)]
    pub asset: Option<String>,
    /// Default: the case's recipient.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub proposer: Option<String>,
}

/// A sibling `*.tests.toml` file: `[[test]]` entries only.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CaseFile {
    #[serde(default, rename = "test")]
    pub tests: Vec<RawCase>,
}
