//! The sans-I/O proposal core.

mod machine;
mod record;

pub use machine::{
    Action, Answer, EXPIRY_MARGIN_SECONDS, Event, PUSH_CACHE_SECONDS, Step, TransitionError, idle,
    step,
};
pub use record::{Broadcast, CosignerDecision, ProposalRecord, SignedPair, State, Tally};
