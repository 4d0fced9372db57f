//! Amount rules: per-transaction limits, velocity, proposer permissions, approval tiers.

use super::Ctx;
use crate::decision::Outcome;
use crate::history::{History, Scope};
use crate::model::{Calendar, Per, Span};

pub(super) fn limits(ctx: &mut Ctx<'_>) {
    for limit in &ctx.policy.limits {
        if !limit.accounts.is_empty() && !limit.accounts.contains(&ctx.account) {
            continue;
        }
        let amount = ctx.amount(&limit.asset);
        if amount == 0 {
            continue;
        }
        let (outcome, relation) = if amount <= limit.max {
            (Outcome::Allow, "within")
        } else {
            (Outcome::Deny, "over")
        };
        let reason = format!(
            "{} is {relation} the per-transaction limit of {}",
            ctx.show_cost(&limit.asset),
            ctx.show(&limit.asset, limit.max)
        );
        ctx.fire(&limit.name, "limit", outcome, reason);
    }
}

pub(super) fn velocity(ctx: &mut Ctx<'_>, history: &dyn History) {
    for v in &ctx.policy.velocity {
        let amount = ctx.amount(&v.asset);
        if amount == 0 {
            continue;
        }
        let scope = match (v.per, ctx.cost.destination) {
            (Per::Account, _) => Scope::Account(ctx.account),
            (Per::Destination, Some(to)) => Scope::Destination(to),
            (Per::Destination, None) => continue,
            (Per::Proposer, _) => Scope::Proposer(ctx.req.proposer),
        };
        let total = v
            .span
            .start(ctx.req.now)
            .and_then(|since| history.total(&scope, &v.asset, since));
        let span = match &v.span {
            Span::Rolling(s) => format!("the last {}", crate::duration::format_seconds(*s)),
            Span::Calendar(Calendar::Day, tz) => {
                format!("this calendar day ({})", tz.iana_name().unwrap_or("UTC"))
            }
            Span::Calendar(Calendar::Month, tz) => {
                format!("this calendar month ({})", tz.iana_name().unwrap_or("UTC"))
            }
        };
        match total {
            Err(e) => ctx.fire(
                &v.name,
                "velocity",
                Outcome::Deny,
                format!("history unavailable, refusing: {e}"),
            ),
            Ok(used) => {
                let after = used.saturating_add(amount);
                let outcome = if after <= v.max {
                    Outcome::Allow
                } else {
                    Outcome::Deny
                };
                let reason = format!(
                    "{} per {} in {span}: {} used + {} = {} of {}",
                    v.asset,
                    v.per.name(),
                    ctx.show(&v.asset, used),
                    ctx.show_cost(&v.asset),
                    ctx.show(&v.asset, after),
                    ctx.show(&v.asset, v.max)
                );
                ctx.fire(&v.name, "velocity", outcome, reason);
            }
        }
    }
}

pub(super) fn proposer(ctx: &mut Ctx<'_>) {
    if ctx.policy.any_proposer {
        return;
    }
    let key = ctx.req.proposer;
    let Some(p) = ctx.policy.proposers.iter().find(|p| p.key == key) else {
        ctx.fire(
            "proposers",
            "proposer",
            Outcome::Deny,
            format!("proposer key {key} is not listed in this policy"),
        );
        return;
    };
    if !p.accounts.is_empty() && !p.accounts.contains(&ctx.account) {
        let reason = format!("proposer '{}' may not propose from {}", p.name, ctx.account);
        ctx.fire(&p.name, "proposer", Outcome::Deny, reason);
        return;
    }
    let xem = ctx.amount(&nem::tx::MosaicId::xem());
    match p.max_xem {
        Some(max) if xem > u128::from(max.as_micro()) => {
            let reason = format!(
                "proposer '{}' may propose at most {} per transaction; this is {}",
                p.name,
                max,
                ctx.show_cost(&nem::tx::MosaicId::xem())
            );
            ctx.fire(&p.name, "proposer", Outcome::Deny, reason);
        }
        _ => ctx.fire(
            &p.name,
            "proposer",
            Outcome::Allow,
            format!("proposed by '{}'", p.name),
        ),
    }
}

pub(super) fn approvals(ctx: &mut Ctx<'_>) {
    for tier in &ctx.policy.approvals {
        let amount = ctx.amount(&tier.asset);
        if amount > tier.above {
            let reason = format!(
                "{} is above {}: {} operator approval{} needed",
                ctx.show_cost(&tier.asset),
                ctx.show(&tier.asset, tier.above),
                tier.approvals,
                if tier.approvals == 1 { "" } else { "s" }
            );
            ctx.approvals = ctx.approvals.max(tier.approvals);
            ctx.fire(&tier.name, "approval", Outcome::NeedsApproval, reason);
        }
    }
}
