//! The bodies of the embeddable types other than transfers and multisig modifications:
//! importance transfer, namespace provision, mosaic definition and supply change, with the
//! rental and creation fees they pay and the sinks those fees go to.
//!
//! Layouts are nem.core's (`ImportanceTransferTransaction`, `ProvisionNamespaceTransaction`,
//! `MosaicDefinitionCreationTransaction`, `MosaicSupplyChangeTransaction`); the canonical form is
//! what nem.core re-serializes, since NIS verifies the signature over that.

use serde::{Deserialize, Serialize};

use super::names::MosaicId;
use crate::address::Address;
use crate::amount::Amount;
use crate::keys::PublicKey;
use crate::network::Network;

/// The account that collects namespace rentals (nem.core `MosaicConstants.NAMESPACE_OWNER_NEM`).
pub const NAMESPACE_SINK_KEY: PublicKey = PublicKey(hex_key(
    b"3e82e1c1e4a75adaa3cba8c101c3cd31d9817a2eb966eb3b511fb2ed45b8e262",
));
/// The account that collects mosaic creation fees (`MosaicConstants.MOSAIC_CREATION_FEE_SINK`).
pub const MOSAIC_SINK_KEY: PublicKey = PublicKey(hex_key(
    b"53e140b5947f104cabc2d6fe8baedbc30ef9a0609c717d9613de593ec2a266d3",
));

/// Rentals NIS requires after its second fee fork (the least it accepts; more is allowed).
pub const ROOT_NAMESPACE_RENTAL: Amount = Amount::micro(100_000_000);
pub const SUB_NAMESPACE_RENTAL: Amount = Amount::micro(10_000_000);
pub const MOSAIC_CREATION_FEE: Amount = Amount::micro(10_000_000);

/// Longest mosaic description NIS accepts.
pub const MAX_DESCRIPTION_CHARS: usize = 512;

const fn hex_key(text: &[u8; 64]) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => 0,
        }
    }
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(text[2 * i]) << 4) | nibble(text[2 * i + 1]);
        i += 1;
    }
    out
}

pub fn namespace_sink(network: Network) -> Address {
    Address::from_public_key(&NAMESPACE_SINK_KEY, network)
}

pub fn mosaic_sink(network: Network) -> Address {
    Address::from_public_key(&MOSAIC_SINK_KEY, network)
}

/// 0x0801: links (or unlinks) a remote account that harvests with this account's importance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportanceTransfer {
    pub mode: ImportanceMode,
    pub remote: PublicKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportanceMode {
    Activate,
    Deactivate,
}

impl ImportanceMode {
    pub fn code(self) -> u32 {
        match self {
            ImportanceMode::Activate => 1,
            ImportanceMode::Deactivate => 2,
        }
    }

    pub fn from_code(code: u32) -> Option<ImportanceMode> {
        match code {
            1 => Some(ImportanceMode::Activate),
            2 => Some(ImportanceMode::Deactivate),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ImportanceMode::Activate => "activate",
            ImportanceMode::Deactivate => "deactivate",
        }
    }
}

/// 0x2001: rents a root namespace, or a sub-namespace under `parent`, paying `rental_fee` to
/// `sink`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionNamespace {
    pub sink: Address,
    pub rental_fee: Amount,
    pub new_part: String,
    #[serde(default)]
    pub parent: Option<String>,
}

impl ProvisionNamespace {
    /// The namespace this creates: `parent.new_part`, or `new_part` for a root.
    pub fn resulting(&self) -> String {
        match &self.parent {
            Some(p) => format!("{p}.{}", self.new_part),
            None => self.new_part.clone(),
        }
    }
}

/// 0x4001: defines (or redefines) a mosaic, paying `creation_fee` to `sink`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MosaicDefinitionCreation {
    pub definition: MosaicDefinition,
    pub sink: Address,
    pub creation_fee: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MosaicDefinition {
    /// Must be the transaction's signer.
    pub creator: PublicKey,
    pub id: MosaicId,
    pub description: String,
    pub properties: MosaicProperties,
    #[serde(default)]
    pub levy: Option<MosaicLevy>,
}

/// The four properties NIS knows, written by NIS in this order with these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MosaicProperties {
    pub divisibility: u8,
    /// Whole units.
    pub initial_supply: u64,
    pub supply_mutable: bool,
    pub transferable: bool,
}

/// A fee every later transfer of the mosaic pays to `recipient`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MosaicLevy {
    #[serde(rename = "type")]
    pub kind: LevyKind,
    pub recipient: Address,
    pub mosaic: MosaicId,
    /// Smallest units of `mosaic` (absolute), or parts of 10,000 of the amount (percentile).
    pub fee: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevyKind {
    Absolute,
    Percentile,
}

impl LevyKind {
    pub fn code(self) -> u32 {
        match self {
            LevyKind::Absolute => 1,
            LevyKind::Percentile => 2,
        }
    }

    pub fn from_code(code: u32) -> Option<LevyKind> {
        match code {
            1 => Some(LevyKind::Absolute),
            2 => Some(LevyKind::Percentile),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LevyKind::Absolute => "absolute",
            LevyKind::Percentile => "percentile",
        }
    }
}

/// 0x4002: creates or destroys whole units of a mosaic the account defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MosaicSupplyChange {
    pub mosaic: MosaicId,
    #[serde(rename = "type")]
    pub kind: SupplyKind,
    /// Whole units, 1 to 9,000,000,000,000,000.
    pub delta: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyKind {
    Create,
    Delete,
}

impl SupplyKind {
    pub fn code(self) -> u32 {
        match self {
            SupplyKind::Create => 1,
            SupplyKind::Delete => 2,
        }
    }

    pub fn from_code(code: u32) -> Option<SupplyKind> {
        match code {
            1 => Some(SupplyKind::Create),
            2 => Some(SupplyKind::Delete),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SupplyKind::Create => "create",
            SupplyKind::Delete => "delete",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sinks are the addresses of nem.core's keys on each network.
    #[test]
    fn sinks_are_nems_rental_accounts() {
        assert_eq!(
            namespace_sink(Network::Mainnet).as_str(),
            "NAMESPACEWH4MKFMBCVFERDPOOP4FK7MTBXDPZZA"
        );
        assert_eq!(
            mosaic_sink(Network::Mainnet).as_str(),
            "NBMOSAICOD4F54EE5CDMR23CCBGOAM2XSIUX6TRS"
        );
        assert_eq!(
            namespace_sink(Network::Testnet).as_str(),
            "TAMESPACEWH4MKFMBCVFERDPOOP4FK7MTDJEYP35"
        );
        assert_eq!(
            mosaic_sink(Network::Testnet).as_str(),
            "TBMOSAICOD4F54EE5CDMR23CCBGOAM2XSJBR5OLC"
        );
    }
}
