//! Webhooks reach a receiver signed with HMAC-SHA256 under the shared secret, are retried
//! after a failure with the same event id, and a configuration that would leak is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::ops::webhook::{WebhookConfig, Webhooks, sign};

type Seen = Arc<Mutex<Vec<(u16, String, String, String)>>>;

/// A receiver that answers 500 to the first request and 200 after, recording each one.
async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let log = log.clone();
            async move {
                let mut log = log.lock().unwrap();
                let status = if log.is_empty() { 500 } else { 200 };
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                log.push((status, h("x-hanko-event-id"), h("x-hanko-signature"), body));
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn secret_file(text: &str, mode: u32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::temp_dir().join(format!(
        "hanko-webhook-secret-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

#[tokio::test]
async fn an_alert_is_signed_retried_and_keeps_its_event_id() {
    let (url, seen) = receiver().await;
    let secret = "a shared secret of some length";
    let secret_path = secret_file(&format!("{secret}\n"), 0o600);
    let hooks = Webhooks::new(&[WebhookConfig {
        url,
        secret_file: secret_path.clone(),
    }])
    .unwrap();
    std::fs::remove_file(secret_path).unwrap();
    hooks.alert(
        "unknown_outflow",
        "TABC",
        "900000 XEM leaves TABC",
        "outflow:1234",
    );
    for _ in 0..100 {
        if seen.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        2,
        "one failed delivery, then one that succeeded: {seen:?}"
    );
    let (first, second) = (&seen[0], &seen[1]);
    assert_eq!((first.0, second.0), (500, 200));
    assert_eq!(first.1, second.1, "a retry keeps its event id");
    assert_eq!(first.3, second.3, "a retry sends the same body");
    assert_eq!(second.2, sign(secret.as_bytes(), second.3.as_bytes()));
    assert_ne!(
        second.2,
        sign(b"another secret entirely", second.3.as_bytes())
    );
    let body: serde_json::Value = serde_json::from_str(&second.3).unwrap();
    assert_eq!(body["type"], "alert");
    assert_eq!(body["alert"], "unknown_outflow");
    assert_eq!(body["id"], second.1.as_str());
}

#[test]
fn unsafe_webhook_configurations_are_refused() {
    let ok_secret = secret_file("0123456789abcdef0123", 0o600);
    let cases = [
        (
            "http://siem.example/hook",
            ok_secret.clone(),
            "must be https://",
        ),
        (
            "https://siem.example/hook",
            secret_file("0123456789abcdef", 0o644),
            "readable by group or others",
        ),
        (
            "https://siem.example/hook",
            secret_file("short", 0o600),
            "at least 16 bytes",
        ),
    ];
    for (url, secret_file, expected) in cases {
        let e = Webhooks::new(&[WebhookConfig {
            url: url.into(),
            secret_file: secret_file.clone(),
        }])
        .err()
        .unwrap_or_else(|| panic!("{url} was accepted"));
        assert!(e.contains(expected), "{e}");
        let _ = std::fs::remove_file(secret_file);
    }
}
