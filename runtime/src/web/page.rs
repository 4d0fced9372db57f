//! The consoles' page frame and form pieces. Pages are rendered on the server with maud,
//! which escapes every value; the only script is the embedded `console.js`.

use maud::{DOCTYPE, Markup, html};

use super::Guard;

/// A page's frame: the console's name, its navigation (paths as the routes are written), an
/// optional banner (a freeze, say), and the body. An element with `data-live="URL"` is
/// refreshed whenever URL (an event stream) says something changed.
pub struct Frame<'a> {
    pub guard: &'a Guard,
    pub console: &'a str,
    pub title: &'a str,
    pub nav: &'a [(&'a str, &'a str)],
    pub banner: Option<Markup>,
}

impl Frame<'_> {
    pub fn render(&self, body: Markup) -> Markup {
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) " · " (self.console) }
                    link rel="stylesheet" href="/assets/console.css";
                    script src="/assets/console.js" defer {}
                }
                body {
                    header.top {
                        span.brand { (self.console) }
                        nav { @for (href, label) in self.nav { a href=(self.guard.at(href)) { (label) } } }
                        span.live-state data-live-state { }
                    }
                    @if let Some(banner) = &self.banner { (banner) }
                    main { h1 { (self.title) } (body) }
                }
            }
        }
    }
}

/// A POST form to `action` (a path as the routes are written) carrying the session's csrf
/// token; `submit` labels its button.
pub fn form(guard: &Guard, action: &str, class: &str, fields: Markup, submit: &str) -> Markup {
    html! {
        form method="post" action=(guard.at(action)) data-action=(action) class=(class) {
            input type="hidden" name="csrf" value=(guard.csrf());
            (fields)
            button type="submit" { (submit) }
        }
    }
}

/// A labelled text input; `error` (a field error from the last submit) is shown beside it.
pub fn field(name: &str, label: &str, value: &str, hint: &str, error: Option<&str>) -> Markup {
    html! {
        label.field {
            span.label { (label) }
            input type="text" name=(name) value=(value) autocomplete="off" class=[error.map(|_| "invalid")];
            @if let Some(e) = error { span.error data-error=(name) { (e) } }
            @else if !hint.is_empty() { span.hint { (hint) } }
        }
    }
}

/// A notice after an action: what happened, or why it was refused.
pub fn notice(ok: bool, text: &str) -> Markup {
    html! { p class=(if ok { "notice ok" } else { "notice bad" }) data-notice { (text) } }
}

/// A link to proposal `id`'s page, or the id as text when it is no plain id (a hostile
/// coordinator's, say): no id can point a link elsewhere.
pub fn proposal_link(guard: &Guard, id: &str) -> Markup {
    if super::segment_ok(id) {
        html! { a.mono href=(guard.at(&format!("/proposals/{id}"))) { (id) } }
    } else {
        html! { span.mono { (id) } }
    }
}

/// A state as a coloured label (`awaiting_approval` reads "awaiting approval").
pub fn pill(state: &str) -> Markup {
    html! { span class=(format!("state {state}")) data-state=(state) { (state.replace('_', " ")) } }
}

/// Unix milliseconds as a UTC time; "never" for none.
pub fn time_ms(ms: i64) -> String {
    if ms <= 0 {
        return "never".into();
    }
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// Label/value rows.
pub fn facts(rows: &[(&str, Markup)]) -> Markup {
    html! { dl.facts { @for (k, v) in rows { dt { (k) } dd { (v) } } } }
}
