//! Building the inner transaction of a proposal from what treasury asked for. Every bad field is
//! refused with its name, what was wrong and what is allowed. The multisig account's
//! cosignatories and threshold are read from the node and must match configuration: a mismatch
//! stops that account, it is never guessed around.

use std::collections::BTreeSet;

use nem::client::AccountMetaDataPair;
use nem::fees::{self, MosaicLookup};
use nem::tx::{Body, Header, Message, MessageType, Mosaic, MosaicId, Transfer, canonical_mosaics};
use nem::{Address, Amount, NemTimestamp, Network, PublicKey, Transaction};
use thiserror::Error;

/// A request as treasury staff type it.
#[derive(Debug, Clone, Default)]
pub struct WithdrawalRequest {
    pub account: String,
    pub recipient: String,
    /// XEM, decimal; empty when only mosaics move.
    pub amount: String,
    /// `namespace:name` and quantity in smallest units.
    pub mosaics: Vec<(String, u64)>,
    pub message: String,
}

/// A bad field: maps to gRPC InvalidArgument with this text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A multisig account as configured: its key, cosignatories and threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredAccount {
    pub public_key: PublicKey,
    pub cosigners: Vec<PublicKey>,
    pub required: usize,
}

#[derive(Debug, Clone)]
pub struct BuildConfig {
    pub network: Network,
    /// Deadline after the timestamp, at most 24 h.
    pub deadline_seconds: u32,
    /// The timestamp is network time minus this, so a node a little behind still accepts it.
    pub timestamp_lag_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "account {account}: the node says {found}, configuration says {configured}; this account is stopped until they agree"
)]
pub struct AccountMismatch {
    pub account: Address,
    pub found: String,
    pub configured: String,
}

/// Compares the node's view of a multisig account with configuration.
pub fn check_account(
    configured: &ConfiguredAccount,
    node: &AccountMetaDataPair,
    network: Network,
) -> Result<(), AccountMismatch> {
    let account = Address::from_public_key(&configured.public_key, network);
    let mismatch = |found: String, configured: String| AccountMismatch {
        account,
        found,
        configured,
    };
    let info = node
        .account
        .multisig_info
        .as_ref()
        .ok_or_else(|| mismatch("not a multisig account".into(), "multisig".into()))?;
    let on_chain: BTreeSet<PublicKey> = node
        .meta
        .cosignatories
        .iter()
        .filter_map(|c| c.public_key)
        .collect();
    let expected: BTreeSet<PublicKey> = configured.cosigners.iter().copied().collect();
    if on_chain != expected {
        let show = |s: &BTreeSet<PublicKey>| {
            s.iter()
                .map(|k| Address::from_public_key(k, network).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(mismatch(
            format!("cosignatories [{}]", show(&on_chain)),
            format!("[{}]", show(&expected)),
        ));
    }
    let required = info.required_signatures() as usize;
    if required != configured.required || info.cosignatories_count as usize != on_chain.len() {
        return Err(mismatch(
            format!("{required} of {} signatures", info.cosignatories_count),
            format!("{} of {}", configured.required, expected.len()),
        ));
    }
    Ok(())
}

/// Builds the inner transfer: signer = the multisig account, timestamp from network time,
/// deadline per configuration, the NIS minimum fee.
pub fn build_inner(
    req: &WithdrawalRequest,
    cfg: &BuildConfig,
    accounts: &[ConfiguredAccount],
    network_time: NemTimestamp,
    mosaic_info: &dyn MosaicLookup,
) -> Result<Transaction, FieldError> {
    let account =
        Address::parse_for(&req.account, cfg.network).map_err(|e| bad("account", e.to_string()))?;
    let configured = accounts
        .iter()
        .find(|a| Address::from_public_key(&a.public_key, cfg.network) == account)
        .ok_or_else(|| {
            bad(
                "account",
                format!("{account} is not a multisig account this coordinator serves"),
            )
        })?;
    let recipient = Address::parse_for(&req.recipient, cfg.network)
        .map_err(|e| bad("recipient", e.to_string()))?;
    if recipient == account {
        return Err(bad("recipient", "is the multisig account itself"));
    }
    let amount = if req.amount.trim().is_empty() {
        Amount::ZERO
    } else {
        req.amount
            .parse::<Amount>()
            .map_err(|e| bad("amount", e.to_string()))?
    };
    let mut mosaics = Vec::new();
    for (i, (id, quantity)) in req.mosaics.iter().enumerate() {
        let field = format!("mosaics[{i}]");
        let id: MosaicId = id.parse().map_err(|e: String| bad(&field, e))?;
        if mosaics.iter().any(|m: &Mosaic| m.id == id) {
            return Err(bad(&field, format!("{id} is listed twice")));
        }
        if *quantity == 0 || *quantity > i64::MAX as u64 {
            return Err(bad(&field, "quantity must be at least 1"));
        }
        mosaics.push(Mosaic {
            id,
            quantity: *quantity,
        });
    }
    if mosaics.len() > fees::MAX_MOSAICS_PER_TRANSFER {
        return Err(bad(
            "mosaics",
            format!(
                "{} mosaics; NIS allows at most {}",
                mosaics.len(),
                fees::MAX_MOSAICS_PER_TRANSFER
            ),
        ));
    }
    if amount == Amount::ZERO && mosaics.is_empty() {
        return Err(bad(
            "amount",
            "nothing to send: give an amount in XEM (e.g. 12.5) or mosaics",
        ));
    }
    if !mosaics.is_empty() && amount != Amount::ZERO {
        return Err(bad(
            "amount",
            "with mosaics, send XEM as the mosaic nem:xem instead of an amount",
        ));
    }
    if req.message.len() > fees::MAX_MESSAGE_BYTES {
        return Err(bad(
            "message",
            format!(
                "{} bytes; at most {}",
                req.message.len(),
                fees::MAX_MESSAGE_BYTES
            ),
        ));
    }
    if cfg.deadline_seconds == 0 || cfg.deadline_seconds > nem::time::MAX_DEADLINE_SPAN_SECONDS {
        return Err(bad(
            "deadline",
            format!(
                "configured deadline {} s is not between 1 s and 24 h",
                cfg.deadline_seconds
            ),
        ));
    }
    let timestamp = NemTimestamp(network_time.0.saturating_sub(cfg.timestamp_lag_seconds));
    let deadline = timestamp
        .checked_add(cfg.deadline_seconds)
        .ok_or_else(|| bad("deadline", "out of range"))?;
    let (version, amount, mosaics) = if mosaics.is_empty() {
        (1, amount, vec![])
    } else {
        (
            2,
            Amount::micro(1_000_000),
            canonical_mosaics(mosaics).map_err(|e| bad("mosaics", e))?,
        )
    };
    let message = (!req.message.is_empty()).then(|| Message {
        kind: MessageType::Plain,
        payload: req.message.as_bytes().to_vec(),
    });
    let mut tx = Transaction {
        header: Header {
            network: cfg.network,
            version,
            timestamp,
            signer: configured.public_key,
            fee: Amount::ZERO,
            deadline,
        },
        body: Body::Transfer(Transfer {
            recipient,
            amount,
            message,
            mosaics,
        }),
    };
    tx.header.fee = fees::minimum_fee(&tx, mosaic_info).map_err(|e| {
        bad(
            "mosaics",
            format!("{e}; add its definition to the coordinator's configuration"),
        )
    })?;
    Ok(tx)
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
