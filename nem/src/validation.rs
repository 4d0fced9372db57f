//! NIS validation results (nem.core `ValidationResult`): the `code` and `message` of an
//! announce answer.

macro_rules! results {
    ($($name:ident = $code:expr),* $(,)?) => {
        /// A NIS validation result. `code()` and `name()` are exactly what NIS sends.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        pub enum ValidationResult { $($name),* }

        impl ValidationResult {
            pub const ALL: &'static [ValidationResult] = &[$(ValidationResult::$name),*];

            pub fn code(self) -> i32 {
                match self { $(ValidationResult::$name => $code),* }
            }

            pub fn name(self) -> &'static str {
                match self { $(ValidationResult::$name => stringify!($name)),* }
            }
        }
    };
}

results! {
    NEUTRAL = 0,
    SUCCESS = 1,
    FAILURE_UNKNOWN = 2,
    FAILURE_PAST_DEADLINE = 3,
    FAILURE_FUTURE_DEADLINE = 4,
    FAILURE_INSUFFICIENT_BALANCE = 5,
    FAILURE_MESSAGE_TOO_LARGE = 6,
    FAILURE_HASH_EXISTS = 7,
    FAILURE_SIGNATURE_NOT_VERIFIABLE = 8,
    FAILURE_TIMESTAMP_TOO_FAR_IN_PAST = 9,
    FAILURE_TIMESTAMP_TOO_FAR_IN_FUTURE = 10,
    FAILURE_INELIGIBLE_BLOCK_SIGNER = 11,
    FAILURE_ENTITY_UNUSABLE_OUT_OF_SYNC = 12,
    FAILURE_CHAIN_SCORE_INFERIOR = 13,
    FAILURE_CHAIN_INVALID = 14,
    FAILURE_TOO_MANY_TRANSACTIONS = 15,
    FAILURE_SELF_SIGNED_TRANSACTION = 16,
    FAILURE_INSUFFICIENT_FEE = 17,
    FAILURE_NEMESIS_ACCOUNT_TRANSACTION_AFTER_NEMESIS_BLOCK = 18,
    FAILURE_TRANSACTION_CACHE_TOO_FULL = 19,
    FAILURE_WRONG_NETWORK = 20,
    FAILURE_CANNOT_HARVEST_FROM_BLOCKED_ACCOUNT = 21,
    FAILURE_ENTITY_INVALID_VERSION = 22,
    FAILURE_MULTISIG_V2_AGGREGATE_MODIFICATION_BEFORE_FORK = 41,
    FAILURE_TRANSACTION_BEFORE_SECOND_FORK = 42,
    FAILURE_DESTINATION_ACCOUNT_IN_USE = 62,
    FAILURE_IMPORTANCE_TRANSFER_IN_PROGRESS = 63,
    FAILURE_IMPORTANCE_TRANSFER_NEEDS_TO_BE_DEACTIVATED = 64,
    FAILURE_IMPORTANCE_TRANSFER_IS_NOT_ACTIVE = 65,
    FAILURE_TRANSACTION_NOT_ALLOWED_FOR_REMOTE = 66,
    FAILURE_MULTISIG_NOT_A_COSIGNER = 71,
    FAILURE_MULTISIG_INVALID_COSIGNERS = 72,
    FAILURE_MULTISIG_NO_MATCHING_MULTISIG = 73,
    FAILURE_TRANSACTION_NOT_ALLOWED_FOR_MULTISIG = 74,
    FAILURE_MULTISIG_ALREADY_A_COSIGNER = 75,
    FAILURE_MULTISIG_MISMATCHED_SIGNATURE = 76,
    FAILURE_MULTISIG_MODIFICATION_MULTIPLE_DELETES = 77,
    FAILURE_MULTISIG_MODIFICATION_REDUNDANT_MODIFICATIONS = 78,
    FAILURE_CONFLICTING_MULTISIG_MODIFICATION = 79,
    FAILURE_TOO_MANY_MULTISIG_COSIGNERS = 80,
    FAILURE_MULTISIG_ACCOUNT_CANNOT_BE_COSIGNER = 81,
    FAILURE_MULTISIG_MIN_COSIGNATORIES_OUT_OF_RANGE = 82,
    FAILURE_MAX_CHAIN_SIZE_EXCEEDED = 101,
    FAILURE_BLOCK_UNEXPECTED_HEIGHT = 102,
    FAILURE_BLOCK_UNVERIFIABLE = 103,
    FAILURE_BLOCK_NOT_HIT = 104,
    FAILURE_TRANSACTION_UNVERIFIABLE = 105,
    FAILURE_TRANSACTION_DUPLICATE_IN_CHAIN = 106,
    FAILURE_NAMESPACE_UNKNOWN = 121,
    FAILURE_NAMESPACE_ALREADY_EXISTS = 122,
    FAILURE_NAMESPACE_EXPIRED = 123,
    FAILURE_NAMESPACE_OWNER_CONFLICT = 124,
    FAILURE_NAMESPACE_INVALID_NAME = 125,
    FAILURE_NAMESPACE_INVALID_RENTAL_FEE_SINK = 126,
    FAILURE_NAMESPACE_INVALID_RENTAL_FEE = 127,
    FAILURE_NAMESPACE_PROVISION_TOO_EARLY = 128,
    FAILURE_NAMESPACE_NOT_CLAIMABLE = 129,
    FAILURE_MOSAIC_UNKNOWN = 141,
    FAILURE_MOSAIC_MODIFICATION_NOT_ALLOWED = 142,
    FAILURE_MOSAIC_CREATOR_CONFLICT = 143,
    FAILURE_MOSAIC_SUPPLY_IMMUTABLE = 144,
    FAILURE_MOSAIC_MAX_SUPPLY_EXCEEDED = 145,
    FAILURE_MOSAIC_SUPPLY_NEGATIVE = 146,
    FAILURE_MOSAIC_NOT_TRANSFERABLE = 147,
    FAILURE_MOSAIC_DIVISIBILITY_VIOLATED = 148,
    FAILURE_CONFLICTING_MOSAIC_CREATION = 149,
    FAILURE_MOSAIC_INVALID_CREATION_FEE_SINK = 150,
    FAILURE_MOSAIC_INVALID_CREATION_FEE = 151,
    FAILURE_TOO_MANY_MOSAIC_TRANSFERS = 152,
    FAILURE_MOSAIC_LEVY_NOT_TRANSFERABLE = 153,
    FAILURE_MOSAIC_LEVY_UNKNOWN = 154,
}

impl ValidationResult {
    pub fn from_code(code: i64) -> Option<ValidationResult> {
        Self::ALL
            .iter()
            .copied()
            .find(|r| i64::from(r.code()) == code)
    }

    pub fn from_name(name: &str) -> Option<ValidationResult> {
        Self::ALL.iter().copied().find(|r| r.name() == name)
    }

    pub fn is_failure(self) -> bool {
        !matches!(self, ValidationResult::SUCCESS | ValidationResult::NEUTRAL)
    }
}

impl std::fmt::Display for ValidationResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in ValidationResult::ALL {
            assert!(seen.insert(r.code()), "duplicate code {}", r.code());
            assert_eq!(ValidationResult::from_code(i64::from(r.code())), Some(*r));
            assert_eq!(ValidationResult::from_name(r.name()), Some(*r));
        }
        assert_eq!(
            ValidationResult::FAILURE_MULTISIG_NO_MATCHING_MULTISIG.code(),
            73
        );
        assert_eq!(
            ValidationResult::FAILURE_TOO_MANY_MOSAIC_TRANSFERS.code(),
            152
        );
    }
}
