//! Strict decoding of importance transfers, namespace provisions, mosaic definitions and
//! supply changes. What nem.core would refuse to deserialize, or would re-serialize to other
//! bytes, is an error with its byte offset.

use super::codec::{DecodeError, DecodeErrorKind as K, Reader};
use super::model::*;
use super::other_types::MAX_DESCRIPTION_CHARS;
use crate::address::Address;
use crate::amount::Amount;
use crate::keys::PublicKey;

/// The largest mosaic quantity NIS allows (`MosaicConstants.MAX_QUANTITY`).
pub const MAX_QUANTITY: u64 = 9_000_000_000_000_000;

pub(super) fn read_address(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<Address, DecodeError> {
    r.expect_u32(40, field)?;
    let at = r.offset();
    let bytes = r.bytes(40, field)?;
    Address::from_canonical(bytes).map_err(|e| r.error(at, field, K::Address(e)))
}

fn read_key(r: &mut Reader<'_>, field: &'static str) -> Result<PublicKey, DecodeError> {
    r.expect_u32(32, field)?;
    Ok(PublicKey(r.array::<32>(field)?))
}

fn read_amount(r: &mut Reader<'_>, field: &'static str) -> Result<Amount, DecodeError> {
    let at = r.offset();
    Amount::from_micro(r.long(field)?).map_err(|e| r.error(at, field, K::Invalid(e.to_string())))
}

fn invalid(r: &Reader<'_>, at: usize, field: &'static str, why: String) -> DecodeError {
    r.error(at, field, K::Invalid(why))
}

/// A nested `{namespaceId, name}` object, validated as NIS validates mosaic ids.
pub(super) fn read_mosaic_id(r: &mut Reader<'_>) -> Result<MosaicId, DecodeError> {
    let len_at = r.offset();
    let len = r.u32("mosaic id length")?;
    r.nested(len_at, len, "mosaic id", |r| {
        let ns_at = r.offset();
        let namespace = r.string("namespace id")?.to_string();
        super::names::validate_namespace(&namespace)
            .map_err(|e| invalid(r, ns_at, "namespace id", e))?;
        let name_at = r.offset();
        let name = r.string("mosaic name")?.to_string();
        super::names::validate_mosaic_name(&name)
            .map_err(|e| invalid(r, name_at, "mosaic name", e))?;
        Ok(MosaicId { namespace, name })
    })
}

pub(super) fn read_importance(r: &mut Reader<'_>) -> Result<ImportanceTransfer, DecodeError> {
    let at = r.offset();
    let code = r.u32("mode")?;
    let mode = ImportanceMode::from_code(code).ok_or_else(|| {
        invalid(
            r,
            at,
            "mode",
            format!("{code} is not 1 (activate) or 2 (deactivate)"),
        )
    })?;
    let remote = read_key(r, "remote account public key")?;
    Ok(ImportanceTransfer { mode, remote })
}

pub(super) fn read_provision(r: &mut Reader<'_>) -> Result<ProvisionNamespace, DecodeError> {
    let at = r.offset();
    let p = ProvisionNamespace {
        sink: read_address(r, "rentalFeeSink")?,
        rental_fee: read_amount(r, "rentalFee")?,
        new_part: r.string("newPart")?.to_string(),
        parent: r.optional_string("parent")?.map(str::to_string),
    };
    check_provision(&p).map_err(|e| invalid(r, at, "namespace", e))?;
    Ok(p)
}

/// The namespace is one NIS can provision: a valid part under a valid parent of at most two
/// levels (nem.core `NamespaceId`, `ProvisionNamespaceTransactionValidator`).
pub fn check_provision(p: &ProvisionNamespace) -> Result<(), String> {
    if let Some(parent) = &p.parent {
        super::names::validate_namespace(parent)?;
        if parent.split('.').count() > 2 {
            return Err(format!(
                "parent '{parent}' has 3 levels already: a namespace has at most 3"
            ));
        }
    }
    super::names::validate_namespace_part(&p.new_part, p.parent.is_none())
}

pub(super) fn read_mosaic_definition(
    r: &mut Reader<'_>,
    signer: &PublicKey,
) -> Result<MosaicDefinitionCreation, DecodeError> {
    let at = r.offset();
    let len = r.u32("mosaicDefinition length")?;
    let definition = r.nested(at, len, "mosaicDefinition", |r| {
        let creator = read_key(r, "creator")?;
        let id = read_mosaic_id(r)?;
        let description = r.string("description")?.to_string();
        let properties = read_properties(r)?;
        let levy_at = r.offset();
        let levy = match r.u32("levy length")? {
            0 => None,
            n => Some(r.nested(levy_at, n, "levy", read_levy)?),
        };
        Ok(MosaicDefinition {
            creator,
            id,
            description,
            properties,
            levy,
        })
    })?;
    let d = MosaicDefinitionCreation {
        definition,
        sink: read_address(r, "creationFeeSink")?,
        creation_fee: read_amount(r, "creationFee")?,
    };
    check_definition(signer, &d).map_err(|e| invalid(r, at, "mosaicDefinition", e))?;
    Ok(d)
}

/// A definition nem.core accepts: created by the signer, a description it keeps, properties
/// in range (nem.core `MosaicDefinitionCreationTransaction`, `MosaicDescriptor`,
/// `DefaultMosaicProperties`).
pub fn check_definition(signer: &PublicKey, d: &MosaicDefinitionCreation) -> Result<(), String> {
    let def = &d.definition;
    if def.creator != *signer {
        return Err("the mosaic's creator must be the transaction's signer".into());
    }
    super::names::validate_mosaic_id(&def.id)?;
    check_description(&def.description)?;
    check_properties(&def.properties)?;
    if let Some(levy) = &def.levy {
        super::names::validate_mosaic_id(&levy.mosaic)?;
        if levy.fee > i64::MAX as u64 {
            return Err("the levy fee exceeds a Java long".into());
        }
    }
    Ok(())
}

/// Not blank, at most 512 UTF-16 units (nem.core `MosaicDescriptor`).
pub fn check_description(text: &str) -> Result<(), String> {
    if text.chars().all(|c| c <= ' ') {
        return Err("a mosaic description must not be blank".into());
    }
    let units = text.encode_utf16().count();
    if units > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "a mosaic description has at most {MAX_DESCRIPTION_CHARS} characters; this one {units}"
        ));
    }
    Ok(())
}

/// The canonical text of each property, in the order NIS writes them.
pub fn property_texts(p: &MosaicProperties) -> [(&'static str, String); 4] {
    [
        ("divisibility", p.divisibility.to_string()),
        ("initialSupply", p.initial_supply.to_string()),
        ("supplyMutable", p.supply_mutable.to_string()),
        ("transferable", p.transferable.to_string()),
    ]
}

/// Checks the values NIS's `DefaultMosaicProperties` accepts.
pub fn check_properties(p: &MosaicProperties) -> Result<(), String> {
    if p.divisibility > 6 {
        return Err(format!("divisibility {} is not 0 to 6", p.divisibility));
    }
    let units = 10u64
        .checked_pow(u32::from(p.divisibility))
        .and_then(|scale| p.initial_supply.checked_mul(scale));
    match units {
        Some(u) if u <= MAX_QUANTITY => Ok(()),
        _ => Err(format!(
            "an initial supply of {} with divisibility {} exceeds NIS's largest quantity {MAX_QUANTITY}",
            p.initial_supply, p.divisibility
        )),
    }
}

/// NIS re-serializes exactly these four properties, in this order, in canonical text: any
/// other list would not survive its round trip.
fn read_properties(r: &mut Reader<'_>) -> Result<MosaicProperties, DecodeError> {
    let at = r.offset();
    let count = r.u32("properties count")?;
    if count != 4 {
        return Err(r.error(
            at,
            "properties count",
            K::NonCanonical(format!(
                "{count} properties; NIS writes exactly divisibility, initialSupply, supplyMutable and transferable"
            )),
        ));
    }
    let mut texts = Vec::with_capacity(4);
    for _ in 0..4 {
        let len_at = r.offset();
        let len = r.u32("property length")?;
        let pair = r.nested(len_at, len, "property", |r| {
            let name = r.string("property name")?.to_string();
            let value = r.string("property value")?.to_string();
            Ok((name, value))
        })?;
        texts.push(pair);
    }
    let bool_of = |v: &str| match v {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    let parsed = (|| {
        Some(MosaicProperties {
            divisibility: texts[0].1.parse().ok()?,
            initial_supply: texts[1].1.parse().ok()?,
            supply_mutable: bool_of(&texts[2].1)?,
            transferable: bool_of(&texts[3].1)?,
        })
    })();
    let canonical = parsed.filter(|p| {
        property_texts(p)
            .iter()
            .zip(&texts)
            .all(|((n, v), (name, value))| n == name && v == value)
    });
    let p = canonical.ok_or_else(|| {
        r.error(
            at,
            "properties",
            K::NonCanonical(
                "properties must be divisibility, initialSupply, supplyMutable, transferable in this order, written as NIS writes them (e.g. \"6\", \"1000\", \"false\", \"true\")".into(),
            ),
        )
    })?;
    check_properties(&p).map_err(|e| invalid(r, at, "properties", e))?;
    Ok(p)
}

fn read_levy(r: &mut Reader<'_>) -> Result<MosaicLevy, DecodeError> {
    let at = r.offset();
    let code = r.u32("levy type")?;
    let kind = LevyKind::from_code(code).ok_or_else(|| {
        invalid(
            r,
            at,
            "levy type",
            format!("{code} is not 1 (absolute) or 2 (percentile)"),
        )
    })?;
    let recipient = read_address(r, "levy recipient")?;
    let mosaic = read_mosaic_id(r)?;
    let fee = r.long("levy fee")?;
    Ok(MosaicLevy {
        kind,
        recipient,
        mosaic,
        fee,
    })
}

pub(super) fn read_supply_change(r: &mut Reader<'_>) -> Result<MosaicSupplyChange, DecodeError> {
    let mosaic = read_mosaic_id(r)?;
    let at = r.offset();
    let code = r.u32("supplyType")?;
    let kind = SupplyKind::from_code(code).ok_or_else(|| {
        invalid(
            r,
            at,
            "supplyType",
            format!("{code} is not 1 (create) or 2 (delete)"),
        )
    })?;
    let delta_at = r.offset();
    let s = MosaicSupplyChange {
        mosaic,
        kind,
        delta: r.u64("delta")?,
    };
    check_supply(&s).map_err(|e| invalid(r, delta_at, "delta", e))?;
    Ok(s)
}

pub fn check_supply(s: &MosaicSupplyChange) -> Result<(), String> {
    super::names::validate_mosaic_id(&s.mosaic)?;
    if !(1..=MAX_QUANTITY).contains(&s.delta) {
        return Err(format!("delta {} is not 1 to {MAX_QUANTITY}", s.delta));
    }
    Ok(())
}
