//! Safety bounds: fees, the unconfirmed cap, deadlines, clock skew, messages.

use super::{Change, Direction, ch, compare};
use crate::model::{Policy, Safety};

/// Each bound, named: a new one does not compile until it is compared here.
pub(super) fn safety(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    use Direction::*;
    let Safety {
        fee_cap: _,
        max_unconfirmed,
        max_deadline_seconds: _,
        max_timestamp_skew_seconds: _,
        message_max_bytes,
        message_pattern: _,
        allow_encrypted: _,
    } = &new.safety;
    let (os, ns) = (&old.safety, &new.safety);
    if os.fee_cap != ns.fee_cap {
        let value = |c: Option<nem::Amount>| c.map_or(0, |a| u128::from(a.as_micro()));
        out.push(ch(
            compare(value(os.fee_cap), value(ns.fee_cap)),
            format!(
                "fee cap: {:?} → {:?}",
                os.fee_cap.map(|a| a.to_string()),
                ns.fee_cap.map(|a| a.to_string())
            ),
        ));
    }
    if os.max_deadline_seconds != ns.max_deadline_seconds {
        out.push(ch(
            compare(
                u128::from(os.max_deadline_seconds),
                u128::from(ns.max_deadline_seconds),
            ),
            format!(
                "max deadline: {}s → {}s",
                os.max_deadline_seconds, ns.max_deadline_seconds
            ),
        ));
    }
    if os.max_timestamp_skew_seconds != ns.max_timestamp_skew_seconds {
        out.push(ch(
            compare(
                u128::from(os.max_timestamp_skew_seconds),
                u128::from(ns.max_timestamp_skew_seconds),
            ),
            format!(
                "max timestamp skew: {}s → {}s",
                os.max_timestamp_skew_seconds, ns.max_timestamp_skew_seconds
            ),
        ));
    }
    if os.allow_encrypted != ns.allow_encrypted {
        out.push(ch(
            if ns.allow_encrypted { Looser } else { Tighter },
            format!(
                "encrypted messages allowed: {} → {}",
                os.allow_encrypted, ns.allow_encrypted
            ),
        ));
    }
    if os.message_pattern.as_ref().map(|r| r.as_str())
        != ns.message_pattern.as_ref().map(|r| r.as_str())
    {
        out.push(ch(
            Neutral,
            format!(
                "required memo pattern: {:?} → {:?}",
                os.message_pattern.as_ref().map(|r| r.as_str()),
                ns.message_pattern.as_ref().map(|r| r.as_str())
            ),
        ));
    }
    let os = &old.safety;
    if os.max_unconfirmed != *max_unconfirmed {
        // No cap at all allows the most.
        let value = |c: Option<nem::Amount>| c.map_or(u128::MAX, |a| u128::from(a.as_micro()));
        out.push(ch(
            compare(value(os.max_unconfirmed), value(*max_unconfirmed)),
            format!(
                "max unconfirmed: {:?} → {:?}",
                os.max_unconfirmed.map(|a| a.to_string()),
                max_unconfirmed.map(|a| a.to_string())
            ),
        ));
    }
    if os.message_max_bytes != *message_max_bytes {
        out.push(ch(
            compare(os.message_max_bytes as u128, *message_max_bytes as u128),
            format!(
                "longest message: {} → {} bytes",
                os.message_max_bytes, message_max_bytes
            ),
        ));
    }
}
