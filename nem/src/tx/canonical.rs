//! The canonical forms NIS re-serializes to. NIS verifies signatures over its own
//! re-serialization, so any other form is refused; Hanko never produces or accepts one.

use std::cmp::Ordering;

use super::model::{
    AggregateModification, CosignatoryModification, Header, Mosaic, MosaicId, TransactionType,
    Transfer,
};
use crate::address::Address;

/// NIS orders mosaics by the string `"<namespace>:<name> : <quantity>"`.
fn mosaic_sort_key(m: &Mosaic) -> String {
    format!("{} : {}", m.id, m.quantity)
}

pub fn mosaic_order(a: &Mosaic, b: &Mosaic) -> Ordering {
    // Names are ASCII (validated), so byte order equals Java's UTF-16 order.
    mosaic_sort_key(a).cmp(&mosaic_sort_key(b))
}

/// Merges repeated mosaic ids (summing quantities) and sorts as NIS does.
pub fn canonical_mosaics(mosaics: Vec<Mosaic>) -> Result<Vec<Mosaic>, String> {
    let mut merged: Vec<Mosaic> = Vec::with_capacity(mosaics.len());
    for m in mosaics {
        validate_mosaic_id(&m.id)?;
        match merged.iter_mut().find(|x| x.id == m.id) {
            Some(existing) => {
                existing.quantity = existing
                    .quantity
                    .checked_add(m.quantity)
                    .filter(|q| *q <= i64::MAX as u64)
                    .ok_or_else(|| format!("total quantity of {} overflows", m.id))?;
            }
            None => merged.push(m),
        }
    }
    merged.sort_by(mosaic_order);
    Ok(merged)
}

/// Longest root namespace and sub-namespace part (nem.core `NamespaceId`).
pub const MAX_ROOT_LENGTH: usize = 16;
pub const MAX_SUBLEVEL_LENGTH: usize = 64;

fn part_chars_ok(p: &str) -> bool {
    let b = p.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// NIS's namespace rule: 1 to 3 dot-separated parts, each `[a-z0-9][a-z0-9_-]*`, the root at
/// most 16 characters and each further part at most 64.
pub fn validate_namespace(ns: &str) -> Result<(), String> {
    let parts: Vec<&str> = ns.split('.').collect();
    let ok = parts.len() <= 3
        && parts.iter().enumerate().all(|(i, p)| {
            part_chars_ok(p)
                && p.len()
                    <= if i == 0 {
                        MAX_ROOT_LENGTH
                    } else {
                        MAX_SUBLEVEL_LENGTH
                    }
        });
    if !ok {
        return Err(format!(
            "namespace '{ns}' is invalid: 1 to 3 parts separated by '.', each starting with a-z or 0-9 and made of a-z, 0-9, '_' and '-', the first at most {MAX_ROOT_LENGTH} characters and the others at most {MAX_SUBLEVEL_LENGTH}"
        ));
    }
    Ok(())
}

/// One part of a namespace being provisioned: a root (at most 16 characters) or a sub-namespace
/// part (at most 64).
pub fn validate_namespace_part(part: &str, root: bool) -> Result<(), String> {
    let max = if root {
        MAX_ROOT_LENGTH
    } else {
        MAX_SUBLEVEL_LENGTH
    };
    if !part_chars_ok(part) || part.len() > max {
        return Err(format!(
            "'{part}' is not a namespace part: at most {max} characters, starting with a-z or 0-9 and made of a-z, 0-9, '_' and '-'"
        ));
    }
    Ok(())
}

/// NIS's mosaic name rule: `[a-z0-9][a-z0-9'_-]*( [a-z0-9'_-]+)*`, at most 32 characters.
pub fn validate_mosaic_name(name: &str) -> Result<(), String> {
    let b = name.as_bytes();
    let word_char =
        |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'\'' | b'_' | b'-');
    let ok = !b.is_empty()
        && b.len() <= 32
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && name
            .split(' ')
            .all(|w| !w.is_empty() && w.as_bytes().iter().all(word_char));
    if !ok {
        return Err(format!(
            "mosaic name '{name}' is invalid: at most 32 characters, starting with a-z or 0-9, made of a-z, 0-9, ', _, - and single spaces"
        ));
    }
    Ok(())
}

pub fn validate_mosaic_id(id: &MosaicId) -> Result<(), String> {
    validate_namespace(&id.namespace)?;
    validate_mosaic_name(&id.name)
}

/// Checks a transfer body against its header version; returns what is wrong.
pub fn check_transfer(header: &Header, t: &Transfer) -> Result<(), String> {
    if header.version == 1 && !t.mosaics.is_empty() {
        return Err("a version 1 transfer cannot carry mosaics (use version 2)".into());
    }
    if let Some(m) = &t.message
        && m.payload.is_empty()
    {
        return Err("an empty message must be omitted (NIS normalises it to no message)".into());
    }
    for m in &t.mosaics {
        validate_mosaic_id(&m.id)?;
        if m.quantity > i64::MAX as u64 {
            return Err(format!("quantity of {} exceeds a Java long", m.id));
        }
    }
    for pair in t.mosaics.windows(2) {
        if mosaic_order(&pair[0], &pair[1]) != Ordering::Less || pair[0].id == pair[1].id {
            return Err(format!(
                "mosaics must be unique and sorted as NIS sorts them ('{}' must not come before '{}')",
                pair[0].id, pair[1].id
            ));
        }
    }
    Ok(())
}

fn modification_key(m: &CosignatoryModification, header: &Header) -> (u32, Address) {
    (
        m.kind.code(),
        Address::from_public_key(&m.cosignatory, header.network),
    )
}

/// NIS sorts cosignatory modifications by type, then by cosignatory address.
pub fn sort_modifications(header: &Header, mods: &mut [CosignatoryModification]) {
    mods.sort_by_key(|m| modification_key(m, header));
}

pub fn check_modification(header: &Header, m: &AggregateModification) -> Result<(), String> {
    if header.version == 1 && m.min_cosignatories_change.is_some() {
        return Err("a version 1 aggregate modification cannot change minCosignatories".into());
    }
    for pair in m.modifications.windows(2) {
        if modification_key(&pair[0], header) > modification_key(&pair[1], header) {
            return Err("cosignatory modifications must be sorted by type, then by address".into());
        }
    }
    Ok(())
}

pub fn check_version(kind: TransactionType, version: u8) -> Result<(), String> {
    if kind.valid_versions().contains(&version) {
        Ok(())
    } else {
        Err(format!(
            "version {version} is not valid for {} (valid: {})",
            kind.name(),
            kind.valid_versions_text()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(ns: &str, name: &str, q: u64) -> Mosaic {
        Mosaic {
            id: MosaicId {
                namespace: ns.into(),
                name: name.into(),
            },
            quantity: q,
        }
    }

    #[test]
    fn sorts_and_merges_like_nis() {
        let sorted = canonical_mosaics(vec![
            m("nem", "xem", 5),
            m("alice", "token", 1),
            m("nem", "xem", 7),
            m("alice", "tok", 2),
            m("alice", "tok en", 3),
        ])
        .unwrap();
        let names: Vec<String> = sorted
            .iter()
            .map(|x| format!("{} {}", x.id, x.quantity))
            .collect();
        // "alice:tok : 2" < "alice:tok en : 3" (':' < 'e') < "alice:token : 1" (' ' < 'e').
        assert_eq!(
            names,
            [
                "alice:tok 2",
                "alice:tok en 3",
                "alice:token 1",
                "nem:xem 12"
            ]
        );
    }

    #[test]
    fn names_follow_nis_patterns() {
        assert!(validate_mosaic_name("xem").is_ok());
        assert!(validate_mosaic_name("a b").is_ok());
        assert!(validate_mosaic_name("a  b").is_err());
        assert!(validate_mosaic_name("Xem").is_err());
        assert!(validate_mosaic_name("_x").is_err());
        assert!(validate_mosaic_name(&"a".repeat(33)).is_err());
        assert!(validate_namespace("a.b.c").is_ok());
        assert!(validate_namespace("a.b.c.d").is_err());
        assert!(validate_namespace("a..b").is_err());
        assert!(validate_namespace(&"a".repeat(16)).is_ok());
        assert!(validate_namespace(&"a".repeat(17)).is_err());
        assert!(validate_namespace(&format!("a.{}", "b".repeat(64))).is_ok());
        assert!(validate_namespace(&format!("a.{}", "b".repeat(65))).is_err());
    }
}
