use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{Request as HttpRequest, StatusCode};
use tower::ServiceExt;

use super::*;

static CHANGES: AtomicUsize = AtomicUsize::new(0);

fn address() -> SocketAddr {
    "127.0.0.1:7999".parse().unwrap()
}

fn app(guard: Arc<Guard>) -> axum::Router {
    axum::Router::new()
        .route("/", axum::routing::get(|| async { "page" }))
        .route(
            "/change",
            axum::routing::post(|| async {
                CHANGES.fetch_add(1, Ordering::SeqCst);
                "changed"
            }),
        )
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

fn post(cookie: &str, origin: Option<&str>, body: &str) -> HttpRequest<Body> {
    let mut b = HttpRequest::post("/change")
        .header(HOST, "127.0.0.1:7999")
        .header(COOKIE, cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(o) = origin {
        b = b.header(ORIGIN, o);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn a_page_needs_the_session_cookie() {
    let guard = Arc::new(Guard::new(address()).unwrap());
    let none = send(&guard, get("/", "127.0.0.1:7999", None)).await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let wrong = send(
        &guard,
        get("/", "127.0.0.1:7999", Some("hanko_console_7999=00")),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ok = send(&guard, get("/", "127.0.0.1:7999", Some(&cookie(&guard)))).await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn another_host_name_is_refused_even_with_the_session() {
    let guard = Arc::new(Guard::new(address()).unwrap());
    for host in ["evil.example:7999", "127.0.0.1:80", ""] {
        let r = send(&guard, get("/", host, Some(&cookie(&guard)))).await;
        assert_eq!(r.status(), StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
    let r = send(&guard, get("/", "localhost:7999", Some(&cookie(&guard)))).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_printed_address_sets_an_http_only_strict_cookie() {
    let guard = Arc::new(Guard::new(address()).unwrap());
    let path = guard.login_url().replace("http://127.0.0.1:7999", "");
    let r = send(&guard, get(&path, "127.0.0.1:7999", None)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(set.starts_with(&cookie(&guard)), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let wrong = send(&guard, get("/login?key=abc", "127.0.0.1:7999", None)).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get(SET_COOKIE).is_none());
}

#[tokio::test]
async fn a_change_needs_this_origin_and_the_form_token() {
    let guard = Arc::new(Guard::new(address()).unwrap());
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
        (Some("http://127.0.0.1:7999"), "x=1", "no token"),
        (Some("http://127.0.0.1:7999"), "csrf=00&x=1", "wrong token"),
    ] {
        let r = send(&guard, post(&c, origin, body)).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{why}");
    }
    assert_eq!(
        CHANGES.load(Ordering::SeqCst),
        before,
        "a refused request changed something"
    );
    let r = send(&guard, post(&c, Some("http://127.0.0.1:7999"), &token)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(CHANGES.load(Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn every_answer_carries_the_strict_policy_refusals_too() {
    let guard = Arc::new(Guard::new(address()).unwrap());
    for r in [
        send(&guard, get("/", "127.0.0.1:7999", None)).await,
        send(&guard, get("/", "127.0.0.1:7999", Some(&cookie(&guard)))).await,
    ] {
        assert_eq!(r.headers()[CONTENT_SECURITY_POLICY], CSP);
        assert_eq!(r.headers()[X_FRAME_OPTIONS], "DENY");
        assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
    }
}

#[test]
fn only_loopback_addresses_are_served() {
    assert!(crate::web::loopback("127.0.0.1:7480").is_ok());
    assert!(crate::web::loopback("[::1]:7480").is_ok());
    let e = crate::web::loopback("0.0.0.0:7480").unwrap_err();
    assert!(e.contains("not a loopback address"), "{e}");
    assert!(crate::web::loopback("localhost").is_err());
}
