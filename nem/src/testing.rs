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
