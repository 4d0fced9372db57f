//! Hanko's gRPC API, `hanko.coordinator.v1`: treasury, cosigner link and admin services, the
//! proposer's intent, and the mTLS every connection uses. Generated types stay at the edge:
//! handlers convert them into domain types.

pub mod channel;
pub mod reason;
pub mod tls;

/// The generated messages and services (prost and tonic).
#[allow(clippy::all, clippy::pedantic, missing_docs, unused_qualifications)]
pub mod v1 {
    tonic::include_proto!("hanko.coordinator.v1");
}

/// The encoded file descriptor set, for gRPC server reflection (`grpcurl` works).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/hanko_descriptor.bin"));

/// Domain tag of the proposer's intent: what a proposer signs is
/// `INTENT_DOMAIN ‖ u32 LE length of the id ‖ proposal id ‖ inner transaction bytes`.
pub const INTENT_DOMAIN: &[u8] = b"hanko.coordinator.v1/intent\0";

/// The exact bytes a proposer signs for a proposal.
pub fn intent(proposal_id: &str, inner_transaction: &[u8]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(INTENT_DOMAIN.len() + 4 + proposal_id.len() + inner_transaction.len());
    out.extend_from_slice(INTENT_DOMAIN);
    out.extend_from_slice(&(proposal_id.len() as u32).to_le_bytes());
    out.extend_from_slice(proposal_id.as_bytes());
    out.extend_from_slice(inner_transaction);
    out
}
