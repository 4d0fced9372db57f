//! The coordinator: stores proposals, relays them to cosigners, aggregates signatures and
//! broadcasts. It holds no NEM key and is trusted for liveness only.
//!
//! The folders are the architecture (drawn in `docs/architecture.md`):
//! - `core`: pure. The proposal lifecycle as a state machine, (record, event, now) →
//!   (record, actions), and the pure pieces around it: building the inner transaction,
//!   verifying what cosigners return, the request digest. No clock, socket or disk inside.
//! - `store`: durable proposals, drafts, the journal, the history.
//! - `driver`: the only door. Steps events through the core, writes the result, then acts
//!   (announces, offers, ticks); the domain operations the services call live here.
//! - `chain`: reading the chain: confirmations of our own proposals, and the watcher that
//!   looks for outflows Hanko never approved.
//! - `api`: the gRPC services, authentication, conversions, and the one mapping from domain
//!   errors to gRPC status codes.
//! - `ops`: what operators see: metrics, webhooks, the cosigner board, watchers, the archiver.

pub mod api;
pub mod chain;
pub mod config;
pub mod core;
pub mod daemon;
pub mod driver;
pub mod ops;
pub mod store;
pub mod testing;
