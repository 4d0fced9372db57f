//! The `hanko` command line. `main.rs` parses flags and calls into these modules.

pub mod admin_cmd;
pub mod app;
pub mod audit_cmd;
pub mod certs_cmd;
pub mod client;
pub mod console;
pub mod demo;
pub mod devnode_cmd;
pub mod error;
pub mod io;
pub mod local;
pub mod nem_cmd;
pub mod policy_cmd;
pub mod treasury;

pub use error::CliError;
