//! What Hanko's tests share, so that each test says only what it is about: the NEM example
//! keys and addresses (`keys`), directories that clean up (`dir`), the installation's CA and
//! certificates (`pki`), a PostgreSQL server of a test's own (`postgres`), the dev node (`node`) and the coordinator (`coordinator`) started in
//! process, and test policies signed by a compliance officer (`policy`), and a proposer's Prepare and Propose (`treasury`).
//!
//! For tests only: anything that goes wrong here panics, naming what.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test support

pub mod coordinator;
pub mod dir;
pub mod keys;
pub mod node;
pub mod pki;
pub mod policy;
pub mod postgres;
pub mod treasury;

pub use dir::{TempDir, temp_dir};
pub use keys::{CUSTOMER, DENYLISTED, FAST_KDF, TREASURY, nem_key, nem_private, proposer};
pub use pki::Pki;
