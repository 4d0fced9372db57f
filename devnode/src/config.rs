//! The dev node's TOML configuration, and the built-in example genesis.

use std::net::SocketAddr;
use std::path::PathBuf;

use nem::{Address, Amount, Network, PublicKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_network")]
    pub network: Network,
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Milliseconds between blocks; 0 means blocks only on `POST /dev/block`.
    #[serde(default = "default_block_time")]
    pub block_time_ms: u64,
    /// Append every announce request body to this file, one JSON object a line.
    #[serde(default)]
    pub request_log: Option<PathBuf>,
    #[serde(default, rename = "account")]
    pub accounts: Vec<AccountConfig>,
    #[serde(default, rename = "multisig")]
    pub multisigs: Vec<MultisigConfig>,
    #[serde(default)]
    pub faults: Faults,
}

fn default_network() -> Network {
    Network::Testnet
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 7890))
}

fn default_block_time() -> u64 {
    5_000
}

/// A plain account with a starting balance. Give its public key if it will sign.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    #[serde(default)]
    pub public_key: Option<PublicKey>,
    #[serde(default)]
    pub address: Option<Address>,
    /// XEM, decimal (`"1000000"`, `"12.5"`).
    pub balance: String,
    #[serde(default)]
    pub label: Option<String>,
}

/// A multisig account: its public key signs inner transactions; its cosignatories sign.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultisigConfig {
    pub public_key: PublicKey,
    pub balance: String,
    pub cosignatories: Vec<PublicKey>,
    /// 0 or the number of cosignatories means all must sign.
    pub min_cosignatories: u32,
    #[serde(default)]
    pub label: Option<String>,
}

/// Fault injection for tests; every share is a probability from 0 to 1. Off by default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    pub seed: u64,
    /// Answer 503 Service Unavailable.
    pub unavailable: f64,
    /// Wait `delay_ms` before answering.
    pub delay: f64,
    pub delay_ms: u64,
    /// Close the connection without an answer.
    pub drop: f64,
    /// Answer 200 with truncated, malformed JSON.
    pub malformed: f64,
    /// Process an announce, then close the connection without an answer.
    pub announce_accept_then_drop: f64,
    /// List no confirmed outgoing transfer of any account: a lagging or hostile node that
    /// hides what left.
    pub hide_outgoing: bool,
    /// Answer every page of outgoing transfers with a full page of the newest ones, whatever
    /// page was asked for: a node that keeps a reader paging forever.
    pub endless_outgoing: bool,
}

impl Faults {
    pub fn validate(&self) -> Result<(), String> {
        for (name, share) in [
            ("unavailable", self.unavailable),
            ("delay", self.delay),
            ("drop", self.drop),
            ("malformed", self.malformed),
            ("announce_accept_then_drop", self.announce_accept_then_drop),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!(
                    "faults.{name}: {share} is not a share between 0 and 1"
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let config: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        for (i, a) in self.accounts.iter().enumerate() {
            parse_balance(&a.balance)
                .map_err(|e| ConfigError::Invalid(format!("account[{i}].balance: {e}")))?;
            match (&a.public_key, &a.address) {
                (None, None) => return bad(format!("account[{i}]: give public_key or address")),
                (Some(k), Some(addr)) if Address::from_public_key(k, self.network) != *addr => {
                    return bad(format!(
                        "account[{i}]: address {addr} is not the address of public_key {k}"
                    ));
                }
                (_, Some(addr)) if addr.network() != self.network => {
                    return bad(format!(
                        "account[{i}]: {addr} is not a {} address",
                        self.network
                    ));
                }
                _ => {}
            }
        }
        for (i, m) in self.multisigs.iter().enumerate() {
            parse_balance(&m.balance)
                .map_err(|e| ConfigError::Invalid(format!("multisig[{i}].balance: {e}")))?;
            let n = m.cosignatories.len() as u32;
            if n == 0 || n > 32 {
                return bad(format!(
                    "multisig[{i}]: needs 1 to 32 cosignatories, has {n}"
                ));
            }
            if m.min_cosignatories > n {
                return bad(format!(
                    "multisig[{i}]: min_cosignatories {} exceeds {n} cosignatories",
                    m.min_cosignatories
                ));
            }
            if m.cosignatories.contains(&m.public_key) {
                return bad(format!(
                    "multisig[{i}]: an account cannot cosign for itself"
                ));
            }
        }
        self.faults.validate().map_err(ConfigError::Invalid)
    }
}

pub fn parse_balance(text: &str) -> Result<Amount, nem::AmountError> {
    text.parse()
}

/// Test keys: entries 0 to 5 of NEM's public vector file (nemtech/test-vectors `nis1/1.test-keys.json`).
/// Public knowledge: never use them for real funds.
pub const EXAMPLE_KEYS: [(&str, &str); 6] = [
    (
        "multisig treasury",
        "575DBB3062267EFF57C970A336EBBC8FBCFE12C5BD3ED7BC11EB0481D7704CED",
    ),
    (
        "cosigner A",
        "5B0E3FA5D3B49A79022D7C1E121BA1CBBF4DB5821F47AB8C708EF88DEFC29BFE",
    ),
    (
        "cosigner B",
        "738BA9BB9110AEA8F15CAA353ACA5653B4BDFCA1DB9F34D0EFED2CE1325AEEDA",
    ),
    (
        "cosigner C",
        "E8BF9BC0F35C12D8C8BF94DD3A8B5B4034F1063948E3CC5304E55E31AA4B95A6",
    ),
    (
        "customer",
        "C325EA529674396DB5675939E7988883D59A5FC17A28CA977E3BA85370232A83",
    ),
    (
        "ordinary account",
        "A811CB7A80A7227AE61F6DA536534EE3C2744E3C7E4B85F3E0DF3C6A9C5613DF",
    ),
];

impl Config {
    /// A 2-of-3 multisig treasury of 1,000,000 XEM and a funded ordinary account, on testnet.
    pub fn example() -> Result<Config, nem::KeyError> {
        let public = |i: usize| -> Result<PublicKey, nem::KeyError> {
            let key = nem::PrivateKey::from_nis_hex(EXAMPLE_KEYS[i].1)?;
            Ok(nem::KeyPair::from_private_key(&key).public_key())
        };
        Ok(Config {
            network: Network::Testnet,
            listen: default_listen(),
            block_time_ms: default_block_time(),
            request_log: None,
            accounts: vec![AccountConfig {
                public_key: Some(public(5)?),
                address: None,
                balance: "100000".into(),
                label: Some(EXAMPLE_KEYS[5].0.into()),
            }],
            multisigs: vec![MultisigConfig {
                public_key: public(0)?,
                balance: "1000000".into(),
                cosignatories: vec![public(1)?, public(2)?, public(3)?],
                min_cosignatories: 2,
                label: Some(EXAMPLE_KEYS[0].0.into()),
            }],
            faults: Faults::default(),
        })
    }
}
