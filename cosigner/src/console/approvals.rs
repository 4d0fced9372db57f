//! What waits for this cosigner's operators, one proposal in full, approve (with the confirm
//! code typed from the inner hash) and reject (with a reason).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Form, Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use hanko_runtime::web::{
    self,
    page::{facts, field, form, notice, pill, proposal_link},
};
use maud::{Markup, html};
use tokio_stream::Stream;

use super::App;
use crate::operator::Request;
use crate::render::Shown;

/// `GET /`: every proposal awaiting approval, kept current.
pub async fn list(State(app): State<Arc<App>>) -> Response {
    let body = match app.ask::<Vec<Shown>>(&Request::Pending).await {
        Err(e) => notice(false, &e),
        Ok(list) if list.is_empty() => {
            html! { p.muted data-pending="none" { "Nothing is waiting for approval." } }
        }
        Ok(list) => html! {
            table #pending {
                thead { tr { th { "Proposal" } th { "Recipient" } th { "Amount" } th { "Approvals" } th { "Why it waits" } th { "Deadline" } } }
                tbody { @for s in &list {
                    tr data-proposal=(s.proposal_id) {
                        td { (link(&app, &s.proposal_id)) }
                        td { span.mono { (s.recipient.clone().unwrap_or_default()) } br; (label(s)) }
                        td.num { @for a in &s.amounts { (a) br; } }
                        td.num { (s.approvals.len()) " of " (s.approvals_required) }
                        td { ul.reasons { @for r in &s.reasons { li { (r) } } } }
                        td { (s.deadline) }
                    }
                } }
            }
        },
    };
    app.page(
        "Waiting for approval",
        html! { div data-live=(app.guard.at("/events")) { (body) } },
    )
    .await
    .into_response()
}

fn link(app: &App, id: &str) -> Markup {
    proposal_link(&app.guard, id)
}

fn label(s: &Shown) -> Markup {
    let text = s.recipient_label.clone().unwrap_or_default();
    let bad = text.starts_with("NOT ") || text.starts_with("DENYLISTED");
    html! { span class=(if bad { "looser" } else { "muted" }) data-label { (text) } }
}

/// `GET /proposals/{id}`: the proposal as this cosigner decoded it, and what operators can do.
pub async fn show(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let shown = app.ask::<Shown>(&Request::Show { id: id.clone() }).await;
    let body = match shown {
        Err(e) => notice(false, &e),
        Ok(s) => detail(&app, &s, None),
    };
    app.page(&format!("Proposal {id}"), body)
        .await
        .into_response()
}

fn detail(app: &App, s: &Shown, error: Option<&str>) -> Markup {
    let mut rows = vec![
        ("status", pill(&s.status)),
        ("account", html! { span.mono { (s.account) } }),
        ("type", html! { (s.kind) }),
    ];
    if let Some(r) = &s.recipient {
        rows.push((
            "recipient",
            html! { span.mono data-recipient { (r) } " " (label(s)) },
        ));
    }
    for a in &s.amounts {
        rows.push(("amount", html! { strong data-amount { (a) } }));
    }
    for (k, v) in &s.details {
        rows.push((k.as_str(), html! { (v) }));
    }
    rows.push(("inner fee", html! { (s.fee) }));
    rows.push(("all fees", html! { (s.fees) }));
    for t in &s.total {
        rows.push(("total cost", html! { strong { (t) } }));
    }
    rows.push((
        "message",
        html! { (s.message.clone().unwrap_or_else(|| "none".into())) },
    ));
    rows.push(("timestamp", html! { (s.timestamp) }));
    rows.push(("deadline", html! { (s.deadline) }));
    rows.push((
        "inner hash",
        html! { span.mono data-inner-hash { (s.inner_hash) } },
    ));
    rows.push(("proposer", html! { span.mono { (s.proposer) } }));
    if s.approvals_required > 0 {
        rows.push((
            "approvals",
            html! {
                (s.approvals.len()) " of " (s.approvals_required)
                @if !s.approvals.is_empty() { ": " (s.approvals.join(", ")) }
            },
        ));
    }
    html! {
        @if let Some(e) = error { (notice(false, e)) }
        (facts(&rows))
        @if !s.reasons.is_empty() {
            h2 { "Why" }
            ul.reasons { @for r in &s.reasons { li data-reason { (r) } } }
        }
        @if s.status == "awaiting_approval" && web::segment_ok(&s.proposal_id) {
            h2 { "Approve" }
            p { "Read the recipient, amount, fees and inner hash above. To approve, type the first 8 hex digits of the inner hash." }
            (form(&app.guard, &format!("/proposals/{}/approve", s.proposal_id), "inline",
                field("confirm", "Confirm code", "", "the first 8 hex digits of the inner hash", None), "Approve as operator"))
            h2 { "Reject" }
            (form(&app.guard, &format!("/proposals/{}/reject", s.proposal_id), "inline danger",
                field("reason", "Reason", "", "recorded in the audit journal and sent to the coordinator", None), "Reject"))
        }
    }
}

#[derive(serde::Deserialize)]
pub struct Approve {
    #[serde(default)]
    confirm: String,
}

#[derive(serde::Deserialize)]
pub struct Reject {
    #[serde(default)]
    reason: String,
}

async fn act(app: &App, id: &str, request: Request) -> Response {
    match app.ask::<Shown>(&request).await {
        Ok(s) if web::segment_ok(&s.proposal_id) => {
            Redirect::to(&app.guard.at(&format!("/proposals/{}", s.proposal_id))).into_response()
        }
        Ok(s) => app
            .page(&format!("Proposal {id}"), detail(app, &s, None))
            .await
            .into_response(),
        Err(e) => {
            let body = match app.ask::<Shown>(&Request::Show { id: id.into() }).await {
                Ok(s) => detail(app, &s, Some(&e)),
                Err(_) => notice(false, &e),
            };
            app.page(&format!("Proposal {id}"), body)
                .await
                .into_response()
        }
    }
}

/// `POST /proposals/{id}/approve`.
pub async fn approve(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(a): Form<Approve>,
) -> Response {
    let request = Request::Approve {
        id: id.clone(),
        confirm: a.confirm.trim().to_string(),
        name: app.name.clone(),
    };
    act(&app, &id, request).await
}

/// `POST /proposals/{id}/reject`.
pub async fn reject(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Form(r): Form<Reject>,
) -> Response {
    let request = Request::Reject {
        id: id.clone(),
        reason: r.reason,
        name: app.name.clone(),
    };
    act(&app, &id, request).await
}

/// `GET /events`: an event whenever what waits for approval changes (read once a second).
pub async fn events(
    State(app): State<Arc<App>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = pending_changes(app);
    Sse::new(stream).keep_alive(KeepAlive::default())
}

fn pending_changes(app: Arc<App>) -> impl Stream<Item = Result<Event, Infallible>> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut last = None;
        loop {
            let now = app.ask::<Vec<Shown>>(&Request::Pending).await.map(|list| {
                list.iter()
                    .map(|s| (s.proposal_id.clone(), s.status.clone(), s.approvals.len()))
                    .collect::<Vec<_>>()
            });
            let now = now.ok();
            if last.as_ref() != Some(&now) {
                if last.is_some() && tx.send(Ok(Event::default().data("pending"))).await.is_err() {
                    return;
                }
                last = Some(now);
            }
            if tx.is_closed() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}
