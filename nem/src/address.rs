//! NIS1 addresses: Base32 of network byte ‖ RIPEMD-160(Keccak-256(public key)) ‖ checksum.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE32_NOPAD;
use ripemd::{Digest, Ripemd160};
use thiserror::Error;

use crate::hash::keccak256;
use crate::keys::PublicKey;
use crate::network::Network;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddressError {
    #[error("address has {found} characters without dashes; NIS1 addresses have 40")]
    Length { found: usize },
    #[error(
        "address character '{character}' at position {position} is not in the Base32 alphabet (A-Z, 2-7)"
    )]
    InvalidCharacter { character: char, position: usize },
    #[error(
        "address checksum mismatch: expected {expected}, found {found} (a typo or a truncated address)"
    )]
    Checksum { expected: String, found: String },
    #[error(
        "address starts with network byte 0x{0:02x}, which is not mainnet (N), testnet (T) or mijin (M)"
    )]
    UnknownNetwork(u8),
    #[error("address {address} is a {found} address; this needs a {expected} address")]
    WrongNetwork {
        address: String,
        expected: Network,
        found: Network,
    },
}

/// A validated NIS1 address, stored as its 40 upper-case Base32 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    encoded: [u8; 40],
    network: Network,
}

impl Address {
    pub fn from_public_key(key: &PublicKey, network: Network) -> Address {
        let ripemd: [u8; 20] = Ripemd160::digest(keccak256(key.as_bytes())).into();
        let mut raw = [0u8; 25];
        raw[0] = network.byte();
        raw[1..21].copy_from_slice(&ripemd);
        let checksum = keccak256(&raw[..21]);
        raw[21..].copy_from_slice(&checksum[..4]);
        let mut encoded = [0u8; 40];
        BASE32_NOPAD.encode_mut(&raw, &mut encoded);
        Address { encoded, network }
    }

    /// Parses a dashed or undashed address in any case and checks alphabet, checksum and
    /// network byte.
    pub fn parse(text: &str) -> Result<Address, AddressError> {
        let cleaned: String = text.trim().chars().filter(|c| *c != '-').collect();
        let upper = cleaned.to_ascii_uppercase();
        Self::from_canonical(upper.as_bytes())
    }

    /// Parses and requires the given network.
    pub fn parse_for(text: &str, network: Network) -> Result<Address, AddressError> {
        let address = Self::parse(text)?;
        address.require_network(network)?;
        Ok(address)
    }

    /// Validates exactly the 40 upper-case characters NIS puts in transactions.
    pub fn from_canonical(bytes: &[u8]) -> Result<Address, AddressError> {
        if bytes.len() != 40 {
            return Err(AddressError::Length { found: bytes.len() });
        }
        if let Some(position) = bytes
            .iter()
            .position(|b| !matches!(b, b'A'..=b'Z' | b'2'..=b'7'))
        {
            let character = char::from(bytes[position]);
            return Err(AddressError::InvalidCharacter {
                character,
                position,
            });
        }
        let mut raw = [0u8; 25];
        BASE32_NOPAD
            .decode_mut(bytes, &mut raw)
            .map_err(|e| AddressError::InvalidCharacter {
                character: char::from(bytes[e.error.position.min(39)]),
                position: e.error.position,
            })?;
        let expected = &keccak256(&raw[..21])[..4];
        if expected != &raw[21..] {
            return Err(AddressError::Checksum {
                expected: hex::encode(expected),
                found: hex::encode(&raw[21..]),
            });
        }
        let network = Network::from_byte(raw[0]).ok_or(AddressError::UnknownNetwork(raw[0]))?;
        let mut encoded = [0u8; 40];
        encoded.copy_from_slice(bytes);
        Ok(Address { encoded, network })
    }

    pub fn require_network(&self, expected: Network) -> Result<(), AddressError> {
        if self.network == expected {
            Ok(())
        } else {
            Err(AddressError::WrongNetwork {
                address: self.to_string(),
                expected,
                found: self.network,
            })
        }
    }

    pub fn network(&self) -> Network {
        self.network
    }

    /// The 40 ASCII bytes written into transactions.
    pub fn as_bytes(&self) -> &[u8; 40] {
        &self.encoded
    }

    pub fn as_str(&self) -> &str {
        // Only Base32 ASCII bytes are ever stored.
        std::str::from_utf8(&self.encoded).unwrap_or_default()
    }

    /// The dashed form wallets show: groups of six.
    pub fn pretty(&self) -> String {
        self.as_str()
            .as_bytes()
            .chunks(6)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("-")
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.as_str())
    }
}

impl FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Address::parse(s)
    }
}

crate::hexfmt::serde_via_str!(Address);

#[cfg(test)]
mod tests {
    use super::*;

    const PUB0: &str = "C5F54BA980FCBB657DBAAA42700539B207873E134D2375EFEAB5F1AB52F87844";

    #[test]
    fn derives_worked_example() {
        let key: PublicKey = PUB0.parse().unwrap();
        let address = Address::from_public_key(&key, Network::Testnet);
        assert_eq!(address.as_str(), "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2");
        assert_eq!(
            address.pretty(),
            "TDD2CT-6LQLIY-Q56KIX-I3ENTM-6EK3D4-4P5KZP-FMK2"
        );
        assert_eq!(
            Address::from_public_key(&key, Network::Mainnet).as_str(),
            "NDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5JFXJ4R4"
        );
    }

    #[test]
    fn parses_dashed_lower_case() {
        let a = Address::parse("tdd2ct-6lqliy-q56kix-i3entm-6ek3d4-4p5kzp-fmk2").unwrap();
        assert_eq!(a.as_str(), "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2");
        assert_eq!(a.network(), Network::Testnet);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(matches!(
            Address::parse("TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK3"),
            Err(AddressError::Checksum { .. })
        ));
        assert_eq!(
            Address::parse("TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK"),
            Err(AddressError::Length { found: 39 })
        );
        assert_eq!(
            Address::parse("TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK1"),
            Err(AddressError::InvalidCharacter {
                character: '1',
                position: 39
            })
        );
        assert!(matches!(
            Address::parse_for("NDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5JFXJ4R4", Network::Testnet),
            Err(AddressError::WrongNetwork { .. })
        ));
        // Canonical form inside transactions is upper case only.
        assert!(Address::from_canonical(b"tdd2ct6lqliyq56kixi3entm6ek3d44p5kzpfmk2").is_err());
    }
}
