//! Destinations: what happens to unlisted ones, the whitelist with its cooling-off, the
//! denylist.

use std::collections::HashMap;

use nem::Address;

use super::compiler::Compiler;
use crate::decision::Outcome;
use crate::model::WhitelistEntry;
use crate::problem::Path;
use crate::raw::RawPolicy;

/// Unlisted destinations are denied unless the policy says otherwise.
pub(super) fn destinations(
    c: &mut Compiler,
    raw: &RawPolicy,
) -> (
    Outcome,
    HashMap<Address, WhitelistEntry>,
    HashMap<Address, String>,
) {
    let p = Path::root;
    let mut whitelist = HashMap::new();
    let mut denylist = HashMap::new();
    let mut unlisted = Outcome::Deny;
    if let Some(d) = &raw.destinations {
        let path = p().key("destinations");
        unlisted = c.outcome(
            path.key("unlisted"),
            None,
            d.unlisted.as_deref(),
            Outcome::Deny,
            &[Outcome::Deny, Outcome::NeedsApproval, Outcome::Allow],
        );
        for (i, w) in d.whitelist.iter().enumerate() {
            let entry = path.key("whitelist").index(i);
            let address = c.address(entry.key("address"), Some(&w.label), &w.address);
            let active_from = match w.active_from.parse::<jiff::Timestamp>() {
                Ok(t) => Some(t),
                Err(e) => {
                    c.problem(
                        entry.key("active_from"),
                        Some(&w.label),
                        format!(
                            "'{}' is not an RFC 3339 time like 2026-11-01T09:00:00Z: {e}",
                            w.active_from
                        ),
                    );
                    None
                }
            };
            if let (Some(address), Some(active_from)) = (address, active_from)
                && whitelist
                    .insert(
                        address,
                        WhitelistEntry {
                            label: w.label.clone(),
                            active_from,
                        },
                    )
                    .is_some()
            {
                c.problem(
                    entry.key("address"),
                    Some(&w.label),
                    format!("{address} is whitelisted twice"),
                );
            }
        }
        for (i, x) in d.denylist.iter().enumerate() {
            let entry = path.key("denylist").index(i);
            if let Some(address) = c.address(entry.key("address"), None, &x.address) {
                denylist.insert(address, x.reason.clone());
            }
        }
    }

    (unlisted, whitelist, denylist)
}
