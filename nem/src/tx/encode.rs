//! Encoding to the non-verifiable form. Refuses non-canonical models rather than fixing them,
//! so that what is signed is exactly what NIS will re-serialize.

use thiserror::Error;

use super::canonical;
use super::codec::Writer;
use super::decode_other::{check_definition, check_provision, check_supply, property_texts};
use super::model::*;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot encode {kind}: {reason}")]
pub struct EncodeError {
    pub kind: &'static str,
    pub reason: String,
}

pub fn encode(tx: &Transaction) -> Result<Vec<u8>, EncodeError> {
    let mut w = Writer::default();
    write_transaction(&mut w, tx, false)?;
    Ok(w.buf)
}

fn write_transaction(w: &mut Writer, tx: &Transaction, inner: bool) -> Result<(), EncodeError> {
    let kind = tx.kind();
    let err = |reason: String| EncodeError {
        kind: kind.name(),
        reason,
    };
    if inner && !kind.is_embeddable() {
        return Err(err("a multisig wrapper cannot carry this type".into()));
    }
    let h = &tx.header;
    canonical::check_version(kind, h.version).map_err(err)?;
    if h.timestamp.0 > i32::MAX as u32 || h.deadline.0 > i32::MAX as u32 {
        return Err(err("timestamp and deadline must fit a Java int".into()));
    }
    w.u32(kind.code());
    w.u32((u32::from(h.network.byte()) << 24) | u32::from(h.version));
    w.u32(h.timestamp.0);
    w.sized(h.signer.as_bytes());
    w.u64(h.fee.as_micro());
    w.u32(h.deadline.0);
    match &tx.body {
        Body::Transfer(t) => {
            canonical::check_transfer(h, t).map_err(err)?;
            w.sized(t.recipient.as_bytes());
            w.u64(t.amount.as_micro());
            match &t.message {
                None => w.u32(0),
                Some(m) => w.nested(|w| {
                    w.u32(m.kind.code());
                    w.sized(&m.payload);
                }),
            }
            if h.version == 2 {
                w.u32(t.mosaics.len() as u32);
                for m in &t.mosaics {
                    w.nested(|w| {
                        write_mosaic_id(w, &m.id);
                        w.u64(m.quantity);
                    });
                }
            }
        }
        Body::Multisig(inner) => {
            let mut nested = Writer::default();
            write_transaction(&mut nested, inner, true)?;
            w.sized(&nested.buf);
        }
        Body::MultisigSignature(s) => {
            w.u32(36);
            w.sized(s.other_hash.as_bytes());
            w.sized(s.other_account.as_bytes());
        }
        Body::MultisigModification(m) => {
            canonical::check_modification(h, m).map_err(err)?;
            w.u32(m.modifications.len() as u32);
            for c in &m.modifications {
                w.u32(40);
                w.u32(c.kind.code());
                w.sized(c.cosignatory.as_bytes());
            }
            if h.version == 2 {
                match m.min_cosignatories_change {
                    None => w.u32(0),
                    Some(change) => {
                        w.u32(4);
                        w.u32(change as u32);
                    }
                }
            }
        }
        Body::ImportanceTransfer(t) => {
            w.u32(t.mode.code());
            w.sized(t.remote.as_bytes());
        }
        Body::ProvisionNamespace(p) => {
            check_provision(p).map_err(err)?;
            w.sized(p.sink.as_bytes());
            w.u64(p.rental_fee.as_micro());
            w.sized(p.new_part.as_bytes());
            w.optional_string(p.parent.as_deref());
        }
        Body::MosaicDefinition(d) => {
            check_definition(&h.signer, d).map_err(err)?;
            write_definition(w, &d.definition);
            w.sized(d.sink.as_bytes());
            w.u64(d.creation_fee.as_micro());
        }
        Body::MosaicSupplyChange(s) => {
            check_supply(s).map_err(err)?;
            write_mosaic_id(w, &s.mosaic);
            w.u32(s.kind.code());
            w.u64(s.delta);
        }
    }
    Ok(())
}

fn write_mosaic_id(w: &mut Writer, id: &MosaicId) {
    w.nested(|w| {
        w.sized(id.namespace.as_bytes());
        w.sized(id.name.as_bytes());
    });
}

fn write_definition(w: &mut Writer, d: &MosaicDefinition) {
    w.nested(|w| {
        w.sized(d.creator.as_bytes());
        write_mosaic_id(w, &d.id);
        w.sized(d.description.as_bytes());
        let properties = property_texts(&d.properties);
        w.u32(properties.len() as u32);
        for (name, value) in &properties {
            w.nested(|w| {
                w.sized(name.as_bytes());
                w.sized(value.as_bytes());
            });
        }
        match &d.levy {
            None => w.u32(0),
            Some(levy) => w.nested(|w| {
                w.u32(levy.kind.code());
                w.sized(levy.recipient.as_bytes());
                write_mosaic_id(w, &levy.mosaic);
                w.u64(levy.fee);
            }),
        }
    });
}
