//! The dev node's example keys and the addresses the tests pay.

use devnode::config::EXAMPLE_KEYS;
use ed25519_dalek::SigningKey;
use nem::{KeyPair, PrivateKey};

/// The example treasury: a 2-of-3 multisig of keys 1 to 3 (`nem_key(0)`).
pub const TREASURY: &str = "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2";
/// The example customer (`nem_key(4)`).
pub const CUSTOMER: &str = "TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6";
/// An address test policies deny.
pub const DENYLISTED: &str = "TAABHVFJDBM74XMJJ52R7QN2MTTG2ZUXPQ3F2EPH";

/// The example keys: 0 multisig, 1..3 cosigners A, B, C, 4 customer, 5 ordinary.
pub fn nem_key(i: usize) -> KeyPair {
    KeyPair::from_private_key(&nem_private(i))
}

/// The private key of [`nem_key`]`(i)`, for a key file.
pub fn nem_private(i: usize) -> PrivateKey {
    PrivateKey::from_nis_hex(EXAMPLE_KEYS[i].1).unwrap()
}

/// The proposer identity the test policies list.
pub fn proposer() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

/// Key files that open in a millisecond (real ones take about a second on purpose).
pub const FAST_KDF: cosigner::keystore::KdfParams = cosigner::keystore::KdfParams {
    memory_kib: 1_024,
    iterations: 1,
    parallelism: 1,
};
