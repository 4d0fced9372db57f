//! The web consoles in headless Chromium against a real local installation (`hanko demo`:
//! dev node, coordinator and three cosigners as processes): a proposer submits a withdrawal
//! in the form, cosigner B's operator approves it in the cosigner console, the treasury page
//! shows it confirmed with its height, live; a refused one shows each cosigner's reasons;
//! requests without the session or from another origin are refused and change nothing.
//! Each page is photographed (docs/console.md shows them: HANKO_SCREENSHOTS=docs/console).

use std::process::Command;
use std::time::Duration;

use fantoccini::Locator;
use hanko_proto::v1 as pb;

use crate::browser::{Browser, Running};
use crate::common::*;

const PAGE: Duration = Duration::from_secs(20);

/// A console the browser has opened: where its pages live (the session's path), its origin
/// and port.
struct Console {
    base: String,
    origin: String,
    port: u16,
}

/// Opens a printed console address (it works once) and lands on the console's home.
async fn open(b: &Browser, printed: &str) -> Console {
    b.goto(printed).await;
    let url = b.client.current_url().await.unwrap();
    let port = url.port().unwrap();
    let origin = format!("http://127.0.0.1:{port}");
    assert!(url.path().starts_with("/s/"), "{url}");
    Console {
        base: format!("{origin}{}", url.path()),
        origin,
        port,
    }
}

/// Every proposal, through the treasury's own gRPC client.
async fn proposals(config: &std::path::Path) -> Vec<pb::Proposal> {
    let config = hanko_cli::client::ClientConfig::load(config).unwrap();
    config
        .treasury()
        .await
        .unwrap()
        .list(pb::ListRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .proposals
}

/// A policy folder's extra files: the deploy example, a draft that raises its per-withdrawal
/// limit (LOOSER) and lowers its daily cap, and three past 39,000 XEM withdrawals.
fn policy_files(dir: &std::path::Path) {
    let example = std::fs::read_to_string(format!(
        "{}/../deploy/policies/cosigner-a.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    std::fs::write(dir.join("example-a.toml"), &example).unwrap();
    let draft = example
        .replace("max = \"50000\"", "max = \"80000\"")
        .replace("max = \"250000\"", "max = \"100000\"")
        .replace("above = \"10000\"", "above = \"100000\"");
    std::fs::write(dir.join("example-a-draft.toml"), draft).unwrap();
    let tuesday_10_tokyo = 367_894_415u32;
    let mut lines = String::new();
    for i in 0..3u32 {
        let tx = serde_json::json!({
            "type": "transfer", "version": 1, "network": "testnet", "timestamp": tuesday_10_tokyo + i * 60,
            "deadline": tuesday_10_tokyo + 3600, "fee": 150_000,
            "signer": "c5f54ba980fcbb657dbaaa42700539b207873e134d2375efeab5f1ab52f87844",
            "recipient": "TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6", "amount": 39_000_000_000u64,
        });
        let at = nem::NemTimestamp(tuesday_10_tokyo + i * 60)
            .to_timestamp()
            .to_string();
        lines.push_str(&serde_json::json!({"at": at, "tx": tx, "proposer": "2ebff201255f6cf948c78f528658b99a7c13ac791942fa22d59af610558111f5", "decision": "allow"}).to_string());
        lines.push('\n');
    }
    std::fs::write(dir.join("history.jsonl"), lines).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_through_the_consoles_in_a_real_browser() {
    let dir = temp_dir("console");
    let data = dir.join("data");
    let mut demo = Running::spawn(
        Command::new(exe())
            .args(["demo", "--data-dir"])
            .arg(&data)
            .args([
                "--console",
                "127.0.0.1:0",
                "--operator-console",
                "127.0.0.1:0",
            ]),
    );
    let treasury_url = demo.wait_for("treasury console", Duration::from_secs(300));
    let operator_url = demo.wait_for("cosigner B's operators", PAGE);
    let account = demo.wait_for("  treasury     ", PAGE);
    let customer = demo.wait_for("--to ", PAGE);
    let treasury_config = data.join("treasury").join("client.toml");
    let b = Browser::start(&dir).await;

    // The treasury's list: the demo's confirmed and rejected withdrawals.
    let tc = open(&b, &treasury_url).await;
    let t = tc.base.clone();
    b.text("#proposals", PAGE).await;
    let states = b.all_texts("#proposals [data-state]").await;
    assert!(
        states.contains(&"confirmed".to_string()) && states.contains(&"rejected".to_string()),
        "{states:?}"
    );
    b.shot("treasury-proposals").await;

    // The form refuses a bad amount beside its field, keeping what was typed.
    b.goto(&format!("{t}/propose")).await;
    b.type_into("input[name=account]", &account).await;
    b.type_into("input[name=to]", &customer).await;
    b.type_into("input[name=amount]", "800.1234567").await;
    b.type_into("input[name=message]", "WD-CONSOLE-1").await;
    let before = proposals(&treasury_config).await.len();
    b.click("form.stack button").await;
    let error = b.text("[data-error=amount]", PAGE).await;
    assert!(error.contains("800.1234567"), "{error}");
    b.shot("treasury-propose-error").await;
    assert_eq!(
        proposals(&treasury_config).await.len(),
        before,
        "a refused form proposed"
    );

    // Proposed: the timeline opens, and cosigner B waits for its operators.
    b.type_into("input[name=amount]", "800").await;
    b.click("form.stack button").await;
    b.text("[data-outcome=needs_approval]", Duration::from_secs(60))
        .await;
    let url = b.client.current_url().await.unwrap();
    let id = url.path().rsplit_once("/proposals/").unwrap().1.to_string();
    b.shot("treasury-proposal-waiting").await;
    let treasury_window = b.client.window().await.unwrap();

    // Cosigner B's operator, in another window: the proposal as B decoded it.
    let operator_window = b.client.new_window(false).await.unwrap().handle;
    b.client.switch_to_window(operator_window).await.unwrap();
    let oc = open(&b, &operator_url).await;
    let o = oc.base.clone();
    b.text(&format!("tr[data-proposal='{id}']"), PAGE).await;
    b.shot("operator-pending").await;
    b.goto(&format!("{o}/proposals/{id}")).await;
    let hash = b.text("[data-inner-hash]", PAGE).await;
    assert_eq!(b.text("[data-label]", PAGE).await, "customer withdrawals");
    assert_eq!(b.text("[data-amount]", PAGE).await, "800 XEM");
    b.shot("operator-proposal").await;
    // A wrong confirm code approves nothing.
    let wrong = if hash.starts_with("00000000") {
        "11111111"
    } else {
        "00000000"
    };
    b.type_into("input[name=confirm]", wrong).await;
    b.click(&format!(
        "form[data-action='/proposals/{id}/approve'] button"
    ))
    .await;
    let refused = b.text("[data-notice]", PAGE).await;
    assert!(refused.contains("does not match"), "{refused}");
    assert!(
        b.text("[data-state=awaiting_approval]", PAGE)
            .await
            .contains("awaiting")
    );
    b.type_into("input[name=confirm]", &hash[..8]).await;
    b.click(&format!(
        "form[data-action='/proposals/{id}/approve'] button"
    ))
    .await;
    assert_eq!(b.text("[data-state=signed]", PAGE).await, "signed");

    // The treasury's page, never reloaded, shows it confirmed with its height and fees.
    b.client.switch_to_window(treasury_window).await.unwrap();
    let height: u64 = b
        .text("[data-height]", Duration::from_secs(90))
        .await
        .parse()
        .unwrap();
    assert!(height > 0);
    let confirmed = b.text("[data-step=confirmed]", PAGE).await;
    // Inner 0.1, the wrapper 0.15 and one signature transaction 0.15 (2 of 3).
    assert!(confirmed.contains("fees paid: 0.4 XEM"), "{confirmed}");
    // Each decision names its cosigner as the coordinator's configuration does.
    let decided = b.all_texts("[data-step=decision] strong").await;
    assert!(
        decided
            .iter()
            .any(|d| d.contains("cosigner-b (") && d.contains("signed")),
        "{decided:?}"
    );
    b.shot("treasury-proposal-confirmed").await;

    // The demo's refused withdrawal: each cosigner's reasons.
    b.goto(&t).await;
    b.click("tr:has([data-state=rejected]) a").await;
    b.text("[data-outcome=refused]", PAGE).await;
    let reasons = b.all_texts("[data-outcome=refused] [data-reason]").await;
    assert!(reasons.len() >= 2, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("is not on the whitelist")),
        "{reasons:?}"
    );
    b.shot("treasury-proposal-refused").await;

    // Cosigner links and alerts.
    b.goto(&format!("{t}/status")).await;
    let links = b.all_texts("#cosigners tbody tr").await;
    assert_eq!(links.len(), 3, "{links:?}");
    assert!(
        links
            .iter()
            .all(|l| l.contains("connected") && !l.contains("NOT")),
        "{links:?}"
    );
    b.shot("treasury-status").await;

    // Cosigner B: each velocity rule against its limit, and its status.
    b.goto(&format!("{o}/usage")).await;
    let used = b.text("[data-rule=daily-xem] [data-used]", PAGE).await;
    assert!(used.ends_with("XEM") && used != "0 XEM", "{used}");
    assert!(
        !b.client
            .find_all(Locator::Css("[data-rule=daily-xem] svg path.used"))
            .await
            .unwrap()
            .is_empty()
    );
    b.shot("operator-velocity").await;
    b.goto(&format!("{o}/status")).await;
    b.text("[data-notice], dl.facts", PAGE).await;
    b.shot("operator-status").await;

    // The policy pages: readable rules, the diff with LOOSER marked, a draft replayed.
    policy_files(&data.join("policies"));
    b.goto(&format!("{t}/policy/show?file=example-a.toml"))
        .await;
    assert!(
        b.text("[data-rule=per-withdrawal-xem]", PAGE)
            .await
            .contains("at most 50000 XEM")
    );
    b.shot("policy-rules").await;
    b.goto(&format!(
        "{t}/policy/diff?old=example-a.toml&new=example-a-draft.toml"
    ))
    .await;
    let looser = b.all_texts("tr[data-direction=LOOSER]").await;
    assert!(
        looser.iter().any(|l| l.contains("50000 XEM → 80000 XEM")),
        "{looser:?}"
    );
    b.shot("policy-diff").await;
    b.goto(&format!(
        "{t}/policy/simulate?file=example-a-draft.toml&history=history.jsonl"
    ))
    .await;
    let sim = b.text("[data-simulation]", PAGE).await;
    assert!(
        sim.contains("3 proposals replayed") && sim.contains("1 decision(s) change"),
        "{sim}"
    );
    assert!(
        !b.client
            .find_all(Locator::Css("svg rect.now-deny"))
            .await
            .unwrap()
            .is_empty()
    );
    b.shot("policy-simulate").await;

    cross_site_requests_change_nothing(&b, &tc, &oc, &treasury_config, &customer, &account).await;
    admin_freezes_and_unfreezes(&b, &data).await;
    policy_console_alone(&b, &data.join("policies")).await;

    b.client.clone().close().await.unwrap();
    demo.stop();
    std::fs::remove_dir_all(&dir).ok();
}

/// Another site's page (a server on another loopback port: the same site for cookies), a
/// request without the session, and one naming another host: each refused, nothing changed.
#[allow(clippy::too_many_arguments)]
async fn cross_site_requests_change_nothing(
    b: &Browser,
    tc: &Console,
    oc: &Console,
    treasury_config: &std::path::Path,
    customer: &str,
    account: &str,
) {
    let (t, o) = (tc.base.as_str(), oc.base.as_str());
    let before = proposals(treasury_config).await.len();
    let page = format!(
        "<!doctype html><title>elsewhere</title>\
         <form id=propose method=post action='{t}/propose'>\
         <input name=account value='{account}'><input name=to value='{customer}'>\
         <input name=amount value='1'><input name=csrf value='guess'><button>win a prize</button></form>\
         <form id=freeze method=post action='{o}/freeze'><input name=reason value=x><button>more</button></form>"
    );
    // Another user's server on another loopback port: it must not receive the consoles'
    // cookies (a browser sends a cookie to every port; the session's path keeps it from this
    // one).
    let evil = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let evil_url = format!("http://{}", evil.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let heard = seen.clone();
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move |headers: axum::http::HeaderMap| async move {
            for c in headers.get_all("cookie") {
                heard
                    .lock()
                    .unwrap()
                    .push(c.to_str().unwrap_or("").to_string());
            }
            axum::response::Html(page)
        }),
    );
    tokio::spawn(async move { axum::serve(evil, app).await });

    for form in ["propose", "freeze"] {
        b.goto(&evil_url).await;
        b.click(&format!("#{form} button")).await;
        let refusal = b.text("[data-refusal]", PAGE).await;
        assert!(refusal.contains("Origin"), "{form}: {refusal}");
        if form == "propose" {
            b.shot("refused-foreign-origin").await;
        }
    }
    let cookies = seen.lock().unwrap().clone();
    assert!(
        cookies.iter().all(|c| !c.contains("hanko_console")),
        "another port received a console's cookie: {cookies:?}"
    );

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = format!("account={account}&to={customer}&amount=1");
    let post = |url: String, cookie: Option<String>, origin: &str, host: Option<String>| {
        let mut r = http
            .post(url)
            .header("Origin", origin)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.clone());
        if let Some(c) = cookie {
            r = r.header("Cookie", c);
        }
        if let Some(h) = host {
            r = r.header("Host", h);
        }
        r.send()
    };
    b.goto(t).await;
    let t_cookie = b.cookie(tc.port).await;
    b.goto(o).await;
    let o_cookie = b.cookie(oc.port).await;
    let (to, oo) = (tc.origin.as_str(), oc.origin.as_str());
    let cases = [
        (
            post(format!("{t}/propose"), None, to, None).await,
            401,
            "no session",
        ),
        (
            post(format!("{t}/propose"), Some(t_cookie.clone()), to, None).await,
            403,
            "no form token",
        ),
        (
            post(
                format!("{t}/propose"),
                Some(t_cookie.clone()),
                "http://elsewhere.example",
                None,
            )
            .await,
            403,
            "foreign Origin",
        ),
        (
            post(
                format!("{t}/propose"),
                Some(t_cookie.clone()),
                to,
                Some(format!("rebound.example:{}", tc.port)),
            )
            .await,
            421,
            "DNS rebinding",
        ),
        (
            post(format!("{o}/freeze"), None, oo, None).await,
            401,
            "operator, no session",
        ),
        (
            post(format!("{o}/freeze"), Some(o_cookie), oo, None).await,
            403,
            "operator, no form token",
        ),
        (
            post(format!("{to}/propose"), Some(t_cookie), to, None).await,
            404,
            "outside the session's path",
        ),
    ];
    for (response, status, why) in cases {
        assert_eq!(response.unwrap().status().as_u16(), status, "{why}");
    }
    assert_eq!(
        proposals(treasury_config).await.len(),
        before,
        "a refused request proposed"
    );
    b.goto(&format!("{o}/status")).await;
    assert!(
        b.client
            .find_all(Locator::Css("[data-banner=frozen]"))
            .await
            .unwrap()
            .is_empty(),
        "a refused request froze cosigner B"
    );
}

/// `hanko console` as its own process with the admin's certificate: freeze (the banner shows
/// on every page) and unfreeze.
async fn admin_freezes_and_unfreezes(b: &Browser, data: &std::path::Path) {
    let mut admin = Running::spawn(
        Command::new(exe())
            .args(["console", "--listen", "127.0.0.1:0", "--config"])
            .arg(data.join("admin").join("client.toml")),
    );
    let url = admin.wait_for(": open ", PAGE);
    let a = open(b, &url).await.base;
    b.goto(&format!("{a}/status")).await;
    b.type_into(
        "form[data-action='/freeze'] input[name=reason]",
        "drill from the console",
    )
    .await;
    b.click("form[data-action='/freeze'] button").await;
    let banner = b.text("[data-banner=frozen]", PAGE).await;
    assert!(banner.contains("drill from the console"), "{banner}");
    b.goto(&a).await;
    b.text("[data-banner=frozen]", PAGE).await;
    b.shot("admin-frozen").await;
    b.goto(&format!("{a}/status")).await;
    b.type_into(
        "form[data-action='/unfreeze'] input[name=reason]",
        "drill over",
    )
    .await;
    b.click("form[data-action='/unfreeze'] button").await;
    b.text("form[data-action='/freeze']", PAGE).await;
    assert!(
        b.client
            .find_all(Locator::Css("[data-banner=frozen]"))
            .await
            .unwrap()
            .is_empty()
    );
    admin.stop();
}

/// `hanko policy console`: the policy pages alone, no daemon, over one folder.
async fn policy_console_alone(b: &Browser, dir: &std::path::Path) {
    let mut pages = Running::spawn(
        Command::new(exe())
            .args(["policy", "console", "--listen", "127.0.0.1:0", "--dir"])
            .arg(dir),
    );
    let url = pages.wait_for(": open ", PAGE);
    open(b, &url).await;
    let files = b.text("#policies", PAGE).await;
    for name in ["cosigner-a.toml", "cosigner-b.toml", "example-a-draft.toml"] {
        assert!(files.contains(name), "{files}");
    }
    b.click("#policies a").await;
    b.text("[data-rule]", PAGE).await;
    pages.stop();
}

/// A console session over plain HTTP: the cookie the printed address gave, and the session's
/// base.
struct Session {
    http: reqwest::Client,
    origin: String,
    base: String,
    cookie: String,
}

impl Session {
    async fn open(printed: &str) -> Session {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = http.get(printed).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 303, "{printed}");
        let cookie = r.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_string();
        let base = r.headers()["location"].to_str().unwrap().to_string();
        let origin = printed.split("/login").next().unwrap().to_string();
        Session {
            http,
            base: format!("{origin}{base}"),
            origin,
            cookie,
        }
    }

    /// Submits the withdrawal form as a browser would; the answer's status and Location.
    async fn propose(&self, account: &str, to: &str, amount: &str) -> (u16, String) {
        let form = self
            .http
            .get(format!("{}/propose", self.base))
            .header("Cookie", &self.cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let value = |name: &str| {
            let at = form.find(&format!("name=\"{name}\" value=\"")).unwrap();
            let rest = &form[at + name.len() + 15..];
            rest[..rest.find('"').unwrap()].to_string()
        };
        let body = format!(
            "csrf={}&idempotency_key={}&account={account}&to={to}&amount={amount}&mosaics=&message=",
            value("csrf"),
            value("idempotency_key")
        );
        let r = self
            .http
            .post(format!("{}/propose", self.base))
            .header("Cookie", &self.cookie)
            .header("Origin", &self.origin)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default();
        let status = r.status().as_u16();
        if status != 303 {
            let text = r.text().await.unwrap_or_default();
            return (status, text);
        }
        (status, location)
    }
}

/// Two coordinators on PostgreSQL: the leader is killed, and the treasury console, left
/// running, proposes through the new leader within seconds, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_treasury_console_follows_a_new_leader() {
    let server = testkit::postgres::Postgres::start();
    let url = server.database("hanko");
    let mut local = start(ha_plan("console-ha", Rules::default(), &url, 1_000)).await;
    let config = hanko_cli::client::ClientConfig::load(&local.layout.treasury_config).unwrap();
    let bound = hanko_cli::console::bind(config, "127.0.0.1:0", None)
        .await
        .unwrap();
    let printed = bound.url.clone();
    let (quit, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(bound.run(async move {
        let _ = stopped.await;
    }));
    let console = Session::open(&printed).await;
    let account = local.layout.context.account.to_string();
    let customer = local.layout.context.customer.to_string();

    let (status, first) = console.propose(&account, &customer, "1").await;
    assert_eq!(status, 303, "{first}");
    local.kill_coordinator_at(0).unwrap();
    let killed = std::time::Instant::now();
    let second = loop {
        let (status, answer) = console.propose(&account, &customer, "2").await;
        if status == 303 {
            break answer;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "the console did not reach the new leader in 30 s: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    println!(
        "the console proposed through the new leader {} ms after the leader was killed",
        killed.elapsed().as_millis()
    );
    for location in [first, second] {
        let id = location.rsplit_once("/proposals/").unwrap().1.to_string();
        let p = until_terminal(&local, &id).await;
        assert_eq!(state(&p), "confirmed", "{p:?}");
    }
    let _ = quit.send(());
    serving.await.unwrap().unwrap();
    stop(local).await;
}
