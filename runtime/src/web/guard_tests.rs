use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{Request as HttpRequest, StatusCode};
use tower::ServiceExt;

use super::*;

static CHANGES: AtomicUsize = AtomicUsize::new(0);

const HOST_NAME: &str = "127.0.0.1:7999";

fn address() -> SocketAddr {
    HOST_NAME.parse().unwrap()
}

/// The routes as `web::serve` mounts them: under the session's base, behind the guard.
fn app(guard: Arc<Guard>) -> axum::Router {
    let pages = axum::Router::new()
        .route("/", axum::routing::get(|| async { "page" }))
        .route(
            "/change",
            axum::routing::post(|| async {
                CHANGES.fetch_add(1, Ordering::SeqCst);
                "changed"
            }),
        );
    axum::Router::new()
        .nest(guard.base(), pages)
        .layer(axum::middleware::from_fn_with_state(guard, check))
}

fn cookie(guard: &Guard) -> String {
    format!("{}={}", guard.cookie_name(), guard.session.as_str())
}

async fn send(guard: &Arc<Guard>, request: HttpRequest<Body>) -> Response {
    app(guard.clone()).oneshot(request).await.unwrap()
}

fn get(path: &str, host: &str, cookie: Option<&str>) -> HttpRequest<Body> {
    let mut b = HttpRequest::get(path).header(HOST, host);
    if let Some(c) = cookie {
        b = b.header(COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

fn post(guard: &Guard, cookie: &str, origin: Option<&str>, body: &str) -> HttpRequest<Body> {
    let mut b = HttpRequest::post(guard.at("/change"))
        .header(HOST, HOST_NAME)
        .header(COOKIE, cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(o) = origin {
        b = b.header(ORIGIN, o);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

fn new_guard() -> Arc<Guard> {
    Arc::new(Guard::new(address()).unwrap())
}

#[tokio::test]
async fn a_page_needs_the_session_cookie() {
    let guard = new_guard();
    let home = guard.at("/");
    let none = send(&guard, get(&home, HOST_NAME, None)).await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let wrong = format!("{}=00", guard.cookie_name());
    let wrong = send(&guard, get(&home, HOST_NAME, Some(&wrong))).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ok = send(&guard, get(&home, HOST_NAME, Some(&cookie(&guard)))).await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn nothing_outside_the_sessions_path_answers_even_with_the_cookie() {
    let guard = new_guard();
    for path in ["/", "/change", "/s/", "/s/00000000000000000000000000000000"] {
        let r = send(&guard, get(path, HOST_NAME, Some(&cookie(&guard)))).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // The base is a random path, new for each console.
    assert_ne!(guard.base(), new_guard().base());
    assert!(guard.base().starts_with("/s/") && guard.base().len() == 3 + 32);
}

#[tokio::test]
async fn only_the_printed_host_is_answered() {
    let guard = new_guard();
    let home = guard.at("/");
    for host in [
        "evil.example:7999",
        "localhost:7999",
        "127.0.0.1:80",
        "[::1]:7999",
        "",
    ] {
        let r = send(&guard, get(&home, host, Some(&cookie(&guard)))).await;
        assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
}

#[tokio::test]
async fn the_printed_address_works_once_and_scopes_the_cookie_to_the_sessions_path() {
    let guard = new_guard();
    let url = guard.login_url();
    let path = url.strip_prefix(&format!("http://{HOST_NAME}")).unwrap();
    let wrong = send(&guard, get("/login?key=abc", HOST_NAME, None)).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get(SET_COOKIE).is_none());

    let r = send(&guard, get(path, HOST_NAME, None)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], guard.base());
    let set = r.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(set.starts_with(&cookie(&guard)), "{set}");
    assert!(
        set.contains(&format!("Path={};", guard.base()))
            && set.contains("HttpOnly")
            && set.contains("SameSite=Strict"),
        "{set}"
    );
    // The key is not the cookie: a key read later from a history opens nothing.
    assert!(!path.contains(guard.session.as_str()));

    let home = guard.at("/");
    let ok = send(&guard, get(&home, HOST_NAME, Some(&cookie(&guard)))).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(guard.login_url().ends_with("(already used)"));
}

#[tokio::test]
async fn the_spent_key_coming_again_closes_the_session_for_everyone() {
    let guard = new_guard();
    let url = guard.login_url();
    let path = url.strip_prefix(&format!("http://{HOST_NAME}")).unwrap();
    // Someone else opened it first (read off a browser's command line, say).
    assert_eq!(
        send(&guard, get(path, HOST_NAME, None)).await.status(),
        StatusCode::SEE_OTHER
    );
    let again = send(&guard, get(path, HOST_NAME, None)).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(again.headers().get(SET_COOKIE).is_none());
    let body = axum::body::to_bytes(again.into_body(), 1 << 20)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&body).contains("closed for everyone"));
    // The first opener's cookie opens nothing now.
    let home = guard.at("/");
    let r = send(&guard, get(&home, HOST_NAME, Some(&cookie(&guard)))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A wrong key does not close anything.
    let other = new_guard();
    let wrong = send(&other, get("/login?key=00", HOST_NAME, None)).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(!other.login_url().ends_with("(already used)"));
}

#[tokio::test]
async fn a_change_needs_this_origin_and_the_form_token() {
    let guard = new_guard();
    let c = cookie(&guard);
    let token = format!("csrf={}&x=1", guard.csrf());
    let before = CHANGES.load(Ordering::SeqCst);
    for (origin, body, why) in [
        (None, token.as_str(), "no Origin"),
        (
            Some("http://evil.example"),
            token.as_str(),
            "foreign Origin",
        ),
        (
            Some("http://127.0.0.1:8000"),
            token.as_str(),
            "another port",
        ),
        (Some("null"), token.as_str(), "opaque Origin"),
        (Some("http://127.0.0.1:7999"), "x=1", "no token"),
        (Some("http://127.0.0.1:7999"), "csrf=00&x=1", "wrong token"),
    ] {
        let r = send(&guard, post(&guard, &c, origin, body)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{why}");
    }
    assert_eq!(
        CHANGES.load(Ordering::SeqCst),
        before,
        "a refused request changed something"
    );
    let r = send(
        &guard,
        post(&guard, &c, Some("http://127.0.0.1:7999"), &token),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(CHANGES.load(Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn every_answer_carries_the_strict_policy_refusals_too() {
    let guard = new_guard();
    let home = guard.at("/");
    for r in [
        send(&guard, get("/elsewhere", HOST_NAME, None)).await,
        send(&guard, get(&home, HOST_NAME, None)).await,
        send(&guard, get(&home, HOST_NAME, Some(&cookie(&guard)))).await,
    ] {
        assert_eq!(r.headers()[CONTENT_SECURITY_POLICY], CSP);
        assert_eq!(r.headers()[X_FRAME_OPTIONS], "DENY");
        assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
    }
    // A refusal names no path of the session.
    let r = send(&guard, get(&home, HOST_NAME, None)).await;
    let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    assert!(!String::from_utf8_lossy(&body).contains(guard.base()));
}

#[test]
fn paths_are_written_under_the_sessions_base() {
    let guard = new_guard();
    let base = guard.base().to_string();
    assert_eq!(guard.at("/"), base);
    assert_eq!(guard.at("/?state=x"), format!("{base}?state=x"));
    assert_eq!(guard.at("/proposals/a"), format!("{base}/proposals/a"));
}

#[test]
fn only_loopback_addresses_are_served() {
    assert!(crate::web::loopback("127.0.0.1:7480").is_ok());
    assert!(crate::web::loopback("[::1]:7480").is_ok());
    for refused in ["0.0.0.0:7480", "127.0.0.2:7480", "192.168.1.2:7480"] {
        let e = crate::web::loopback(refused).unwrap_err();
        assert!(e.contains("is not 127.0.0.1 or ::1"), "{e}");
    }
    assert!(crate::web::loopback("localhost").is_err());
}

#[test]
fn only_plain_ids_stand_in_a_path() {
    for ok in ["b135ef6b1199c68fb972938ec2b932de", "a-b_c"] {
        assert!(crate::web::segment_ok(ok), "{ok}");
    }
    for bad in ["", "x/../../freeze?", "B?x", "a b", "é", &"a".repeat(65)] {
        assert!(!crate::web::segment_ok(bad), "{bad}");
    }
}
