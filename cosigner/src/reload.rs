//! Policy reload: on a change of the policy file or its signatures, or on SIGHUP, the new
//! file is verified (signatures, lint) before it replaces the old one. A bad file keeps the
//! old policy in force and raises an alert.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::{Notify, watch};

use crate::engine::{ActivePolicy, Engine};

/// Loads and verifies a policy file.
pub fn load(path: &Path, trust: &policy::signing::Trust) -> Result<ActivePolicy, String> {
    let loaded = policy::signing::load(path, trust).map_err(|e| e.to_string())?;
    Ok(ActivePolicy {
        loaded,
        source: path.display().to_string(),
    })
}

/// A digest of the file and all its signature files, to notice any change.
fn fingerprint(path: &Path) -> String {
    let mut h = Sha256::new();
    let mut files: Vec<PathBuf> = vec![path.to_path_buf()];
    if let Ok(sigs) = policy::signing::signature_files(path) {
        files.extend(sigs);
    }
    for f in files {
        h.update(f.display().to_string().as_bytes());
        match std::fs::read(&f) {
            Ok(bytes) => h.update(&bytes),
            Err(e) => h.update(e.to_string().as_bytes()),
        }
    }
    hex::encode(h.finalize())
}

/// Watches the file until `shutdown`; `hup` forces a check.
pub async fn watch(
    engine: Arc<Engine>,
    path: PathBuf,
    trust: policy::signing::Trust,
    every: Duration,
    hup: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut seen = fingerprint(&path);
    let mut tick = tokio::time::interval(every);
    loop {
        let forced = tokio::select! {
            _ = tick.tick() => false,
            _ = hup.notified() => true,
            _ = shutdown.changed() => return,
        };
        let now = fingerprint(&path);
        if now == seen && !forced {
            continue;
        }
        seen = now;
        match load(&path, &trust) {
            Ok(next) if next.hash() == engine.policy().hash() => {
                tracing::info!(policy = %next.hash(), "policy file checked: unchanged");
            }
            Ok(next) => {
                if let Err(e) = engine.replace_policy(next).await {
                    tracing::error!(error = %e, "the new policy could not be recorded; the old one stays");
                }
            }
            Err(why) => engine.policy_refused(&path.display().to_string(), &why),
        }
    }
}
