//! The two transactions a cosigner returns. Both take the inner transaction's timestamp and
//! deadline and the fixed minimum fee, so signing is deterministic: the same proposal asked
//! again yields the same bytes, never a second, different payment authorisation.

use nem::fees::fixed_fee;
use nem::tx::{Body, Header, MultisigSignature};
use nem::{Address, KeyPair, SignedTransaction, Transaction, TransactionType};

/// A multisig wrapper (0x1004) and a multisig signature (0x1002), both signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    pub wrapper: SignedTransaction,
    pub cosignature: SignedTransaction,
}

/// Signs the wrapper and the signature transaction for `inner`, spent from `account`.
pub fn cosign(
    key: &KeyPair,
    inner: &Transaction,
    account: Address,
) -> Result<Cosigned, nem::tx::EncodeError> {
    let header = |kind: TransactionType| Header {
        network: inner.header.network,
        version: 1,
        timestamp: inner.header.timestamp,
        signer: key.public_key(),
        fee: fixed_fee(kind),
        deadline: inner.header.deadline,
    };
    let wrapper = Transaction {
        header: header(TransactionType::Multisig),
        body: Body::Multisig(Box::new(inner.clone())),
    }
    .sign(key)?;
    let cosignature = Transaction {
        header: header(TransactionType::MultisigSignature),
        body: Body::MultisigSignature(MultisigSignature {
            other_hash: inner.hash()?,
            other_account: account,
        }),
    }
    .sign(key)?;
    Ok(Cosigned {
        wrapper,
        cosignature,
    })
}
