//! `POST /transaction/announce`: NIS's validation, stateless rules first, then account state.

use nem::fees::XemOnly;
use nem::rules::{self, CheckError, Context};
use nem::tx::{AggregateModification, Body, ModificationType, Transfer};
use nem::validation::ValidationResult as V;
use nem::{Address, Hash256, NemTimestamp, SignedTransaction, Transaction, TransactionType};
use thiserror::Error;

use super::malformed::NisAnswer;
use super::{Account, Chain, PUSH_CACHE_SECONDS, Pending};

/// NIS's answer to an announce: HTTP 200 with a validation result.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnounceOutcome {
    pub result: V,
    pub hash: Hash256,
    pub inner_hash: Option<Hash256>,
    /// Why, in words, for the node's log (NIS itself sends only the result name).
    pub detail: String,
}

/// Input NIS cannot deserialize: an HTTP error status with NIS's error object.
#[derive(Debug, Clone, Error)]
#[error("{message}")]
pub struct AnnounceError {
    /// 400, 404 or 500, as NIS answers (see `malformed`).
    pub status: u16,
    pub message: String,
}

impl AnnounceError {
    fn new(status: u16, message: impl Into<String>) -> AnnounceError {
        AnnounceError {
            status,
            message: message.into(),
        }
    }
}

/// The longest byte array NIS's deserializer reads whole; longer `data` is cut.
const MAX_DATA_BYTES: usize = 2_048;

type Refusal = (V, String);

impl Chain {
    pub fn announce(
        &mut self,
        signed: &SignedTransaction,
        now: NemTimestamp,
    ) -> Result<AnnounceOutcome, AnnounceError> {
        let hash = signed.hash();
        let inner_hash =
            if signed.data.get(..4) == Some(&TransactionType::Multisig.code().to_le_bytes()[..]) {
                nem::tx::inner_hash_of_wrapper(&signed.data)
            } else {
                None
            };
        let read = self.nis_read(signed)?;
        // NIS's push: the network byte first, then its cache of recent answers.
        let network_byte = signed.data.get(7).copied();
        if network_byte.is_some_and(|b| b != self.network.byte()) {
            return Ok(AnnounceOutcome {
                result: V::FAILURE_WRONG_NETWORK,
                hash,
                inner_hash,
                detail: format!(
                    "network byte 0x{:02x}; this node is {}",
                    network_byte.unwrap_or(0),
                    self.network
                ),
            });
        }
        self.push_cache.retain(|_, (_, expires)| *expires > now);
        if let Some((cached, _)) = self.push_cache.get(&hash) {
            return Ok(AnnounceOutcome {
                result: *cached,
                hash,
                inner_hash,
                detail: "answer cached for an identical push within 600 s".into(),
            });
        }
        let checked = match read {
            Some(refusal) => Err(refusal),
            None => self.validate_and_add(signed, hash, now)?,
        };
        let (result, detail) = match checked {
            Ok(()) => (
                V::SUCCESS,
                "accepted into the unconfirmed cache".to_string(),
            ),
            Err((result, detail)) => (result, detail),
        };
        let remembered = if result == V::SUCCESS {
            V::NEUTRAL
        } else {
            result
        };
        self.push_cache.insert(
            hash,
            (
                remembered,
                NemTimestamp(now.0.saturating_add(PUSH_CACHE_SECONDS)),
            ),
        );
        Ok(AnnounceOutcome {
            result,
            hash,
            inner_hash,
            detail,
        })
    }

    /// How NIS reads `signed`: an HTTP error for what it cannot deserialize, a validation
    /// result for what it reads differently from Hanko (see `malformed`), or nothing.
    fn nis_read(&self, signed: &SignedTransaction) -> Result<Option<Refusal>, AnnounceError> {
        let data = &signed.data;
        if data.len() > MAX_DATA_BYTES {
            return Err(AnnounceError::new(
                500,
                format!(
                    "data is {} bytes; NIS reads at most {MAX_DATA_BYTES}",
                    data.len()
                ),
            ));
        }
        let tx = match Transaction::from_bytes(data) {
            Ok(tx) => tx,
            Err(e) => {
                let malformed =
                    |status| AnnounceError::new(status, format!("malformed transaction: {e}"));
                return match super::malformed::answer(&e, data, self.network) {
                    NisAnswer::Status(status) => Err(malformed(status)),
                    NisAnswer::Code(V::FAILURE_ENTITY_INVALID_VERSION)
                        if !raw_signature_verifies(signed) =>
                    {
                        Ok(Some((V::FAILURE_SIGNATURE_NOT_VERIFIABLE, e.to_string())))
                    }
                    NisAnswer::Code(result) => Ok(Some((result, e.to_string()))),
                };
            }
        };
        // An address of another network is an address NIS's account cache refuses: 404 at
        // the top level, 500 inside the inner transaction (a nested object).
        for (t, status) in std::iter::once((&tx, 404)).chain(tx.inner().map(|i| (i, 500))) {
            let foreign = match &t.body {
                Body::Transfer(x) => Some(x.recipient),
                Body::MultisigSignature(x) => Some(x.other_account),
                _ => None,
            };
            if let Some(a) = foreign.filter(|a| a.network() != self.network) {
                return Err(AnnounceError::new(status, format!("invalid address {a}")));
            }
        }
        Ok(None)
    }

    fn validate_and_add(
        &mut self,
        signed: &SignedTransaction,
        hash: Hash256,
        now: NemTimestamp,
    ) -> Result<Result<(), Refusal>, AnnounceError> {
        let ctx = Context {
            network: Some(self.network),
            now: Some(now),
            mosaics: &XemOnly,
        };
        let tx = match rules::check_signed(signed, &ctx) {
            Ok((tx, _notes)) => tx,
            Err(CheckError::Malformed(e)) => {
                return Err(AnnounceError::new(
                    500,
                    format!("malformed transaction: {e}"),
                ));
            }
            Err(CheckError::Rule(v)) => return Ok(Err((v.result, v.to_string()))),
        };
        if self.pending.iter().any(|p| p.hash == hash) || self.confirmed_by_hash.contains_key(&hash)
        {
            return Ok(Err((V::NEUTRAL, "transaction already known".into())));
        }
        let checked = match tx.kind() {
            TransactionType::Transfer
            | TransactionType::Multisig
            | TransactionType::MultisigSignature
            | TransactionType::MultisigModification => self.check_stateful(&tx),
            other => {
                return Err(AnnounceError::new(
                    400,
                    format!(
                        "the Hanko dev node does not support {} transactions",
                        other.name()
                    ),
                ));
            }
        };
        match checked {
            Ok(Admission::New { inner_hash }) => {
                self.pending.push(Pending {
                    hash,
                    debtor: self.debtor_of(&tx),
                    transaction: tx,
                    signature: signed.signature,
                    inner_hash,
                    cosignatures: vec![],
                });
                Ok(Ok(()))
            }
            Ok(Admission::Cosignature { wrapper }) => {
                self.pending[wrapper]
                    .cosignatures
                    .push((tx, signed.signature, hash));
                Ok(Ok(()))
            }
            Err(Rejection::Refused(r)) => Ok(Err(r)),
            Err(Rejection::Unsupported(m)) => Err(AnnounceError::new(400, m)),
        }
    }

    fn check_stateful(&self, tx: &Transaction) -> Result<Admission, Rejection> {
        let signer = self.address(&tx.header.signer);
        if self.accounts.get(&signer).is_some_and(Account::is_multisig) {
            return refuse(
                V::FAILURE_TRANSACTION_NOT_ALLOWED_FOR_MULTISIG,
                format!("{signer} is a multisig account and cannot sign"),
            );
        }
        match &tx.body {
            Body::Transfer(t) => {
                let debit = xem_moved(t)?.saturating_add(tx.header.fee.as_micro());
                self.check_balance(&signer, debit)?;
                Ok(Admission::New { inner_hash: None })
            }
            Body::MultisigModification(m) => {
                self.check_modification(&signer, tx.header.version, m)?;
                self.check_balance(&signer, tx.header.fee.as_micro())?;
                Ok(Admission::New { inner_hash: None })
            }
            Body::Multisig(inner) => self.check_wrapper(tx, inner),
            Body::MultisigSignature(s) => {
                self.check_cosignature(tx, &signer, s.other_hash, s.other_account)
            }
            Body::ImportanceTransfer(_)
            | Body::ProvisionNamespace(_)
            | Body::MosaicDefinition(_)
            | Body::MosaicSupplyChange(_) => Err(Rejection::Unsupported(format!(
                "the Hanko dev node does not support {} transactions",
                tx.kind().name()
            ))),
        }
    }

    fn check_wrapper(&self, tx: &Transaction, inner: &Transaction) -> Result<Admission, Rejection> {
        let multisig = self.address(&inner.header.signer);
        let account = self.accounts.get(&multisig);
        if !account.is_some_and(|a| a.cosignatories.contains(&tx.header.signer)) {
            return refuse(
                V::FAILURE_MULTISIG_NOT_A_COSIGNER,
                format!(
                    "{} is not a cosignatory of {multisig}",
                    self.address(&tx.header.signer)
                ),
            );
        }
        let inner_hash = inner
            .hash()
            .map_err(|e| Rejection::Unsupported(e.to_string()))?;
        if self.confirmed_inner.contains(&inner_hash)
            || self
                .pending
                .iter()
                .any(|p| p.inner_hash == Some(inner_hash))
        {
            return refuse(
                V::NEUTRAL,
                format!("a multisig transaction around inner {inner_hash} is already known"),
            );
        }
        let inner_debit = match &inner.body {
            Body::Transfer(t) => xem_moved(t)?,
            Body::MultisigModification(m) => {
                self.check_modification(&multisig, inner.header.version, m)?;
                0
            }
            _ => {
                return Err(Rejection::Unsupported(format!(
                    "the Hanko dev node does not support {} transactions inside a multisig",
                    inner.kind().name()
                )));
            }
        };
        let debit = inner_debit
            .saturating_add(inner.header.fee.as_micro())
            .saturating_add(tx.header.fee.as_micro());
        self.check_balance(&multisig, debit)?;
        Ok(Admission::New {
            inner_hash: Some(inner_hash),
        })
    }

    fn check_cosignature(
        &self,
        tx: &Transaction,
        signer: &Address,
        other_hash: Hash256,
        other_account: Address,
    ) -> Result<Admission, Rejection> {
        let no_match = |why: String| refuse(V::FAILURE_MULTISIG_NO_MATCHING_MULTISIG, why);
        let Some(index) = self.pending.iter().position(|p| {
            p.inner_hash == Some(other_hash)
                && p.transaction
                    .inner()
                    .is_some_and(|i| self.address(&i.header.signer) == other_account)
        }) else {
            return no_match(format!(
                "no pending multisig transaction with inner hash {other_hash} for {other_account}"
            ));
        };
        let wrapper = &self.pending[index];
        if wrapper.transaction.header.signer == tx.header.signer {
            return no_match(format!(
                "{signer} initiated this multisig transaction; its signature already counts"
            ));
        }
        let is_cosigner = self
            .accounts
            .get(&other_account)
            .is_some_and(|a| a.cosignatories.contains(&tx.header.signer));
        if !is_cosigner {
            return no_match(format!("{signer} is not a cosignatory of {other_account}"));
        }
        if wrapper
            .cosignatures
            .iter()
            .any(|(t, _, _)| t.header.signer == tx.header.signer)
        {
            return refuse(V::NEUTRAL, format!("{signer} has already cosigned"));
        }
        self.check_balance(&other_account, tx.header.fee.as_micro())?;
        Ok(Admission::Cosignature { wrapper: index })
    }

    /// NIS's aggregate modification rules (codes 71, 75, 77, 78, 80, 81, 82).
    fn check_modification(
        &self,
        account: &Address,
        version: u8,
        m: &AggregateModification,
    ) -> Result<(), Rejection> {
        let current = self.accounts.get(account).cloned().unwrap_or_default();
        let deletes = m
            .modifications
            .iter()
            .filter(|c| c.kind == ModificationType::Delete)
            .count();
        if deletes > 1 {
            return refuse(
                V::FAILURE_MULTISIG_MODIFICATION_MULTIPLE_DELETES,
                "at most one deletion per transaction".into(),
            );
        }
        if !current.cosignatory_of.is_empty() && !m.modifications.is_empty() {
            return refuse(
                V::FAILURE_MULTISIG_ACCOUNT_CANNOT_BE_COSIGNER,
                format!("{account} is a cosignatory; it cannot become multisig"),
            );
        }
        let mut after = current.cosignatories.clone();
        for (i, c) in m.modifications.iter().enumerate() {
            if m.modifications[..i]
                .iter()
                .any(|x| x.cosignatory == c.cosignatory)
            {
                return refuse(
                    V::FAILURE_MULTISIG_MODIFICATION_REDUNDANT_MODIFICATIONS,
                    format!("{} is modified twice", c.cosignatory),
                );
            }
            let address = self.address(&c.cosignatory);
            match c.kind {
                ModificationType::Add => {
                    if after.contains(&c.cosignatory) {
                        return refuse(
                            V::FAILURE_MULTISIG_ALREADY_A_COSIGNER,
                            format!("{address} is already a cosignatory"),
                        );
                    }
                    if address == *account
                        || self
                            .accounts
                            .get(&address)
                            .is_some_and(Account::is_multisig)
                    {
                        return refuse(
                            V::FAILURE_MULTISIG_ACCOUNT_CANNOT_BE_COSIGNER,
                            format!("{address} cannot be a cosignatory"),
                        );
                    }
                    after.push(c.cosignatory);
                }
                ModificationType::Delete => {
                    if !after.contains(&c.cosignatory) {
                        return refuse(
                            V::FAILURE_MULTISIG_NOT_A_COSIGNER,
                            format!("{address} is not a cosignatory"),
                        );
                    }
                    after.retain(|k| *k != c.cosignatory);
                }
            }
        }
        if after.len() > 32 {
            return refuse(
                V::FAILURE_TOO_MANY_MULTISIG_COSIGNERS,
                format!("{} cosignatories; at most 32", after.len()),
            );
        }
        let change = if version == 2 {
            m.min_cosignatories_change.unwrap_or(0)
        } else {
            0
        };
        let min = i64::from(current.min_cosignatories) + i64::from(change);
        if min < 0 || min > after.len() as i64 {
            return refuse(
                V::FAILURE_MULTISIG_MIN_COSIGNATORIES_OUT_OF_RANGE,
                format!(
                    "minCosignatories would be {min} with {} cosignatories",
                    after.len()
                ),
            );
        }
        Ok(())
    }

    fn check_balance(&self, debtor: &Address, debit: u64) -> Result<(), Rejection> {
        let available = self
            .balance(debtor)
            .saturating_sub(self.pending_debits(debtor));
        if available < debit {
            return refuse(
                V::FAILURE_INSUFFICIENT_BALANCE,
                format!("{debtor} has {available} micro-XEM available, needs {debit}"),
            );
        }
        Ok(())
    }

    /// What the unconfirmed cache will take from an account once included.
    pub(crate) fn pending_debits(&self, debtor: &Address) -> u64 {
        self.pending
            .iter()
            .filter(|p| p.debtor == *debtor)
            .map(|p| self.total_debit(p))
            .sum()
    }

    pub(crate) fn debtor_of(&self, tx: &Transaction) -> Address {
        match tx.inner() {
            Some(inner) => self.address(&inner.header.signer),
            None => self.address(&tx.header.signer),
        }
    }

    /// Amount and every fee: inner fee, wrapper fee and each attached signature's fee.
    pub(crate) fn total_debit(&self, p: &Pending) -> u64 {
        let tx = &p.transaction;
        let moved = |t: &Transaction| t.transfer().and_then(|x| xem_moved(x).ok()).unwrap_or(0);
        let mut total = tx.header.fee.as_micro().saturating_add(moved(tx));
        if let Some(inner) = tx.inner() {
            total = total
                .saturating_add(inner.header.fee.as_micro())
                .saturating_add(moved(inner));
        }
        for (s, _, _) in &p.cosignatures {
            total = total.saturating_add(s.header.fee.as_micro());
        }
        total
    }
}

enum Admission {
    New { inner_hash: Option<Hash256> },
    Cosignature { wrapper: usize },
}

pub(crate) enum Rejection {
    Refused(Refusal),
    Unsupported(String),
}

/// Whether the signature verifies over `data` as sent, by the key at the signer's place.
fn raw_signature_verifies(signed: &SignedTransaction) -> bool {
    signed
        .data
        .get(16..48)
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .is_some_and(|k| {
            nem::keys::verify(&nem::PublicKey(k), &signed.data, &signed.signature).is_ok()
        })
}

fn refuse<T>(result: V, why: String) -> Result<T, Rejection> {
    Err(Rejection::Refused((result, why)))
}

/// Micro-XEM a transfer moves. Only `nem:xem` exists on the dev node.
pub(crate) fn xem_moved(t: &Transfer) -> Result<u64, Rejection> {
    if t.mosaics.is_empty() {
        return Ok(t.amount.as_micro());
    }
    let mut total: u128 = 0;
    for m in &t.mosaics {
        if !m.id.is_xem() {
            return refuse(
                V::FAILURE_MOSAIC_UNKNOWN,
                format!("mosaic {} does not exist on the dev node", m.id),
            );
        }
        total += u128::from(t.amount.as_micro()) * u128::from(m.quantity) / 1_000_000;
    }
    u64::try_from(total).map_err(|_| {
        Rejection::Refused((V::FAILURE_INSUFFICIENT_BALANCE, "amount overflows".into()))
    })
}
