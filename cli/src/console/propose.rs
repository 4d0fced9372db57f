//! The withdrawal form: exactly what `hanko propose` does (`treasury::propose`): the same
//! field checks, the coordinator prepares, this machine decodes and checks the prepared bytes
//! before the proposer's key signs, then the proposal is stored. A resubmitted form carries
//! the same idempotency key, so it never makes a second proposal.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use hanko_runtime::web::page::{field, form as post_form, notice};
use maud::{Markup, html};

use super::{App, page};
use crate::error::CliError;
use crate::treasury::{Withdrawal, new_key, propose};

#[derive(serde::Deserialize, Default, Clone)]
pub struct Fields {
    #[serde(default)]
    account: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    amount: String,
    /// One `namespace:name=quantity` a line.
    #[serde(default)]
    mosaics: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    idempotency_key: String,
}

impl Fields {
    fn withdrawal(&self) -> Withdrawal {
        Withdrawal {
            account: self.account.trim().to_string(),
            to: self.to.trim().to_string(),
            amount: Some(self.amount.trim().to_string()).filter(|a| !a.is_empty()),
            mosaics: self
                .mosaics
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
            message: self.message.clone(),
        }
    }
}

/// Which form field an error names (`hanko propose`'s flags, or the coordinator's fields).
fn field_of(error: &str) -> Option<&'static str> {
    let text = error
        .trim_start_matches("InvalidArgument: ")
        .trim_start_matches("AlreadyExists: ");
    [
        ("--account", "account"),
        ("account", "account"),
        ("--to", "to"),
        ("recipient", "to"),
        ("--amount", "amount"),
        ("amount", "amount"),
        ("--mosaic", "mosaics"),
        ("mosaic", "mosaics"),
        ("--message", "message"),
        ("message", "message"),
    ]
    .into_iter()
    .find(|(prefix, _)| {
        text.strip_prefix(prefix).is_some_and(|rest| {
            rest.starts_with(':') || rest.starts_with(' ') || rest.starts_with('[')
        })
    })
    .map(|(_, name)| name)
}

/// An error shown beside its field, without the flag it names (`--amount: …`).
fn beside(error: &str) -> &str {
    match error.split_once(": ") {
        Some((flag, rest)) if flag.starts_with("--") => rest,
        _ => error,
    }
}

fn the_form(app: &App, f: &Fields, error: Option<&str>) -> Markup {
    let on = |name: &str| error.filter(|e| field_of(e) == Some(name)).map(beside);
    let general = error.filter(|e| field_of(e).is_none());
    html! {
        @if let Some(e) = general { (notice(false, e)) }
        (post_form(&app.guard, "/propose", "stack", html! {
            input type="hidden" name="idempotency_key" value=(f.idempotency_key);
            (field("account", "From (multisig account)", &f.account, "the treasury's multisig address", on("account")))
            (field("to", "To (recipient)", &f.to, "a NEM address, dashed or not", on("to")))
            (field("amount", "Amount (XEM)", &f.amount, "at most 6 decimals, e.g. 12.5; empty when only mosaics move", on("amount")))
            label.field {
                span.label { "Mosaics" }
                textarea name="mosaics" rows="2" class=[on("mosaics").map(|_| "invalid")] { (f.mosaics) }
                @if let Some(e) = on("mosaics") { span.error data-error="mosaics" { (e) } }
                @else { span.hint { "one per line: namespace:name=quantity in smallest units" } }
            }
            (field("message", "Message", &f.message, "plain text, at most 1024 bytes", on("message")))
        }, "Check and propose"))
        p.muted { "Before your key signs, this console decodes the transaction the coordinator prepared and checks it is exactly what you typed; otherwise nothing is signed." }
    }
}

/// `GET /propose`.
pub async fn form(State(app): State<Arc<App>>) -> Response {
    let key = match refusal(&app) {
        Some(why) => Err(why),
        None => new_key("console").map_err(|e| e.to_string()),
    };
    let body = match key {
        Err(why) => notice(false, &why),
        Ok(idempotency_key) => {
            let f = Fields {
                idempotency_key,
                ..Fields::default()
            };
            the_form(&app, &f, None)
        }
    };
    page(&app, "New withdrawal", body).await.into_response()
}

/// Why this console cannot propose, if it cannot.
fn refusal(app: &App) -> Option<String> {
    if !app.is("proposer") {
        return Some(format!(
            "'{}' has role {}; proposing needs a proposer's certificate",
            app.caller, app.role
        ));
    }
    if app.key.is_none() {
        return Some("this client configuration has no [proposer] key_file".into());
    }
    None
}

/// `POST /propose`: propose, then show the proposal; or the form again with the errors.
pub async fn submit(State(app): State<Arc<App>>, Form(mut f): Form<Fields>) -> Response {
    if let Some(why) = refusal(&app) {
        return page(&app, "New withdrawal", notice(false, &why))
            .await
            .into_response();
    }
    if f.idempotency_key.trim().is_empty() {
        f.idempotency_key = match new_key("console") {
            Ok(k) => k,
            Err(e) => {
                return page(&app, "New withdrawal", notice(false, &e.to_string()))
                    .await
                    .into_response();
            }
        };
    }
    let Some(key) = app.key.as_ref() else {
        return page(&app, "New withdrawal", notice(false, "no proposer key"))
            .await
            .into_response();
    };
    let mut client = app.treasury();
    let result = propose(
        app.config(),
        &mut client,
        key,
        &f.withdrawal(),
        &f.idempotency_key,
    )
    .await;
    match result {
        Ok(p) if hanko_runtime::web::segment_ok(&p.id) => {
            tracing::info!(proposal = %p.id, "console: proposed");
            Redirect::to(&app.guard.at(&format!("/proposals/{}", p.id))).into_response()
        }
        Ok(p) => page(
            &app,
            "Proposed",
            notice(true, &format!("Proposed: {}", p.id)),
        )
        .await
        .into_response(),
        Err(e) => {
            let text = match &e {
                CliError::Input(t) => t.clone(),
                other => format!("not proposed: {other}"),
            };
            page(&app, "New withdrawal", the_form(&app, &f, Some(&text)))
                .await
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_lands_beside_the_field_it_names() {
        for (error, field) in [
            (
                "--amount: amount '1.1234567' has 7 decimals",
                Some("amount"),
            ),
            ("--to: 'TXYZ' is not an address", Some("to")),
            ("--account: wrong network", Some("account")),
            (
                "--mosaic foo: quantity 'x' is not a whole number of units",
                Some("mosaics"),
            ),
            (
                "InvalidArgument: recipient: not on this network",
                Some("to"),
            ),
            (
                "InvalidArgument: message: longer than 1024 bytes",
                Some("message"),
            ),
            (
                "not proposed: FailedPrecondition: the coordinator is frozen",
                None,
            ),
            ("amounts differ", None),
        ] {
            assert_eq!(field_of(error), field, "{error}");
        }
    }

    #[test]
    fn the_form_reads_as_the_command_line_does() {
        let f = Fields {
            account: " TA ".into(),
            to: "TB".into(),
            amount: " ".into(),
            mosaics: "acme:coin=5\n\n  acme:gold=1 \n".into(),
            message: " kept as typed ".into(),
            idempotency_key: "k".into(),
        };
        let w = f.withdrawal();
        assert_eq!((w.account.as_str(), w.to.as_str()), ("TA", "TB"));
        assert_eq!(w.amount, None);
        assert_eq!(w.mosaics, vec!["acme:coin=5", "acme:gold=1"]);
        assert_eq!(w.message, " kept as typed ");
    }
}
