//! Who and where: transaction types, accounts, assets, proposers and destinations.

use super::{Change, Direction, ch, compare, outcome_direction};
use crate::model::Policy;

/// A type newly allowed loosens.
pub(super) fn types(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    use Direction::*;
    for t in &new.allowed_types {
        if !old.allowed_types.contains(t) {
            out.push(ch(
                Looser,
                format!("transaction type {} now allowed", t.name()),
            ));
        }
    }
    for t in &old.allowed_types {
        if !new.allowed_types.contains(t) {
            out.push(ch(
                Tighter,
                format!("transaction type {} no longer allowed", t.name()),
            ));
        }
    }
}

/// A new account signed for loosens.
pub(super) fn accounts(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    use Direction::*;
    for a in &new.accounts {
        if !old.accounts.contains(a) {
            out.push(ch(Looser, format!("now signs for account {a}")));
        }
    }
    for a in &old.accounts {
        if !new.accounts.contains(a) {
            out.push(ch(Tighter, format!("no longer signs for account {a}")));
        }
    }
}

/// Proposers added, any key allowed, or a higher cap loosens.
pub(super) fn proposers(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    use Direction::*;
    if old.any_proposer != new.any_proposer {
        let (direction, text) = if new.any_proposer {
            (Looser, "proposers: listed → any key may propose")
        } else {
            (Tighter, "proposers: any key → only those listed")
        };
        out.push(ch(direction, text.to_string()));
    }
    for p in &new.proposers {
        match old.proposers.iter().find(|o| o.key == p.key) {
            None => out.push(ch(
                Looser,
                format!("proposer '{}' added ({})", p.name, p.key),
            )),
            Some(o) if o.max_xem != p.max_xem || o.accounts != p.accounts => {
                let before = o.max_xem.map_or(u128::MAX, |m| u128::from(m.as_micro()));
                let after = p.max_xem.map_or(u128::MAX, |m| u128::from(m.as_micro()));
                out.push(ch(
                    compare(before, after),
                    format!(
                        "proposer '{}': max {:?} → {:?}, accounts changed: {}",
                        p.name,
                        o.max_xem.map(|m| m.to_string()),
                        p.max_xem.map(|m| m.to_string()),
                        o.accounts != p.accounts
                    ),
                ));
            }
            _ => {}
        }
    }
    for o in &old.proposers {
        if !new.proposers.iter().any(|p| p.key == o.key) {
            out.push(ch(Tighter, format!("proposer '{}' removed", o.name)));
        }
    }
}

/// Whitelist entries added or usable earlier, denylist entries removed, or a softer
/// outcome for unlisted destinations loosens.
pub(super) fn destinations(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    use Direction::*;
    let mut added: Vec<_> = new
        .whitelist
        .iter()
        .filter(|(a, _)| !old.whitelist.contains_key(a))
        .collect();
    added.sort_by_key(|(a, _)| **a);
    for (a, e) in added {
        out.push(ch(
            Looser,
            format!(
                "whitelist: added {a} '{}' (usable from {})",
                e.label, e.active_from
            ),
        ));
    }
    let mut removed: Vec<_> = old
        .whitelist
        .iter()
        .filter(|(a, _)| !new.whitelist.contains_key(a))
        .collect();
    removed.sort_by_key(|(a, _)| **a);
    for (a, e) in removed {
        out.push(ch(Tighter, format!("whitelist: removed {a} '{}'", e.label)));
    }
    for (a, e) in &new.whitelist {
        if let Some(o) = old.whitelist.get(a)
            && o.active_from != e.active_from
        {
            let d = if e.active_from < o.active_from {
                Looser
            } else {
                Tighter
            };
            out.push(ch(
                d,
                format!(
                    "whitelist: {a} usable from {} → {}",
                    o.active_from, e.active_from
                ),
            ));
        }
    }
    for a in new
        .denylist
        .keys()
        .filter(|a| !old.denylist.contains_key(a))
    {
        out.push(ch(Tighter, format!("denylist: added {a}")));
    }
    for a in old
        .denylist
        .keys()
        .filter(|a| !new.denylist.contains_key(a))
    {
        out.push(ch(Looser, format!("denylist: removed {a}")));
    }
    if old.unlisted != new.unlisted {
        out.push(ch(
            outcome_direction(old.unlisted, new.unlisted),
            format!("unlisted destinations: {} → {}", old.unlisted, new.unlisted),
        ));
    }
}

/// An asset newly declared can be moved (undeclared ones are refused); a changed divisibility
/// reads every amount of it differently.
pub(super) fn assets(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    use Direction::*;
    for (id, d) in &new.assets {
        match old.assets.get(id) {
            None => out.push(ch(
                Looser,
                format!("asset {id} declared (divisibility {d})"),
            )),
            Some(o) if o != d => out.push(ch(
                Looser,
                format!("asset {id}: divisibility {o} → {d}: every amount of it reads differently"),
            )),
            _ => {}
        }
    }
    for id in old.assets.keys().filter(|id| !new.assets.contains_key(*id)) {
        out.push(ch(Tighter, format!("asset {id} no longer declared")));
    }
}
