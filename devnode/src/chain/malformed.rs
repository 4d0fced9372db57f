//! What NIS answers for announce data that Hanko's strict decoder refuses.
//!
//! Hanko's decoder refuses every form NIS would not re-serialize to the same bytes. NIS itself
//! deserializes more leniently and answers by what went wrong (nis `TransactionController`,
//! `ExceptionControllerAdvice`, nem.core `BinaryDeserializer`):
//!
//! - bytes it reads but writes back differently (unsorted or repeated mosaics or modifications,
//!   an empty message envelope, a lower-case address, trailing bytes, a nested object longer
//!   than its content, a version 1 transfer with mosaic bytes, a missing optional last field):
//!   it verifies the signature against its own re-serialization: HTTP 200, code 8;
//! - an entity version the type does not have: read like the highest, then HTTP 200, code 22
//!   (code 8 first if the signature does not verify);
//! - a network byte that is not the node's, known or not: HTTP 200, code 20;
//! - an address it cannot use (wrong length, bad checksum, another network) at the top level:
//!   HTTP 404 (`MissingResourceException`);
//! - a top-level unknown type, signer key length or negative amount, fee or time: HTTP 400
//!   (`IllegalArgumentException`);
//! - anything else, and anything at all wrong inside a nested object (the inner transaction,
//!   the message, a mosaic, a modification), which nem.core wraps in a
//!   `SerializationException`: HTTP 500.

use nem::Network;
use nem::tx::{DecodeError, DecodeErrorKind as K};
use nem::validation::ValidationResult as V;

/// NIS's answer to announce data it reads differently from Hanko.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NisAnswer {
    /// HTTP 200 with this validation result.
    Code(V),
    /// An HTTP error status with NIS's error object.
    Status(u16),
}

/// Where a wrapper's inner transaction starts: everything from here is a nested object.
const INNER_AT: usize = 64;

/// NIS's answer for `data` that Hanko's decoder refused with `err` on a node of `network`.
pub fn answer(err: &DecodeError, data: &[u8], network: Network) -> NisAnswer {
    let wrapper = data.get(..4) == Some(&0x1004u32.to_le_bytes()[..]);
    let nested = wrapper && err.offset >= INNER_AT;
    let u32_at = |at: usize| {
        data.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let at_end = err.offset == data.len();
    match &err.kind {
        K::NonCanonical(_) | K::TrailingBytes(_) => {
            NisAnswer::Code(V::FAILURE_SIGNATURE_NOT_VERIFIABLE)
        }
        K::InvalidVersion { .. } => NisAnswer::Code(V::FAILURE_ENTITY_INVALID_VERSION),
        K::UnknownNetwork(_) => NisAnswer::Code(V::FAILURE_WRONG_NETWORK),
        // An optional last field that is absent: NIS reads none and writes one back.
        K::Truncated { .. }
            if at_end && matches!(err.field, "message length" | "minCosignatories length") =>
        {
            NisAnswer::Code(V::FAILURE_SIGNATURE_NOT_VERIFIABLE)
        }
        K::BadLength { expected, found } if expected.ends_with("(the size of its content)") => {
            // A nested object declared longer than its content: NIS ignores the rest.
            let used: u32 = expected
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(u32::MAX);
            if *found > used {
                NisAnswer::Code(V::FAILURE_SIGNATURE_NOT_VERIFIABLE)
            } else {
                NisAnswer::Status(500)
            }
        }
        K::BadLength { found, .. } if err.field == "minCosignatories length" && *found > 4 => {
            NisAnswer::Code(V::FAILURE_SIGNATURE_NOT_VERIFIABLE)
        }
        K::Address(_) => {
            // Upper-cased, a valid address of the node: NIS writes it back in upper case.
            let text = data
                .get(err.offset..err.offset + 40)
                .map(|b| String::from_utf8_lossy(b).to_ascii_uppercase());
            match text.and_then(|t| nem::Address::parse_for(&t, network).ok()) {
                Some(_) => NisAnswer::Code(V::FAILURE_SIGNATURE_NOT_VERIFIABLE),
                None if nested => NisAnswer::Status(500),
                None => NisAnswer::Status(404),
            }
        }
        _ if nested => NisAnswer::Status(500),
        K::UnknownType(_) => NisAnswer::Status(400),
        K::BadLength { .. } if address_field(err.field) => NisAnswer::Status(404),
        K::BadLength { .. } if err.field == "signer public key length" => {
            if u32_at(err.offset).is_some_and(|n| n as usize <= data.len() - err.offset - 4) {
                NisAnswer::Status(400)
            } else {
                NisAnswer::Status(500)
            }
        }
        K::Invalid(_) if matches!(err.field, "fee" | "amount" | "timeStamp" | "deadline") => {
            NisAnswer::Status(400)
        }
        // Modification type 3 reads as a valid (if meaningless) modification.
        K::Invalid(_) if err.field == "modification type" && u32_at(err.offset) == Some(3) => {
            NisAnswer::Code(V::FAILURE_MULTISIG_MODIFICATION_REDUNDANT_MODIFICATIONS)
        }
        _ => NisAnswer::Status(500),
    }
}

fn address_field(field: &str) -> bool {
    matches!(
        field,
        "recipient" | "otherAccount" | "rentalFeeSink" | "creationFeeSink"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(offset: usize, field: &'static str, kind: K) -> DecodeError {
        DecodeError {
            offset,
            field,
            kind,
        }
    }

    #[test]
    fn nested_errors_are_500_and_top_level_ones_follow_their_exception() {
        let wrapper = [0x04, 0x10, 0, 0].repeat(40);
        let transfer = [0x01, 0x01, 0, 0].repeat(40);
        let unknown = |at| err(at, "type", K::UnknownType(7));
        assert_eq!(
            answer(&unknown(0), &transfer, Network::Testnet),
            NisAnswer::Status(400)
        );
        assert_eq!(
            answer(&unknown(64), &wrapper, Network::Testnet),
            NisAnswer::Status(500)
        );
        let negative = err(48, "fee", K::Invalid("negative".into()));
        assert_eq!(
            answer(&negative, &transfer, Network::Testnet),
            NisAnswer::Status(400)
        );
        let trailing = err(150, "end", K::TrailingBytes(3));
        assert_eq!(
            answer(&trailing, &transfer, Network::Testnet),
            NisAnswer::Code(V::FAILURE_SIGNATURE_NOT_VERIFIABLE)
        );
    }
}
