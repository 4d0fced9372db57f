//! The NIS1 (NEM) protocol core of Hanko.
//!
//! Everything here follows NIS byte for byte: keys (Ed25519 with Keccak-512 and reversed
//! private keys), addresses, the binary transaction format, hashes, fees and the stateless
//! announce rules, plus an async client for the NIS REST API that never sends a private key.

pub mod address;
pub mod amount;
#[cfg(feature = "client")]
pub mod client;
pub mod fees;
pub mod hash;
mod hexfmt;
pub mod json;
pub mod keys;
pub mod network;
pub mod nis_json;
mod nis_json_error;
mod nis_json_other;
pub mod rules;
#[doc(hidden)]
pub mod testing;
pub mod time;
pub mod tx;
pub mod validation;

pub use address::{Address, AddressError};
pub use amount::{Amount, AmountError};
pub use hash::Hash256;
pub use hexfmt::{HexError, decode as decode_hex};
pub use keys::{KeyError, KeyPair, PrivateKey, PublicKey, Signature, SignatureError};
pub use network::Network;
pub use time::NemTimestamp;
pub use tx::{SignedTransaction, Transaction, TransactionType};
