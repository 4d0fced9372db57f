//! Strict decoding of the non-verifiable form (what is announced, hashed and signed).
//! Anything NIS would not re-serialize to the same bytes is an error with its byte offset.

use super::canonical;
use super::codec::{DecodeError, DecodeErrorKind as K, Reader};
use super::decode_other::{
    read_address, read_importance, read_mosaic_definition, read_mosaic_id, read_provision,
    read_supply_change,
};
use super::model::*;
use crate::amount::Amount;
use crate::hash::Hash256;
use crate::keys::PublicKey;
use crate::network::Network;
use crate::time::NemTimestamp;

pub fn decode(bytes: &[u8]) -> Result<Transaction, DecodeError> {
    let mut r = Reader::new(bytes);
    let tx = read_transaction(&mut r, false)?;
    r.finish()?;
    Ok(tx)
}

fn read_transaction(r: &mut Reader<'_>, inner: bool) -> Result<Transaction, DecodeError> {
    let type_at = r.offset();
    let code = r.u32("type")?;
    let kind = TransactionType::from_code(code)
        .ok_or_else(|| r.error(type_at, "type", K::UnknownType(code)))?;
    if inner && !kind.is_embeddable() {
        return Err(r.error(
            type_at,
            "inner transaction type",
            K::Invalid(format!(
                "a multisig wrapper cannot carry a {} transaction",
                kind.name()
            )),
        ));
    }
    let header = read_header(r, kind)?;
    let body_at = r.offset();
    let body = match kind {
        TransactionType::Transfer => {
            let t = read_transfer(r, header.version)?;
            canonical::check_transfer(&header, &t)
                .map_err(|e| r.error(body_at, "transfer", K::NonCanonical(e)))?;
            Body::Transfer(t)
        }
        TransactionType::Multisig => {
            let len_at = r.offset();
            let len = r.u32("inner transaction length")?;
            let inner = r.nested(len_at, len, "inner transaction", |r| {
                read_transaction(r, true)
            })?;
            Body::Multisig(Box::new(inner))
        }
        TransactionType::MultisigSignature => Body::MultisigSignature(read_signature(r)?),
        TransactionType::MultisigModification => {
            let m = read_modification(r, header.version)?;
            canonical::check_modification(&header, &m)
                .map_err(|e| r.error(body_at, "modifications", K::NonCanonical(e)))?;
            Body::MultisigModification(m)
        }
        TransactionType::ImportanceTransfer => Body::ImportanceTransfer(read_importance(r)?),
        TransactionType::ProvisionNamespace => Body::ProvisionNamespace(read_provision(r)?),
        TransactionType::MosaicDefinition => {
            Body::MosaicDefinition(read_mosaic_definition(r, &header.signer)?)
        }
        TransactionType::MosaicSupplyChange => Body::MosaicSupplyChange(read_supply_change(r)?),
    };
    Ok(Transaction { header, body })
}

fn read_header(r: &mut Reader<'_>, kind: TransactionType) -> Result<Header, DecodeError> {
    let version_at = r.offset();
    let raw = r.u32("version")?;
    let network_byte = (raw >> 24) as u8;
    let network = Network::from_byte(network_byte).ok_or_else(|| {
        r.error(
            version_at + 3,
            "version (network byte)",
            K::UnknownNetwork(network_byte),
        )
    })?;
    let entity = raw & 0x00FF_FFFF;
    let version = u8::try_from(entity)
        .ok()
        .filter(|v| kind.valid_versions().contains(v))
        .ok_or_else(|| {
            r.error(
                version_at,
                "version",
                K::InvalidVersion {
                    kind: kind.name(),
                    version: entity,
                    valid: kind.valid_versions_text(),
                },
            )
        })?;
    let timestamp = read_time(r, "timeStamp")?;
    r.expect_u32(32, "signer public key length")?;
    let signer = PublicKey(r.array::<32>("signer public key")?);
    let fee_at = r.offset();
    let fee = Amount::from_micro(r.long("fee")?)
        .map_err(|e| r.error(fee_at, "fee", K::Invalid(e.to_string())))?;
    let deadline = read_time(r, "deadline")?;
    Ok(Header {
        network,
        version,
        timestamp,
        signer,
        fee,
        deadline,
    })
}

/// NIS reads times into a non-negative Java `int`.
fn read_time(r: &mut Reader<'_>, field: &'static str) -> Result<NemTimestamp, DecodeError> {
    let at = r.offset();
    let value = r.u32(field)?;
    if value > i32::MAX as u32 {
        return Err(r.error(
            at,
            field,
            K::Invalid(format!("{value} is negative as a Java int")),
        ));
    }
    Ok(NemTimestamp(value))
}

fn read_transfer(r: &mut Reader<'_>, version: u8) -> Result<Transfer, DecodeError> {
    let recipient = read_address(r, "recipient")?;
    let amount_at = r.offset();
    let amount = Amount::from_micro(r.long("amount")?)
        .map_err(|e| r.error(amount_at, "amount", K::Invalid(e.to_string())))?;
    let message = read_message(r)?;
    let mosaics = if version == 2 {
        read_mosaics(r)?
    } else {
        Vec::new()
    };
    Ok(Transfer {
        recipient,
        amount,
        message,
        mosaics,
    })
}

fn read_message(r: &mut Reader<'_>) -> Result<Option<Message>, DecodeError> {
    let len_at = r.offset();
    let len = r.u32("message length")?;
    if len == 0 {
        return Ok(None);
    }
    r.nested(len_at, len, "message", |r| {
        let type_at = r.offset();
        let code = r.u32("message type")?;
        let kind = MessageType::from_code(code).ok_or_else(|| {
            r.error(
                type_at,
                "message type",
                K::Invalid(format!("{code} is not 1 (plain) or 2 (encrypted)")),
            )
        })?;
        let payload_at = r.offset();
        let payload = r.sized("message payload")?.to_vec();
        if payload.is_empty() {
            return Err(r.error(
                payload_at,
                "message payload",
                K::NonCanonical("an empty message must be written as message length 0".into()),
            ));
        }
        Ok(Some(Message { kind, payload }))
    })
}

fn read_mosaics(r: &mut Reader<'_>) -> Result<Vec<Mosaic>, DecodeError> {
    let count = r.u32("mosaic count")?;
    // Each mosaic takes at least 28 bytes; do not trust the count for allocation.
    let mut mosaics = Vec::with_capacity((count as usize).min(r.remaining() / 28));
    for _ in 0..count {
        let len_at = r.offset();
        let len = r.u32("mosaic length")?;
        let mosaic = r.nested(len_at, len, "mosaic", |r| {
            let id = read_mosaic_id(r)?;
            let quantity = r.long("mosaic quantity")?;
            Ok(Mosaic { id, quantity })
        })?;
        mosaics.push(mosaic);
    }
    Ok(mosaics)
}

fn read_signature(r: &mut Reader<'_>) -> Result<MultisigSignature, DecodeError> {
    r.expect_u32(36, "hash object length")?;
    r.expect_u32(32, "hash length")?;
    let other_hash = Hash256(r.array::<32>("otherHash")?);
    let other_account = read_address(r, "otherAccount")?;
    Ok(MultisigSignature {
        other_hash,
        other_account,
    })
}

fn read_modification(
    r: &mut Reader<'_>,
    version: u8,
) -> Result<AggregateModification, DecodeError> {
    let count = r.u32("modification count")?;
    let mut modifications = Vec::with_capacity((count as usize).min(r.remaining() / 44));
    for _ in 0..count {
        r.expect_u32(40, "modification length")?;
        let type_at = r.offset();
        let kind = match r.u32("modification type")? {
            1 => ModificationType::Add,
            2 => ModificationType::Delete,
            other => {
                return Err(r.error(
                    type_at,
                    "modification type",
                    K::Invalid(format!("{other} is not 1 (add) or 2 (delete)")),
                ));
            }
        };
        r.expect_u32(32, "cosignatory public key length")?;
        let cosignatory = PublicKey(r.array::<32>("cosignatory public key")?);
        modifications.push(CosignatoryModification { kind, cosignatory });
    }
    let mut min_cosignatories_change = None;
    if version == 2 {
        let len_at = r.offset();
        match r.u32("minCosignatories length")? {
            0 => {}
            4 => {
                let change = r.u32("minCosignatories relative change")?;
                min_cosignatories_change = Some(change as i32);
            }
            found => {
                return Err(r.error(
                    len_at,
                    "minCosignatories length",
                    K::BadLength {
                        expected: "0 or 4".into(),
                        found,
                    },
                ));
            }
        }
    }
    Ok(AggregateModification {
        modifications,
        min_cosignatories_change,
    })
}

/// The hash that a wrapper's inner transaction is known by: Keccak-256 of its bytes.
pub fn inner_bytes(wrapper_bytes: &[u8]) -> Option<&[u8]> {
    let len = u32::from_le_bytes(wrapper_bytes.get(60..64)?.try_into().ok()?) as usize;
    wrapper_bytes.get(64..64 + len)
}

pub fn inner_hash_of_wrapper(wrapper_bytes: &[u8]) -> Option<Hash256> {
    inner_bytes(wrapper_bytes).map(Hash256::of)
}
