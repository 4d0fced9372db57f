//! Domain errors → gRPC status codes, in this one place. A client can act on the code alone:
//! fix the request (InvalidArgument), wait or retry (Unavailable, ResourceExhausted), look at
//! the proposal (FailedPrecondition, AlreadyExists, NotFound), call an operator (DataLoss).

use tonic::{Code, Status};

use crate::driver::DriverError;
use crate::store::StoreError;

/// The one code each store error answers with.
fn store_code(e: &StoreError) -> Code {
    match e {
        StoreError::IdempotencyConflict { .. } | StoreError::SameBytes { .. } => {
            Code::AlreadyExists
        }
        // Damaged data: nothing a retry fixes.
        StoreError::Corrupt { .. }
        | StoreError::Journal(_)
        | StoreError::HistoryMissing { .. }
        | StoreError::Sled(sled::Error::Corruption { .. } | sled::Error::ReportableBug(_)) => {
            Code::DataLoss
        }
        // Storage that cannot take a write now, or a write that did not finish: try again.
        StoreError::Sled(_)
        | StoreError::Interrupted(_)
        | StoreError::Closed
        | StoreError::Database(_)
        | StoreError::Stale { .. } => Code::Unavailable,
        // Another coordinator leads: a client tries it (its address rides along).
        StoreError::NotLeader { .. } => Code::Unavailable,
    }
}

/// The one code each domain error answers with.
pub fn code(e: &DriverError) -> Code {
    match e {
        DriverError::Store(s) => store_code(s),
        DriverError::Transition(_)
        | DriverError::Frozen
        | DriverError::AccountMismatch(_)
        | DriverError::Unconfigured(_)
        | DriverError::Stale(_) => Code::FailedPrecondition,
        DriverError::NotFound(_) | DriverError::NoDraft(_) => Code::NotFound,
        DriverError::Exists(_) => Code::AlreadyExists,
        DriverError::Dropped | DriverError::Node(_) => Code::Unavailable,
        DriverError::Invalid { .. } | DriverError::Field(_) | DriverError::Unusable(_) => {
            Code::InvalidArgument
        }
        DriverError::TooLarge { .. }
        | DriverError::TooManyPending { .. }
        | DriverError::Crowded { .. } => Code::ResourceExhausted,
        DriverError::Forged(_) => Code::PermissionDenied,
        DriverError::Random(_) => Code::Internal,
    }
}

/// The status a domain error answers with: its code and its text, which names the field or
/// the state and what to do.
pub fn of(e: DriverError) -> Status {
    let mut status = Status::new(code(&e), e.to_string());
    if let DriverError::Store(StoreError::NotLeader {
        leader: Some(address),
    }) = &e
        && let Ok(value) = address.parse()
    {
        status.metadata_mut().insert(LEADER, value);
    }
    status
}

/// The metadata key that names the leading coordinator's address when another one answers.
pub const LEADER: &str = "hanko-leader";

/// A request field of the wrong shape, before any domain operation runs.
pub fn invalid(field: &str, problem: impl std::fmt::Display) -> Status {
    Status::invalid_argument(format!("{field}: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Storage that fails now is worth a retry; damaged data is not, and says so.
    #[test]
    fn storage_failures_are_unavailable_and_damage_is_data_loss() {
        let damaged = DriverError::Store(StoreError::Corrupt {
            key: "p-1".into(),
            reason: "truncated".into(),
        });
        assert_eq!(code(&damaged), Code::DataLoss);
        assert_eq!(
            code(&DriverError::Store(StoreError::Closed)),
            Code::Unavailable
        );
        assert_eq!(code(&DriverError::Dropped), Code::Unavailable);
        let status = of(DriverError::NotFound("p-9".into()));
        assert_eq!(
            (status.code(), status.message()),
            (Code::NotFound, "no proposal p-9")
        );
    }
}
