//! Rules over amounts and time: limits, velocity, approval tiers, windows.

use super::{Change, Direction, ch, compare, outcome_direction, span_seconds};
use crate::model::Policy;

/// A limit added tightens, raised or removed loosens.
pub(super) fn limits(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    use Direction::*;
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
}

/// Velocity: a larger maximum, a shorter window or a rule removed loosens.
pub(super) fn velocity(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    use Direction::*;
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
}

/// Approval tiers: a higher threshold, fewer approvals or a tier removed loosens.
pub(super) fn approvals(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    use Direction::*;
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
}

/// Time windows: more days or hours, fewer holidays, or a softer outside outcome loosens.
pub(super) fn windows(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    use Direction::*;
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
}
