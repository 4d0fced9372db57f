//! The NIS announce rules that need no account state: signature on the canonical bytes,
//! network consistency, deadline window, timestamp ahead of network time, minimum fees,
//! message and mosaic limits. The dev node adds the stateful rules on top.

use thiserror::Error;

use crate::fees::{self, MosaicLookup};
use crate::network::Network;
use crate::time::{MAX_DEADLINE_SPAN_SECONDS, MAX_SECONDS_AHEAD, NemTimestamp};
use crate::tx::{Body, DecodeError, SignedTransaction, Transaction, TransactionType, VerifyError};
use crate::validation::ValidationResult as V;

pub struct Context<'a> {
    /// The node's network; `None` skips that check.
    pub network: Option<Network>,
    /// Network time; `None` skips the clock checks (deadline passed, timestamp ahead).
    pub now: Option<NemTimestamp>,
    pub mosaics: &'a dyn MosaicLookup,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{part}: {result}: {detail}")]
pub struct RuleViolation {
    pub result: V,
    /// `transaction` or `inner transaction`.
    pub part: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckError {
    /// NIS answers these with HTTP 400: the bytes do not deserialize.
    #[error("malformed transaction: {0}")]
    Malformed(DecodeError),
    #[error("{0}")]
    Rule(RuleViolation),
}

/// What a check skipped and why (e.g. a mosaic whose fee needs its definition).
pub type Notes = Vec<String>;

/// Verifies a signed transaction as NIS does on announce, before any state lookup.
pub fn check_signed(
    signed: &SignedTransaction,
    ctx: &Context<'_>,
) -> Result<(Transaction, Notes), CheckError> {
    let tx = match signed.verify() {
        Ok(tx) => tx,
        Err(VerifyError::Decode(e)) => return Err(CheckError::Malformed(e)),
        Err(e) => {
            return Err(CheckError::Rule(RuleViolation {
                result: V::FAILURE_SIGNATURE_NOT_VERIFIABLE,
                part: "transaction",
                detail: e.to_string(),
            }));
        }
    };
    let mut notes = Notes::new();
    check_transaction(&tx, ctx, &mut notes).map_err(CheckError::Rule)?;
    Ok((tx, notes))
}

/// Applies the stateless rules to a transaction and, for a wrapper, to its inner transaction.
pub fn check_transaction(
    tx: &Transaction,
    ctx: &Context<'_>,
    notes: &mut Notes,
) -> Result<(), RuleViolation> {
    check_one(tx, ctx, "transaction", notes)?;
    if let Some(inner) = tx.inner() {
        if inner.header.network != tx.header.network {
            return Err(violation(
                V::FAILURE_WRONG_NETWORK,
                "inner transaction",
                format!(
                    "inner network {} differs from the wrapper's {}",
                    inner.header.network, tx.header.network
                ),
            ));
        }
        check_one(inner, ctx, "inner transaction", notes)?;
    }
    Ok(())
}

fn violation(result: V, part: &'static str, detail: String) -> RuleViolation {
    RuleViolation {
        result,
        part,
        detail,
    }
}

fn check_one(
    tx: &Transaction,
    ctx: &Context<'_>,
    part: &'static str,
    notes: &mut Notes,
) -> Result<(), RuleViolation> {
    let h = &tx.header;
    if let Some(expected) = ctx.network
        && h.network != expected
    {
        return Err(violation(
            V::FAILURE_WRONG_NETWORK,
            part,
            format!("transaction is for {}, node is {expected}", h.network),
        ));
    }
    let foreign = match &tx.body {
        Body::Transfer(t) => Some(("recipient", t.recipient)),
        Body::MultisigSignature(s) => Some(("otherAccount", s.other_account)),
        _ => None,
    };
    if let Some((field, address)) = foreign
        && address.network() != h.network
    {
        return Err(violation(
            V::FAILURE_WRONG_NETWORK,
            part,
            format!(
                "{field} {address} is a {} address in a {} transaction",
                address.network(),
                h.network
            ),
        ));
    }
    check_times(h.timestamp, h.deadline, ctx.now, part)?;
    check_fee(tx, ctx, part, notes)?;
    if let Body::Transfer(t) = &tx.body {
        if let Some(m) = &t.message
            && m.payload.len() > fees::MAX_MESSAGE_BYTES
        {
            return Err(violation(
                V::FAILURE_MESSAGE_TOO_LARGE,
                part,
                format!(
                    "message payload is {} bytes; at most {}",
                    m.payload.len(),
                    fees::MAX_MESSAGE_BYTES
                ),
            ));
        }
        if t.mosaics.len() > fees::MAX_MOSAICS_PER_TRANSFER {
            return Err(violation(
                V::FAILURE_TOO_MANY_MOSAIC_TRANSFERS,
                part,
                format!(
                    "{} mosaics; at most {}",
                    t.mosaics.len(),
                    fees::MAX_MOSAICS_PER_TRANSFER
                ),
            ));
        }
    }
    Ok(())
}

/// `timestamp < deadline ≤ timestamp + 24 h`; with a clock, deadline not passed and
/// timestamp at most 10 s ahead.
pub fn check_times(
    timestamp: NemTimestamp,
    deadline: NemTimestamp,
    now: Option<NemTimestamp>,
    part: &'static str,
) -> Result<(), RuleViolation> {
    if deadline <= timestamp {
        return Err(violation(
            V::FAILURE_PAST_DEADLINE,
            part,
            format!(
                "deadline {} is not after timestamp {}",
                deadline.0, timestamp.0
            ),
        ));
    }
    if u64::from(deadline.0) > u64::from(timestamp.0) + u64::from(MAX_DEADLINE_SPAN_SECONDS) {
        return Err(violation(
            V::FAILURE_FUTURE_DEADLINE,
            part,
            format!(
                "deadline is {} s after timestamp; at most {MAX_DEADLINE_SPAN_SECONDS}",
                deadline.0 - timestamp.0
            ),
        ));
    }
    if let Some(now) = now {
        if deadline < now {
            return Err(violation(
                V::FAILURE_PAST_DEADLINE,
                part,
                format!(
                    "deadline {} has passed (network time {})",
                    deadline.0, now.0
                ),
            ));
        }
        if u64::from(timestamp.0) > u64::from(now.0) + u64::from(MAX_SECONDS_AHEAD) {
            return Err(violation(
                V::FAILURE_TIMESTAMP_TOO_FAR_IN_FUTURE,
                part,
                format!(
                    "timestamp {} is {} s ahead of network time {}; at most {MAX_SECONDS_AHEAD}",
                    timestamp.0,
                    timestamp.0 - now.0,
                    now.0
                ),
            ));
        }
    }
    Ok(())
}

fn check_fee(
    tx: &Transaction,
    ctx: &Context<'_>,
    part: &'static str,
    notes: &mut Notes,
) -> Result<(), RuleViolation> {
    let fee = tx.header.fee;
    let minimum = match fees::minimum_fee(tx, ctx.mosaics) {
        Ok(m) => m,
        Err(e) => {
            notes.push(format!("{part}: minimum fee not checked: {e}"));
            return Ok(());
        }
    };
    if fee < minimum {
        return Err(violation(
            V::FAILURE_INSUFFICIENT_FEE,
            part,
            format!(
                "fee {} is below the minimum {}",
                fee.as_micro(),
                minimum.as_micro()
            ),
        ));
    }
    if tx.kind() == TransactionType::MultisigSignature && fee > fees::MAX_SIGNATURE_FEE {
        return Err(violation(
            V::FAILURE_INSUFFICIENT_FEE,
            part,
            format!(
                "signature fee {} exceeds the cap {}",
                fee.as_micro(),
                fees::MAX_SIGNATURE_FEE.as_micro()
            ),
        ));
    }
    Ok(())
}
