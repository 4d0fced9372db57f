//! What the coordinator checks before it counts anything: the proposer's signature over the
//! intent, and that each cosigner's two transactions are exactly a wrapper of the stored inner
//! transaction and a cosignature of its hash, signed by that cosigner. A cosigner that sends
//! anything else is named and ignored.

use ed25519_dalek::{Signature as EdSignature, VerifyingKey};
use nem::tx::Body;
use nem::{Hash256, PublicKey, Signature, SignedTransaction, Transaction, fees};
use thiserror::Error;

use crate::core::{ProposalRecord, SignedPair};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IntentError {
    #[error("proposer key is not a valid Ed25519 public key")]
    BadKey,
    #[error(
        "the proposer's signature does not match the intent (proposal id and inner transaction)"
    )]
    BadSignature,
}

/// Checks the proposer's Ed25519 (RFC 8032) signature over `hanko_proto::intent(id, inner)`.
pub fn verify_intent(
    proposal_id: &str,
    inner: &[u8],
    proposer: &PublicKey,
    signature: &Signature,
) -> Result<(), IntentError> {
    let key = VerifyingKey::from_bytes(proposer.as_bytes()).map_err(|_| IntentError::BadKey)?;
    let sig = EdSignature::from_bytes(signature.as_bytes());
    key.verify_strict(&hanko_proto::intent(proposal_id, inner), &sig)
        .map_err(|_| IntentError::BadSignature)
}

/// Why a cosigner's answer was not counted; always names the cosigner.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cosigner {cosigner} sent an unusable {part}: {reason}")]
pub struct Culprit {
    pub cosigner: PublicKey,
    pub part: &'static str,
    pub reason: String,
}

fn check(
    cosigner: &PublicKey,
    part: &'static str,
    signed: &SignedTransaction,
) -> Result<Transaction, Culprit> {
    let fail = |reason: String| Culprit {
        cosigner: *cosigner,
        part,
        reason,
    };
    let tx = signed.verify().map_err(|e| fail(e.to_string()))?;
    if tx.header.signer != *cosigner {
        return Err(fail(format!("signed by {} instead", tx.header.signer)));
    }
    Ok(tx)
}

/// Verifies a pair against the stored proposal: both signatures valid and by `cosigner`; the
/// wrapper carries exactly the stored inner bytes; the cosignature names the stored inner hash
/// and account; both use the inner transaction's timestamp and deadline and the minimum fee.
pub fn verify_pair(
    record: &ProposalRecord,
    cosigner: &PublicKey,
    pair: &SignedPair,
) -> Result<(), Culprit> {
    if !record.cosigners.contains(cosigner) {
        return Err(Culprit {
            cosigner: *cosigner,
            part: "decision",
            reason: format!("not a cosignatory of {}", record.account),
        });
    }
    let inner = Transaction::from_bytes(&record.inner).map_err(|e| Culprit {
        cosigner: *cosigner,
        part: "decision",
        reason: format!("stored inner transaction does not decode: {e}"),
    })?;
    let wrapper = check(cosigner, "wrapper", &pair.wrapper)?;
    let fail = |part: &'static str, reason: String| Culprit {
        cosigner: *cosigner,
        part,
        reason,
    };
    match &wrapper.body {
        Body::Multisig(carried) => {
            let bytes = carried
                .to_bytes()
                .map_err(|e| fail("wrapper", e.to_string()))?;
            if bytes != record.inner {
                return Err(fail(
                    "wrapper",
                    "it carries a different inner transaction".into(),
                ));
            }
        }
        _ => {
            return Err(fail(
                "wrapper",
                format!(
                    "it is a {} transaction, not a multisig wrapper",
                    wrapper.kind().name()
                ),
            ));
        }
    }
    let cosig = check(cosigner, "cosignature", &pair.cosignature)?;
    match &cosig.body {
        Body::MultisigSignature(s) => {
            if s.other_hash != record.inner_hash {
                return Err(fail(
                    "cosignature",
                    format!(
                        "it signs hash {} instead of {}",
                        s.other_hash, record.inner_hash
                    ),
                ));
            }
            if s.other_account != record.account {
                return Err(fail(
                    "cosignature",
                    format!(
                        "it names account {} instead of {}",
                        s.other_account, record.account
                    ),
                ));
            }
        }
        _ => {
            return Err(fail(
                "cosignature",
                format!(
                    "it is a {} transaction, not a multisig signature",
                    cosig.kind().name()
                ),
            ));
        }
    }
    for (part, tx, fee) in [
        ("wrapper", &wrapper, fees::MULTISIG_WRAPPER_FEE),
        ("cosignature", &cosig, fees::MULTISIG_SIGNATURE_FEE),
    ] {
        if tx.header.timestamp != inner.header.timestamp
            || tx.header.deadline != inner.header.deadline
        {
            return Err(fail(
                part,
                "its timestamp or deadline differs from the inner transaction's".into(),
            ));
        }
        if tx.header.fee != fee {
            return Err(fail(
                part,
                format!("fee {} is not the minimum {}", tx.header.fee, fee),
            ));
        }
        if tx.header.network != inner.header.network {
            return Err(fail(part, format!("it is for {}", tx.header.network)));
        }
    }
    Ok(())
}

/// The inner hash a request names must be the stored one.
pub fn check_inner_hash(
    record: &ProposalRecord,
    cosigner: &PublicKey,
    named: &Hash256,
) -> Result<(), Culprit> {
    if *named == record.inner_hash {
        Ok(())
    } else {
        Err(Culprit {
            cosigner: *cosigner,
            part: "decision",
            reason: format!(
                "it is about inner hash {named}, the proposal's is {}",
                record.inner_hash
            ),
        })
    }
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
