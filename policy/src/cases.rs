//! Policy test cases, written by compliance in the policy file (`[[test]]`) or in a sibling
//! `*.tests.toml`: a withdrawal, a time and past outflows → the expected outcome.

use jiff::Timestamp;
use nem::tx::{Body, Header, Message, MessageType, Mosaic, MosaicId, Transfer};
use nem::{Address, Amount, NemTimestamp, PublicKey, Transaction};
use serde::Serialize;

use crate::decision::{Decision, Outcome};
use crate::eval::{Request, evaluate_as};
use crate::history::{Outflow, WindowedHistory};
use crate::model::Policy;
pub use crate::raw::{CaseFile, RawCase, RawCaseMosaic, RawCaseOutflow};

/// How many cosignatories a case's or a replayed proposal's account has when it does not say:
/// Hanko's usual 2-of-3.
pub const DEFAULT_COSIGNATORIES: u32 = 3;

#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub name: String,
    pub passed: bool,
    pub expected: String,
    /// Why the case failed, or could not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

/// A placeholder signer for case transactions: cases name accounts by address.
const CASE_SIGNER: PublicKey = PublicKey([0x11; 32]);

fn time(text: &str, field: &str) -> Result<Timestamp, String> {
    text.parse::<Timestamp>()
        .map_err(|e| format!("{field}: '{text}' is not an RFC 3339 time: {e}"))
}

fn proposer_key(policy: &Policy, text: Option<&str>) -> Result<PublicKey, String> {
    match text {
        None => Ok(policy
            .proposers
            .first()
            .map_or(PublicKey([0x22; 32]), |p| p.key)),
        Some(t) => match policy.proposers.iter().find(|p| p.name == t) {
            Some(p) => Ok(p.key),
            None => t.parse::<PublicKey>().map_err(|_| {
                format!("proposer '{t}' is neither a proposer name in the policy nor a key")
            }),
        },
    }
}

fn asset_units(policy: &Policy, id: &str, amount: &str) -> Result<(MosaicId, u128), String> {
    let (ns, name) = id
        .split_once(':')
        .ok_or_else(|| format!("'{id}' is not namespace:name"))?;
    let asset = MosaicId {
        namespace: ns.into(),
        name: name.into(),
    };
    let d = policy
        .divisibility(&asset)
        .ok_or_else(|| format!("asset {id} is not declared in the policy"))?;
    let units = nem::amount::parse_decimal(amount, u32::from(d)).map_err(|e| e.to_string())?;
    Ok((asset, u128::from(units)))
}

/// Builds the case's transaction, request inputs and history.
fn build(
    policy: &Policy,
    case: &RawCase,
) -> Result<(Transaction, Address, PublicKey, Timestamp, WindowedHistory), String> {
    let at = time(&case.at, "at")?;
    let account = match &case.account {
        Some(a) => Address::parse(a).map_err(|e| format!("account: {e}"))?,
        None => *policy
            .accounts
            .first()
            .ok_or("the policy lists no account")?,
    };
    let to = Address::parse(&case.to).map_err(|e| format!("to: {e}"))?;
    let proposer = proposer_key(policy, case.proposer.as_deref())?;
    let timestamp = match &case.timestamp {
        Some(t) => time(t, "timestamp")?,
        None => at,
    };
    let timestamp =
        NemTimestamp::from_timestamp(timestamp).ok_or("timestamp is before the NEM epoch")?;
    let span = crate::duration::parse_seconds(case.deadline.as_deref().unwrap_or("1h"))
        .map_err(|e| format!("deadline: {e}"))?;
    let deadline = timestamp
        .checked_add(span as u32)
        .ok_or("deadline out of range")?;
    let mut mosaics = Vec::new();
    for m in &case.mosaics {
        let (id, units) = asset_units(policy, &m.id, &m.quantity)?;
        mosaics.push(Mosaic {
            id,
            quantity: u64::try_from(units).map_err(|_| "quantity too large")?,
        });
    }
    let (amount, version) = if mosaics.is_empty() {
        let xem = case
            .amount
            .as_deref()
            .unwrap_or("0")
            .parse::<Amount>()
            .map_err(|e| format!("amount: {e}"))?;
        (xem, 1)
    } else {
        mosaics = nem::tx::canonical_mosaics(mosaics)?;
        (Amount::from_micro(1_000_000).map_err(|e| e.to_string())?, 2)
    };
    let message = case.message.as_ref().map(|text| Message {
        kind: if case.encrypted_message {
            MessageType::Encrypted
        } else {
            MessageType::Plain
        },
        payload: text.as_bytes().to_vec(),
    });
    let mut tx = Transaction {
        header: Header {
            network: policy.network,
            version,
            timestamp,
            signer: CASE_SIGNER,
            fee: Amount::ZERO,
            deadline,
        },
        body: Body::Transfer(Transfer {
            recipient: to,
            amount,
            message,
            mosaics,
        }),
    };
    let minimum = nem::fees::minimum_fee(&tx, &PolicyMosaics(policy)).map_err(|e| e.to_string())?;
    tx.header.fee = match &case.fee {
        Some(f) => f.parse::<Amount>().map_err(|e| format!("fee: {e}"))?,
        None => minimum,
    };
    let mut history = WindowedHistory::new();
    for (i, h) in case.history.iter().enumerate() {
        let (asset, amount) =
            asset_units(policy, h.asset.as_deref().unwrap_or("nem:xem"), &h.amount)
                .map_err(|e| format!("history[{i}]: {e}"))?;
        let destination = match &h.to {
            Some(a) => Address::parse(a).map_err(|e| format!("history[{i}].to: {e}"))?,
            None => to,
        };
        let proposer = Some(proposer_key(
            policy,
            h.proposer.as_deref().or(case.proposer.as_deref()),
        )?);
        history.record(&Outflow {
            at: time(&h.at, "history.at")?,
            account,
            destination: Some(destination),
            proposer,
            asset,
            amount,
        });
    }
    Ok((tx, account, proposer, at, history))
}

/// Mosaic fee information for cases: a declared mosaic of divisibility d is priced as one with
/// a supply of 9,000,000,000 units (cases test rules, not fees).
struct PolicyMosaics<'a>(&'a Policy);

impl nem::fees::MosaicLookup for PolicyMosaics<'_> {
    fn fee_info(&self, id: &MosaicId) -> Option<nem::fees::MosaicFeeInfo> {
        if id.is_xem() {
            return Some(nem::fees::MosaicFeeInfo::XEM);
        }
        self.0.divisibility(id).map(|d| nem::fees::MosaicFeeInfo {
            supply: 9_000_000_000,
            divisibility: d,
        })
    }
}

pub fn run_case(policy: &Policy, case: &RawCase) -> CaseResult {
    let fail = |failure: String, decision: Option<Decision>| CaseResult {
        name: case.name.clone(),
        passed: false,
        expected: case.expect.clone(),
        failure: Some(failure),
        decision,
    };
    let Some(expected) = Outcome::parse(&case.expect) else {
        return fail(
            format!(
                "expect: '{}' is not allow, needs_approval or deny",
                case.expect
            ),
            None,
        );
    };
    let (tx, account, proposer, now, history) = match build(policy, case) {
        Ok(x) => x,
        Err(e) => return fail(e, None),
    };
    let minimum = nem::fees::minimum_fee(&tx, &PolicyMosaics(policy)).unwrap_or(tx.header.fee);
    let decision = evaluate_as(
        policy,
        &Request {
            tx: &tx,
            proposer,
            now,
            minimum_fee: minimum,
            cosignatories: case.cosignatories.unwrap_or(DEFAULT_COSIGNATORIES),
        },
        account,
        &history,
    );
    if decision.outcome != expected {
        let why = decision.reasons().join("; ");
        return fail(
            format!("expected {expected}, got {}: {why}", decision.outcome),
            Some(decision),
        );
    }
    for rule in &case.expect_rules {
        if !decision
            .fired
            .iter()
            .any(|f| &f.rule == rule && f.outcome == expected)
        {
            return fail(
                format!("rule '{rule}' did not fire with {expected}"),
                Some(decision),
            );
        }
    }
    CaseResult {
        name: case.name.clone(),
        passed: true,
        expected: case.expect.clone(),
        failure: None,
        decision: Some(decision),
    }
}

/// Parses a sibling case file, reporting every problem with line:column.
pub fn parse_case_file(text: &str) -> Result<Vec<RawCase>, Vec<crate::Problem>> {
    match crate::lint::parse_checked::<CaseFile>(text) {
        (Some(file), problems, _) if problems.is_empty() => Ok(file.tests),
        (_, problems, _) => Err(problems),
    }
}
