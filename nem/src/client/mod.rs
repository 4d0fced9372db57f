//! Async client for the NIS1 REST API.
//!
//! Every request goes through [`Endpoint`], a closed list of the paths Hanko needs. It has no
//! `/transaction/prepare-announce` (which takes a private key), so no code path can send one.

mod error;
mod types;

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::debug;

pub use error::NisError;
pub use types::*;

use crate::address::Address;
use crate::hash::Hash256;
use crate::time::NemTimestamp;
use crate::tx::SignedTransaction;
use crate::validation::ValidationResult;

/// The NIS endpoints Hanko calls. Adding one is a reviewed change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Heartbeat,
    Status,
    NodeInfo,
    ChainHeight,
    NetworkTime,
    AccountGet,
    UnconfirmedTransactions,
    TransfersOutgoing,
    TransfersIncoming,
    TransactionGet,
    BlockAt,
    Announce,
}

/// The largest answer read from a node: a page of 100 transactions or a full block of 120 is
/// well under it; a hostile node sending more is cut off, not buffered.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// Outgoing transfers asked for per page (NIS allows 5 to 100).
pub const PAGE_SIZE: usize = 100;

impl Endpoint {
    pub const ALL: [Endpoint; 12] = [
        Endpoint::Heartbeat,
        Endpoint::Status,
        Endpoint::NodeInfo,
        Endpoint::ChainHeight,
        Endpoint::NetworkTime,
        Endpoint::AccountGet,
        Endpoint::UnconfirmedTransactions,
        Endpoint::TransfersOutgoing,
        Endpoint::TransfersIncoming,
        Endpoint::TransactionGet,
        Endpoint::BlockAt,
        Endpoint::Announce,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Heartbeat => "/heartbeat",
            Endpoint::Status => "/status",
            Endpoint::NodeInfo => "/node/info",
            Endpoint::ChainHeight => "/chain/height",
            Endpoint::NetworkTime => "/time-sync/network-time",
            Endpoint::AccountGet => "/account/get",
            Endpoint::UnconfirmedTransactions => "/account/unconfirmedTransactions",
            Endpoint::TransfersOutgoing => "/account/transfers/outgoing",
            Endpoint::TransfersIncoming => "/account/transfers/incoming",
            Endpoint::TransactionGet => "/transaction/get",
            Endpoint::BlockAt => "/block/at/public",
            Endpoint::Announce => "/transaction/announce",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// e.g. `http://127.0.0.1:7890`
    pub base_url: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NisClient {
    http: reqwest::Client,
    base: String,
}

impl NisClient {
    pub fn new(config: ClientConfig) -> Result<Self, NisError> {
        let base = config.base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(NisError::Config(format!(
                "node URL '{base}' must start with http:// or https://"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("hanko/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NisError::Config(format!("cannot build HTTP client: {e}")))?;
        Ok(NisClient { http, base })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn get<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
    ) -> Result<T, NisError> {
        let url = format!("{}{}", self.base, endpoint.path());
        debug!(endpoint = endpoint.path(), "NIS GET");
        let response = self.http.get(&url).query(query).send().await;
        decode_response(endpoint, response).await
    }

    pub async fn heartbeat(&self) -> Result<NemRequestResult, NisError> {
        self.get(Endpoint::Heartbeat, &[]).await
    }

    pub async fn status(&self) -> Result<NemRequestResult, NisError> {
        self.get(Endpoint::Status, &[]).await
    }

    pub async fn node_info(&self) -> Result<NodeInfo, NisError> {
        self.get(Endpoint::NodeInfo, &[]).await
    }

    pub async fn chain_height(&self) -> Result<u64, NisError> {
        let h: ChainHeight = self.get(Endpoint::ChainHeight, &[]).await?;
        Ok(h.height)
    }

    /// Network time in milliseconds since the NEM epoch.
    pub async fn network_time_millis(&self) -> Result<u64, NisError> {
        let t: NetworkTime = self.get(Endpoint::NetworkTime, &[]).await?;
        Ok(t.send_time_stamp)
    }

    /// Network time as a transaction timestamp (whole seconds, rounded down).
    pub async fn network_time(&self) -> Result<NemTimestamp, NisError> {
        let ms = self.network_time_millis().await?;
        NemTimestamp::from_network_millis(ms).ok_or_else(|| NisError::Malformed {
            endpoint: Endpoint::NetworkTime.path(),
            reason: format!("network time {ms} ms is out of range"),
        })
    }

    pub async fn account(&self, address: &Address) -> Result<AccountMetaDataPair, NisError> {
        self.get(Endpoint::AccountGet, &[("address", address.to_string())])
            .await
    }

    pub async fn unconfirmed_transactions(
        &self,
        address: &Address,
    ) -> Result<Vec<UnconfirmedTransaction>, NisError> {
        let list: DataList<UnconfirmedTransaction> = self
            .get(
                Endpoint::UnconfirmedTransactions,
                &[("address", address.to_string())],
            )
            .await?;
        Ok(list.data)
    }

    /// Confirmed outgoing transactions, newest first, [`PAGE_SIZE`] a page; `before` pages back
    /// from that hash.
    pub async fn outgoing_transfers(
        &self,
        address: &Address,
        before: Option<&Hash256>,
    ) -> Result<Vec<TransactionMetaDataPair>, NisError> {
        let mut query = vec![
            ("address", address.to_string()),
            ("pageSize", PAGE_SIZE.to_string()),
        ];
        if let Some(hash) = before {
            query.push(("hash", hash.to_string()));
        }
        let list: DataList<TransactionMetaDataPair> =
            self.get(Endpoint::TransfersOutgoing, &query).await?;
        Ok(list.data)
    }

    pub async fn incoming_transfers(
        &self,
        address: &Address,
    ) -> Result<Vec<TransactionMetaDataPair>, NisError> {
        let list: DataList<TransactionMetaDataPair> = self
            .get(
                Endpoint::TransfersIncoming,
                &[("address", address.to_string())],
            )
            .await?;
        Ok(list.data)
    }

    /// A confirmed transaction by its (outer) hash; `NotFound` once it left the node's hash cache.
    pub async fn transaction(&self, hash: &Hash256) -> Result<TransactionMetaDataPair, NisError> {
        self.get(Endpoint::TransactionGet, &[("hash", hash.to_string())])
            .await
    }

    /// The block at `height`: when it was made (NIS's `/block/at/public`).
    pub async fn block_at(&self, height: u64) -> Result<BlockHeader, NisError> {
        let endpoint = Endpoint::BlockAt;
        debug!(endpoint = endpoint.path(), height, "NIS POST");
        let response = self
            .http
            .post(format!("{}{}", self.base, endpoint.path()))
            .json(&serde_json::json!({ "height": height }))
            .send()
            .await;
        let block: BlockHeader = decode_response(endpoint, response).await?;
        if block.height != height {
            return Err(NisError::Malformed {
                endpoint: endpoint.path(),
                reason: format!(
                    "asked for the block at {height}, got the one at {}",
                    block.height
                ),
            });
        }
        Ok(block)
    }

    /// Announces signed bytes. SUCCESS and NEUTRAL (already known) are `Ok`; any failure code is
    /// `NisError::Rejected` with NIS's result.
    pub async fn announce(&self, signed: &SignedTransaction) -> Result<Announced, NisError> {
        let endpoint = Endpoint::Announce;
        let body = serde_json::json!({
            "data": hex::encode(&signed.data),
            "signature": signed.signature.to_string(),
        });
        debug!(endpoint = endpoint.path(), hash = %signed.hash(), "NIS announce");
        let response = self
            .http
            .post(format!("{}{}", self.base, endpoint.path()))
            .json(&body)
            .send()
            .await;
        let result: NemAnnounceResult = decode_response(endpoint, response).await?;
        result.into_announced()
    }
}

async fn decode_response<T: DeserializeOwned>(
    endpoint: Endpoint,
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, NisError> {
    let path = endpoint.path();
    let mut response = response.map_err(|e| NisError::from_transport(path, &e))?;
    let status = response.status();
    let too_large = || NisError::Malformed {
        endpoint: path,
        reason: format!("the answer is larger than {MAX_ANSWER_BYTES} bytes"),
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| NisError::from_transport(path, &e))?
    {
        if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    decode_answer(path, status.as_u16(), &bytes)
}

/// A node's answer (HTTP status and body) as `T`, or the error it amounts to. Pure, so that
/// the fuzzer can feed it anything a hostile or broken node might send.
pub fn decode_answer<T: DeserializeOwned>(
    path: &'static str,
    status: u16,
    bytes: &[u8],
) -> Result<T, NisError> {
    if !(200..300).contains(&status) {
        return Err(NisError::from_error_body(path, status, bytes));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| NisError::Malformed {
        endpoint: path,
        reason: format!("answer is not JSON: {e}"),
    })?;
    serde_json::from_value(value).map_err(|e| NisError::Malformed {
        endpoint: path,
        reason: format!("unexpected answer shape: {e}"),
    })
}

impl NemAnnounceResult {
    /// SUCCESS and NEUTRAL are `Ok`; a failure code is `Rejected`; an unknown code `Malformed`.
    pub fn into_announced(self) -> Result<Announced, NisError> {
        let result = ValidationResult::from_code(self.code).ok_or_else(|| NisError::Malformed {
            endpoint: Endpoint::Announce.path(),
            reason: format!("unknown validation code {} ({})", self.code, self.message),
        })?;
        if result.is_failure() {
            return Err(NisError::Rejected {
                result,
                message: self.message,
            });
        }
        Ok(Announced {
            neutral: result == ValidationResult::NEUTRAL,
            transaction_hash: self.transaction_hash.and_then(|h| h.data),
            inner_transaction_hash: self.inner_transaction_hash.and_then(|h| h.data),
        })
    }
}
