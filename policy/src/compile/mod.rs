//! Raw → compiled. Checks every value and reports every problem at once, each with the path of
//! the field and the rule's name; `lint` turns paths into line:column.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use nem::tx::{MosaicId, validate_mosaic_id};
use nem::{Network, TransactionType};

use crate::model::*;
use crate::problem::{Path, Problem};
use crate::raw::*;

mod amounts;
mod compiler;
mod destination;
mod proposers;
mod safety;
mod time;

use compiler::Compiler;

pub fn compile(raw: &RawPolicy, hash: &str) -> Result<Policy, Vec<Problem>> {
    let p = Path::root;
    let network = raw.network.parse::<Network>();
    let mut c = Compiler::new(*network.as_ref().unwrap_or(&Network::Testnet));
    if let Err(e) = network {
        c.problem(p().key("network"), None, e.to_string());
    }
    if raw.version != 1 {
        c.problem(
            p().key("version"),
            None,
            format!(
                "version {} is not supported; this Hanko reads version 1",
                raw.version
            ),
        );
    }
    let mut accounts = Vec::new();
    for (i, a) in raw.accounts.iter().enumerate() {
        if let Some(a) = c.address(p().key("accounts").index(i), None, a) {
            accounts.push(a);
        }
    }
    if raw.accounts.is_empty() {
        c.problem(
            p().key("accounts"),
            None,
            "list at least one multisig account this policy signs for",
        );
    }
    let default_tz = match &raw.time_zone {
        Some(name) => c
            .time_zone(p().key("time_zone"), None, name)
            .unwrap_or(TimeZone::UTC),
        None => TimeZone::UTC,
    };

    let mut allowed_types = vec![TransactionType::Transfer];
    if let Some(t) = &raw.transaction_types {
        allowed_types.clear();
        for (i, name) in t.allow.iter().enumerate() {
            match TransactionType::from_name(name).filter(|t| t.is_embeddable()) {
                Some(t) => allowed_types.push(t),
                None => c.problem(
                    p().key("transaction_types").key("allow").index(i),
                    None,
                    format!("'{name}' is not a type a multisig account can send (transfer, multisig_aggregate_modification, importance_transfer, provision_namespace, mosaic_definition_creation, mosaic_supply_change)"),
                ),
            }
        }
    }

    let mut assets = BTreeMap::from([(MosaicId::xem(), 6u8)]);
    for (i, a) in raw.assets.iter().enumerate() {
        let path = p().key("asset").index(i);
        match a.id.split_once(':') {
            Some((ns, name)) => {
                let id = MosaicId {
                    namespace: ns.into(),
                    name: name.into(),
                };
                if let Err(e) = validate_mosaic_id(&id) {
                    c.problem(path.key("id"), None, e);
                } else if a.divisibility > 6 {
                    c.problem(path.key("divisibility"), None, "divisibility is 0 to 6");
                } else if assets.insert(id, a.divisibility).is_some() {
                    c.problem(
                        path.key("id"),
                        None,
                        format!("asset '{}' is declared twice", a.id),
                    );
                }
            }
            None => c.problem(
                path.key("id"),
                None,
                format!("'{}' is not namespace:name", a.id),
            ),
        }
    }

    let limits = amounts::limits(&mut c, raw, &accounts, &assets);
    let velocity = amounts::velocity(&mut c, raw, &assets, &default_tz);
    let (unlisted, whitelist, denylist) = destination::destinations(&mut c, raw);
    let windows = time::windows(&mut c, raw, &default_tz);
    let (proposers, any_proposer) = proposers::proposers(&mut c, raw);
    let approvals = amounts::approvals(&mut c, raw, &assets);
    let safety = safety::safety(&mut c, raw.safety.as_ref().cloned().unwrap_or_default());
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    Ok(Policy {
        name: raw.name.clone().unwrap_or_else(|| "unnamed policy".into()),
        network: c.network,
        accounts,
        hash: hash.to_string(),
        allowed_types,
        assets,
        limits,
        velocity,
        unlisted,
        whitelist,
        denylist,
        windows,
        proposers,
        any_proposer,
        approvals,
        safety,
    })
}
