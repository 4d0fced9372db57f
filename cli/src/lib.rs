//! The `hanko` command line. `main.rs` parses flags and calls into these modules.

pub mod certs_cmd;
pub mod devnode_cmd;
pub mod error;
pub mod io;
pub mod nem_cmd;
pub mod policy_cmd;

pub use error::CliError;
