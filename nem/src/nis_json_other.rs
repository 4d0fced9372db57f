//! NIS's JSON for importance transfers, namespace provisions, mosaic definitions and supply
//! changes (nem.core's `serializeImpl` of each, through its JSON serializer).

use serde_json::{Map, Value, json};

use crate::address::Address;
use crate::amount::Amount;
use crate::keys::PublicKey;
use crate::nis_json_error::{NisJsonError, err};
use crate::tx::*;

fn mosaic_id_json(id: &MosaicId) -> Value {
    json!({ "namespaceId": id.namespace, "name": id.name })
}

/// Adds the body fields of `body` to `m`; false for the types `nis_json` writes itself.
pub(crate) fn write(body: &Body, m: &mut Map<String, Value>) -> bool {
    match body {
        Body::ImportanceTransfer(t) => {
            m.insert("mode".into(), json!(t.mode.code()));
            m.insert("remoteAccount".into(), json!(t.remote.to_string()));
        }
        Body::ProvisionNamespace(p) => {
            m.insert("rentalFeeSink".into(), json!(p.sink.to_string()));
            m.insert("rentalFee".into(), json!(p.rental_fee.as_micro()));
            m.insert("newPart".into(), json!(p.new_part));
            m.insert("parent".into(), json!(p.parent));
        }
        Body::MosaicDefinition(d) => {
            let def = &d.definition;
            let properties: Vec<Value> = property_texts(&def.properties)
                .iter()
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect();
            let levy = match &def.levy {
                None => json!({}),
                Some(l) => json!({
                    "type": l.kind.code(),
                    "recipient": l.recipient.to_string(),
                    "mosaicId": mosaic_id_json(&l.mosaic),
                    "fee": l.fee,
                }),
            };
            m.insert(
                "mosaicDefinition".into(),
                json!({
                    "creator": def.creator.to_string(),
                    "id": mosaic_id_json(&def.id),
                    "description": def.description,
                    "properties": properties,
                    "levy": levy,
                }),
            );
            m.insert("creationFeeSink".into(), json!(d.sink.to_string()));
            m.insert("creationFee".into(), json!(d.creation_fee.as_micro()));
        }
        Body::MosaicSupplyChange(s) => {
            m.insert("mosaicId".into(), mosaic_id_json(&s.mosaic));
            m.insert("supplyType".into(), json!(s.kind.code()));
            m.insert("delta".into(), json!(s.delta));
        }
        _ => return false,
    }
    true
}

struct Fields<'a> {
    v: &'a Value,
    path: &'a str,
}

impl Fields<'_> {
    fn name(&self, field: &str) -> String {
        format!("{}.{field}", self.path)
    }

    fn get(&self, field: &str) -> Result<&Value, NisJsonError> {
        self.v
            .get(field)
            .ok_or_else(|| err(&self.name(field), "missing"))
    }

    fn str(&self, field: &str) -> Result<&str, NisJsonError> {
        self.get(field)?
            .as_str()
            .ok_or_else(|| err(&self.name(field), "not a string"))
    }

    fn u64(&self, field: &str) -> Result<u64, NisJsonError> {
        self.get(field)?
            .as_u64()
            .ok_or_else(|| err(&self.name(field), "not a non-negative integer"))
    }

    fn u32(&self, field: &str) -> Result<u32, NisJsonError> {
        u32::try_from(self.u64(field)?).map_err(|_| err(&self.name(field), "out of range"))
    }

    fn address(&self, field: &str) -> Result<Address, NisJsonError> {
        Address::parse(self.str(field)?).map_err(|e| err(&self.name(field), e.to_string()))
    }

    fn key(&self, field: &str) -> Result<PublicKey, NisJsonError> {
        self.str(field)?
            .parse()
            .map_err(|e: crate::keys::KeyError| err(&self.name(field), e.to_string()))
    }

    fn amount(&self, field: &str) -> Result<Amount, NisJsonError> {
        Amount::from_micro(self.u64(field)?).map_err(|e| err(&self.name(field), e.to_string()))
    }

    fn mosaic_id(&self, field: &str) -> Result<MosaicId, NisJsonError> {
        let id = Fields {
            v: self.get(field)?,
            path: &self.name(field),
        };
        Ok(MosaicId {
            namespace: id.str("namespaceId")?.to_string(),
            name: id.str("name")?.to_string(),
        })
    }

    fn code<T>(&self, field: &str, from: fn(u32) -> Option<T>) -> Result<T, NisJsonError> {
        let code = self.u32(field)?;
        from(code).ok_or_else(|| err(&self.name(field), format!("{code} is not a known value")))
    }
}

/// The body of `kind` from NIS's JSON, for the types this module writes.
pub(crate) fn read(
    kind: TransactionType,
    header: &Header,
    v: &Value,
    path: &str,
) -> Result<Option<Body>, NisJsonError> {
    let f = Fields { v, path };
    let invalid = |e: String| err(path, e);
    let body = match kind {
        TransactionType::ImportanceTransfer => Body::ImportanceTransfer(ImportanceTransfer {
            mode: f.code("mode", ImportanceMode::from_code)?,
            remote: f.key("remoteAccount")?,
        }),
        TransactionType::ProvisionNamespace => {
            let p = ProvisionNamespace {
                sink: f.address("rentalFeeSink")?,
                rental_fee: f.amount("rentalFee")?,
                new_part: f.str("newPart")?.to_string(),
                parent: match f.get("parent") {
                    Err(_) | Ok(Value::Null) => None,
                    Ok(_) => Some(f.str("parent")?.to_string()),
                },
            };
            check_provision(&p).map_err(invalid)?;
            Body::ProvisionNamespace(p)
        }
        TransactionType::MosaicDefinition => {
            let d = MosaicDefinitionCreation {
                definition: definition(&Fields {
                    v: f.get("mosaicDefinition")?,
                    path: &f.name("mosaicDefinition"),
                })?,
                sink: f.address("creationFeeSink")?,
                creation_fee: f.amount("creationFee")?,
            };
            check_definition(&header.signer, &d).map_err(invalid)?;
            Body::MosaicDefinition(d)
        }
        TransactionType::MosaicSupplyChange => {
            let s = MosaicSupplyChange {
                mosaic: f.mosaic_id("mosaicId")?,
                kind: f.code("supplyType", SupplyKind::from_code)?,
                delta: f.u64("delta")?,
            };
            check_supply(&s).map_err(invalid)?;
            Body::MosaicSupplyChange(s)
        }
        _ => return Ok(None),
    };
    Ok(Some(body))
}

fn definition(d: &Fields<'_>) -> Result<MosaicDefinition, NisJsonError> {
    let mut texts = std::collections::HashMap::new();
    for (i, p) in d
        .get("properties")?
        .as_array()
        .ok_or_else(|| err(&d.name("properties"), "not a list"))?
        .iter()
        .enumerate()
    {
        let path = d.name(&format!("properties[{i}]"));
        let p = Fields { v: p, path: &path };
        texts.insert(p.str("name")?.to_string(), p.str("value")?.to_string());
    }
    let property = |name: &str| {
        texts
            .get(name)
            .ok_or_else(|| err(&d.name("properties"), format!("no {name}")))
    };
    let flag = |name: &str| match property(name)?.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(err(&d.name("properties"), format!("{name} '{other}'"))),
    };
    let number = |name: &str| {
        property(name)?
            .parse::<u64>()
            .map_err(|e| err(&d.name("properties"), format!("{name}: {e}")))
    };
    let properties = MosaicProperties {
        divisibility: u8::try_from(number("divisibility")?)
            .map_err(|_| err(&d.name("properties"), "divisibility out of range"))?,
        initial_supply: number("initialSupply")?,
        supply_mutable: flag("supplyMutable")?,
        transferable: flag("transferable")?,
    };
    let levy = match d.get("levy") {
        Ok(Value::Object(l)) if !l.is_empty() => {
            let path = d.name("levy");
            let l = Fields {
                v: d.get("levy")?,
                path: &path,
            };
            Some(MosaicLevy {
                kind: l.code("type", LevyKind::from_code)?,
                recipient: l.address("recipient")?,
                mosaic: l.mosaic_id("mosaicId")?,
                fee: l.u64("fee")?,
            })
        }
        _ => None,
    };
    Ok(MosaicDefinition {
        creator: d.key("creator")?,
        id: d.mosaic_id("id")?,
        description: d.str("description")?.to_string(),
        properties,
        levy,
    })
}
