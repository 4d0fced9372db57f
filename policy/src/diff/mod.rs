//! Semantic diff of two policies, for the reviewer: which limits rose, which addresses were
//! added, which windows widened — each change marked looser or tighter.

use serde::Serialize;

use crate::decision::Outcome;
use crate::model::{Policy, Span};

mod rules;
mod safety;
mod who;

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

/// Every change from `old` to `new`. Each field of the policy is named below: a new kind of
/// rule does not compile until `diff` compares it.
pub fn diff(old: &Policy, new: &Policy) -> Vec<Change> {
    let Policy {
        name: _,
        network,
        accounts: _,
        hash: _,
        allowed_types: _,
        assets: _,
        limits: _,
        velocity: _,
        unlisted: _,
        whitelist: _,
        denylist: _,
        windows: _,
        proposers: _,
        any_proposer: _,
        approvals: _,
        safety: _,
    } = new;
    let mut out = Vec::new();
    if old.network != *network {
        out.push(ch(
            Direction::Looser,
            format!("network: {} → {network}", old.network),
        ));
    }
    // allowed_types, accounts, assets, limits, velocity, destinations (unlisted, whitelist,
    // denylist), windows, approvals, proposers (and any_proposer), safety:
    who::types(old, new, &mut out);
    who::accounts(old, new, &mut out);
    who::assets(old, new, &mut out);
    rules::limits(old, new, &mut out);
    rules::velocity(old, new, &mut out);
    who::destinations(old, new, &mut out);
    rules::windows(old, new, &mut out);
    rules::approvals(old, new, &mut out);
    who::proposers(old, new, &mut out);
    safety::safety(old, new, &mut out);
    out
}
