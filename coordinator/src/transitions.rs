//! A batch of events, stepped through the pure core in arrival order: what each event makes of
//! its proposal, and the transitions to write for all of them at once. Pure but for `lookup`,
//! which reads a proposal as last written; a proposal that moves twice in one batch moves the
//! second time from where the first left it.

use std::collections::HashMap;
use std::sync::Arc;

use nem::NemTimestamp;

use crate::core::{self, Action, Event, ProposalRecord};
use crate::driver::DriverError;
use crate::store::StoreError;

/// What one event made of its proposal.
pub struct Outcome {
    /// The record before the event, when the event changed it.
    pub old: Option<ProposalRecord>,
    pub next: Arc<ProposalRecord>,
    pub actions: Vec<Action>,
    /// The step's name for the crash points, when the event changed the record.
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

/// Steps each `(id, event)` in order. An event on a proposal that does not exist, or that the
/// core refuses, gets its error and changes nothing; the others go on.
pub fn step_all<'a>(
    events: impl IntoIterator<Item = (&'a str, &'a Event)>,
    mut lookup: impl FnMut(&str) -> Result<Option<ProposalRecord>, StoreError>,
    now: NemTimestamp,
) -> Vec<Result<Outcome, DriverError>> {
    let mut latest: HashMap<&str, ProposalRecord> = HashMap::new();
    let mut out = Vec::new();
    for (id, event) in events {
        let record = match latest.get(id) {
            Some(r) => Ok(Some(r.clone())),
            None => lookup(id),
        };
        let outcome = match record {
            Err(e) => Err(e.into()),
            Ok(None) => Err(DriverError::NotFound(id.to_string())),
            Ok(Some(record)) => core::step(&record, event.clone(), now)
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
                }),
        };
        out.push(outcome);
    }
    out
}
