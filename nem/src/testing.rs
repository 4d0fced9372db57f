//! Helpers for tests and fuzzing: the decoder invariants the fuzz target checks (shared with
//! the corpus replay test, so CI checks the corpus without a fuzzer), and hostile inputs.

use crate::json::{from_json, to_json};
use crate::keys::{GROUP_ORDER_LE, Signature};
use crate::tx::Transaction;

/// The same signature with S + L in place of S: valid mod L, but not canonical. NIS refuses it.
pub fn non_canonical_twin(signature: &Signature) -> Signature {
    let mut twin = *signature;
    let mut carry = 0u16;
    for (i, l) in GROUP_ORDER_LE.iter().enumerate() {
        let sum = u16::from(signature.0[32 + i]) + u16::from(*l) + carry;
        twin.0[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    // S < L < 2^253, so S + L < 2^254 and the carry out is always zero.
    twin
}

/// For any input: decoding either fails, or yields a transaction that encodes back to exactly
/// the input and survives the JSON round trip unchanged.
pub fn decode_round_trip(data: &[u8]) -> Result<(), String> {
    let Ok(tx) = Transaction::from_bytes(data) else {
        return Ok(());
    };
    let again = tx
        .to_bytes()
        .map_err(|e| format!("decoded transaction does not encode: {e}"))?;
    if again != data {
        return Err("decode then encode changed the bytes".into());
    }
    let json = to_json(&tx).map_err(|e| format!("to_json failed: {e}"))?;
    let back = from_json(&json).map_err(|e| format!("from_json refused to_json's output: {e}"))?;
    if back != tx {
        return Err("JSON round trip changed the transaction".into());
    }
    Ok(())
}

#[cfg(feature = "client")]
/// For any bytes a node might answer with: every answer type Hanko reads either refuses them
/// with an error or yields values whose use does not panic, and every transaction it accepts
/// in NIS JSON comes back unchanged through Hanko's own NIS JSON.
pub fn nis_answers(data: &[u8]) -> Result<(), String> {
    use crate::client::*;
    use crate::nis_json::{from_nis_json, to_nis_json};
    const PATH: &str = "/fuzz";
    let round_trip = |value: &serde_json::Value| -> Result<(), String> {
        let Ok(tx) = from_nis_json(value) else {
            return Ok(());
        };
        let again = from_nis_json(&to_nis_json(&tx))
            .map_err(|e| format!("from_nis_json refused to_nis_json's output: {e}"))?;
        if again != tx {
            return Err("NIS JSON round trip changed the transaction".into());
        }
        Ok(())
    };
    let _ = decode_answer::<serde_json::Value>(PATH, 500, data).map_err(|e| e.to_string());
    if let Ok(value) = decode_answer::<serde_json::Value>(PATH, 200, data) {
        round_trip(&value)?;
    }
    if let Ok(r) = decode_answer::<NemAnnounceResult>(PATH, 200, data) {
        let _ = r.into_announced();
    }
    if let Ok(a) = decode_answer::<AccountMetaDataPair>(PATH, 200, data) {
        let _ = a
            .account
            .multisig_info
            .as_ref()
            .map(|m| m.required_signatures());
    }
    if let Ok(n) = decode_answer::<NodeInfo>(PATH, 200, data) {
        let _ = n.network();
    }
    if let Ok(t) = decode_answer::<NetworkTime>(PATH, 200, data) {
        let _ = crate::time::NemTimestamp::from_network_millis(t.send_time_stamp);
    }
    let _ = decode_answer::<ChainHeight>(PATH, 200, data);
    let _ = decode_answer::<NemRequestResult>(PATH, 200, data);
    if let Ok(list) = decode_answer::<DataList<TransactionMetaDataPair>>(PATH, 200, data) {
        for t in &list.data {
            round_trip(&t.transaction)?;
        }
    }
    if let Ok(t) = decode_answer::<TransactionMetaDataPair>(PATH, 200, data) {
        round_trip(&t.transaction)?;
    }
    if let Ok(list) = decode_answer::<DataList<UnconfirmedTransaction>>(PATH, 200, data) {
        for t in &list.data {
            round_trip(&t.transaction)?;
        }
    }
    Ok(())
}
