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
        return Err(format!(
            "{program} {}: {}",
            script.display(),
            why_failed(&String::from_utf8_lossy(&out.stderr), &script)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("unreadable figures: {e}"))
}

/// The line of a failed script's error output that says what went wrong (Node.js prints its
/// version last, Python its exception last), and how to install a missing SDK.
fn why_failed(stderr: &str, script: &std::path::Path) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let said = lines
        .iter()
        .find(|l| l.starts_with("Error:") || l.contains("Error:"))
        .or(lines.last())
        .map_or("it failed and printed nothing", |l| l);
    let dir = script
        .parent()
        .map_or_else(String::new, |d| d.display().to_string());
    if said.contains("Cannot find module") {
        format!("{said} (install it: cd {dir} && npm ci)")
    } else if said.contains("No module named") {
        format!("{said} (install it: python3 -m pip install symbol-sdk-python)")
    } else {
        said.to_string()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_sdk_is_named_with_how_to_install_it() {
        let node = "node:internal/modules/cjs/loader:1210\n  throw err;\n\nError: Cannot find \
                    module 'nem-sdk'\nRequire stack:\n- x.js\n\nNode.js v20.20.2\n";
        let said = why_failed(node, std::path::Path::new("/t/sdk-vectors/bench-sign.js"));
        assert_eq!(
            said,
            "Error: Cannot find module 'nem-sdk' (install it: cd /t/sdk-vectors && npm ci)"
        );
        let python = "Traceback (most recent call last):\n  File \"b.py\"\nModuleNotFoundError: \
                      No module named 'symbolchain'\n";
        let said = why_failed(python, std::path::Path::new("/t/sdk-bench/bench_sign.py"));
        assert!(
            said.starts_with("ModuleNotFoundError: No module named 'symbolchain'"),
            "{said}"
        );
        assert!(said.ends_with("pip install symbol-sdk-python)"), "{said}");
        assert_eq!(
            why_failed("", std::path::Path::new("x")),
            "it failed and printed nothing"
        );
    }
}
