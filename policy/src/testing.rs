//! The invariants the policy fuzz target checks, shared with the corpus replay test so that
//! CI checks the committed corpus without a fuzzer.

use nem::tx::{Body, Header, Message, MessageType, MosaicId, Transfer};
use nem::{Address, Amount, NemTimestamp, PublicKey, Transaction};

use crate::{Outflow, Request, WindowedHistory, evaluate_as, lint};

/// For any bytes as a policy file: linting either lists problems, each placed inside the text,
/// or gives a policy that lints to the same hash again and decides on a withdrawal (with
/// history) without panicking.
pub fn lint_and_evaluate(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count() + 1;
    let linted = match lint(&text) {
        Ok(linted) => linted,
        Err(problems) => {
            if problems.is_empty() {
                return Err("refused with no problem named".into());
            }
            return match problems.iter().find(|p| p.line > lines) {
                Some(p) => Err(format!("problem placed past the end of the text: {p}")),
                None => Ok(()),
            };
        }
    };
    let again = lint(&text).map_err(|_| "the same text linted twice: once refused".to_string())?;
    if again.policy.hash != linted.policy.hash {
        return Err("the same text linted to two hashes".into());
    }
    let policy = &linted.policy;
    let account = policy
        .accounts
        .first()
        .copied()
        .unwrap_or_else(|| Address::from_public_key(&PublicKey([7; 32]), policy.network));
    let to = Address::from_public_key(&PublicKey([8; 32]), policy.network);
    let at = jiff::Timestamp::from_second(1_780_000_000).map_err(|e| e.to_string())?;
    let timestamp = NemTimestamp::from_timestamp(at).ok_or("timestamp out of range")?;
    let tx = Transaction {
        header: Header {
            network: policy.network,
            version: 1,
            timestamp,
            signer: PublicKey([7; 32]),
            fee: Amount::from_micro(100_000).map_err(|e| e.to_string())?,
            deadline: NemTimestamp(timestamp.0 + 3_600),
        },
        body: Body::Transfer(Transfer {
            recipient: to,
            amount: Amount::from_xem(1_000).map_err(|e| e.to_string())?,
            message: Some(Message {
                kind: MessageType::Plain,
                payload: b"WD-1".to_vec(),
            }),
            mosaics: vec![],
        }),
    };
    let mut history = WindowedHistory::new();
    history.record(&Outflow {
        at: at - jiff::SignedDuration::from_hours(1),
        account,
        destination: Some(to),
        proposer: None,
        asset: MosaicId::xem(),
        amount: 5_000_000_000,
    });
    let req = Request {
        tx: &tx,
        proposer: PublicKey([9; 32]),
        now: at,
        minimum_fee: Amount::from_micro(100_000).map_err(|e| e.to_string())?,
        cosignatories: 3,
    };
    let decision = evaluate_as(policy, &req, account, &history);
    let _ = format!("{decision:?}");
    Ok(())
}
