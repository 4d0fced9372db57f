//! The proposal pages: the list (live), one proposal's timeline from proposed to confirmed,
//! and cancel.

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hanko_proto::v1 as pb;
use hanko_proto::v1::cosigner_decision::Outcome;
use hanko_runtime::web::{
    self,
    page::{facts, field, form, notice, pill, proposal_link},
};
use maud::{Markup, html};

use super::{App, page, page_with};
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
    let body = match every(&app, states).await {
        Err(e) => notice(false, &e.to_string()),
        Ok(mut all) => {
            // The coordinator lists by id (random): newest first is by the time prepared.
            all.sort_by(|a, b| b.timestamp.cmp(&a.timestamp).then(a.id.cmp(&b.id)));
            let total = all.len();
            all.truncate(SHOWN);
            html! {
                @if total > SHOWN { p.muted { "The newest " (SHOWN) " of " (total) "; filter by state to see others." } }
                (table(&app, &all, &filter.state))
            }
        }
    };
    page(
        &app,
        "Proposals",
        html! { div data-live=(app.guard.at("/events")) { (body) } },
    )
    .await
    .into_response()
}

/// Proposals shown on the list page.
const SHOWN: usize = 200;
/// Proposals read for it, at most: the coordinator keeps finished ones in its history.
const READ: usize = 5_000;

/// Every proposal in `states` (all pages, up to `READ`).
async fn every(app: &App, states: Vec<i32>) -> Result<Vec<pb::Proposal>, crate::error::CliError> {
    let mut client = app.treasury();
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list(pb::ListRequest {
                states: states.clone(),
                account: String::new(),
                page_size: 500,
                page_token,
            })
            .await
            .map_err(grpc)?
            .into_inner();
        all.extend(page.proposals);
        if page.next_page_token.is_empty() || all.len() >= READ {
            return Ok(all);
        }
        page_token = page.next_page_token;
    }
}

fn link(app: &App, id: &str) -> Markup {
    proposal_link(&app.guard, id)
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
                            td { (pill(state_name(p.state))) }
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
    // Read once: the banner and the cosigners' names both come from it.
    let status = app.status().await;
    let body = match got {
        Err(e) => notice(false, &grpc(e).to_string()),
        Ok(p) => {
            let p = p.into_inner();
            let names = cosigner_names(&status);
            html! {
                @if filter.done == "cancelled" { (notice(true, "Cancelled.")) }
                div data-live=(app.guard.at(&format!("/events?id={}", web::query_value(&p.id)))) {
                    (timeline(&p, &names))
                    @if app.is("proposer") || app.is("admin") { (cancel_form(&app, &p, None)) }
                }
            }
        }
    };
    page_with(&app, &status, &format!("Proposal {id}"), body).into_response()
}

/// Cosigners' configured names by key, as the coordinator's status gives them.
fn cosigner_names(
    status: &Result<pb::StatusResponse, crate::error::CliError>,
) -> std::collections::HashMap<Vec<u8>, String> {
    status
        .as_ref()
        .map(|s| {
            s.cosigners
                .iter()
                .filter(|c| !c.name.is_empty())
                .map(|c| (c.cosigner.clone(), c.name.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn timeline(p: &pb::Proposal, names: &std::collections::HashMap<Vec<u8>, String>) -> Markup {
    let state = state_name(p.state);
    html! {
        (facts(&[
            ("state", pill(state_name(p.state))),
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
            @for d in &p.decisions { (decision(d, names.get(&d.cosigner), p.state)) }
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

fn decision(d: &pb::CosignerDecision, name: Option<&String>, state: i32) -> Markup {
    let who = match name {
        Some(n) => format!("{n} ({})", short(&d.cosigner)),
        None => short(&d.cosigner),
    };
    let ended = is_terminal(state);
    let (class, code, what, details, lines) = match &d.outcome {
        Some(Outcome::Signed(_)) => ("done", "signed", "signed", &[][..], &[][..]),
        Some(Outcome::Refused(r)) => ("bad", "refused", "refused", &r.details[..], &r.reasons[..]),
        // Once a proposal ended, a cosigner still holding it no longer matters.
        Some(Outcome::NeedsApproval(n)) => (
            if ended { "idle" } else { "wait" },
            "needs_approval",
            if ended {
                "was held for its operators (not needed in the end)"
            } else {
                "waits for its operators' approval"
            },
            &n.details[..],
            &n.reasons[..],
        ),
        None if ended => ("idle", "none", "did not answer", &[][..], &[][..]),
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
    let inner = nem::Transaction::from_bytes(&p.inner_transaction)
        .map(|t| u128::from(t.header.fee.as_micro()));
    let pair = p.decisions.iter().find_map(|d| match &d.outcome {
        Some(Outcome::Signed(s)) => Some(s.clone()),
        _ => None,
    });
    let fee = |t: Option<&pb::SignedTransaction>| {
        t.and_then(|t| nem::Transaction::from_bytes(&t.data).ok())
            .map(|t| u128::from(t.header.fee.as_micro()))
    };
    let (Ok(inner), Some(pair)) = (inner, pair) else {
        return "unknown (the transactions could not be read)".into();
    };
    let wrapper = fee(pair.wrapper.as_ref()).unwrap_or(0);
    let signature = fee(pair.cosignature.as_ref()).unwrap_or(0);
    // In u128: the fees and the count come from the coordinator, and no sum of them panics.
    let others = u128::from(p.required_signatures.saturating_sub(1));
    let total = inner + wrapper + signature * others;
    let xem = |m: u128| match u64::try_from(m) {
        Ok(m) => format!("{} XEM", nem::amount::format_decimal(m, 6)),
        Err(_) => format!("{m} micro-XEM"),
    };
    format!(
        "{} (inner {}, wrapper {}, {others} signature transaction(s) × {}; a cosigner counts \
         the most it could cost, a signature from every other cosignatory)",
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
