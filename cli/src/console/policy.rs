//! The policy pages (`hanko policy` in the console; no daemon needed): a policy file as rules
//! a compliance officer reads, the semantic diff of two versions with every LOOSER change
//! marked, and a draft replayed over a history as a chart. Files come from one folder, by
//! name only: nothing else on the machine can be named.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hanko_runtime::web::page::{Frame, notice};
use hanko_runtime::web::{self, Guard, chart};
use maud::{Markup, html};
use policy::Outcome;
use policy::diff::Direction;

use super::policy_rules;

/// Largest file read: a policy or a history of some thousand proposals.
const MAX_FILE: u64 = 8 * 1024 * 1024;

/// Runs a page that reads files off the async runtime's threads.
async fn blocking(page: impl FnOnce() -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(page).await.unwrap_or_else(|e| {
        (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("the page failed: {e}"),
        )
            .into_response()
    })
}

pub struct Pages {
    guard: Arc<Guard>,
    dir: Option<PathBuf>,
    /// The console's home page, for the navigation.
    home: &'static str,
}

/// The policy pages over the files in `dir`, under `/policy`.
pub fn router(guard: Arc<Guard>, dir: Option<PathBuf>, home: &'static str) -> Router {
    let pages = Arc::new(Pages { guard, dir, home });
    Router::new()
        .route("/policy", get(index))
        .route("/policy/show", get(show))
        .route("/policy/diff", get(diff))
        .route("/policy/simulate", get(simulate))
        .with_state(pages)
}

fn frame(p: &Pages, title: &str, body: Markup) -> Response {
    let mut nav = vec![];
    if p.home != "/policy" {
        nav.push((p.home, "Console"));
    }
    nav.extend([
        ("/policy", "Policies"),
        ("/policy/diff", "Diff"),
        ("/policy/simulate", "Simulate"),
    ]);
    Frame {
        guard: &p.guard,
        console: "Hanko policies",
        title,
        nav: &nav,
        banner: None,
    }
    .render(body)
    .into_response()
}

/// The files in the folder ending in `suffix`, by name.
fn files(p: &Pages, suffix: &str) -> Vec<String> {
    let Some(dir) = &p.dir else { return vec![] };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(suffix) && !n.ends_with(".tests.toml") && !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// `name` in the folder: a plain file name that is there, or why not.
fn open(p: &Pages, what: &str, name: &str) -> Result<(PathBuf, String), String> {
    let dir = p
        .dir
        .as_deref()
        .ok_or("no policy folder: start the console with --policies DIR".to_string())?;
    if name.is_empty() {
        return Err(format!("{what}: choose a file"));
    }
    let plain = Path::new(name).file_name().is_some_and(|f| f == name) && !name.starts_with('.');
    if !plain {
        return Err(format!(
            "{what}: '{name}' is not a file name in {}",
            dir.display()
        ));
    }
    let path = dir.join(name);
    let meta = std::fs::metadata(&path).map_err(|e| format!("{what}: {}: {e}", path.display()))?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return Err(format!(
            "{what}: {} is not a regular file of at most {MAX_FILE} bytes",
            path.display()
        ));
    }
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("{what}: {}: {e}", path.display()))?;
    Ok((path, text))
}

fn linted(p: &Pages, what: &str, name: &str) -> Result<policy::Linted, Markup> {
    let (_, text) = open(p, what, name).map_err(|e| notice(false, &e))?;
    policy::lint(&text).map_err(|problems| {
        html! {
            (notice(false, &format!("{name} has {} problem(s); nothing below is in force until they are fixed", problems.len())))
            ul.reasons { @for pr in &problems { li { span.mono { (name) ":" (pr.to_string()) } } } }
        }
    })
}

#[derive(serde::Deserialize, Default)]
pub struct Chosen {
    #[serde(default)]
    file: String,
    #[serde(default)]
    old: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    history: String,
}

fn select(name: &str, label: &str, options: &[String], chosen: &str) -> Markup {
    html! {
        label.field { span.label { (label) }
            select name=(name) {
                option value="" { "choose…" }
                @for o in options { option value=(o) selected[o == chosen] { (o) } }
            }
        }
    }
}

/// `GET /policy`: the folder's policies.
async fn index(State(p): State<Arc<Pages>>) -> Response {
    blocking(move || index_page(&p)).await
}

fn index_page(p: &Pages) -> Response {
    let body = match &p.dir {
        None => notice(
            false,
            "no policy folder: start the console with --policies DIR",
        ),
        Some(dir) => html! {
            p { "Policy files in " span.mono { (dir.display()) } ":" }
            ul #policies { @for f in files(p, ".toml") { li { a href=(p.guard.at(&format!("/policy/show?file={}", web::query_value(&f)))) { (f) } } } }
        },
    };
    frame(p, "Policies", body)
}

/// `GET /policy/show?file=NAME`.
async fn show(State(p): State<Arc<Pages>>, Query(c): Query<Chosen>) -> Response {
    blocking(move || {
        let body = match linted(&p, "file", &c.file) {
            Ok(l) => policy_rules::render(&l.policy),
            Err(problems) => problems,
        };
        frame(&p, &format!("Policy {}", c.file), body)
    })
    .await
}

/// `GET /policy/diff?old=A&new=B`.
async fn diff(State(p): State<Arc<Pages>>, Query(c): Query<Chosen>) -> Response {
    blocking(move || diff_page(&p, &c)).await
}

fn diff_page(p: &Pages, c: &Chosen) -> Response {
    let names = files(p, ".toml");
    let picker = html! {
        form method="get" action=(p.guard.at("/policy/diff")) class="inline" {
            (select("old", "Old version", &names, &c.old))
            (select("new", "New version", &names, &c.new))
            button type="submit" { "Compare" }
        }
    };
    let result = if c.old.is_empty() && c.new.is_empty() {
        html! {}
    } else {
        match (linted(p, "old", &c.old), linted(p, "new", &c.new)) {
            (Ok(old), Ok(new)) => changes(&policy::diff::diff(&old.policy, &new.policy)),
            (Err(e), _) | (_, Err(e)) => e,
        }
    };
    frame(p, "Policy diff", html! { (picker) (result) })
}

fn changes(list: &[policy::diff::Change]) -> Markup {
    let looser = list
        .iter()
        .filter(|c| c.direction == Direction::Looser)
        .count();
    html! {
        @if list.is_empty() { p data-diff="none" { "No semantic changes." } }
        @else {
            p { (list.len()) " change(s), " strong { (looser) " LOOSER" } "." }
            table #diff {
                thead { tr { th { "Direction" } th { "Change" } } }
                tbody { @for c in list {
                    @let (class, tag) = match c.direction { Direction::Looser => ("looser", "LOOSER"), Direction::Tighter => ("tighter", "tighter"), Direction::Neutral => ("", "changed") };
                    tr class=(class) data-direction=(tag) { td { (tag) } td { (c.what) } }
                } }
            }
        }
    }
}

/// `GET /policy/simulate?file=DRAFT&history=H.jsonl`.
async fn simulate(State(p): State<Arc<Pages>>, Query(c): Query<Chosen>) -> Response {
    blocking(move || simulate_page(&p, &c)).await
}

fn simulate_page(p: &Pages, c: &Chosen) -> Response {
    let picker = html! {
        form method="get" action=(p.guard.at("/policy/simulate")) class="inline" {
            (select("file", "Draft policy", &files(p, ".toml"), &c.file))
            (select("history", "History (JSONL)", &files(p, ".jsonl"), &c.history))
            button type="submit" { "Replay" }
        }
    };
    let result = if c.file.is_empty() && c.history.is_empty() {
        html! {}
    } else {
        replay(p, c).unwrap_or_else(|e| e)
    };
    frame(p, "Simulate a draft", html! { (picker) (result) })
}

fn replay(p: &Pages, c: &Chosen) -> Result<Markup, Markup> {
    let draft = linted(p, "file", &c.file)?;
    let (_, history) = open(p, "history", &c.history).map_err(|e| notice(false, &e))?;
    let sim = policy::simulate::simulate(&draft.policy, &history)
        .map_err(|e| notice(false, &format!("{}: {e}", c.history)))?;
    // Per day: every proposal replayed, and the decisions that change, by what they become.
    let mut days: std::collections::BTreeMap<String, [u64; 4]> = Default::default();
    for line in history.lines().filter(|l| !l.trim().is_empty()) {
        if let Ok(past) = serde_json::from_str::<policy::simulate::PastProposal>(line) {
            days.entry(past.at.strftime("%Y-%m-%d").to_string())
                .or_default()[0] += 1;
        }
    }
    for ch in &sim.changed {
        let slot = match ch.after {
            Outcome::Deny => 1,
            Outcome::Allow => 2,
            Outcome::NeedsApproval => 3,
        };
        let day = days
            .entry(ch.at.strftime("%Y-%m-%d").to_string())
            .or_default();
        day[slot] += 1;
        day[0] = day[0].saturating_sub(1);
    }
    let groups: Vec<(String, Vec<(&'static str, u64)>)> = days
        .into_iter()
        .map(|(d, n)| {
            (
                d,
                vec![
                    ("replayed", n[0]),
                    ("now-deny", n[1]),
                    ("now-allow", n[2]),
                    ("now-approval", n[3]),
                ],
            )
        })
        .collect();
    Ok(html! {
        p data-simulation { (sim.replayed) " proposals replayed under " strong { (draft.policy.name) } "; " strong { (sim.changed.len()) } " decision(s) change." }
        (chart::bars(&groups, &[("replayed", "unchanged"), ("now-deny", "now refused"), ("now-allow", "now signed (looser)"), ("now-approval", "now held for approval")], "Proposals per day (UTC) under the draft"))
        @if !sim.changed.is_empty() {
            table #changed {
                thead { tr { th { "Line" } th { "When" } th { "Before" } th { "After" } th { "Why" } } }
                tbody { @for ch in &sim.changed {
                    tr class=[(ch.after == Outcome::Allow).then_some("looser")] {
                        td.num { (ch.line) } td.when { (ch.at.strftime("%Y-%m-%d %H:%M UTC").to_string()) }
                        td { (ch.before.name()) } td { (ch.after.name()) } td { (ch.reasons.join("; ")) }
                    }
                } }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_file_names_in_the_folder_can_be_opened() {
        let dir = std::env::temp_dir().join(format!("hanko-policy-pages-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.toml"), "x").unwrap();
        let guard = Arc::new(Guard::new("127.0.0.1:1".parse().unwrap()).unwrap());
        let pages = Pages {
            guard: guard.clone(),
            dir: Some(dir.clone()),
            home: "/policy",
        };
        assert_eq!(open(&pages, "file", "a.toml").unwrap().1, "x");
        for name in [
            "../a.toml",
            "/etc/passwd",
            "sub/a.toml",
            "..",
            ".hidden",
            "",
        ] {
            assert!(open(&pages, "file", name).is_err(), "{name}");
        }
        let none = Pages {
            guard,
            dir: None,
            home: "/",
        };
        assert!(
            open(&none, "file", "a.toml")
                .unwrap_err()
                .contains("--policies")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
