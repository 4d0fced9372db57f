//! End-to-end tests: the real `hanko` binary as separate processes (dev node, coordinator,
//! three cosigners), each with its own data directory, certificates and log, talking mTLS.
//! Every announce the dev node received is checked again by the official NEM SDK (nem-sdk).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod browser;
mod common;
mod console;
mod crash;
mod database;
mod detect;
mod failover;
mod faults;
mod fencing;
mod flows;
mod limits;
mod netns;
mod restarts;
