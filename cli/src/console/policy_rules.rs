//! A compiled policy as sentences a compliance officer reads: each rule with its name, what
//! it allows, and what happens otherwise.

use maud::{Markup, html};
use policy::model::{Calendar, Per, Span};
use policy::{Outcome, Policy};

fn outcome(o: Outcome) -> Markup {
    let (class, text) = match o {
        Outcome::Allow => ("allow", "signed"),
        Outcome::NeedsApproval => ("needs_approval", "held for operators' approval"),
        Outcome::Deny => ("deny", "refused"),
    };
    html! { span class=(format!("state {class}")) { (text) } }
}

pub fn span(s: &Span) -> String {
    match s {
        Span::Rolling(seconds) => {
            format!("any {} window", policy::duration::format_seconds(*seconds))
        }
        Span::Calendar(Calendar::Day, tz) => {
            format!("each calendar day ({})", tz.iana_name().unwrap_or("UTC"))
        }
        Span::Calendar(Calendar::Month, tz) => {
            format!("each calendar month ({})", tz.iana_name().unwrap_or("UTC"))
        }
    }
}

fn per(p: Per) -> &'static str {
    match p {
        Per::Account => "for each account",
        Per::Destination => "to each destination",
        Per::Proposer => "by each proposer",
    }
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn accounts(list: &[nem::Address]) -> String {
    if list.is_empty() {
        "every account".into()
    } else {
        list.iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub fn render(p: &Policy) -> Markup {
    let amount = |a: &nem::tx::MosaicId, u: u128| p.format_amount(a, u);
    let s = &p.safety;
    let mut whitelist: Vec<_> = p.whitelist.iter().collect();
    whitelist.sort_by(|a, b| a.1.label.cmp(&b.1.label));
    let mut denylist: Vec<_> = p.denylist.iter().collect();
    denylist.sort_by_key(|d| d.0.to_string());
    html! {
        div.card {
            p { "Policy " strong { (p.name) } " for " (p.network.name()) ", accounts " span.mono { (accounts(&p.accounts)) } "." }
            p.muted { "Version hash (sha256) " span.mono { (p.hash) } }
            p { "Transaction types it may sign: " (p.allowed_types.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")) "." }
        }
        h2 { "Limits per withdrawal" }
        @if p.limits.is_empty() { p.muted { "None." } }
        ul { @for l in &p.limits { li data-rule=(l.name) { strong { (l.name) } ": at most " (amount(&l.asset, l.max)) " in one withdrawal, fees included, from " (accounts(&l.accounts)) "; more is " (outcome(Outcome::Deny)) "." } } }
        h2 { "Velocity" }
        @if p.velocity.is_empty() { p.muted { "None." } }
        ul { @for v in &p.velocity { li data-rule=(v.name) { strong { (v.name) } ": at most " (amount(&v.asset, v.max)) " " (per(v.per)) " in " (span(&v.span)) ", fees included; more is " (outcome(Outcome::Deny)) "." } } }
        h2 { "Approval tiers" }
        @if p.approvals.is_empty() { p.muted { "None: what the rules allow is signed without an operator." } }
        ul { @for a in &p.approvals { li data-rule=(a.name) { strong { (a.name) } ": above " (amount(&a.asset, a.above)) ", " (a.approvals) " distinct operator approval(s) are needed before signing." } } }
        h2 { "Destinations" }
        p { "A destination on no list is " (outcome(p.unlisted)) "." }
        @if !whitelist.is_empty() {
            table { thead { tr { th { "Whitelisted address" } th { "Label" } th { "From" } } }
                tbody { @for (address, w) in &whitelist { tr { td.mono { (address.to_string()) } td { (w.label) } td { (w.active_from.strftime("%Y-%m-%d %H:%M UTC").to_string()) } } } } }
        }
        @if !denylist.is_empty() {
            table { thead { tr { th { "Denylisted address" } th { "Why" } } }
                tbody { @for (address, why) in &denylist { tr { td.mono { (address.to_string()) } td { (why) } } } } }
        }
        h2 { "Time windows" }
        @if p.windows.is_empty() { p.muted { "None: any time." } }
        ul { @for w in &p.windows {
            li data-rule=(w.name) { strong { (w.name) } ": "
                (DAYS.iter().zip(w.days).filter(|(_, on)| *on).map(|(d, _)| *d).collect::<Vec<_>>().join(", "))
                " " (w.from.strftime("%H:%M").to_string()) "–" (w.to.strftime("%H:%M").to_string())
                " (" (w.time_zone.iana_name().unwrap_or("UTC")) ")"
                @if !w.holidays.is_empty() { ", not on " (w.holidays.len()) " holiday(s)" }
                "; outside it a withdrawal is " (outcome(w.outside)) "." }
        } }
        h2 { "Proposers" }
        @if p.any_proposer { p.looser { "Any proposer key is accepted (proposers = \"any\")." } }
        ul { @for pr in &p.proposers {
            li data-rule=(pr.name) { strong { (pr.name) } " (key " span.mono { (pr.key.to_string()) } ") may propose from " (accounts(&pr.accounts))
                @if let Some(max) = pr.max_xem { ", at most " (max.to_string()) " each" } "." }
        } }
        h2 { "Safety" }
        ul {
            li { "Fees: " @if let Some(cap) = s.fee_cap { "at most " (cap.to_string()) " for the inner transaction" } @else { "no cap beyond the network's minimum" } "." }
            li { "Signed and not yet confirmed: " @if let Some(m) = s.max_unconfirmed { "at most " (m.to_string()) } @else { span.looser { "no bound" } } "." }
            li { "Deadline: at most " (policy::duration::format_seconds(u64::from(s.max_deadline_seconds))) " ahead; timestamp within " (policy::duration::format_seconds(u64::from(s.max_timestamp_skew_seconds))) " of this cosigner's clock." }
            li { "Messages: at most " (s.message_max_bytes) " bytes" @if let Some(re) = &s.message_pattern { ", matching " code { (re.as_str()) } } "; encrypted messages " @if s.allow_encrypted { "allowed" } @else { "refused" } "." }
        }
    }
}
