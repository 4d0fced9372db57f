//! Time rules: business windows in a time zone with holidays; timestamp and deadline bounds.

use jiff::civil::Weekday;

use super::Ctx;
use crate::decision::Outcome;

pub(super) fn windows(ctx: &mut Ctx<'_>) {
    for w in &ctx.policy.windows {
        let local = ctx.req.now.to_zoned(w.time_zone.clone());
        let day = local.weekday().to_monday_zero_offset() as usize;
        let date = local.date();
        let time = local.time();
        let zone = w.time_zone.iana_name().unwrap_or("UTC");
        let inside = w.days.get(day).copied().unwrap_or(false)
            && !w.holidays.contains(&date)
            && time >= w.from
            && time < w.to;
        let now = format!(
            "{} {} {}",
            weekday_name(local.weekday()),
            local.strftime("%Y-%m-%d %H:%M"),
            zone
        );
        if inside {
            ctx.fire(
                &w.name,
                "window",
                Outcome::Allow,
                format!("{now} is inside {}–{}", w.from, w.to),
            );
        } else {
            let why = if w.holidays.contains(&date) {
                "a holiday"
            } else {
                "outside the window"
            };
            let reason = format!("{now} is {why} ({}–{} on {})", w.from, w.to, days(&w.days));
            ctx.fire(&w.name, "window", w.outside, reason);
        }
    }
}

fn weekday_name(d: Weekday) -> &'static str {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][d.to_monday_zero_offset() as usize]
}

fn days(days: &[bool; 7]) -> String {
    let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    names
        .iter()
        .zip(days)
        .filter(|(_, on)| **on)
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(",")
}

/// The cosigner's own clock against the transaction's timestamp and deadline.
pub(super) fn validity(ctx: &mut Ctx<'_>) {
    let h = &ctx.req.tx.header;
    let s = &ctx.policy.safety;
    let now = nem::NemTimestamp::from_timestamp(ctx.req.now).unwrap_or_default();
    if h.deadline <= h.timestamp {
        ctx.fire(
            "deadline",
            "safety",
            Outcome::Deny,
            format!(
                "deadline {} is not after timestamp {}",
                h.deadline.0, h.timestamp.0
            ),
        );
        return;
    }
    let span = h.deadline.0 - h.timestamp.0;
    if span > s.max_deadline_seconds {
        let reason = format!(
            "deadline is {} after the timestamp; at most {}",
            fmt(span),
            fmt(s.max_deadline_seconds)
        );
        ctx.fire("max_deadline", "safety", Outcome::Deny, reason);
    }
    if h.deadline < now {
        ctx.fire(
            "deadline",
            "safety",
            Outcome::Deny,
            format!(
                "deadline {} has passed ({} by this cosigner's clock)",
                h.deadline.to_timestamp(),
                ctx.req.now
            ),
        );
    }
    if h.timestamp.0 > now.0.saturating_add(s.max_timestamp_skew_seconds) {
        let ahead = h.timestamp.0 - now.0;
        let reason = format!(
            "timestamp is {} ahead of this cosigner's clock; at most {}",
            fmt(ahead),
            fmt(s.max_timestamp_skew_seconds)
        );
        ctx.fire("max_timestamp_skew", "safety", Outcome::Deny, reason);
    }
}

fn fmt(seconds: u32) -> String {
    crate::duration::format_seconds(u64::from(seconds))
}
