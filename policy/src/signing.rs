//! Policy files are signed by compliance officers with the standard `minisign` tool (detached
//! `.minisig` files). A policy loads only with valid signatures from at least k distinct
//! trusted keys, and every signature file present must verify: a stray or broken one is an
//! error, not something to skip.

use std::path::{Path, PathBuf};

use minisign_verify::{PublicKey, Signature};
use thiserror::Error;

use crate::lint::{Linted, lint};
use crate::problem::Problem;

/// The compliance keys a cosigner trusts, and how many must sign.
#[derive(Debug, Clone)]
pub struct Trust {
    /// (name, minisign public key in base64: the second line of a `.pub` file).
    pub keys: Vec<(String, String)>,
    pub threshold: usize,
}

#[derive(Debug, Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("trusted key '{name}' is not a minisign public key")]
    BadTrustedKey { name: String },
    #[error("trust threshold {threshold} cannot be met by {keys} trusted keys")]
    BadThreshold { threshold: usize, keys: usize },
    #[error(
        "{path} is not signed: no .minisig file next to it (sign it with: minisign -Sm {path})"
    )]
    Unsigned { path: PathBuf },
    #[error("{signature}: {reason}")]
    BadSignature { signature: PathBuf, reason: String },
    #[error(
        "{path} is signed by {valid} of the {needed} required compliance keys ({signers}); still needed: {missing}"
    )]
    UnderSigned {
        path: PathBuf,
        valid: usize,
        needed: usize,
        signers: String,
        missing: String,
    },
    #[error("{path} has {} problem(s):\n{}", .problems.len(), .problems.iter().map(|p| format!("  {}:{p}", .path.display())).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

/// A verified, linted policy and who signed it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub linted: Linted,
    pub signers: Vec<String>,
}

/// The signature files of `path`: `FILE.minisig` and `FILE.<anything>.minisig`.
pub fn signature_files(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let read = |e| LoadError::Read {
        path: dir.to_path_buf(),
        source: e,
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let entry = entry.map_err(read)?;
        let file = entry.file_name().to_string_lossy().to_string();
        if file.starts_with(&name) && file.ends_with(".minisig") && file.len() > name.len() {
            let middle = &file[name.len()..file.len() - ".minisig".len()];
            if middle.is_empty() || middle.starts_with('.') {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Verifies signatures over exactly `bytes`; returns the names of the distinct trusted signers.
pub fn verify(
    bytes: &[u8],
    signatures: &[(PathBuf, String)],
    trust: &Trust,
) -> Result<Vec<String>, LoadError> {
    let mut keys = Vec::new();
    for (name, b64) in &trust.keys {
        let key = PublicKey::from_base64(b64.trim())
            .map_err(|_| LoadError::BadTrustedKey { name: name.clone() })?;
        keys.push((name.clone(), key));
    }
    if trust.threshold == 0 || trust.threshold > keys.len() {
        return Err(LoadError::BadThreshold {
            threshold: trust.threshold,
            keys: keys.len(),
        });
    }
    let mut signers: Vec<String> = Vec::new();
    for (path, text) in signatures {
        let bad = |reason: &str| LoadError::BadSignature {
            signature: path.clone(),
            reason: reason.to_string(),
        };
        let signature =
            Signature::decode(text).map_err(|_| bad("not a minisign signature file"))?;
        let mut matched = None;
        for (name, key) in &keys {
            match key.verify(bytes, &signature, false) {
                Ok(()) => {
                    matched = Some(name.clone());
                    break;
                }
                Err(minisign_verify::Error::UnexpectedKeyId) => continue,
                Err(_) => {
                    return Err(bad(&format!(
                        "does not match the file's content (key '{name}'): the file changed after signing, or the signature is forged"
                    )));
                }
            }
        }
        let name = matched.ok_or_else(|| bad("made by a key this cosigner does not trust"))?;
        if !signers.contains(&name) {
            signers.push(name);
        }
    }
    Ok(signers)
}

/// Reads, verifies (k of n) and lints a policy file. Any failure refuses the file.
pub fn load(path: &Path, trust: &Trust) -> Result<Loaded, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let files = signature_files(path)?;
    if files.is_empty() {
        return Err(LoadError::Unsigned {
            path: path.to_path_buf(),
        });
    }
    let mut signatures = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|source| LoadError::Read {
            path: f.clone(),
            source,
        })?;
        signatures.push((f, text));
    }
    let signers = verify(&bytes, &signatures, trust)?;
    if signers.len() < trust.threshold {
        let missing: Vec<&str> = trust
            .keys
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !signers.iter().any(|s| s == n))
            .collect();
        return Err(LoadError::UnderSigned {
            path: path.to_path_buf(),
            valid: signers.len(),
            needed: trust.threshold,
            signers: if signers.is_empty() {
                "none".into()
            } else {
                signers.join(", ")
            },
            missing: missing.join(", "),
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| LoadError::Invalid {
        path: path.to_path_buf(),
        problems: vec![Problem {
            path: crate::problem::Path::root(),
            rule: None,
            message: "not UTF-8 text".into(),
            line: 0,
            column: 0,
        }],
    })?;
    let linted = lint(&text).map_err(|problems| LoadError::Invalid {
        path: path.to_path_buf(),
        problems,
    })?;
    Ok(Loaded { linted, signers })
}
