//! Hanko's JSON view of a transaction: every field, named plainly, plus derived values
//! (hashes, addresses, UTC times). `from_json(to_json(tx)) == tx`; derived values given on
//! input must agree with what the fields imply.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::address::Address;
use crate::amount::Amount;
use crate::hash::Hash256;
use crate::keys::PublicKey;
use crate::network::Network;
use crate::time::NemTimestamp;
use crate::tx::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxJson {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_code: Option<String>,
    pub version: u8,
    pub network: Network,
    pub timestamp: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_utc: Option<String>,
    pub deadline: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_utc: Option<String>,
    /// Micro-XEM.
    pub fee: Amount,
    pub signer: PublicKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Address>,
    /// Micro-XEM (a multiplier when mosaics are attached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mosaics: Option<Vec<MosaicJson>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner: Option<Box<TxJson>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_hash: Option<Hash256>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_account: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifications: Option<Vec<ModificationJson>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cosignatories_change: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importance_transfer: Option<ImportanceTransfer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision_namespace: Option<ProvisionNamespace>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mosaic_definition: Option<MosaicDefinitionCreation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply_change: Option<MosaicSupplyChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<Hash256>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_hash: Option<Hash256>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageJson {
    #[serde(rename = "type")]
    pub kind: String,
    /// Hex of the payload bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The payload as UTF-8 text, when it is text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MosaicJson {
    /// `namespace:name`
    pub id: String,
    pub quantity: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModificationJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub cosignatory: PublicKey,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {reason}")]
pub struct JsonError {
    pub field: String,
    pub reason: String,
}

fn jerr(field: impl Into<String>, reason: impl Into<String>) -> JsonError {
    JsonError {
        field: field.into(),
        reason: reason.into(),
    }
}

pub fn to_json(tx: &Transaction) -> Result<TxJson, EncodeError> {
    let h = &tx.header;
    let mut j = TxJson {
        kind: tx.kind().name().to_string(),
        type_code: Some(format!("0x{:04x}", tx.kind().code())),
        version: h.version,
        network: h.network,
        timestamp: h.timestamp.0,
        timestamp_utc: Some(h.timestamp.to_timestamp().to_string()),
        deadline: h.deadline.0,
        deadline_utc: Some(h.deadline.to_timestamp().to_string()),
        fee: h.fee,
        signer: h.signer,
        signer_address: Some(tx.signer_address()),
        recipient: None,
        amount: None,
        message: None,
        mosaics: None,
        inner: None,
        other_hash: None,
        other_account: None,
        modifications: None,
        min_cosignatories_change: None,
        importance_transfer: None,
        provision_namespace: None,
        mosaic_definition: None,
        supply_change: None,
        hash: Some(tx.hash()?),
        inner_hash: tx.inner_hash()?,
    };
    match &tx.body {
        Body::Transfer(t) => {
            j.recipient = Some(t.recipient);
            j.amount = Some(t.amount);
            j.message = t.message.as_ref().map(|m| MessageJson {
                kind: m.kind.name().to_string(),
                payload: Some(hex::encode(&m.payload)),
                text: (m.kind == MessageType::Plain)
                    .then(|| String::from_utf8(m.payload.clone()).ok())
                    .flatten(),
            });
            if h.version == 2 {
                j.mosaics = Some(
                    t.mosaics
                        .iter()
                        .map(|m| MosaicJson {
                            id: m.id.to_string(),
                            quantity: m.quantity,
                        })
                        .collect(),
                );
            }
        }
        Body::Multisig(inner) => j.inner = Some(Box::new(to_json(inner)?)),
        Body::MultisigSignature(s) => {
            j.other_hash = Some(s.other_hash);
            j.other_account = Some(s.other_account);
        }
        Body::MultisigModification(m) => {
            j.modifications = Some(
                m.modifications
                    .iter()
                    .map(|c| ModificationJson {
                        kind: c.kind.name().to_string(),
                        cosignatory: c.cosignatory,
                    })
                    .collect(),
            );
            j.min_cosignatories_change = m.min_cosignatories_change;
        }
        Body::ImportanceTransfer(t) => j.importance_transfer = Some(t.clone()),
        Body::ProvisionNamespace(p) => j.provision_namespace = Some(p.clone()),
        Body::MosaicDefinition(d) => j.mosaic_definition = Some(d.clone()),
        Body::MosaicSupplyChange(c) => j.supply_change = Some(c.clone()),
    }
    Ok(j)
}

pub fn from_json(j: &TxJson) -> Result<Transaction, JsonError> {
    from_json_at(j, "")
}

fn from_json_at(j: &TxJson, path: &str) -> Result<Transaction, JsonError> {
    let f = |name: &str| format!("{path}{name}");
    let kind = TransactionType::from_name(&j.kind).ok_or_else(|| {
        let names: Vec<&str> = TransactionType::ALL.iter().map(|t| t.name()).collect();
        jerr(
            f("type"),
            format!("unknown type '{}'; one of {}", j.kind, names.join(", ")),
        )
    })?;
    let header = Header {
        network: j.network,
        version: j.version,
        timestamp: NemTimestamp(j.timestamp),
        signer: j.signer,
        fee: j.fee,
        deadline: NemTimestamp(j.deadline),
    };
    let present = |name: &'static str, is: bool| -> Result<(), JsonError> {
        if is {
            Err(jerr(
                f(name),
                format!("does not apply to a {} transaction", kind.name()),
            ))
        } else {
            Ok(())
        }
    };
    if kind != TransactionType::Transfer {
        present("recipient", j.recipient.is_some())?;
        present("amount", j.amount.is_some())?;
        present("message", j.message.is_some())?;
        present("mosaics", j.mosaics.is_some())?;
    }
    if kind != TransactionType::Multisig {
        present("inner", j.inner.is_some())?;
        present("inner_hash", j.inner_hash.is_some())?;
    }
    if kind != TransactionType::MultisigSignature {
        present("other_hash", j.other_hash.is_some())?;
        present("other_account", j.other_account.is_some())?;
    }
    if kind != TransactionType::MultisigModification {
        present("modifications", j.modifications.is_some())?;
        present(
            "min_cosignatories_change",
            j.min_cosignatories_change.is_some(),
        )?;
    }
    if kind != TransactionType::ImportanceTransfer {
        present("importance_transfer", j.importance_transfer.is_some())?;
    }
    if kind != TransactionType::ProvisionNamespace {
        present("provision_namespace", j.provision_namespace.is_some())?;
    }
    if kind != TransactionType::MosaicDefinition {
        present("mosaic_definition", j.mosaic_definition.is_some())?;
    }
    if kind != TransactionType::MosaicSupplyChange {
        present("supply_change", j.supply_change.is_some())?;
    }
    let required = |name: &'static str| {
        jerr(
            f(name),
            format!("required for a {} transaction", kind.name()),
        )
    };
    let body = match kind {
        TransactionType::Transfer => Body::Transfer(transfer_from_json(j, path)?),
        TransactionType::Multisig => {
            let inner = j.inner.as_ref().ok_or_else(|| {
                jerr(
                    f("inner"),
                    "a multisig transaction needs its inner transaction",
                )
            })?;
            Body::Multisig(Box::new(from_json_at(inner, &format!("{path}inner."))?))
        }
        TransactionType::MultisigSignature => Body::MultisigSignature(MultisigSignature {
            other_hash: j
                .other_hash
                .ok_or_else(|| jerr(f("other_hash"), "required (the inner transaction hash)"))?,
            other_account: j
                .other_account
                .ok_or_else(|| jerr(f("other_account"), "required (the multisig account)"))?,
        }),
        TransactionType::MultisigModification => {
            let mut modifications = Vec::new();
            for (i, m) in j.modifications.iter().flatten().enumerate() {
                let kind = match m.kind.as_str() {
                    "add" => ModificationType::Add,
                    "delete" => ModificationType::Delete,
                    other => {
                        return Err(jerr(
                            f(&format!("modifications[{i}].type")),
                            format!("'{other}' is not add or delete"),
                        ));
                    }
                };
                modifications.push(CosignatoryModification {
                    kind,
                    cosignatory: m.cosignatory,
                });
            }
            Body::MultisigModification(AggregateModification {
                modifications,
                min_cosignatories_change: j.min_cosignatories_change,
            })
        }
        TransactionType::ImportanceTransfer => Body::ImportanceTransfer(
            j.importance_transfer
                .clone()
                .ok_or_else(|| required("importance_transfer"))?,
        ),
        TransactionType::ProvisionNamespace => Body::ProvisionNamespace(
            j.provision_namespace
                .clone()
                .ok_or_else(|| required("provision_namespace"))?,
        ),
        TransactionType::MosaicDefinition => Body::MosaicDefinition(
            j.mosaic_definition
                .clone()
                .ok_or_else(|| required("mosaic_definition"))?,
        ),
        TransactionType::MosaicSupplyChange => Body::MosaicSupplyChange(
            j.supply_change
                .clone()
                .ok_or_else(|| required("supply_change"))?,
        ),
    };
    let tx = Transaction { header, body };
    let bytes = tx.to_bytes().map_err(|e| {
        jerr(
            if path.is_empty() {
                "transaction"
            } else {
                path.trim_end_matches('.')
            },
            e.reason,
        )
    })?;
    check_derived(j, &tx, &bytes, path)?;
    Ok(tx)
}

fn transfer_from_json(j: &TxJson, path: &str) -> Result<Transfer, JsonError> {
    let f = |name: &str| format!("{path}{name}");
    let recipient = j
        .recipient
        .ok_or_else(|| jerr(f("recipient"), "required for a transfer"))?;
    let amount = j
        .amount
        .ok_or_else(|| jerr(f("amount"), "required for a transfer (micro-XEM)"))?;
    let message = match &j.message {
        None => None,
        Some(m) => {
            let kind = match m.kind.as_str() {
                "plain" => MessageType::Plain,
                "encrypted" => MessageType::Encrypted,
                other => {
                    return Err(jerr(
                        f("message.type"),
                        format!("'{other}' is not plain or encrypted"),
                    ));
                }
            };
            let payload = match (&m.payload, &m.text) {
                (Some(hex_payload), text) => {
                    let bytes = crate::hexfmt::decode(hex_payload)
                        .map_err(|e| jerr(f("message.payload"), e.to_string()))?;
                    if let Some(text) = text
                        && text.as_bytes() != bytes.as_slice()
                    {
                        return Err(jerr(
                            f("message.text"),
                            "differs from message.payload; give one of them",
                        ));
                    }
                    bytes
                }
                (None, Some(text)) => text.as_bytes().to_vec(),
                (None, None) => return Err(jerr(f("message"), "needs payload (hex) or text")),
            };
            if payload.is_empty() {
                return Err(jerr(f("message"), "an empty message must be omitted"));
            }
            Some(Message { kind, payload })
        }
    };
    let mut mosaics = Vec::new();
    if let Some(list) = &j.mosaics {
        if j.version != 2 {
            return Err(jerr(
                f("mosaics"),
                "only a version 2 transfer carries mosaics",
            ));
        }
        for (i, m) in list.iter().enumerate() {
            let (namespace, name) = m.id.split_once(':').ok_or_else(|| {
                jerr(
                    f(&format!("mosaics[{i}].id")),
                    format!("'{}' is not namespace:name", m.id),
                )
            })?;
            let id = MosaicId {
                namespace: namespace.to_string(),
                name: name.to_string(),
            };
            validate_mosaic_id(&id).map_err(|e| jerr(f(&format!("mosaics[{i}].id")), e))?;
            mosaics.push(Mosaic {
                id,
                quantity: m.quantity,
            });
        }
    } else if j.version == 2 {
        return Err(jerr(
            f("mosaics"),
            "a version 2 transfer needs a mosaics list (may be empty)",
        ));
    }
    Ok(Transfer {
        recipient,
        amount,
        message,
        mosaics,
    })
}

fn check_derived(j: &TxJson, tx: &Transaction, bytes: &[u8], path: &str) -> Result<(), JsonError> {
    let mismatch = |name: &str, given: String, computed: String| {
        jerr(
            format!("{path}{name}"),
            format!("{given} does not match the transaction ({computed}); remove it to recompute"),
        )
    };
    let checks: [(&str, Option<String>, String); 6] = [
        (
            "type_code",
            j.type_code.clone(),
            format!("0x{:04x}", tx.kind().code()),
        ),
        (
            "timestamp_utc",
            j.timestamp_utc.clone(),
            tx.header.timestamp.to_timestamp().to_string(),
        ),
        (
            "deadline_utc",
            j.deadline_utc.clone(),
            tx.header.deadline.to_timestamp().to_string(),
        ),
        (
            "signer_address",
            j.signer_address.map(|a| a.to_string()),
            tx.signer_address().to_string(),
        ),
        (
            "hash",
            j.hash.map(|h| h.to_string()),
            Hash256::of(bytes).to_string(),
        ),
        (
            "inner_hash",
            j.inner_hash.map(|h| h.to_string()),
            inner_bytes(bytes)
                .map(|b| Hash256::of(b).to_string())
                .unwrap_or_default(),
        ),
    ];
    for (name, given, computed) in checks {
        if let Some(given) = given
            && given != computed
        {
            return Err(mismatch(name, given, computed));
        }
    }
    Ok(())
}
