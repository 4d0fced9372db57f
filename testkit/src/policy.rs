//! Test policies, signed by a compliance officer as a cosigner requires.

use std::io::Cursor;
use std::path::Path;

use nem::{Address, Network};

use crate::keys::{CUSTOMER, DENYLISTED, TREASURY, nem_key, proposer};

/// A compliance officer with a minisign key.
pub struct Officer {
    pub keys: minisign::KeyPair,
}

impl Default for Officer {
    fn default() -> Self {
        Officer::new()
    }
}

impl Officer {
    pub fn new() -> Officer {
        Officer {
            keys: minisign::KeyPair::generate_unencrypted_keypair().unwrap(),
        }
    }

    /// This officer alone, trusted as `compliance`.
    pub fn trust(&self) -> policy::signing::Trust {
        policy::signing::Trust {
            keys: vec![("compliance".into(), self.keys.pk.to_base64())],
            threshold: 1,
        }
    }

    /// Writes `text` to `path` and its signature to `path.minisig`.
    pub fn write_signed(&self, path: &Path, text: &str) {
        std::fs::write(path, text).unwrap();
        let signature = minisign::sign(
            Some(&self.keys.pk),
            &self.keys.sk,
            Cursor::new(text.as_bytes().to_vec()),
            None,
            None,
        )
        .unwrap();
        std::fs::write(
            format!("{}.minisig", path.display()),
            signature.into_string(),
        )
        .unwrap();
    }
}

/// A test policy: transfers to the customer up to 50,000 XEM, `daily_xem` a day, operators'
/// approval above 20,000, no time windows, the test proposer listed. `extra` is appended.
pub fn policy_text(daily_xem: u64, extra: &str) -> String {
    format!(
        r#"version = 1
name = "cosigner test policy"
network = "testnet"
accounts = ["{TREASURY}", "{ordinary}"]
time_zone = "UTC"

[transaction_types]
allow = ["transfer"]

[[limit]]
name = "per-withdrawal-xem"
asset = "nem:xem"
max = "50000"

[[velocity]]
name = "daily-xem"
asset = "nem:xem"
max = "{daily_xem}"
window = "24h"

[destinations]
unlisted = "deny"

[[destinations.whitelist]]
address = "{CUSTOMER}"
label = "customer withdrawals"
active_from = "2026-01-01T00:00:00Z"

[[destinations.denylist]]
address = "{DENYLISTED}"
reason = "stolen funds"

[[approval]]
name = "large"
asset = "nem:xem"
above = "20000"
approvals = 1

[[proposer]]
name = "treasury"
key = "{proposer}"

[safety]
max_deadline = "2h"
max_timestamp_skew = "60s"

[safety.message]
max_bytes = 64
allow_encrypted = false
{extra}
"#,
        ordinary = Address::from_public_key(&nem_key(5).public_key(), Network::Testnet),
        proposer = hex::encode(proposer().verifying_key().to_bytes()),
    )
}
