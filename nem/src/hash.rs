//! Keccak hashes (the original Keccak padding, not FIPS-202 SHA-3: NIS calls them "sha3").

use std::fmt;
use std::str::FromStr;

use sha3::{Digest, Keccak256, Keccak512};

use crate::hexfmt::{self, HexError};

/// A 32-byte Keccak-256 digest: transaction hashes, inner hashes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash256(pub [u8; 32]);

impl Hash256 {
    pub fn of(data: &[u8]) -> Self {
        Hash256(keccak256(data))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The first 8 hex digits, as operators confirm approvals with them.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..4])
    }
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({self})")
    }
}

impl FromStr for Hash256 {
    type Err = HexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        hexfmt::decode_fixed::<32>(s).map(Hash256)
    }
}

hexfmt::serde_via_str!(Hash256);

pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

pub fn keccak512(data: &[u8]) -> [u8; 64] {
    Keccak512::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keccak_not_sha3() {
        assert_eq!(
            Hash256::of(b"").to_string(),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
    }
}
