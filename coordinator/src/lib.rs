//! The coordinator: stores proposals, relays them to cosigners, aggregates signatures and
//! broadcasts. It holds no NEM key and is trusted for liveness only.
//!
//! `core` is the proposal lifecycle as a pure state machine: (record, event, now) →
//! (record, actions). No clock, socket or disk inside; the driver persists, then acts.

pub mod admin;
pub mod archiver;
pub mod auth;
pub mod board;
pub mod build;
pub mod config;
pub mod convert;
pub mod core;
pub mod cosigner_link;
pub mod daemon;
pub mod digest;
pub mod driver;
pub mod follow;
pub mod history;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod offers;
pub mod own_bytes;
pub mod server;
pub mod store;
pub mod testing;
pub mod transitions;
pub mod treasury;
pub mod verify;
pub mod watch;
pub mod watchers;
pub mod webhook;
