//! The canonical forms NIS re-serializes to. NIS verifies signatures over its own
//! re-serialization, so any other form is refused; Hanko never produces or accepts one.

use std::cmp::Ordering;

use super::model::{
    AggregateModification, CosignatoryModification, Header, Mosaic, TransactionType, Transfer,
};
use super::names::validate_mosaic_id;
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
    use crate::tx::names::MosaicId;

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
}
