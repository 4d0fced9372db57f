//! NIS1 networks and their version bytes.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Network {
    Mainnet,
    Testnet,
    Mijin,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown network '{0}': expected mainnet, testnet or mijin")]
pub struct UnknownNetwork(pub String);

impl Network {
    pub const ALL: [Network; 3] = [Network::Mainnet, Network::Testnet, Network::Mijin];

    /// The byte that starts addresses and the top byte of transaction versions.
    pub fn byte(self) -> u8 {
        match self {
            Network::Mainnet => 0x68,
            Network::Testnet => 0x98,
            Network::Mijin => 0x60,
        }
    }

    pub fn from_byte(byte: u8) -> Option<Network> {
        Network::ALL.into_iter().find(|n| n.byte() == byte)
    }

    /// The first character of this network's addresses.
    pub fn address_prefix(self) -> char {
        match self {
            Network::Mainnet => 'N',
            Network::Testnet => 'T',
            Network::Mijin => 'M',
        }
    }

    /// `networkId` as NIS reports it in `/node/info` (a signed byte).
    pub fn node_id(self) -> i32 {
        i32::from(self.byte() as i8)
    }

    pub fn from_node_id(id: i64) -> Option<Network> {
        Network::ALL
            .into_iter()
            .find(|n| i64::from(n.node_id()) == id)
    }

    pub fn name(self) -> &'static str {
        match self {
            Network::Mainnet => "mainnet",
            Network::Testnet => "testnet",
            Network::Mijin => "mijin",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Network {
    type Err = UnknownNetwork;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Network::ALL
            .into_iter()
            .find(|n| n.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownNetwork(s.to_string()))
    }
}

crate::hexfmt::serde_via_str!(Network);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_match_nis() {
        assert_eq!(Network::Mainnet.node_id(), 104);
        assert_eq!(Network::Testnet.node_id(), -104);
        assert_eq!(Network::Mijin.node_id(), 96);
        assert_eq!(Network::from_node_id(-104), Some(Network::Testnet));
        assert_eq!("TESTNET".parse::<Network>(), Ok(Network::Testnet));
        assert!("devnet".parse::<Network>().is_err());
    }
}
