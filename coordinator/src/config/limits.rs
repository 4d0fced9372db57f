//! What one client, or one account, may ask of the coordinator. Beyond a limit a call is
//! ResourceExhausted, and nothing stored changes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Unfinished proposals per multisig account.
    pub max_pending_per_account: usize,
    /// Calls per second per client (proposers, auditors, admins), sustained.
    pub requests_per_second: u32,
    /// Calls a client may make at once before the rate applies.
    pub burst: u32,
    /// Largest gRPC request accepted, in bytes.
    pub max_request_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pending_per_account: 100,
            requests_per_second: 20,
            burst: 40,
            max_request_bytes: 64 * 1024,
        }
    }
}
