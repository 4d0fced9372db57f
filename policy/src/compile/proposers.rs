//! Who may propose: the listed proposers, or any key when the policy says so.

use nem::{Amount, PublicKey};

use super::compiler::Compiler;
use crate::model::Proposer;
use crate::problem::Path;
use crate::raw::RawPolicy;

/// The listed proposers, and whether the policy lets any key propose.
pub(super) fn proposers(c: &mut Compiler, raw: &RawPolicy) -> (Vec<Proposer>, bool) {
    let p = Path::root;
    let mut proposers = Vec::new();
    for (i, pr) in raw.proposers.iter().enumerate() {
        let path = p().key("proposer").index(i);
        let rule = Some(pr.name.as_str());
        c.check_name(path.clone(), &pr.name);
        let key = match pr.key.parse::<PublicKey>() {
            Ok(k) => Some(k),
            Err(e) => {
                c.problem(path.key("key"), rule, e.to_string());
                None
            }
        };
        let mut proposer_accounts = Vec::new();
        for (j, a) in pr.accounts.iter().enumerate() {
            if let Some(a) = c.address(path.key("accounts").index(j), rule, a) {
                proposer_accounts.push(a);
            }
        }
        let max_xem = match &pr.max_xem {
            Some(text) => match text.parse::<Amount>() {
                Ok(a) => Some(a),
                Err(e) => {
                    c.problem(path.key("max_xem"), rule, e.to_string());
                    None
                }
            },
            None => None,
        };
        if let Some(key) = key {
            proposers.push(Proposer {
                name: pr.name.clone(),
                key,
                accounts: proposer_accounts,
                max_xem,
            });
        }
    }

    let any_proposer = match raw.any_proposer.as_deref() {
        None => false,
        Some("any") => true,
        Some(other) => {
            c.problem(
                p().key("proposers"),
                None,
                format!("'{other}' is not \"any\"; to name proposers, list them as [[proposer]]"),
            );
            false
        }
    };
    match (any_proposer, raw.proposers.is_empty()) {
        (false, true) if raw.any_proposer.is_none() => c.problem(
            p().key("proposer"),
            None,
            "no proposer is listed: list the proposers' keys as [[proposer]], or write proposers = \"any\" to let any key propose",
        ),
        (true, false) => c.problem(
            p().key("proposers"),
            None,
            "proposers = \"any\" and [[proposer]] entries contradict each other: keep one",
        ),
        _ => {}
    }

    (proposers, any_proposer)
}
