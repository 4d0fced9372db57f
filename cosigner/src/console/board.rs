//! This cosigner at a glance: key, accounts, policy in force, counts, alerts, the freeze (and
//! the operators' freeze and unfreeze), and each velocity rule's use as a chart.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use hanko_runtime::web::chart;
use hanko_runtime::web::page::{facts, field, form, notice, time_ms};
use maud::{Markup, html};

use super::App;
use crate::engine::StatusReport;
use crate::operator::Request;
use crate::usage::RuleUsage;

/// The red banner while this cosigner signs nothing; a warning when it cannot be asked.
pub fn banner(status: &Result<StatusReport, String>) -> Option<Markup> {
    match status {
        Ok(s) => s.frozen.as_ref().map(|f| {
            html! { div.banner.frozen data-banner="frozen" { "SIGNING FROZEN by " (f.by) " since " (time_ms(f.since_ms)) ": " (f.reason) } }
        }),
        Err(e) => Some(html! { div.banner.warn data-banner="unreachable" { "The cosigner does not answer: " (e) } }),
    }
}

/// `GET /usage`: per velocity rule, what is used against the limit over its window.
pub async fn usage(State(app): State<Arc<App>>) -> Response {
    let body = match app.ask::<Vec<RuleUsage>>(&Request::Usage).await {
        Err(e) => notice(false, &e),
        Ok(rules) if rules.is_empty() => {
            html! { p.muted { "The policy in force has no velocity rule." } }
        }
        Ok(rules) => html! { @for r in &rules { (rule(r)) } },
    };
    app.page("Velocity: used against each limit", body)
        .await
        .into_response()
}

/// How amounts of `asset` are written: XEM, or the mosaic's name.
fn unit(asset: &str) -> String {
    if asset == "nem:xem" {
        "XEM".into()
    } else {
        asset.into()
    }
}

fn rule(r: &RuleUsage) -> Markup {
    html! {
        section.card data-rule=(r.rule) {
            h2 { (r.rule) " " span.muted { "(" (r.asset) " per " (r.per) ", account " span.mono { (r.account) } ")" } }
            @if let Some(e) = &r.error { (notice(false, e)) }
            p { "Limit " strong { (r.limit) } " since " (r.window_start) "." }
            @if r.scopes.is_empty() { p.muted { "Nothing counted in this window." } }
            @for s in &r.scopes {
                p { span.mono { (s.scope) } ": " strong data-used { (s.used) } " of " (r.limit) " " (chart::gauge(s.used_units, s.limit_units)) }
                (chart::usage(&s.points, s.limit_units, &unit(&r.asset), &r.window_start, "now",
                    &format!("{} used by {} over the window (counted as the next decision counts it: chain outflows from their blocks, this cosigner's signatures from their deadlines)", s.used, s.scope)))
            }
        }
    }
}

/// `GET /status`.
pub async fn status(State(app): State<Arc<App>>) -> Response {
    status_page(&app, None).await
}

async fn status_page(app: &App, error: Option<&str>) -> Response {
    let status = app.ask::<StatusReport>(&Request::Status).await;
    let body = match &status {
        Err(e) => notice(false, e),
        Ok(s) => html! {
            @if let Some(e) = error { (notice(false, e)) }
            (facts(&[
                ("public key", html! { span.mono { (s.public_key) } }),
                ("accounts", html! { @for a in &s.accounts { span.mono { (a) } br; } }),
                ("policy", html! { (s.policy_name) " " span.mono { (s.policy_hash) } }),
                ("policy file", html! { span.mono { (s.policy_source) } }),
                ("signed by", html! { (s.policy_signers.join(", ")) }),
                ("signing", html! { @if let Some(f) = &s.frozen { span.state.deny { "frozen" } " by " (f.by) ": " (f.reason) } @else { span.state.allow { "on" } } }),
                ("awaiting approval", html! { (s.awaiting_approval) }),
                ("signed / refused", html! { (s.signed) " / " (s.refused) }),
                ("audit entries", html! { (s.audit_entries) }),
            ]))
            h2 { "Alerts" }
            @if s.alerts.is_empty() { p.muted { "None." } }
            ul.reasons { @for a in &s.alerts { li data-alert { (a) } } }
            h2 { "Freeze" }
            @if s.frozen.is_some() {
                (form(&app.guard, "/unfreeze", "inline", field("reason", "Reason", "", "recorded in the audit journal", None), "Resume signing"))
            } @else {
                (form(&app.guard, "/freeze", "inline danger", field("reason", "Reason", "", "this cosigner signs nothing until unfrozen", None), "Freeze signing"))
            }
        },
    };
    app.page_with(&status, "Status & freeze", body)
        .into_response()
}

#[derive(serde::Deserialize)]
pub struct Reason {
    #[serde(default)]
    reason: String,
}

async fn set(app: &App, freeze: bool, reason: String) -> Response {
    let name = app.name.clone();
    let request = if freeze {
        Request::Freeze { reason, name }
    } else {
        Request::Unfreeze { reason, name }
    };
    match app.ask::<serde_json::Value>(&request).await {
        Ok(_) => Redirect::to(&app.guard.at("/status")).into_response(),
        Err(e) => status_page(app, Some(&e)).await,
    }
}

/// `POST /freeze`.
pub async fn freeze(State(app): State<Arc<App>>, Form(r): Form<Reason>) -> Response {
    set(&app, true, r.reason).await
}

/// `POST /unfreeze`.
pub async fn unfreeze(State(app): State<Arc<App>>, Form(r): Form<Reason>) -> Response {
    set(&app, false, r.reason).await
}
