//! The NIS1 transaction model.

use crate::address::Address;
use crate::amount::Amount;
use crate::hash::Hash256;
use crate::keys::PublicKey;
use crate::network::Network;
use crate::time::NemTimestamp;

pub use super::names::MosaicId;
pub use super::other_types::{
    ImportanceMode, ImportanceTransfer, LevyKind, MosaicDefinition, MosaicDefinitionCreation,
    MosaicLevy, MosaicProperties, MosaicSupplyChange, ProvisionNamespace, SupplyKind,
};

/// Every NIS1 transaction type; each has a decoded body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionType {
    Transfer,
    ImportanceTransfer,
    MultisigModification,
    MultisigSignature,
    Multisig,
    ProvisionNamespace,
    MosaicDefinition,
    MosaicSupplyChange,
}

impl TransactionType {
    pub const ALL: [TransactionType; 8] = [
        TransactionType::Transfer,
        TransactionType::ImportanceTransfer,
        TransactionType::MultisigModification,
        TransactionType::MultisigSignature,
        TransactionType::Multisig,
        TransactionType::ProvisionNamespace,
        TransactionType::MosaicDefinition,
        TransactionType::MosaicSupplyChange,
    ];

    pub fn code(self) -> u32 {
        match self {
            TransactionType::Transfer => 0x0101,
            TransactionType::ImportanceTransfer => 0x0801,
            TransactionType::MultisigModification => 0x1001,
            TransactionType::MultisigSignature => 0x1002,
            TransactionType::Multisig => 0x1004,
            TransactionType::ProvisionNamespace => 0x2001,
            TransactionType::MosaicDefinition => 0x4001,
            TransactionType::MosaicSupplyChange => 0x4002,
        }
    }

    pub fn from_code(code: u32) -> Option<TransactionType> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn name(self) -> &'static str {
        match self {
            TransactionType::Transfer => "transfer",
            TransactionType::ImportanceTransfer => "importance_transfer",
            TransactionType::MultisigModification => "multisig_aggregate_modification",
            TransactionType::MultisigSignature => "multisig_signature",
            TransactionType::Multisig => "multisig",
            TransactionType::ProvisionNamespace => "provision_namespace",
            TransactionType::MosaicDefinition => "mosaic_definition_creation",
            TransactionType::MosaicSupplyChange => "mosaic_supply_change",
        }
    }

    pub fn from_name(name: &str) -> Option<TransactionType> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn valid_versions(self) -> &'static [u8] {
        match self {
            TransactionType::Transfer | TransactionType::MultisigModification => &[1, 2],
            _ => &[1],
        }
    }

    pub fn valid_versions_text(self) -> &'static str {
        match self.valid_versions() {
            [1, 2] => "1 or 2",
            _ => "1",
        }
    }

    /// Types NIS lets a multisig wrapper carry.
    pub fn is_embeddable(self) -> bool {
        !matches!(
            self,
            TransactionType::Multisig | TransactionType::MultisigSignature
        )
    }
}

/// The 60-byte header common to every transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub network: Network,
    /// The entity version (1 or 2): the low bytes of the version field.
    pub version: u8,
    pub timestamp: NemTimestamp,
    pub signer: PublicKey,
    pub fee: Amount,
    pub deadline: NemTimestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub header: Header,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Transfer(Transfer),
    /// 0x1004: the inner transaction, signed by nobody; its signer is the multisig account.
    Multisig(Box<Transaction>),
    MultisigSignature(MultisigSignature),
    MultisigModification(AggregateModification),
    ImportanceTransfer(ImportanceTransfer),
    ProvisionNamespace(ProvisionNamespace),
    MosaicDefinition(MosaicDefinitionCreation),
    MosaicSupplyChange(MosaicSupplyChange),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub recipient: Address,
    /// Micro-XEM; in a v2 transfer with mosaics, a multiplier (1,000,000 = ×1).
    pub amount: Amount,
    pub message: Option<Message>,
    /// v2 only; must be in NIS's canonical order (see [`crate::tx::canonical_mosaics`]).
    pub mosaics: Vec<Mosaic>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Plain,
    Encrypted,
}

impl MessageType {
    pub fn code(self) -> u32 {
        match self {
            MessageType::Plain => 1,
            MessageType::Encrypted => 2,
        }
    }

    pub fn from_code(code: u32) -> Option<MessageType> {
        match code {
            1 => Some(MessageType::Plain),
            2 => Some(MessageType::Encrypted),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MessageType::Plain => "plain",
            MessageType::Encrypted => "encrypted",
        }
    }
}

/// A non-empty message (NIS turns an empty one into no message at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: MessageType,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mosaic {
    pub id: MosaicId,
    /// Smallest units, at most `i64::MAX`.
    pub quantity: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultisigSignature {
    /// Keccak-256 of the inner transaction's bytes (not the wrapper's hash).
    pub other_hash: Hash256,
    /// The multisig account.
    pub other_account: Address,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ModificationType {
    Add,
    Delete,
}

impl ModificationType {
    pub fn code(self) -> u32 {
        match self {
            ModificationType::Add => 1,
            ModificationType::Delete => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ModificationType::Add => "add",
            ModificationType::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatoryModification {
    pub kind: ModificationType,
    pub cosignatory: PublicKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateModification {
    /// In NIS's order: by type, then by cosignatory address.
    pub modifications: Vec<CosignatoryModification>,
    /// v2 only: `None` writes an empty minCosignatories object; `Some(change)` a relative change.
    pub min_cosignatories_change: Option<i32>,
}

impl Transaction {
    pub fn kind(&self) -> TransactionType {
        match &self.body {
            Body::Transfer(_) => TransactionType::Transfer,
            Body::Multisig(_) => TransactionType::Multisig,
            Body::MultisigSignature(_) => TransactionType::MultisigSignature,
            Body::MultisigModification(_) => TransactionType::MultisigModification,
            Body::ImportanceTransfer(_) => TransactionType::ImportanceTransfer,
            Body::ProvisionNamespace(_) => TransactionType::ProvisionNamespace,
            Body::MosaicDefinition(_) => TransactionType::MosaicDefinition,
            Body::MosaicSupplyChange(_) => TransactionType::MosaicSupplyChange,
        }
    }

    pub fn signer_address(&self) -> Address {
        Address::from_public_key(&self.header.signer, self.header.network)
    }

    pub fn inner(&self) -> Option<&Transaction> {
        match &self.body {
            Body::Multisig(inner) => Some(inner),
            _ => None,
        }
    }

    pub fn transfer(&self) -> Option<&Transfer> {
        match &self.body {
            Body::Transfer(t) => Some(t),
            _ => None,
        }
    }
}
