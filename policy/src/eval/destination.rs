//! Destinations: the denylist always wins; whitelisted entries only after their cooling-off.

use nem::Address;

use super::Ctx;
use crate::decision::Outcome;

pub(super) fn check(ctx: &mut Ctx<'_>) {
    let Some(t) = ctx.req.tx.transfer() else {
        return;
    };
    let to = t.recipient;
    if let Some(reason) = ctx.policy.denylist.get(&to) {
        ctx.fire(
            "denylist",
            "destination",
            Outcome::Deny,
            format!("{to} is denylisted: {reason}"),
        );
        return;
    }
    match ctx.policy.whitelist.get(&to) {
        Some(entry) if entry.active_from <= ctx.req.now => {
            let reason = format!("{to} is whitelisted as '{}'", entry.label);
            ctx.fire("whitelist", "destination", Outcome::Allow, reason);
        }
        Some(entry) => {
            let reason = format!(
                "{to} ('{}') is in its cooling-off period until {}",
                entry.label, entry.active_from
            );
            ctx.fire("whitelist", "destination", Outcome::Deny, reason);
        }
        None => {
            let outcome = ctx.policy.unlisted;
            let mut reason = format!("{to} is not on the whitelist");
            if let Some((address, label)) = look_alike(ctx, &to) {
                reason.push_str(&format!(
                    "; it resembles whitelisted '{label}' ({address}): check every character"
                ));
            }
            if outcome == Outcome::Allow && ctx.policy.whitelist.is_empty() {
                reason = format!("{to}: this policy has no destination whitelist");
            }
            ctx.fire("unlisted_destination", "destination", outcome, reason);
        }
    }
}

/// A whitelisted address sharing the first 6 and last 4 characters: the shape of an address
/// poisoning attack.
fn look_alike<'a>(ctx: &'a Ctx<'_>, to: &Address) -> Option<(Address, &'a str)> {
    let s = to.as_str();
    ctx.policy.whitelist.iter().find_map(|(a, e)| {
        let w = a.as_str();
        (w[..6] == s[..6] && w[36..] == s[36..]).then_some((*a, e.label.as_str()))
    })
}
