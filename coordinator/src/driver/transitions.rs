//! A batch of events and acceptances, stepped through the pure core in arrival order: what each
//! makes of its proposal, and the transitions to write for all of them at once. Pure but for `lookup`,
//! which reads a proposal as last written; a proposal that moves twice in one batch moves the
//! second time from where the first left it.

use std::collections::HashMap;
use std::sync::Arc;

use nem::{Address, NemTimestamp};

use super::error::DriverError;
use crate::core::{self, Action, Event, ProposalRecord};
use crate::store::StoreError;

/// What a batch holds: an event for a proposal, or a proposal to accept (its draft becomes
/// it, unless its account already has `max_pending` unfinished ones).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // queued and moved once each: a box would save nothing
pub enum Work {
    Event {
        id: String,
        event: Event,
    },
    Accept {
        record: ProposalRecord,
        max_pending: usize,
    },
}

impl Work {
    pub fn id(&self) -> &str {
        match self {
            Work::Event { id, .. } => id,
            Work::Accept { record, .. } => &record.id,
        }
    }
}

/// What one piece of work made of its proposal.
pub struct Outcome {
    /// The record before, when an event changed it (none for an acceptance).
    pub old: Option<ProposalRecord>,
    pub next: Arc<ProposalRecord>,
    pub actions: Vec<Action>,
    /// The step's name for the crash points, when there is something to write.
    pub step: Option<&'static str>,
}

/// The name of the step an event makes, for the crash points (`decision_written`, say).
pub fn step_name(event: &Event) -> &'static str {
    match event {
        Event::Distributed => "distributed",
        Event::Decision { .. } => "decision",
        Event::WrapperAnswer(_) => "wrapper_answer",
        Event::CosignatureAnswer { .. } => "cosignature_answer",
        Event::Confirmed { .. } => "confirmed",
        Event::NotOnChain => "not_on_chain",
        Event::Cancel { .. } => "cancel",
        Event::Tick => "tick",
    }
}

/// The pending limit, the one rule: TooManyPending when `account`, with `pending` unfinished
/// proposals, already has `max` or more.
pub fn within_pending(account: &Address, pending: usize, max: usize) -> Result<(), DriverError> {
    if pending >= max {
        return Err(DriverError::TooManyPending {
            account: *account,
            pending,
            max,
        });
    }
    Ok(())
}

/// Steps each piece of work in order. An event on a proposal that does not exist, or that
/// the core refuses, gets its error and changes nothing; the others go on. `pending` counts an
/// account's unfinished proposals as last written; acceptances earlier in the batch count too.
pub fn step_all<'a>(
    work: impl IntoIterator<Item = &'a Work>,
    mut lookup: impl FnMut(&str) -> Result<Option<ProposalRecord>, StoreError>,
    pending: impl Fn(&Address) -> usize,
    now: NemTimestamp,
) -> Vec<Result<Outcome, DriverError>> {
    let mut latest: HashMap<&str, ProposalRecord> = HashMap::new();
    let mut accepted: HashMap<Address, usize> = HashMap::new();
    let mut out = Vec::new();
    for w in work {
        let id = w.id();
        let record = match latest.get(id) {
            Some(r) => Ok(Some(r.clone())),
            None => lookup(id),
        };
        let outcome = match (w, record) {
            (_, Err(e)) => Err(e.into()),
            (Work::Accept { record, .. }, Ok(Some(known))) => {
                if known.inner == record.inner
                    && known.proposer_signature == record.proposer_signature
                {
                    // Accepted already (the same call twice at once): unchanged.
                    Ok(Outcome {
                        old: None,
                        next: Arc::new(known),
                        actions: vec![],
                        step: None,
                    })
                } else {
                    Err(DriverError::Exists(id.to_string()))
                }
            }
            (
                Work::Accept {
                    record,
                    max_pending,
                },
                Ok(None),
            ) => {
                let here = accepted.entry(record.account).or_default();
                let count = pending(&record.account) + *here;
                if let Err(e) = within_pending(&record.account, count, *max_pending) {
                    Err(e)
                } else {
                    *here += 1;
                    latest.insert(id, record.clone());
                    Ok(Outcome {
                        old: None,
                        next: Arc::new(record.clone()),
                        actions: vec![],
                        step: Some("proposal"),
                    })
                }
            }
            (Work::Event { .. }, Ok(None)) => Err(DriverError::NotFound(id.to_string())),
            (Work::Event { event, .. }, Ok(Some(record))) => {
                core::step(&record, event.clone(), now)
                    .map_err(DriverError::from)
                    .map(|(next, actions)| {
                        let changed = next != record;
                        latest.insert(id, next.clone());
                        Outcome {
                            step: changed.then(|| step_name(event)),
                            old: changed.then_some(record),
                            next: Arc::new(next),
                            actions,
                        }
                    })
            }
        };
        out.push(outcome);
    }
    out
}

#[cfg(test)]
#[path = "transitions_tests.rs"]
mod tests;
