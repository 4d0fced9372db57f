//! Transactions in NIS's own JSON form (what `/account/unconfirmedTransactions`,
//! `/account/transfers/*` and `/transaction/get` return): camelCase fields, the version as a
//! signed 32-bit integer, lower-case hex, `{}` for an absent message.

use serde_json::{Map, Value, json};

use crate::address::Address;
use crate::amount::Amount;
use crate::hash::Hash256;
use crate::keys::{PublicKey, Signature};
use crate::network::Network;
use crate::time::NemTimestamp;
use crate::tx::*;

pub use crate::nis_json_error::NisJsonError;
use crate::nis_json_error::err;

/// A transaction as NIS shows it: the transaction, its signature (absent for an inner
/// transaction) and, for a multisig wrapper, the signature transactions attached so far.
#[derive(Debug, Clone, PartialEq)]
pub struct NisTransaction {
    pub transaction: Transaction,
    pub signature: Option<Signature>,
    pub cosignatures: Vec<(Transaction, Signature)>,
}

/// The version field as NIS writes it: a signed 32-bit integer.
pub fn version_field(network: Network, version: u8) -> i32 {
    ((u32::from(network.byte()) << 24) | u32::from(version)) as i32
}

pub fn to_nis_json(tx: &NisTransaction) -> Value {
    let mut out = transaction_json(&tx.transaction);
    if let Some(signature) = &tx.signature {
        out.insert("signature".into(), json!(signature.to_string()));
    }
    if tx.transaction.kind() == TransactionType::Multisig {
        let signatures: Vec<Value> = tx
            .cosignatures
            .iter()
            .map(|(t, s)| {
                let mut m = transaction_json(t);
                m.insert("signature".into(), json!(s.to_string()));
                Value::Object(m)
            })
            .collect();
        out.insert("signatures".into(), Value::Array(signatures));
    }
    Value::Object(out)
}

fn transaction_json(tx: &Transaction) -> Map<String, Value> {
    let h = &tx.header;
    let mut m = Map::new();
    m.insert("timeStamp".into(), json!(h.timestamp.0));
    m.insert("fee".into(), json!(h.fee.as_micro()));
    m.insert("type".into(), json!(tx.kind().code()));
    m.insert("deadline".into(), json!(h.deadline.0));
    m.insert("version".into(), json!(version_field(h.network, h.version)));
    m.insert("signer".into(), json!(h.signer.to_string()));
    match &tx.body {
        Body::Transfer(t) => {
            m.insert("recipient".into(), json!(t.recipient.to_string()));
            m.insert("amount".into(), json!(t.amount.as_micro()));
            let message = match &t.message {
                Some(msg) => {
                    json!({ "payload": hex::encode(&msg.payload), "type": msg.kind.code() })
                }
                None => json!({}),
            };
            m.insert("message".into(), message);
            if h.version == 2 {
                let mosaics: Vec<Value> = t
                    .mosaics
                    .iter()
                    .map(|x| {
                        json!({
                            "quantity": x.quantity,
                            "mosaicId": { "namespaceId": x.id.namespace, "name": x.id.name },
                        })
                    })
                    .collect();
                m.insert("mosaics".into(), Value::Array(mosaics));
            }
        }
        Body::Multisig(inner) => {
            m.insert("otherTrans".into(), Value::Object(transaction_json(inner)));
        }
        Body::MultisigSignature(s) => {
            m.insert(
                "otherHash".into(),
                json!({ "data": s.other_hash.to_string() }),
            );
            m.insert("otherAccount".into(), json!(s.other_account.to_string()));
        }
        Body::MultisigModification(x) => {
            let mods: Vec<Value> = x
                .modifications
                .iter()
                .map(|c| json!({ "modificationType": c.kind.code(), "cosignatoryAccount": c.cosignatory.to_string() }))
                .collect();
            m.insert("modifications".into(), Value::Array(mods));
            if h.version == 2 {
                let min = match x.min_cosignatories_change {
                    Some(change) => json!({ "relativeChange": change }),
                    None => json!({}),
                };
                m.insert("minCosignatories".into(), min);
            }
        }
        other => {
            crate::nis_json_other::write(other, &mut m);
        }
    }
    m
}

pub fn from_nis_json(value: &Value) -> Result<NisTransaction, NisJsonError> {
    let transaction = parse_transaction(value, "transaction")?;
    let signature = match value.get("signature") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            parse_str(Some(v), "signature")?
                .parse::<Signature>()
                .map_err(|e| err("signature", e.to_string()))?,
        ),
    };
    let mut cosignatures = Vec::new();
    if let Some(list) = value.get("signatures").and_then(Value::as_array) {
        for (i, s) in list.iter().enumerate() {
            let field = format!("signatures[{i}]");
            let t = parse_transaction(s, &field)?;
            let sig = parse_str(s.get("signature"), &format!("{field}.signature"))?
                .parse::<Signature>()
                .map_err(|e| err(&field, e.to_string()))?;
            cosignatures.push((t, sig));
        }
    }
    Ok(NisTransaction {
        transaction,
        signature,
        cosignatures,
    })
}

fn parse_str<'a>(v: Option<&'a Value>, field: &str) -> Result<&'a str, NisJsonError> {
    v.and_then(Value::as_str)
        .ok_or_else(|| err(field, "missing or not a string"))
}

fn parse_u64(v: Option<&Value>, field: &str) -> Result<u64, NisJsonError> {
    v.and_then(Value::as_u64)
        .ok_or_else(|| err(field, "missing or not a non-negative integer"))
}

fn parse_u32(v: Option<&Value>, field: &str) -> Result<u32, NisJsonError> {
    u32::try_from(parse_u64(v, field)?).map_err(|_| err(field, "out of range"))
}

fn parse_transaction(v: &Value, path: &str) -> Result<Transaction, NisJsonError> {
    let f = |name: &str| format!("{path}.{name}");
    let code = parse_u32(v.get("type"), &f("type"))?;
    let kind = TransactionType::from_code(code)
        .ok_or_else(|| err(&f("type"), format!("unknown type {code}")))?;
    let raw_version = v
        .get("version")
        .and_then(Value::as_i64)
        .ok_or_else(|| err(&f("version"), "missing"))?;
    let raw_version = i32::try_from(raw_version)
        .map_err(|_| err(&f("version"), "out of range for a signed 32-bit integer"))?
        as u32;
    let network = Network::from_byte((raw_version >> 24) as u8).ok_or_else(|| {
        err(
            &f("version"),
            format!("unknown network in version {raw_version:#x}"),
        )
    })?;
    let version = u8::try_from(raw_version & 0xFF_FFFF).map_err(|_| {
        err(
            &f("version"),
            format!("version {raw_version:#x} is not known"),
        )
    })?;
    crate::tx::canonical::check_version(kind, version).map_err(|e| err(&f("version"), e))?;
    let amount = |name: &str| -> Result<Amount, NisJsonError> {
        Amount::from_micro(parse_u64(v.get(name), &f(name))?)
            .map_err(|e| err(&f(name), e.to_string()))
    };
    let header = Header {
        network,
        version,
        timestamp: NemTimestamp(parse_u32(v.get("timeStamp"), &f("timeStamp"))?),
        signer: parse_str(v.get("signer"), &f("signer"))?
            .parse::<PublicKey>()
            .map_err(|e| err(&f("signer"), e.to_string()))?,
        fee: amount("fee")?,
        deadline: NemTimestamp(parse_u32(v.get("deadline"), &f("deadline"))?),
    };
    let address = |name: &str| -> Result<Address, NisJsonError> {
        Address::parse(parse_str(v.get(name), &f(name))?).map_err(|e| err(&f(name), e.to_string()))
    };
    let body = match kind {
        TransactionType::Transfer => {
            let message = match v.get("message") {
                Some(Value::Object(m)) if !m.is_empty() => {
                    let kind =
                        MessageType::from_code(parse_u32(m.get("type"), &f("message.type"))?)
                            .ok_or_else(|| err(&f("message.type"), "not 1 or 2"))?;
                    let payload =
                        crate::hexfmt::decode(parse_str(m.get("payload"), &f("message.payload"))?)
                            .map_err(|e| err(&f("message.payload"), e.to_string()))?;
                    (!payload.is_empty()).then_some(Message { kind, payload })
                }
                _ => None,
            };
            let mut mosaics = Vec::new();
            for (i, m) in v
                .get("mosaics")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let field = f(&format!("mosaics[{i}]"));
                let id = m
                    .get("mosaicId")
                    .ok_or_else(|| err(&field, "missing mosaicId"))?;
                mosaics.push(Mosaic {
                    id: MosaicId {
                        namespace: parse_str(id.get("namespaceId"), &field)?.to_string(),
                        name: parse_str(id.get("name"), &field)?.to_string(),
                    },
                    quantity: parse_u64(m.get("quantity"), &field)?,
                });
            }
            Body::Transfer(Transfer {
                recipient: address("recipient")?,
                amount: amount("amount")?,
                message,
                mosaics,
            })
        }
        TransactionType::Multisig => {
            let inner = v
                .get("otherTrans")
                .ok_or_else(|| err(&f("otherTrans"), "missing"))?;
            let inner = parse_transaction(inner, &f("otherTrans"))?;
            if !inner.kind().is_embeddable() {
                return Err(err(
                    &f("otherTrans.type"),
                    format!(
                        "a multisig wrapper cannot carry a {} transaction",
                        inner.kind().name()
                    ),
                ));
            }
            Body::Multisig(Box::new(inner))
        }
        TransactionType::MultisigSignature => {
            let hash = v.get("otherHash").and_then(|h| h.get("data"));
            Body::MultisigSignature(MultisigSignature {
                other_hash: parse_str(hash, &f("otherHash.data"))?
                    .parse::<Hash256>()
                    .map_err(|e| err(&f("otherHash"), e.to_string()))?,
                other_account: address("otherAccount")?,
            })
        }
        TransactionType::MultisigModification => {
            let mut modifications = Vec::new();
            for (i, m) in v
                .get("modifications")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let field = f(&format!("modifications[{i}]"));
                let kind = match parse_u32(m.get("modificationType"), &field)? {
                    1 => ModificationType::Add,
                    2 => ModificationType::Delete,
                    other => return Err(err(&field, format!("modificationType {other}"))),
                };
                let cosignatory = parse_str(m.get("cosignatoryAccount"), &field)?
                    .parse::<PublicKey>()
                    .map_err(|e| err(&field, e.to_string()))?;
                modifications.push(CosignatoryModification { kind, cosignatory });
            }
            let min_cosignatories_change = v
                .get("minCosignatories")
                .and_then(|m| m.get("relativeChange"))
                .map(|c| {
                    c.as_i64()
                        .and_then(|c| i32::try_from(c).ok())
                        .ok_or_else(|| {
                            err(
                                &f("minCosignatories.relativeChange"),
                                "not a 32-bit integer",
                            )
                        })
                })
                .transpose()?;
            Body::MultisigModification(AggregateModification {
                modifications,
                min_cosignatories_change,
            })
        }
        other => crate::nis_json_other::read(other, &header, v, path)?
            .ok_or_else(|| err(&f("type"), format!("{} is not read here", other.name())))?,
    };
    // The same canonical rules as the binary decoder: what is accepted here encodes.
    match &body {
        Body::Transfer(t) => crate::tx::canonical::check_transfer(&header, t),
        Body::MultisigModification(m) => crate::tx::canonical::check_modification(&header, m),
        _ => Ok(()),
    }
    .map_err(|e| err(path, e))?;
    Ok(Transaction { header, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer_json(version: i64) -> Value {
        json!({
            "timeStamp": 1, "fee": 100_000, "type": 257, "deadline": 3_601, "version": version,
            "signer": "7b8264d8e7c75a1bfea957721cc8a4b800e200972c426902b0e444f809ad4be2",
            "recipient": "TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6", "amount": 1, "message": {}
        })
    }

    #[test]
    fn versions_the_binary_codec_refuses_are_refused_here_too() {
        assert!(from_nis_json(&transfer_json(-1_744_830_463)).is_ok());
        for (version, why) in [
            (-1_744_830_461, "version 3"),
            (-1_744_830_463 + 0x100, "is not known"),
            (-1_744_830_463 - (1i64 << 32), "out of range"),
        ] {
            let e = from_nis_json(&transfer_json(version)).unwrap_err();
            assert_eq!(e.field, "transaction.version", "{e}");
            assert!(e.reason.contains(why), "{version}: {e}");
        }
    }

    #[test]
    fn version_is_signed_as_nis_writes_it() {
        assert_eq!(version_field(Network::Testnet, 1), -1_744_830_463);
        assert_eq!(version_field(Network::Testnet, 2), -1_744_830_462);
        assert_eq!(version_field(Network::Mainnet, 1), 1_744_830_465);
    }
}
