//! The proposal pages: the list (live), one proposal's timeline from proposed to confirmed,
//! and cancel.

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hanko_proto::v1 as pb;
use hanko_proto::v1::cosigner_decision::Outcome;
use hanko_runtime::web::{
    self,
    page::{facts, field, form, notice},
};
use maud::{Markup, html};

use super::{App, page};
use crate::client::status as grpc;
use crate::treasury::render::{amount, is_terminal, parse_state, state_name, utc};

#[derive(serde::Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    state: String,
    #[serde(default)]
    done: String,
}

fn short(key: &[u8]) -> String {
    let hex = hex::encode(key);
    format!("{}…", &hex[..hex.len().min(12)])
}

fn pill(state: i32) -> Markup {
    let name = state_name(state);
    html! { span class=(format!("state {name}")) data-state=(name) { (name) } }
}

/// `GET /`: the newest proposals, filtered by state, kept current.
pub async fn list(State(app): State<Arc<App>>, Query(filter): Query<Filter>) -> Response {
    let states = match filter.state.as_str() {
        "" => vec![],
        s => match parse_state(s) {
            Ok(s) => vec![s as i32],
            Err(e) => {
                return page(&app, "Proposals", notice(false, &e))
                    .await
                    .into_response();
            }
        },
    };
    let listed = app
        .treasury()
        .list(pb::ListRequest {
            states,
            account: String::new(),
            page_size: 100,
            page_token: String::new(),
        })
        .await;
    let body = match listed {
        Err(e) => notice(false, &grpc(e).to_string()),
        Ok(list) => table(&app, &list.into_inner().proposals, &filter.state),
    };
    page(
        &app,
        "Proposals",
        html! { div data-live=(app.guard.at("/events")) { (body) } },
    )
    .await
    .into_response()
}

/// A link to proposal `id`, or the id as text when it is no proposal id (a hostile
/// coordinator's).
fn link(app: &App, id: &str) -> Markup {
    if web::segment_ok(id) {
        html! { a.mono href=(app.guard.at(&format!("/proposals/{id}"))) { (id) } }
    } else {
        html! { span.mono { (id) } }
    }
}

fn table(app: &App, proposals: &[pb::Proposal], filter: &str) -> Markup {
    let states = [
        "",
        "proposed",
        "collecting",
        "ready",
        "announced",
        "confirmed",
        "rejected",
        "cancelled",
        "expired",
        "failed",
    ];
    html! {
        p.filters {
            @for s in states {
                @let label = if s.is_empty() { "all" } else { s };
                @if s == filter { strong { (label) } " " } @else { a href=(app.guard.at(&format!("/?state={s}"))) { (label) } " " }
            }
        }
        @if proposals.is_empty() {
            p.muted { "No proposals." }
        } @else {
            table #proposals {
                thead { tr { th { "Proposal" } th { "State" } th { "Amount" } th { "Recipient" } th { "Signatures" } th { "Prepared (network time)" } } }
                tbody {
                    @for p in proposals {
                        tr data-proposal=(p.id) {
                            td { (link(app, &p.id)) }
                            td { (pill(p.state)) }
                            td.num { (amount(p)) }
                            td.mono { (p.recipient) }
                            td.num { (signed(p)) " of " (p.required_signatures) }
                            td { (utc(p.timestamp)) }
                        }
                    }
                }
            }
        }
    }
}

fn signed(p: &pb::Proposal) -> usize {
    p.decisions
        .iter()
        .filter(|d| matches!(d.outcome, Some(Outcome::Signed(_))))
        .count()
}

/// `GET /proposals/{id}`: the timeline, kept current.
pub async fn show(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(filter): Query<Filter>,
) -> Response {
    let got = app.treasury().get(pb::GetRequest { id: id.clone() }).await;
    let body = match got {
        Err(e) => notice(false, &grpc(e).to_string()),
        Ok(p) => {
            let p = p.into_inner();
            html! {
                @if filter.done == "cancelled" { (notice(true, "Cancelled.")) }
                div data-live=(app.guard.at(&format!("/events?id={}", web::query_value(&p.id)))) {
                    (timeline(&p))
                    @if app.is("proposer") || app.is("admin") { (cancel_form(&app, &p, None)) }
                }
            }
        }
    };
    page(&app, &format!("Proposal {id}"), body)
        .await
        .into_response()
}

fn timeline(p: &pb::Proposal) -> Markup {
    let state = state_name(p.state);
    html! {
        (facts(&[
            ("state", pill(p.state)),
            ("account", html! { span.mono { (p.account) } }),
            ("recipient", html! { span.mono { (p.recipient) } }),
            ("amount", html! { (amount(p)) }),
            ("message", html! { @if p.message.is_empty() { span.muted { "none" } } @else { (format!("{:?}", p.message)) } }),
            ("inner hash", html! { span.mono { (p.inner_hash) } }),
            ("deadline", html! { (utc(p.deadline)) }),
            ("signatures", html! { (signed(p)) " of " (p.required_signatures) " needed" }),
        ]))
        h2 { "Timeline" }
        ol.timeline {
            li.done data-step="proposed" {
                strong { "Proposed" } " " span.muted { "prepared at network time " (utc(p.timestamp)) }
                div.muted { "by proposer key " span.mono { (short(&p.proposer)) } ", idempotency key " span.mono { (p.idempotency_key) } }
            }
            @for d in &p.decisions { (decision(d)) }
            @if !p.wrapper_hash.is_empty() {
                li.done data-step="broadcast" {
                    strong { "Broadcast" } div { "wrapper hash " span.mono { (p.wrapper_hash) } }
                }
            }
            @if p.confirmed_height > 0 {
                li.done data-step="confirmed" {
                    strong { "Confirmed at height " span data-height { (p.confirmed_height) } }
                    div { "fees paid: " (fees(p)) }
                }
            } @else if is_terminal(p.state) {
                li.bad data-step=(state) {
                    strong { "Ended: " (state) }
                    @if !p.reason.is_empty() { div { (p.reason) } }
                }
            } @else {
                li.wait data-step="waiting" { strong { "Waiting" } div.muted { (waiting(p)) } }
            }
        }
    }
}

fn waiting(p: &pb::Proposal) -> &'static str {
    match state_name(p.state) {
        "proposed" => "stored; being sent to the cosigners",
        "collecting" => "waiting for cosigners' signatures",
        "ready" => "enough signatures; being announced to the node",
        "announced" => "announced; waiting for a block",
        _ => "",
    }
}

fn decision(d: &pb::CosignerDecision) -> Markup {
    let who = short(&d.cosigner);
    let (class, code, what, details, lines) = match &d.outcome {
        Some(Outcome::Signed(_)) => ("done", "signed", "signed", &[][..], &[][..]),
        Some(Outcome::Refused(r)) => ("bad", "refused", "refused", &r.details[..], &r.reasons[..]),
        Some(Outcome::NeedsApproval(n)) => (
            "wait",
            "needs_approval",
            "waits for its operators' approval",
            &n.details[..],
            &n.reasons[..],
        ),
        None => ("wait", "none", "no answer yet", &[][..], &[][..]),
    };
    html! {
        li class=(class) data-step="decision" data-cosigner=(hex::encode(&d.cosigner)) data-outcome=(code) {
            strong { "Cosigner " span.mono { (who) } " " (what) }
            @if let Some(Outcome::Refused(r)) = &d.outcome {
                @if !r.policy_hash.is_empty() { div.muted { "policy " span.mono { (r.policy_hash) } } }
            }
            @if !details.is_empty() {
                ul.reasons { @for r in details { li data-reason { strong { (r.rule) } " (" (r.kind) "): " (r.text) } } }
            } @else if !lines.is_empty() {
                ul.reasons { @for r in lines { li data-reason { (r) } } }
            }
        }
    }
}

/// What the account paid in fees, from the bytes: the inner transaction's fee, the wrapper's,
/// and one signature transaction from each cosigner after the first.
fn fees(p: &pb::Proposal) -> String {
    let inner = nem::Transaction::from_bytes(&p.inner_transaction).map(|t| t.header.fee.as_micro());
    let pair = p.decisions.iter().find_map(|d| match &d.outcome {
        Some(Outcome::Signed(s)) => Some(s.clone()),
        _ => None,
    });
    let fee = |t: Option<&pb::SignedTransaction>| {
        t.and_then(|t| nem::Transaction::from_bytes(&t.data).ok())
            .map(|t| t.header.fee.as_micro())
    };
    let (Ok(inner), Some(pair)) = (inner, pair) else {
        return "unknown (the transactions could not be read)".into();
    };
    let wrapper = fee(pair.wrapper.as_ref()).unwrap_or(0);
    let signature = fee(pair.cosignature.as_ref()).unwrap_or(0);
    let others = u64::from(p.required_signatures.saturating_sub(1));
    let total = inner + wrapper + signature * others;
    let xem = |m: u64| format!("{} XEM", nem::amount::format_decimal(m, 6));
    format!(
        "{} (inner {}, wrapper {}, {others} signature transaction(s) × {})",
        xem(total),
        xem(inner),
        xem(wrapper),
        xem(signature)
    )
}

fn cancel_form(app: &App, p: &pb::Proposal, error: Option<&str>) -> Markup {
    let open = matches!(state_name(p.state), "proposed" | "collecting" | "ready");
    if !open || !web::segment_ok(&p.id) {
        return html! {};
    }
    html! {
        h2 { "Cancel" }
        (form(&app.guard, &format!("/proposals/{}/cancel", p.id), "inline danger",
            field("reason", "Reason", "", "recorded in the audit journal", error), "Cancel this withdrawal"))
    }
}

#[derive(serde::Deserialize)]
pub struct Cancel {
    #[serde(default)]
    reason: String,
}

/// `POST /proposals/{id}/cancel`.
pub async fn cancel(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(c): Form<Cancel>,
) -> Response {
    let answer = app
        .treasury()
        .cancel(pb::CancelRequest {
            id: id.clone(),
            reason: c.reason,
        })
        .await;
    match answer {
        Ok(p) if web::segment_ok(&p.get_ref().id) => Redirect::to(
            &app.guard
                .at(&format!("/proposals/{}?done=cancelled", p.into_inner().id)),
        )
        .into_response(),
        Ok(p) => page(
            &app,
            "Cancelled",
            notice(true, &format!("Cancelled {}.", p.into_inner().id)),
        )
        .await
        .into_response(),
        Err(e) => {
            let text = grpc(e).to_string();
            let body = html! { (notice(false, &text)) p { "Back to " (link(&app, &id)) } };
            page(&app, "Not cancelled", body).await.into_response()
        }
    }
}
