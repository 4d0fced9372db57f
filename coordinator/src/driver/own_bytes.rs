//! Bytes of its own for every withdrawal. Two withdrawals with the same account, recipient,
//! amount and message prepared in the same second build the same bytes, so the same hash:
//! NIS takes them as one transaction and pays once, while both proposals would read as
//! confirmed when that hash does. Prepare makes the deadline one second earlier until the
//! bytes are new. The store refuses bytes another proposal or draft has (the check that
//! counts); a hint hands each of the current second's identical withdrawals a shift of its
//! own, so a burst of them prepared at once does not try the same deadlines in lockstep.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use nem::{Hash256, NemTimestamp, Transaction};

use super::{Coordinator, DriverError};
use crate::store::{Draft, StoreError};

/// How much earlier than configured a deadline is made at most (and never by more than half
/// the time the configuration gives a withdrawal).
pub const MAX_SHIFT_SECONDS: u32 = 600;

/// For the last few seconds: (second, the bytes built first) → the next deadline shift to
/// hand out, and the newest second seen.
#[derive(Default)]
pub struct Shifts {
    handed: Mutex<(NemTimestamp, Handed)>,
}

/// (second, the bytes built first) → the next shift to hand out.
type Handed = HashMap<(NemTimestamp, Hash256), u32>;

/// Seconds a second's shifts are remembered after a later one is seen: Prepares that build in
/// neighbouring seconds at once keep theirs.
const REMEMBERED_SECONDS: u32 = 5;

impl Shifts {
    /// A shift no other withdrawal of this second with these first bytes was handed, up to
    /// `most` (which may be handed out more than once).
    fn claim(&self, timestamp: NemTimestamp, first: Hash256, most: u32) -> u32 {
        let mut guard = self.handed.lock().unwrap_or_else(|e| e.into_inner());
        let (newest, handed) = &mut *guard;
        // Once per new second, the seconds too old to matter are forgotten.
        if timestamp > *newest {
            *newest = timestamp;
            handed.retain(|(t, _), _| t.0.saturating_add(REMEMBERED_SECONDS) >= timestamp.0);
        }
        let next = handed.entry((timestamp, first)).or_default();
        let shift = (*next).min(most);
        *next = next.saturating_add(1);
        shift
    }
}

/// The shift to try: the one handed out, and always past the one this Prepare just tried, so
/// its tries end within `most` + 1 whatever the hint says.
fn next_shift(handed: u32, tried: Option<u32>, most: u32) -> u32 {
    tried
        .map_or(handed, |t| handed.max(t.saturating_add(1)))
        .min(most)
}

/// What a draft is made of, besides its bytes.
pub struct Request {
    pub id: String,
    pub idempotency_key: String,
    pub request_digest: String,
    /// The same in the older form (see `digest`), to recognise drafts stored before.
    pub legacy_digest: String,
}

fn encode(tx: &Transaction) -> Result<Vec<u8>, DriverError> {
    tx.to_bytes().map_err(|e| DriverError::Invalid {
        field: "inner_transaction",
        problem: e.to_string(),
    })
}

/// Stores a draft of `tx` whose bytes no other proposal has: its deadline as built, or up to
/// [`MAX_SHIFT_SECONDS`] earlier. The stored draft (a retry of the same idempotency key
/// answers with the first).
pub async fn draft(
    c: &Arc<Coordinator>,
    mut tx: Transaction,
    request: Request,
) -> Result<Draft, DriverError> {
    let (timestamp, deadline) = (tx.header.timestamp, tx.header.deadline);
    let first = Hash256::of(&encode(&tx)?);
    let most = MAX_SHIFT_SECONDS.min(deadline.0.saturating_sub(timestamp.0) / 2);
    let mut tried = None;
    loop {
        let shift = next_shift(c.shifts.claim(timestamp, first, most), tried, most);
        tx.header.deadline = NemTimestamp(deadline.0.saturating_sub(shift));
        let draft = Draft {
            id: request.id.clone(),
            idempotency_key: request.idempotency_key.clone(),
            account: tx.signer_address(),
            inner: encode(&tx)?,
            deadline: tx.header.deadline,
            request_digest: request.request_digest.clone(),
            legacy_digest: Some(request.legacy_digest.clone()),
        };
        match c.put_draft(draft).await {
            Err(StoreError::SameBytes { .. }) if shift < most => tried = Some(shift),
            Err(StoreError::SameBytes { existing }) => {
                return Err(DriverError::Crowded {
                    alike: most + 1,
                    last: existing,
                });
            }
            stored => return Ok(stored?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Withdrawals alike prepared at once each get a deadline shift of their own, up to the
    /// most allowed; other bytes and other seconds start from none, and a second's shifts are
    /// kept while a neighbouring second is prepared.
    #[test]
    fn each_alike_withdrawal_of_a_second_gets_its_own_shift() {
        let shifts = Shifts::default();
        let (a, b) = (Hash256::of(b"a"), Hash256::of(b"b"));
        let second = NemTimestamp(100);
        let handed: Vec<u32> = (0..5).map(|_| shifts.claim(second, a, 3)).collect();
        assert_eq!(handed, [0, 1, 2, 3, 3]);
        assert_eq!(shifts.claim(second, b, 3), 0, "other bytes start from none");
        assert_eq!(shifts.claim(NemTimestamp(101), a, 3), 0, "a new second too");
        assert_eq!(shifts.claim(second, a, 9), 5, "the second before is kept");
    }

    /// A Prepare's tries always move on, even when the hint hands it an earlier shift (two
    /// seconds' Prepares at once, a hint that forgot): at most `most` + 1 tries.
    #[test]
    fn the_tries_of_one_prepare_always_move_on() {
        assert_eq!(next_shift(4, None, 10), 4);
        assert_eq!(next_shift(0, Some(4), 10), 5, "past the one just tried");
        assert_eq!(next_shift(7, Some(4), 10), 7);
        assert_eq!(next_shift(0, Some(10), 10), 10, "never past the most");
        let mut tried = None;
        let mut tries = 0;
        loop {
            let shift = next_shift(0, tried, 10);
            tries += 1;
            if shift == 10 {
                break;
            }
            tried = Some(shift);
        }
        assert_eq!(tries, 11);
    }
}
