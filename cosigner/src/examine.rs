//! The checks a cosigner makes on an offer before its policy is asked: pure, no I/O. The
//! offer comes from the coordinator, which is not trusted: every field is checked against the
//! bytes the cosigner decodes itself and against facts it read from its own node.

use ed25519_dalek::{Signature as EdSignature, VerifyingKey};
use hanko_proto::reason::Reason;
use nem::{Address, Hash256, Network, PublicKey, Transaction, TransactionType};
use thiserror::Error;

/// A proposal as the coordinator offers it, before any check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub proposal_id: String,
    pub account: String,
    pub inner_transaction: Vec<u8>,
    pub proposer: Vec<u8>,
    pub proposer_signature: Vec<u8>,
}

impl Offer {
    /// An offer from the wire, or, when its id or sizes fail [`precheck`], the refusal and the
    /// id to answer under (none for an id the coordinator cannot have made). The message is
    /// dropped at once either way: nothing larger than the limits is kept.
    pub fn from_wire(
        o: hanko_proto::v1::ProposalForSigning,
    ) -> Result<Offer, (Option<String>, Refusal)> {
        let oversized = |field, size: usize, max| {
            (size > max).then_some(Refusal::Oversized { field, size, max })
        };
        let refusal = precheck(
            &o.proposal_id,
            o.inner_transaction.len(),
            o.proposer_signature.len(),
        )
        .err()
        .or_else(|| oversized("account", o.account.len(), 64))
        .or_else(|| oversized("proposer", o.proposer.len(), 32));
        if let Some(refusal) = refusal {
            let id = valid_proposal_id(&o.proposal_id).then_some(o.proposal_id);
            return Err((id, refusal));
        }
        Ok(Offer {
            proposal_id: o.proposal_id,
            account: o.account,
            inner_transaction: o.inner_transaction,
            proposer: o.proposer,
            proposer_signature: o.proposer_signature,
        })
    }
}

/// What this cosigner's own node says about a multisig account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFacts {
    pub public_key: Option<PublicKey>,
    pub cosignatories: Vec<PublicKey>,
    /// Signatures the account needs (m of the n cosignatories), as the node reports it.
    pub required: u32,
}

/// What the examination needs to know about this cosigner.
#[derive(Debug, Clone)]
pub struct Identity<'a> {
    pub key: PublicKey,
    pub network: Network,
    /// The multisig accounts this cosigner serves (from its configuration).
    pub accounts: &'a [Address],
    /// The proposers its policy lists; `None` when the policy says `proposers = "any"`.
    pub proposers: Option<Vec<PublicKey>>,
}

/// The longest proposal id: what the coordinator makes, and what a cosigner looks up.
pub const MAX_PROPOSAL_ID: usize = 64;
/// The longest inner transaction: the largest NIS1 transaction a multisig account can send (a
/// version 2 transfer with a 1,024-byte message and ten mosaics of the longest ids) is about
/// 3.2 KiB.
pub const MAX_INNER_BYTES: usize = 4_096;

/// An offer that passed every structural check.
#[derive(Debug, Clone)]
pub struct Examined {
    pub proposal_id: String,
    pub account: Address,
    pub tx: Transaction,
    pub inner_hash: Hash256,
    pub proposer: PublicKey,
}

/// Why an offer was refused before policy: each names the field and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error("proposal_id: '{0}' is not 1 to 64 characters of letters, digits, '-' or '_'")]
    BadProposalId(String),
    #[error("{field}: {size} bytes; at most {max} are accepted")]
    Oversized {
        field: &'static str,
        size: usize,
        max: usize,
    },
    #[error(
        "proposer: key {0} is not a proposer this cosigner's policy lists; nothing about the offer was kept"
    )]
    UnlistedProposer(PublicKey),
    #[error("account: {0}")]
    BadAccount(String),
    #[error("account: {0} is not an account this cosigner serves")]
    NotServed(Address),
    #[error("inner_transaction: {0}")]
    Undecodable(String),
    #[error(
        "inner_transaction: the bytes are not canonical (they re-encode differently); refusing to sign what cannot be rebuilt"
    )]
    NotCanonical,
    #[error(
        "inner_transaction: a {0} transaction cannot be the inner transaction of a multisig wrapper"
    )]
    NotEmbeddable(&'static str),
    #[error(
        "inner_transaction.signer: the transaction spends from {signer}, the offer names {account}"
    )]
    WrongSigner { signer: Address, account: Address },
    #[error("inner_transaction.network: {found}, this cosigner is on {expected}")]
    WrongNetwork { found: Network, expected: Network },
    #[error(
        "account: this cosigner ({me}) is not a cosignatory of {account} according to its own node"
    )]
    NotCosignatory { me: Address, account: Address },
    #[error(
        "account: its public key on this cosigner's node is {on_chain}, the transaction's signer is {signer}"
    )]
    AccountKeyMismatch {
        on_chain: PublicKey,
        signer: PublicKey,
    },
    #[error("proposer: {0}")]
    BadProposer(String),
    #[error("proposer_signature: {0}")]
    BadProposerSignature(String),
}

impl Refusal {
    /// This refusal as a reason: its code as the rule, of kind `examination`.
    pub fn reason(&self) -> Reason {
        Reason::new(self.code(), "examination", self.to_string())
    }

    /// A short, stable name for audit records and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::BadProposalId(_) => "bad_proposal_id",
            Refusal::Oversized { .. } => "oversized",
            Refusal::UnlistedProposer(_) => "proposer_not_listed",
            Refusal::BadAccount(_) => "bad_account",
            Refusal::NotServed(_) => "account_not_served",
            Refusal::Undecodable(_) => "undecodable",
            Refusal::NotCanonical => "not_canonical",
            Refusal::NotEmbeddable(_) => "not_embeddable",
            Refusal::WrongSigner { .. } => "wrong_signer",
            Refusal::WrongNetwork { .. } => "wrong_network",
            Refusal::NotCosignatory { .. } => "not_cosignatory",
            Refusal::AccountKeyMismatch { .. } => "account_key_mismatch",
            Refusal::BadProposer(_) => "bad_proposer",
            Refusal::BadProposerSignature(_) => "bad_proposer_signature",
        }
    }
}

pub fn valid_proposal_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_PROPOSAL_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The checks made before anything about an offer is looked up, kept or decoded: its id and
/// its sizes. A refusal here quotes at most the first 64 characters of what was sent.
pub fn precheck(
    proposal_id: &str,
    inner_len: usize,
    proposer_signature_len: usize,
) -> Result<(), Refusal> {
    if !valid_proposal_id(proposal_id) {
        return Err(Refusal::BadProposalId(
            proposal_id
                .chars()
                .take(MAX_PROPOSAL_ID)
                .map(|c| if c.is_control() { '?' } else { c })
                .collect(),
        ));
    }
    if inner_len > MAX_INNER_BYTES {
        return Err(Refusal::Oversized {
            field: "inner_transaction",
            size: inner_len,
            max: MAX_INNER_BYTES,
        });
    }
    if proposer_signature_len > 64 {
        return Err(Refusal::Oversized {
            field: "proposer_signature",
            size: proposer_signature_len,
            max: 64,
        });
    }
    Ok(())
}

/// Decodes and checks an offer's structure (not its facts on chain: see [`check_facts`]).
pub fn examine(offer: &Offer, me: &Identity<'_>) -> Result<Examined, Refusal> {
    precheck(
        &offer.proposal_id,
        offer.inner_transaction.len(),
        offer.proposer_signature.len(),
    )?;
    let account: Address = offer
        .account
        .parse()
        .map_err(|e: nem::AddressError| Refusal::BadAccount(e.to_string()))?;
    if !me.accounts.contains(&account) {
        return Err(Refusal::NotServed(account));
    }
    let tx = Transaction::from_bytes(&offer.inner_transaction)
        .map_err(|e| Refusal::Undecodable(e.to_string()))?;
    let rebuilt = tx
        .to_bytes()
        .map_err(|e| Refusal::Undecodable(e.to_string()))?;
    if rebuilt != offer.inner_transaction {
        return Err(Refusal::NotCanonical);
    }
    if !tx.kind().is_embeddable() || tx.kind() == TransactionType::MultisigSignature {
        return Err(Refusal::NotEmbeddable(tx.kind().name()));
    }
    if tx.header.network != me.network {
        return Err(Refusal::WrongNetwork {
            found: tx.header.network,
            expected: me.network,
        });
    }
    let signer = tx.signer_address();
    if signer != account {
        return Err(Refusal::WrongSigner { signer, account });
    }
    let proposer = proposer_key(&offer.proposer)?;
    if let Some(listed) = &me.proposers
        && !listed.contains(&PublicKey(proposer.to_bytes()))
    {
        return Err(Refusal::UnlistedProposer(PublicKey(proposer.to_bytes())));
    }
    verify_intent(offer, &proposer)?;
    let inner_hash = tx.hash().map_err(|e| Refusal::Undecodable(e.to_string()))?;
    Ok(Examined {
        proposal_id: offer.proposal_id.clone(),
        account,
        tx,
        inner_hash,
        proposer: PublicKey(proposer.to_bytes()),
    })
}

fn proposer_key(bytes: &[u8]) -> Result<VerifyingKey, Refusal> {
    let raw: [u8; 32] = bytes
        .try_into()
        .map_err(|_| Refusal::BadProposer(format!("expected 32 bytes, got {}", bytes.len())))?;
    VerifyingKey::from_bytes(&raw)
        .map_err(|_| Refusal::BadProposer("not a valid Ed25519 public key".into()))
}

fn verify_intent(offer: &Offer, proposer: &VerifyingKey) -> Result<(), Refusal> {
    let raw: [u8; 64] = offer
        .proposer_signature
        .as_slice()
        .try_into()
        .map_err(|_| {
            Refusal::BadProposerSignature(format!(
                "expected 64 bytes, got {}",
                offer.proposer_signature.len()
            ))
        })?;
    let intent = hanko_proto::intent(&offer.proposal_id, &offer.inner_transaction);
    proposer
        .verify_strict(&intent, &EdSignature::from_bytes(&raw))
        .map_err(|_| {
            Refusal::BadProposerSignature(
                "does not verify over this proposal id and these inner bytes".into(),
            )
        })
}

/// Checks the offer against what this cosigner's own node says about the account.
pub fn check_facts(x: &Examined, facts: &AccountFacts, me: &Identity<'_>) -> Result<(), Refusal> {
    if !facts.cosignatories.contains(&me.key) {
        return Err(Refusal::NotCosignatory {
            me: Address::from_public_key(&me.key, me.network),
            account: x.account,
        });
    }
    if let Some(on_chain) = facts.public_key
        && on_chain != x.tx.header.signer
    {
        return Err(Refusal::AccountKeyMismatch {
            on_chain,
            signer: x.tx.header.signer,
        });
    }
    Ok(())
}
