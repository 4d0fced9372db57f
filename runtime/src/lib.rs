//! What both Hanko daemons run on, beside their gRPC API (`hanko-proto`): the hash-chained
//! audit journal, group commit of durable writes, sled storage, crash points for tests,
//! process setup (logging, readiness) and the installation's certificate authority.

pub mod audit;
pub mod commit;
pub mod failpoint;
pub mod pki;
pub mod process;
pub mod storage;
#[cfg(feature = "web")]
pub mod web;
