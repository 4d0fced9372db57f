//! Webhooks: every alert and proposal state change is POSTed as JSON to each configured URL,
//! signed with HMAC-SHA256 (`X-Hanko-Signature: sha256=<hex>`) under that hook's secret, with
//! an event id (`X-Hanko-Event-Id`, also in the body) that stays the same across retries, so
//! the receiver can drop duplicates. Delivery is retried with backoff; it never blocks the
//! coordinator.

use std::path::PathBuf;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// `[[webhook]]` in the coordinator's configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    /// A file (mode 600) whose first line is the shared HMAC secret.
    pub secret_file: PathBuf,
}

#[derive(Clone)]
struct Target {
    url: String,
    secret: std::sync::Arc<Zeroizing<Vec<u8>>>,
}

#[derive(Clone, Default)]
pub struct Webhooks {
    client: Option<reqwest::Client>,
    targets: Vec<Target>,
}

/// Attempts per event and target.
pub const ATTEMPTS: u32 = 6;

pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn event_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..16])
}

impl Webhooks {
    pub fn new(configs: &[WebhookConfig]) -> Result<Webhooks, String> {
        if configs.is_empty() {
            return Ok(Webhooks::default());
        }
        let mut targets = vec![];
        for (i, c) in configs.iter().enumerate() {
            hanko_runtime::process::check_private(&c.secret_file)
                .map_err(|e| format!("webhook[{i}].secret_file: {e}"))?;
            let text = Zeroizing::new(
                std::fs::read_to_string(&c.secret_file)
                    .map_err(|e| format!("webhook[{i}].secret_file: {e}"))?,
            );
            let secret = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .as_bytes()
                .to_vec();
            if secret.len() < 16 {
                return Err(format!(
                    "webhook[{i}].secret_file: the secret must be at least 16 bytes"
                ));
            }
            if !c.url.starts_with("https://") && !c.url.starts_with("http://127.") {
                return Err(format!(
                    "webhook[{i}].url: '{}' must be https:// (or http://127.x for a local relay)",
                    c.url
                ));
            }
            targets.push(Target {
                url: c.url.clone(),
                secret: std::sync::Arc::new(Zeroizing::new(secret)),
            });
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Webhooks {
            client: Some(client),
            targets,
        })
    }

    pub fn alert(&self, kind: &str, account: &str, message: &str, key: &str) {
        let id = event_id(&["alert", key]);
        self.send(json!({
            "id": id,
            "type": "alert",
            "alert": kind,
            "account": account,
            "message": message,
            "at": jiff::Timestamp::now().to_string(),
        }));
    }

    pub fn state_changed(&self, r: &crate::core::ProposalRecord) {
        let state = crate::ops::metrics::state_label(r.state).state;
        let id = event_id(&["proposal", &r.id, &state]);
        self.send(json!({
            "id": id,
            "type": "proposal_state",
            "proposal": r.id,
            "state": state,
            "account": r.account.to_string(),
            "inner_hash": r.inner_hash.to_string(),
            "reason": r.reason,
            "at": jiff::Timestamp::now().to_string(),
        }));
    }

    fn send(&self, event: Value) {
        let Some(client) = &self.client else { return };
        let body = event.to_string().into_bytes();
        let id = event["id"].as_str().unwrap_or_default().to_string();
        for t in &self.targets {
            let (client, t, body, id) = (client.clone(), t.clone(), body.clone(), id.clone());
            tokio::spawn(async move { deliver(&client, &t, &body, &id).await });
        }
    }
}

async fn deliver(client: &reqwest::Client, t: &Target, body: &[u8], id: &str) {
    let signature = sign(&t.secret, body);
    let mut wait = Duration::from_millis(250);
    for attempt in 1..=ATTEMPTS {
        let answer = client
            .post(&t.url)
            .header("content-type", "application/json")
            .header("x-hanko-event-id", id)
            .header("x-hanko-signature", &signature)
            .body(body.to_vec())
            .send()
            .await;
        match answer {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => {
                tracing::warn!(url = %t.url, event = %id, attempt, status = %r.status(), "webhook refused")
            }
            Err(e) => {
                tracing::warn!(url = %t.url, event = %id, attempt, error = %e, "webhook failed")
            }
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
    tracing::error!(url = %t.url, event = %id, "webhook given up after {ATTEMPTS} attempts");
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
