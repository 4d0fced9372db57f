//! Minimum fees after NIS's second fee fork, in integer arithmetic as nem.core computes them.

use num_bigint::BigUint;
use thiserror::Error;

use crate::amount::Amount;
use crate::tx::{Body, MosaicId, Transaction, TransactionType, Transfer};

/// One fee unit: 0.05 XEM.
pub const FEE_UNIT: u64 = 50_000;
pub const MULTISIG_WRAPPER_FEE: Amount = Amount::micro(150_000);
pub const MULTISIG_SIGNATURE_FEE: Amount = Amount::micro(150_000);
pub const AGGREGATE_MODIFICATION_FEE: Amount = Amount::micro(500_000);
/// Importance transfer, namespace and mosaic transactions.
pub const OTHER_TRANSACTION_FEE: Amount = Amount::micro(150_000);
/// A multisig signature's fee may not exceed 1,000 XEM (so the last cosigner cannot drain the account).
pub const MAX_SIGNATURE_FEE: Amount = Amount::micro(1_000_000_000);
/// Largest plain message payload NIS accepts.
pub const MAX_MESSAGE_BYTES: usize = 1_024;
pub const MAX_MOSAICS_PER_TRANSFER: usize = 10;

const XEM_SUPPLY: u64 = 8_999_999_999;
const MAX_MOSAIC_QUANTITY: i64 = 9_000_000_000_000_000;

/// What NIS needs to know about a mosaic to price its transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MosaicFeeInfo {
    /// Supply in whole units.
    pub supply: u64,
    pub divisibility: u8,
}

impl MosaicFeeInfo {
    pub const XEM: MosaicFeeInfo = MosaicFeeInfo {
        supply: XEM_SUPPLY,
        divisibility: 6,
    };
}

/// Supplies mosaic definitions for fee calculation; `nem:xem` is always known.
pub trait MosaicLookup {
    fn fee_info(&self, id: &MosaicId) -> Option<MosaicFeeInfo>;
}

/// Knows only `nem:xem`.
pub struct XemOnly;

impl MosaicLookup for XemOnly {
    fn fee_info(&self, id: &MosaicId) -> Option<MosaicFeeInfo> {
        id.is_xem().then_some(MosaicFeeInfo::XEM)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FeeError {
    #[error(
        "the fee of a transfer of {0} needs its supply and divisibility, which are not known here"
    )]
    UnknownMosaic(MosaicId),
    #[error("fee arithmetic overflowed")]
    Overflow,
}

/// The minimum fee NIS accepts for this transaction (the inner transaction of a wrapper is
/// priced separately).
pub fn minimum_fee(tx: &Transaction, mosaics: &dyn MosaicLookup) -> Result<Amount, FeeError> {
    match &tx.body {
        Body::Transfer(t) => transfer_fee(t, mosaics),
        _ => Ok(fixed_fee(tx.kind())),
    }
}

pub fn fixed_fee(kind: TransactionType) -> Amount {
    match kind {
        TransactionType::Multisig => MULTISIG_WRAPPER_FEE,
        TransactionType::MultisigSignature => MULTISIG_SIGNATURE_FEE,
        TransactionType::MultisigModification => AGGREGATE_MODIFICATION_FEE,
        _ => OTHER_TRANSACTION_FEE,
    }
}

pub fn transfer_fee(t: &Transfer, lookup: &dyn MosaicLookup) -> Result<Amount, FeeError> {
    let message_units = t
        .message
        .as_ref()
        .map_or(0, |m| m.payload.len() as u64 / 32 + 1);
    let transfer_units = if t.mosaics.is_empty() {
        xem_transfer_units(t.amount.whole_xem() as i64) as u64
    } else {
        let mut sum: u64 = 0;
        for m in &t.mosaics {
            let info = lookup
                .fee_info(&m.id)
                .ok_or_else(|| FeeError::UnknownMosaic(m.id.clone()))?;
            let units = mosaic_transfer_units(t.amount.as_micro(), m.quantity, info);
            sum = sum.checked_add(units).ok_or(FeeError::Overflow)?;
        }
        sum
    };
    let units = message_units
        .checked_add(transfer_units)
        .ok_or(FeeError::Overflow)?;
    let micro = units.checked_mul(FEE_UNIT).ok_or(FeeError::Overflow)?;
    Amount::from_micro(micro).map_err(|_| FeeError::Overflow)
}

fn xem_transfer_units(xem: i64) -> i64 {
    (xem / 10_000).clamp(1, 25)
}

/// nem.core `calculateMosaicTransferFee`, including its Java `long` truncations.
fn mosaic_transfer_units(amount_micro: u64, quantity: u64, info: MosaicFeeInfo) -> u64 {
    if info.divisibility == 0 && info.supply <= 10_000 {
        return 1;
    }
    let xem_equivalent: i64 = if info.supply == 0 {
        0
    } else {
        let value = BigUint::from(XEM_SUPPLY) * quantity * amount_micro
            / info.supply
            / BigUint::from(10u32).pow(u32::from(info.divisibility) + 6);
        // Java BigInteger.longValue(): the low 64 bits, two's complement.
        let low = value.iter_u64_digits().next().unwrap_or(0);
        low as i64
    };
    let xem_fee = xem_transfer_units(xem_equivalent);
    let total_quantity =
        (info.supply as i64).wrapping_mul(10i64.wrapping_pow(u32::from(info.divisibility)));
    let adjustment = if total_quantity > 0 {
        (0.8 * ((MAX_MOSAIC_QUANTITY / total_quantity) as f64).ln()) as i64
    } else {
        0
    };
    xem_fee.wrapping_sub(adjustment).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::tx::{Message, MessageType, Mosaic};

    fn transfer(amount: u64, message: &[u8], mosaics: Vec<Mosaic>) -> Transfer {
        Transfer {
            recipient: Address::parse("TBZ6JK5YOCU6UPSSZ5D3G27UHAPHTY5HDQCDS5YA").unwrap(),
            amount: Amount::from_micro(amount).unwrap(),
            message: (!message.is_empty()).then(|| Message {
                kind: MessageType::Plain,
                payload: message.to_vec(),
            }),
            mosaics,
        }
    }

    #[test]
    fn xem_transfers() {
        let fee = |amount, msg: &[u8]| {
            transfer_fee(&transfer(amount, msg, vec![]), &XemOnly)
                .unwrap()
                .as_micro()
        };
        assert_eq!(fee(1_500_000, b"hello"), 100_000);
        assert_eq!(fee(45_000_000_000, b""), 200_000);
        assert_eq!(fee(250_000_000_000, b""), 1_250_000);
        assert_eq!(fee(10_000_000_000_000, b""), 1_250_000);
        assert_eq!(fee(0, &[0u8; 31]), 100_000);
        assert_eq!(fee(0, &[0u8; 32]), 150_000);
    }

    #[test]
    fn api_doc_mosaic_example() {
        // s = 9,000,000, d = 3, q = 150,000 at ×1 → 3 units = 0.15 XEM.
        struct One;
        impl MosaicLookup for One {
            fn fee_info(&self, _: &MosaicId) -> Option<MosaicFeeInfo> {
                Some(MosaicFeeInfo {
                    supply: 9_000_000,
                    divisibility: 3,
                })
            }
        }
        let m = Mosaic {
            id: MosaicId {
                namespace: "a".into(),
                name: "b".into(),
            },
            quantity: 150_000,
        };
        assert_eq!(
            transfer_fee(&transfer(1_000_000, b"", vec![m]), &One)
                .unwrap()
                .as_micro(),
            150_000
        );
    }

    #[test]
    fn xem_as_mosaic_and_small_business_mosaic() {
        let xem = Mosaic {
            id: MosaicId::xem(),
            quantity: 150_000_000_000,
        };
        assert_eq!(
            transfer_fee(&transfer(1_000_000, b"", vec![xem]), &XemOnly)
                .unwrap()
                .as_micro(),
            15 * FEE_UNIT
        );
        assert_eq!(
            mosaic_transfer_units(
                1_000_000,
                5,
                MosaicFeeInfo {
                    supply: 10_000,
                    divisibility: 0
                }
            ),
            1
        );
        let unknown = Mosaic {
            id: MosaicId {
                namespace: "x".into(),
                name: "y".into(),
            },
            quantity: 1,
        };
        assert!(matches!(
            transfer_fee(&transfer(1, b"", vec![unknown]), &XemOnly),
            Err(FeeError::UnknownMosaic(_))
        ));
    }

    #[test]
    fn constants() {
        assert_eq!(MAX_SIGNATURE_FEE.as_micro(), 1_000_000_000);
    }
}
