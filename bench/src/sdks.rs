//! The same NIS1 signing in the official NEM SDKs, on the same key and payload, in the same
//! run: nem-sdk under Node.js and symbol-sdk-python. Each must produce Hanko's signature
//! byte for byte; the figures give Hanko's speed as a multiple of theirs.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::measure::Figure;

#[derive(Debug, Serialize)]
pub struct SdkFigure {
    pub sdk: String,
    pub sign_per_second: f64,
    pub verify_per_second: f64,
    pub same_signature: bool,
    /// Hanko's rate divided by the SDK's.
    pub hanko_sign_ratio: f64,
    pub hanko_verify_ratio: f64,
}

#[derive(Deserialize)]
struct Printed {
    sdk: String,
    sign_per_second: f64,
    verify_per_second: f64,
    signature: String,
}

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools")
}

fn measure(program: &str, script: PathBuf, args: &[String]) -> Result<Printed, String> {
    if !script.exists() {
        return Err(format!("{} is missing", script.display()));
    }
    let out = Command::new(program)
        .arg(&script)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "{program} {}: {}",
            script.display(),
            err.lines().last().unwrap_or_default()
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("unreadable figures: {e}"))
}

/// Each SDK's figures, or why it was not measured (its runtime or package is missing).
pub fn run(seconds: f64, crypto: &[Figure]) -> Result<Vec<Result<SdkFigure, String>>> {
    let (key, _, bytes) = crate::crypto::payload()?;
    let ours = hex::encode(key.sign(&bytes).0);
    let rate = |name: &str| {
        crypto
            .iter()
            .find(|f| f.name.starts_with(name))
            .map_or(0.0, |f| f.ops_per_second)
    };
    let (sign, verify) = (rate("nis1_sign"), rate("nis1_verify"));
    let args = vec![
        crate::crypto::SIGNER.to_string(),
        hex::encode(&bytes),
        format!("{seconds}"),
    ];
    let runs = [
        measure("node", tools().join("sdk-vectors/bench-sign.js"), &args),
        measure("python3", tools().join("sdk-bench/bench_sign.py"), &args),
    ];
    Ok(runs
        .into_iter()
        .map(|r| {
            r.map(|p| SdkFigure {
                same_signature: p.signature == ours,
                hanko_sign_ratio: sign / p.sign_per_second.max(1e-9),
                hanko_verify_ratio: verify / p.verify_per_second.max(1e-9),
                sdk: p.sdk,
                sign_per_second: p.sign_per_second,
                verify_per_second: p.verify_per_second,
            })
        })
        .collect())
}
