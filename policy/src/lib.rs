//! Hanko's policy engine: the rules each cosigner enforces on the transactions it decodes.
//!
//! Pure: no I/O except reading files in `signing::load`, no async, no clocks (time is an
//! input). A policy file (TOML, `version = 1`) is linted and compiled into a [`Policy`];
//! [`evaluate`] decides on a transaction given the proposer, the time and a [`History`] of
//! outflows. Deny beats needs-approval beats allow, and every rule checked is reported.

pub mod cases;
mod compile;
pub mod cost;
pub mod decision;
pub mod diff;
pub mod duration;
mod eval;
pub mod history;
pub mod lint;
pub mod model;
pub mod problem;
pub mod raw;
pub mod signing;
pub mod simulate;
pub mod testing;

pub use decision::{Decision, Fired, Outcome};
pub use eval::{Request, evaluate, evaluate_as};
pub use history::{History, Outflow, Scope, WindowedHistory};
pub use lint::{Linted, lint, schema, version_hash};
pub use model::Policy;
pub use problem::Problem;
