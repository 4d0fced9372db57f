//! Fee and message rules. The multisig account pays every fee and NIS checks only a lower
//! bound, so a fee above the minimum is money leaving the treasury.

use nem::tx::MessageType;

use super::Ctx;
use crate::decision::Outcome;

pub(super) fn fee(ctx: &mut Ctx<'_>) {
    let fee = ctx.req.tx.header.fee;
    let minimum = ctx.req.minimum_fee;
    if fee < minimum {
        ctx.fire(
            "fee",
            "safety",
            Outcome::Deny,
            format!("fee {fee} is below the NIS minimum {minimum}"),
        );
        return;
    }
    match ctx.policy.safety.fee_cap {
        Some(cap) if fee > cap => {
            ctx.fire(
                "fee_cap",
                "safety",
                Outcome::Deny,
                format!("fee {fee} is above the cap {cap}"),
            );
        }
        None if fee != minimum => {
            let reason = format!(
                "fee {fee} is above the NIS minimum {minimum}; only the minimum is allowed (set safety.fee_cap to allow more)"
            );
            ctx.fire("fee", "safety", Outcome::Deny, reason);
        }
        _ => {}
    }
}

pub(super) fn message(ctx: &mut Ctx<'_>) {
    let Some(t) = ctx.req.tx.transfer() else {
        return;
    };
    let s = &ctx.policy.safety;
    match &t.message {
        Some(m) if m.kind == MessageType::Encrypted && !s.allow_encrypted => {
            ctx.fire(
                "message",
                "safety",
                Outcome::Deny,
                "encrypted messages are refused: this cosigner cannot read them".into(),
            );
        }
        Some(m) if m.payload.len() > s.message_max_bytes => {
            let reason = format!(
                "message is {} bytes; at most {}",
                m.payload.len(),
                s.message_max_bytes
            );
            ctx.fire("message", "safety", Outcome::Deny, reason);
        }
        _ => {}
    }
    if let Some(pattern) = &s.message_pattern {
        let text = t
            .message
            .as_ref()
            .filter(|m| m.kind == MessageType::Plain)
            .and_then(|m| std::str::from_utf8(&m.payload).ok());
        match text {
            Some(text) if pattern.is_match(text) => {}
            Some(text) => {
                let reason = format!(
                    "message '{}' does not match the required pattern {}",
                    text.escape_debug(),
                    pattern.as_str()
                );
                ctx.fire("memo", "safety", Outcome::Deny, reason);
            }
            None => ctx.fire(
                "memo",
                "safety",
                Outcome::Deny,
                format!(
                    "a plain text message matching {} is required",
                    pattern.as_str()
                ),
            ),
        }
    }
}
