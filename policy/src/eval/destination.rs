//! Destinations: the denylist always wins; whitelisted entries only after their cooling-off.
//! A transfer's recipient is judged, and so is the recipient of a new mosaic's levy, which
//! every later transfer of the mosaic pays.

use nem::Address;
use nem::tx::Body;

use super::Ctx;
use crate::decision::Outcome;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    match &ctx.req.tx.body {
        Body::Transfer(t) => judge(ctx, t.recipient, ""),
        Body::MosaicDefinition(d) => {
            if let Some(levy) = &d.definition.levy {
                judge(ctx, levy.recipient, "the levy recipient ");
            }
        }
        _ => {}
    }
}

/// `who` names the role of `to` in reasons ("" for a transfer's recipient).
fn judge(ctx: &mut Ctx<'_>, to: Address, who: &str) {
    if let Some(reason) = ctx.policy.denylist.get(&to) {
        ctx.fire(
            "denylist",
            "destination",
            Outcome::Deny,
            format!("{who}{to} is denylisted: {reason}"),
        );
        return;
    }
    match ctx.policy.whitelist.get(&to) {
        Some(entry) if entry.active_from <= ctx.req.now => {
            let reason = format!("{who}{to} is whitelisted as '{}'", entry.label);
            ctx.fire("whitelist", "destination", Outcome::Allow, reason);
        }
        Some(entry) => {
            let reason = format!(
                "{who}{to} ('{}') is in its cooling-off period until {}",
                entry.label, entry.active_from
            );
            ctx.fire("whitelist", "destination", Outcome::Deny, reason);
        }
        None => {
            let outcome = ctx.policy.unlisted;
            let mut reason = format!("{who}{to} is not on the whitelist");
            if let Some((address, label)) = look_alike(ctx, &to) {
                reason.push_str(&format!(
                    "; it resembles whitelisted '{label}' ({address}): check every character"
                ));
            }
            if outcome == Outcome::Allow && ctx.policy.whitelist.is_empty() {
                reason = format!("{who}{to}: this policy has no destination whitelist");
            }
            ctx.fire("unlisted_destination", "destination", outcome, reason);
        }
    }
}

/// A whitelisted address that looks like `to` at a glance: the shape of an address
/// poisoning attack.
fn look_alike<'a>(ctx: &'a Ctx<'_>, to: &Address) -> Option<(Address, &'a str)> {
    ctx.policy
        .whitelist
        .iter()
        .find_map(|(a, e)| resembles(a.as_str(), to.as_str()).then_some((*a, e.label.as_str())))
}

/// Same first 5 and last 4 characters but not equal: what a person checking only the ends of
/// an address would accept.
fn resembles(a: &str, b: &str) -> bool {
    a != b
        && a.len() == b.len()
        && a.len() >= 9
        && a[..5] == b[..5]
        && a[a.len() - 4..] == b[b.len() - 4..]
}

#[cfg(test)]
mod tests {
    use super::resembles;

    #[test]
    fn look_alikes_share_both_ends() {
        let whitelisted = "TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6";
        assert!(resembles(
            whitelisted,
            "TCQW2XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXQCJ6"
        ));
        assert!(!resembles(whitelisted, whitelisted));
        assert!(!resembles(
            whitelisted,
            "TCQW2XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXQCJ7"
        ));
        assert!(!resembles(
            whitelisted,
            "TDQW2XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXQCJ6"
        ));
    }
}
