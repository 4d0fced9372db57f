//! NIS JSON answers, with NIS's field names.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::hash::Hash256;
use crate::keys::PublicKey;
use crate::network::Network;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NemRequestResult {
    pub code: i64,
    #[serde(rename = "type")]
    pub kind: i64,
    pub message: String,
}

/// The parts of a NIS block Hanko reads: its height and when it was made.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockHeader {
    pub height: u64,
    pub time_stamp: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainHeight {
    pub height: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkTime {
    pub send_time_stamp: u64,
    pub receive_time_stamp: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    pub meta_data: NodeMetaData,
    pub endpoint: NodeEndpoint,
    pub identity: NodeIdentity,
}

impl NodeInfo {
    pub fn network(&self) -> Option<Network> {
        Network::from_node_id(self.meta_data.network_id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeMetaData {
    #[serde(default)]
    pub features: i64,
    #[serde(default)]
    pub application: Option<String>,
    pub network_id: i64,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub platform: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeEndpoint {
    pub protocol: String,
    pub port: u16,
    pub host: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeIdentity {
    pub name: String,
    #[serde(rename = "public-key")]
    pub public_key: String,
}

/// `{"data": "<hex>"}`, or `{}` for null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HashData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Hash256>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NemAnnounceResult {
    #[serde(rename = "type")]
    pub kind: i64,
    pub code: i64,
    pub message: String,
    #[serde(default)]
    pub transaction_hash: Option<HashData>,
    #[serde(default)]
    pub inner_transaction_hash: Option<HashData>,
}

/// An announce NIS accepted (`SUCCESS`) or already knew (`NEUTRAL`).
#[derive(Debug, Clone, PartialEq)]
pub struct Announced {
    pub neutral: bool,
    pub transaction_hash: Option<Hash256>,
    pub inner_transaction_hash: Option<Hash256>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataList<T> {
    pub data: Vec<T>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountMetaDataPair {
    pub account: AccountInfo,
    pub meta: AccountMeta,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    pub address: String,
    pub balance: u64,
    #[serde(default)]
    pub vested_balance: u64,
    #[serde(default)]
    pub importance: f64,
    #[serde(default, deserialize_with = "optional_public_key")]
    pub public_key: Option<PublicKey>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub harvested_blocks: u64,
    #[serde(default, deserialize_with = "empty_object_as_none")]
    pub multisig_info: Option<MultisigInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MultisigInfo {
    pub cosignatories_count: u32,
    pub min_cosignatories: u32,
}

impl MultisigInfo {
    /// The number of signatures NIS requires: `min` if `0 < min < n`, else all `n`.
    pub fn required_signatures(&self) -> u32 {
        if self.min_cosignatories == 0 || self.min_cosignatories >= self.cosignatories_count {
            self.cosignatories_count
        } else {
            self.min_cosignatories
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountMeta {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub remote_status: String,
    #[serde(default)]
    pub cosignatory_of: Vec<AccountInfo>,
    #[serde(default)]
    pub cosignatories: Vec<AccountInfo>,
}

/// An unconfirmed transaction: `meta.data` is the inner hash of a multisig wrapper.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnconfirmedTransaction {
    pub meta: UnconfirmedMeta,
    pub transaction: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnconfirmedMeta {
    #[serde(default)]
    pub data: Option<Hash256>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransactionMetaDataPair {
    pub meta: TransactionMeta,
    pub transaction: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionMeta {
    pub height: u64,
    #[serde(default)]
    pub id: i64,
    pub hash: HashData,
    #[serde(default)]
    pub inner_hash: HashData,
}

fn optional_public_key<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PublicKey>, D::Error> {
    let value: Option<String> = Option::deserialize(d)?;
    match value {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => s.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

fn empty_object_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<MultisigInfo>, D::Error> {
    let value: Value = Value::deserialize(d)?;
    match &value {
        Value::Null => Ok(None),
        Value::Object(map) if map.is_empty() => Ok(None),
        _ => serde_json::from_value(value)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}
