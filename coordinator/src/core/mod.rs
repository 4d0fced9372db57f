//! The sans-I/O proposal core: the lifecycle state machine (`machine`, `record`), and the pure
//! pieces the driver and services use around it: `build` (the inner transaction from a
//! request and configuration), `verify` (what cosigners return, against the stored proposal),
//! `digest` (what a Prepare retry must ask again).

pub mod build;
pub(crate) mod digest;
mod machine;
#[cfg(test)]
pub(crate) mod machine_tests;
mod record;
pub(crate) mod verify;

pub use machine::{
    Action, Answer, EXPIRY_MARGIN_SECONDS, Event, PUSH_CACHE_SECONDS, Step, TransitionError, idle,
    step,
};
pub use record::{Broadcast, CosignerDecision, ProposalRecord, SignedPair, State, Tally};
