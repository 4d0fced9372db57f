//! Cosigner links, alerts and the freeze: what the coordinator's status says, and for admins
//! the freeze and unfreeze forms.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use hanko_proto::v1 as pb;
use hanko_runtime::web::page::{facts, field, form, notice, time_ms};
use maud::{Markup, html};

use super::{App, page_with};
use crate::client::status as grpc;
use crate::error::CliError;

/// The red banner on every page while the coordinator is frozen.
pub fn banner(status: &Result<pb::StatusResponse, CliError>) -> Option<Markup> {
    match status {
        Ok(s) => s.freeze.as_ref().filter(|f| f.frozen).map(|f| {
            html! { div.banner.frozen data-banner="frozen" { "FROZEN by " (f.by) " since " (time_ms(f.since_ms)) ": " (f.reason) " · nothing is sent to cosigners or broadcast" } }
        }),
        Err(e) => Some(html! { div.banner.warn data-banner="unreachable" { "The coordinator's status cannot be read: " (e) } }),
    }
}

/// `GET /status`.
pub async fn page_of(app: &App, done: Option<Markup>) -> Markup {
    let status = app.status().await;
    let body = match &status {
        Err(e) => notice(false, &e.to_string()),
        Ok(s) => html! {
            @if let Some(d) = done { (d) }
            (overview(s))
            @if app.is("admin") { (freeze_forms(app, s)) }
        },
    };
    page_with(app, &status, "Cosigners & alerts", body)
}

pub async fn show(State(app): State<Arc<App>>) -> Response {
    page_of(&app, None).await.into_response()
}

fn overview(s: &pb::StatusResponse) -> Markup {
    let freeze = s.freeze.clone().unwrap_or_default();
    let leader = s.leadership.as_ref().map(|l| {
        if l.leading {
            format!("{} leads (term {})", l.answered_by, l.term)
        } else {
            format!(
                "answered by {}, a standby; the leader is {} at {}",
                l.answered_by, l.leader, l.leader_address
            )
        }
    });
    html! {
        (facts(&[
            ("freeze", html! { @if freeze.frozen { span.state.deny { "frozen" } " by " (freeze.by) ": " (freeze.reason) } @else { span.state.allow { "not frozen" } } }),
            ("node", html! { @if s.node_reachable { "reachable" } @else { span.state.deny { "NOT reachable" } } }),
            ("unfinished proposals", html! { (s.unfinished_proposals) }),
            ("coordinator", html! { (leader.unwrap_or_else(|| "one coordinator (embedded store)".into())) }),
        ]))
        h2 { "Cosigner links" }
        table #cosigners {
            thead { tr { th { "Cosigner key" } th { "Link" } th { "Last heartbeat" } th { "Policy version" } th { "Signing" } } }
            tbody {
                @for c in &s.cosigners {
                    tr data-cosigner=(hex::encode(&c.cosigner)) {
                        td.mono { (hex::encode(&c.cosigner)) }
                        td { @if c.connected { span.state.allow { "connected" } } @else { span.state.deny { "NOT connected" } } }
                        td { (time_ms(c.last_heartbeat_ms)) }
                        td.mono { @if c.policy_hash.is_empty() { "-" } @else { (c.policy_hash) } }
                        td { @if c.frozen { span.state.deny { "frozen by its operators" } } @else { "signing" } }
                    }
                }
            }
        }
        h2 { "Alerts" }
        @if s.alerts.is_empty() {
            p.muted data-alerts="none" { "No alerts since this coordinator started (the audit journal keeps every alert)." }
        } @else {
            table #alerts {
                thead { tr { th { "When" } th { "Kind" } th { "Account" } th { "What" } } }
                tbody {
                    @for a in &s.alerts {
                        tr data-alert=(a.kind) {
                            td { (time_ms(a.at_ms)) }
                            td { span class=(if a.critical { "state deny" } else { "state" }) { (a.kind) } }
                            td.mono { (a.account) }
                            td { (a.message) }
                        }
                    }
                }
            }
        }
    }
}

fn freeze_forms(app: &App, s: &pb::StatusResponse) -> Markup {
    let frozen = s.freeze.as_ref().is_some_and(|f| f.frozen);
    html! {
        h2 { "Freeze" }
        @if frozen {
            (form(&app.guard, "/unfreeze", "inline", field("reason", "Reason", "", "recorded in the audit journal", None), "Unfreeze"))
        } @else {
            (form(&app.guard, "/freeze", "inline danger", field("reason", "Reason", "", "stops all distribution and broadcasting at once", None), "Freeze the coordinator"))
        }
    }
}

#[derive(serde::Deserialize)]
pub struct Reason {
    #[serde(default)]
    reason: String,
}

async fn set(app: &App, frozen: bool, reason: String) -> Response {
    let mut admin = app.admin();
    let request = pb::FreezeRequest { reason };
    let answer = if frozen {
        admin.freeze(request).await
    } else {
        admin.unfreeze(request).await
    };
    match answer {
        Ok(_) => Redirect::to(&app.guard.at("/status")).into_response(),
        Err(e) => page_of(app, Some(notice(false, &grpc(e).to_string())))
            .await
            .into_response(),
    }
}

/// `POST /freeze` (admins).
pub async fn freeze(State(app): State<Arc<App>>, Form(r): Form<Reason>) -> Response {
    set(&app, true, r.reason).await
}

/// `POST /unfreeze` (admins).
pub async fn unfreeze(State(app): State<Arc<App>>, Form(r): Form<Reason>) -> Response {
    set(&app, false, r.reason).await
}
