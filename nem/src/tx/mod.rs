//! NIS1 transactions: model, strict decoder, canonical encoder, hashes and signing.

pub(crate) mod canonical;
mod codec;
mod decode;
mod decode_other;
mod encode;
mod model;
mod names;
pub mod other_types;

pub use canonical::{canonical_mosaics, check_transfer, sort_modifications};
pub use codec::{DecodeError, DecodeErrorKind};
pub use decode::{inner_bytes, inner_hash_of_wrapper};
pub use decode_other::{
    MAX_QUANTITY, check_definition, check_description, check_properties, check_provision,
    check_supply, property_texts,
};
pub use encode::EncodeError;
pub use model::*;
pub use names::{validate_mosaic_id, validate_mosaic_name, validate_namespace};

use crate::hash::Hash256;
use crate::keys::{self, KeyPair, Signature, SignatureError};

impl Transaction {
    /// Strictly decodes the non-verifiable form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Transaction, DecodeError> {
        decode::decode(bytes)
    }

    /// Encodes to the non-verifiable form, refusing anything NIS would re-serialize differently.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        encode::encode(self)
    }

    /// Keccak-256 of the encoded bytes: the transaction hash NIS reports.
    pub fn hash(&self) -> Result<Hash256, EncodeError> {
        self.to_bytes().map(|b| Hash256::of(&b))
    }

    /// For a multisig wrapper, the hash of its inner transaction (what cosignatures sign for).
    pub fn inner_hash(&self) -> Result<Option<Hash256>, EncodeError> {
        self.inner().map(|i| i.hash()).transpose()
    }

    /// Encodes and signs. The key pair must be the header's signer.
    pub fn sign(&self, key: &KeyPair) -> Result<SignedTransaction, EncodeError> {
        if key.public_key() != self.header.signer {
            return Err(EncodeError {
                kind: self.kind().name(),
                reason: format!(
                    "signing key {} is not the signer {}",
                    key.public_key(),
                    self.header.signer
                ),
            });
        }
        let data = self.to_bytes()?;
        let signature = key.sign(&data);
        Ok(SignedTransaction { data, signature })
    }
}

/// The announce form: the non-verifiable bytes and the signer's signature over them.
/// Serialized as NIS's announce body: `{"data": hex, "signature": hex}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedTransaction {
    #[serde(with = "hex_bytes")]
    pub data: Vec<u8>,
    pub signature: Signature,
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        crate::hexfmt::decode(&text).map_err(serde::de::Error::custom)
    }
}

impl SignedTransaction {
    pub fn hash(&self) -> Hash256 {
        Hash256::of(&self.data)
    }

    /// Decodes the data, checks that it re-encodes to the same bytes, and verifies the
    /// signature against the header's signer: the checks NIS makes on announce.
    pub fn verify(&self) -> Result<Transaction, VerifyError> {
        let tx = Transaction::from_bytes(&self.data).map_err(VerifyError::Decode)?;
        let again = tx.to_bytes().map_err(VerifyError::Encode)?;
        if again != self.data {
            return Err(VerifyError::NotCanonical);
        }
        keys::verify(&tx.header.signer, &self.data, &self.signature)
            .map_err(VerifyError::Signature)?;
        Ok(tx)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot decode: {0}")]
    Decode(DecodeError),
    #[error("cannot re-encode: {0}")]
    Encode(EncodeError),
    #[error("bytes do not re-encode identically (not canonical)")]
    NotCanonical,
    #[error("signature: {0}")]
    Signature(SignatureError),
}
