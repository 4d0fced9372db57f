use thiserror::Error;

use crate::validation::ValidationResult;

/// What went wrong talking to NIS, and whether trying again can help.
#[derive(Debug, Clone, Error)]
pub enum NisError {
    #[error("client configuration: {0}")]
    Config(String),
    #[error("{endpoint}: timed out")]
    Timeout { endpoint: &'static str },
    #[error("{endpoint}: cannot reach the node: {reason}")]
    Unreachable {
        endpoint: &'static str,
        reason: String,
    },
    /// NIS's error object (`{timeStamp, error, message, status}`) or another HTTP error.
    #[error("{endpoint}: HTTP {status} {error}: {message}")]
    Http {
        endpoint: &'static str,
        status: u16,
        error: String,
        message: String,
    },
    #[error("{endpoint}: malformed answer: {reason}")]
    Malformed {
        endpoint: &'static str,
        reason: String,
    },
    /// The node validated the transaction and refused it.
    #[error("node refused the transaction: {result}: {message}")]
    Rejected {
        result: ValidationResult,
        message: String,
    },
}

impl NisError {
    pub(super) fn from_transport(endpoint: &'static str, e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            NisError::Timeout { endpoint }
        } else {
            NisError::Unreachable {
                endpoint,
                reason: e.to_string(),
            }
        }
    }

    pub(super) fn from_error_body(endpoint: &'static str, status: u16, body: &[u8]) -> Self {
        #[derive(serde::Deserialize)]
        struct ErrorResponse {
            #[serde(default)]
            error: String,
            #[serde(default)]
            message: String,
        }
        match serde_json::from_slice::<ErrorResponse>(body) {
            Ok(e) => NisError::Http {
                endpoint,
                status,
                error: e.error,
                message: e.message,
            },
            Err(_) => NisError::Http {
                endpoint,
                status,
                error: String::new(),
                message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            },
        }
    }

    /// Transport trouble, overload and server errors may pass; refusals and bad requests will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            NisError::Timeout { .. }
            | NisError::Unreachable { .. }
            | NisError::Malformed { .. } => true,
            NisError::Http { status, .. } => *status >= 500 || *status == 429,
            NisError::Rejected { result, .. } => matches!(
                result,
                ValidationResult::FAILURE_TRANSACTION_CACHE_TOO_FULL
                    | ValidationResult::FAILURE_ENTITY_UNUSABLE_OUT_OF_SYNC
            ),
            NisError::Config(_) => false,
        }
    }

    /// NIS answers a lookup of a hash outside its cache with HTTP 400 "Hash was not found in cache".
    pub fn is_not_found(&self) -> bool {
        matches!(self, NisError::Http { status: 400 | 404, message, .. } if message.contains("not found"))
    }
}
