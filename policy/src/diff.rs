//! Semantic diff of two policies, for the reviewer: which limits rose, which addresses were
//! added, which windows widened — each change marked looser or tighter.

use serde::Serialize;

use crate::decision::Outcome;
use crate::model::{Policy, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Allows more than before: review carefully.
    Looser,
    Tighter,
    /// Neither, e.g. a label or an unrelated change.
    Neutral,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub direction: Direction,
    pub what: String,
}

fn ch(direction: Direction, what: String) -> Change {
    Change { direction, what }
}

fn compare(before: u128, after: u128) -> Direction {
    match after.cmp(&before) {
        std::cmp::Ordering::Greater => Direction::Looser,
        std::cmp::Ordering::Less => Direction::Tighter,
        std::cmp::Ordering::Equal => Direction::Neutral,
    }
}

fn outcome_direction(before: Outcome, after: Outcome) -> Direction {
    match after.cmp(&before) {
        std::cmp::Ordering::Less => Direction::Looser,
        std::cmp::Ordering::Greater => Direction::Tighter,
        std::cmp::Ordering::Equal => Direction::Neutral,
    }
}

fn span_seconds(span: &Span) -> u128 {
    match span {
        Span::Rolling(s) => u128::from(*s),
        Span::Calendar(crate::model::Calendar::Day, _) => 86_400,
        Span::Calendar(crate::model::Calendar::Month, _) => 30 * 86_400,
    }
}

pub fn diff(old: &Policy, new: &Policy) -> Vec<Change> {
    let mut out = Vec::new();
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

    for l in &new.limits {
        match old.limits.iter().find(|o| o.name == l.name) {
            None => out.push(ch(
                Tighter,
                format!(
                    "limit '{}' added: {} per transaction",
                    l.name,
                    new.format_amount(&l.asset, l.max)
                ),
            )),
            Some(o) if o.max != l.max || o.asset != l.asset => out.push(ch(
                compare(o.max, l.max),
                format!(
                    "limit '{}': {} → {}",
                    l.name,
                    old.format_amount(&o.asset, o.max),
                    new.format_amount(&l.asset, l.max)
                ),
            )),
            _ => {}
        }
    }
    for o in &old.limits {
        if !new.limits.iter().any(|l| l.name == o.name) {
            out.push(ch(
                Looser,
                format!(
                    "limit '{}' removed (was {})",
                    o.name,
                    old.format_amount(&o.asset, o.max)
                ),
            ));
        }
    }

    for v in &new.velocity {
        match old.velocity.iter().find(|o| o.name == v.name) {
            None => out.push(ch(
                Tighter,
                format!(
                    "velocity '{}' added: {}",
                    v.name,
                    new.format_amount(&v.asset, v.max)
                ),
            )),
            Some(o) => {
                if o.max != v.max {
                    out.push(ch(
                        compare(o.max, v.max),
                        format!(
                            "velocity '{}': {} → {}",
                            v.name,
                            old.format_amount(&o.asset, o.max),
                            new.format_amount(&v.asset, v.max)
                        ),
                    ));
                }
                if o.span != v.span {
                    // A longer window counts more history: tighter.
                    out.push(ch(
                        compare(span_seconds(&v.span), span_seconds(&o.span)),
                        format!("velocity '{}': window {:?} → {:?}", v.name, o.span, v.span),
                    ));
                }
                if o.per != v.per {
                    out.push(ch(
                        Neutral,
                        format!(
                            "velocity '{}': counted per {} → per {}",
                            v.name,
                            o.per.name(),
                            v.per.name()
                        ),
                    ));
                }
            }
        }
    }
    for o in &old.velocity {
        if !new.velocity.iter().any(|v| v.name == o.name) {
            out.push(ch(
                Looser,
                format!(
                    "velocity '{}' removed (was {})",
                    o.name,
                    old.format_amount(&o.asset, o.max)
                ),
            ));
        }
    }

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

    for w in &new.windows {
        match old.windows.iter().find(|o| o.name == w.name) {
            None => out.push(ch(
                Tighter,
                format!("window '{}' added: {}–{}", w.name, w.from, w.to),
            )),
            Some(o) => {
                if w.from < o.from
                    || w.to > o.to
                    || w.days.iter().zip(&o.days).any(|(n, o)| *n && !*o)
                    || w.holidays.len() < o.holidays.len()
                {
                    out.push(ch(
                        Looser,
                        format!(
                            "window '{}' widened: {}–{} → {}–{}",
                            w.name, o.from, o.to, w.from, w.to
                        ),
                    ));
                } else if w.from > o.from
                    || w.to < o.to
                    || w.days != o.days
                    || w.holidays != o.holidays
                {
                    out.push(ch(
                        Tighter,
                        format!(
                            "window '{}' narrowed: {}–{} → {}–{}",
                            w.name, o.from, o.to, w.from, w.to
                        ),
                    ));
                }
                if w.outside != o.outside {
                    out.push(ch(
                        outcome_direction(o.outside, w.outside),
                        format!("window '{}': outside {} → {}", w.name, o.outside, w.outside),
                    ));
                }
            }
        }
    }
    for o in &old.windows {
        if !new.windows.iter().any(|w| w.name == o.name) {
            out.push(ch(Looser, format!("window '{}' removed", o.name)));
        }
    }

    for a in &new.approvals {
        match old.approvals.iter().find(|o| o.name == a.name) {
            None => out.push(ch(
                Tighter,
                format!(
                    "approval tier '{}' added above {}",
                    a.name,
                    new.format_amount(&a.asset, a.above)
                ),
            )),
            Some(o) => {
                if o.above != a.above {
                    out.push(ch(
                        compare(o.above, a.above),
                        format!(
                            "approval tier '{}': above {} → {}",
                            a.name,
                            old.format_amount(&o.asset, o.above),
                            new.format_amount(&a.asset, a.above)
                        ),
                    ));
                }
                if o.approvals != a.approvals {
                    out.push(ch(
                        compare(u128::from(a.approvals), u128::from(o.approvals)),
                        format!(
                            "approval tier '{}': {} → {} approvals",
                            a.name, o.approvals, a.approvals
                        ),
                    ));
                }
            }
        }
    }
    for o in &old.approvals {
        if !new.approvals.iter().any(|a| a.name == o.name) {
            out.push(ch(Looser, format!("approval tier '{}' removed", o.name)));
        }
    }

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

    let (os, ns) = (&old.safety, &new.safety);
    if os.fee_cap != ns.fee_cap {
        let value = |c: Option<nem::Amount>| c.map_or(0, |a| u128::from(a.as_micro()));
        out.push(ch(
            compare(value(os.fee_cap), value(ns.fee_cap)),
            format!(
                "fee cap: {:?} → {:?}",
                os.fee_cap.map(|a| a.to_string()),
                ns.fee_cap.map(|a| a.to_string())
            ),
        ));
    }
    if os.max_deadline_seconds != ns.max_deadline_seconds {
        out.push(ch(
            compare(
                u128::from(os.max_deadline_seconds),
                u128::from(ns.max_deadline_seconds),
            ),
            format!(
                "max deadline: {}s → {}s",
                os.max_deadline_seconds, ns.max_deadline_seconds
            ),
        ));
    }
    if os.max_timestamp_skew_seconds != ns.max_timestamp_skew_seconds {
        out.push(ch(
            compare(
                u128::from(os.max_timestamp_skew_seconds),
                u128::from(ns.max_timestamp_skew_seconds),
            ),
            format!(
                "max timestamp skew: {}s → {}s",
                os.max_timestamp_skew_seconds, ns.max_timestamp_skew_seconds
            ),
        ));
    }
    if os.allow_encrypted != ns.allow_encrypted {
        out.push(ch(
            if ns.allow_encrypted { Looser } else { Tighter },
            format!(
                "encrypted messages allowed: {} → {}",
                os.allow_encrypted, ns.allow_encrypted
            ),
        ));
    }
    if os.message_pattern.as_ref().map(|r| r.as_str())
        != ns.message_pattern.as_ref().map(|r| r.as_str())
    {
        out.push(ch(
            Neutral,
            format!(
                "required memo pattern: {:?} → {:?}",
                os.message_pattern.as_ref().map(|r| r.as_str()),
                ns.message_pattern.as_ref().map(|r| r.as_str())
            ),
        ));
    }
    out
}
