//! What is wrong with a transaction in NIS's JSON form: the field, and why.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("NIS JSON {field}: {reason}")]
pub struct NisJsonError {
    pub field: String,
    pub reason: String,
}

pub(crate) fn err(field: &str, reason: impl Into<String>) -> NisJsonError {
    NisJsonError {
        field: field.to_string(),
        reason: reason.into(),
    }
}
