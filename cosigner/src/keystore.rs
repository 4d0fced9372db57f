//! The cosigner's key file: one NIS1 private key, encrypted with a key derived from a
//! passphrase by Argon2id, sealed with XChaCha20-Poly1305. The public key is stored in clear
//! and bound into the seal as associated data, so it cannot be swapped. A key file (or a
//! passphrase file) readable by group or others is refused. Key material is zeroized.

use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use nem::{KeyPair, PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

const FORMAT: &str = "hanko-keystore-v1";
/// An Ed25519 (RFC 8032) identity key, e.g. a proposer's: not a NEM key.
const IDENTITY_FORMAT: &str = "hanko-identity-key-v1";

#[derive(Debug, Error)]
pub enum KeystoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} already exists; refusing to overwrite a key file")]
    Exists { path: PathBuf },
    #[error("{path} is readable by group or others (mode {mode:o}); run: chmod 600 {path}")]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("{path}: wrong passphrase, or the file was altered")]
    WrongPassphrase { path: PathBuf },
    #[error("{path}: not a Hanko key file: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("passphrase is empty")]
    EmptyPassphrase,
    #[error("random number generator failed: {0}")]
    Random(String),
    #[error("key derivation failed: {0}")]
    Kdf(String),
}

/// Argon2id cost. Stored in the file, so old files open after defaults change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane.
    fn default() -> Self {
        KdfParams {
            memory_kib: 65_536,
            iterations: 3,
            parallelism: 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    format: String,
    public_key: PublicKey,
    kdf: String,
    kdf_params: KdfParams,
    salt: String,
    cipher: String,
    nonce: String,
    ciphertext: String,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> KeystoreError + '_ {
    move |source| KeystoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Refuses files that group or others can read or write.
pub fn check_private(path: &Path) -> Result<(), KeystoreError> {
    use hanko_runtime::process::PrivateFileError;
    hanko_runtime::process::check_private(path).map_err(|e| match e {
        PrivateFileError::Io { path, source } => KeystoreError::Io { path, source },
        PrivateFileError::TooOpen { path, mode } => KeystoreError::TooOpen { path, mode },
    })
}

fn random<const N: usize>() -> Result<[u8; N], KeystoreError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| KeystoreError::Random(e.to_string()))?;
    Ok(out)
}

fn derive(
    passphrase: &[u8],
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, KeystoreError> {
    if passphrase.is_empty() {
        return Err(KeystoreError::EmptyPassphrase);
    }
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|e| KeystoreError::Kdf(e.to_string()))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password_into(passphrase, salt, key.as_mut_slice())
        .map_err(|e| KeystoreError::Kdf(e.to_string()))?;
    Ok(key)
}

fn aad(format: &str, public: &PublicKey) -> Vec<u8> {
    let mut aad = format.as_bytes().to_vec();
    aad.extend_from_slice(public.as_bytes());
    aad
}

/// A fresh random NIS1 private key.
pub fn generate() -> Result<PrivateKey, KeystoreError> {
    let seed = Zeroizing::new(random::<32>()?);
    Ok(PrivateKey::from_seed(*seed))
}

/// Writes `key` to a new file (mode 0600, never overwriting), sealed under `passphrase`.
pub fn create(
    path: &Path,
    key: &PrivateKey,
    passphrase: &[u8],
    params: KdfParams,
) -> Result<PublicKey, KeystoreError> {
    let public = KeyPair::from_private_key(key).public_key();
    seal(path, FORMAT, key.seed(), public, passphrase, params)?;
    Ok(public)
}

/// Writes a new Ed25519 (RFC 8032) identity key, such as a proposer's, to a new file sealed
/// like a cosignatory key; returns its public key.
pub fn create_identity(
    path: &Path,
    passphrase: &[u8],
    params: KdfParams,
) -> Result<PublicKey, KeystoreError> {
    let seed = Zeroizing::new(random::<32>()?);
    let public = PublicKey(
        ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes(),
    );
    seal(
        path,
        IDENTITY_FORMAT,
        seed.as_slice(),
        public,
        passphrase,
        params,
    )?;
    Ok(public)
}

/// Opens an identity key file; the key is zeroized when dropped.
pub fn open_identity(
    path: &Path,
    passphrase: &[u8],
) -> Result<ed25519_dalek::SigningKey, KeystoreError> {
    let (seed, public) = unseal(path, IDENTITY_FORMAT, passphrase)?;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    if key.verifying_key().to_bytes() != public.0 {
        return Err(KeystoreError::Corrupt {
            path: path.to_path_buf(),
            reason: "the sealed key does not match the stored public key".into(),
        });
    }
    Ok(key)
}

fn seal(
    path: &Path,
    format: &str,
    seed: &[u8],
    public: PublicKey,
    passphrase: &[u8],
    params: KdfParams,
) -> Result<(), KeystoreError> {
    if path.exists() {
        return Err(KeystoreError::Exists {
            path: path.to_path_buf(),
        });
    }
    let salt = random::<16>()?;
    let nonce = random::<24>()?;
    let sealing = derive(passphrase, &salt, params)?;
    let cipher = XChaCha20Poly1305::new(sealing.as_slice().into());
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: seed,
                aad: &aad(format, &public),
            },
        )
        .map_err(|_| KeystoreError::Kdf("encryption failed".into()))?;
    let file = KeyFile {
        format: format.into(),
        public_key: public,
        kdf: "argon2id".into(),
        kdf_params: params,
        salt: hex::encode(salt),
        cipher: "xchacha20poly1305".into(),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    };
    let text = serde_json::to_string_pretty(&file).map_err(|e| KeystoreError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => KeystoreError::Exists {
            path: path.to_path_buf(),
        },
        _ => KeystoreError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    out.write_all(text.as_bytes())
        .and_then(|_| out.sync_all())
        .map_err(io(path))
}

fn read(path: &Path, format: &str) -> Result<KeyFile, KeystoreError> {
    check_private(path)?;
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let corrupt = |reason: String| KeystoreError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    if file.format != format || file.kdf != "argon2id" || file.cipher != "xchacha20poly1305" {
        return Err(corrupt(format!(
            "unsupported format {} / {} / {}",
            file.format, file.kdf, file.cipher
        )));
    }
    Ok(file)
}

/// The public key, without the passphrase.
pub fn public_key(path: &Path) -> Result<PublicKey, KeystoreError> {
    read(path, FORMAT).map(|f| f.public_key)
}

/// The public key of an identity key file, without the passphrase.
pub fn identity_public_key(path: &Path) -> Result<PublicKey, KeystoreError> {
    read(path, IDENTITY_FORMAT).map(|f| f.public_key)
}

/// Opens the key file; the returned key is zeroized when dropped.
pub fn open(path: &Path, passphrase: &[u8]) -> Result<PrivateKey, KeystoreError> {
    let (seed, public) = unseal(path, FORMAT, passphrase)?;
    let key = PrivateKey::from_seed(*seed);
    if KeyPair::from_private_key(&key).public_key() != public {
        return Err(KeystoreError::Corrupt {
            path: path.to_path_buf(),
            reason: "the sealed key does not match the stored public key".into(),
        });
    }
    Ok(key)
}

/// The sealed seed and the public key stored beside it.
fn unseal(
    path: &Path,
    format: &str,
    passphrase: &[u8],
) -> Result<(Zeroizing<[u8; 32]>, PublicKey), KeystoreError> {
    let file = read(path, format)?;
    let corrupt = |reason: &str| KeystoreError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    let salt = hex::decode(&file.salt).map_err(|_| corrupt("salt is not hex"))?;
    let nonce = hex::decode(&file.nonce).map_err(|_| corrupt("nonce is not hex"))?;
    if nonce.len() != 24 {
        return Err(corrupt("nonce is not 24 bytes"));
    }
    let ciphertext = hex::decode(&file.ciphertext).map_err(|_| corrupt("ciphertext is not hex"))?;
    let sealing = derive(passphrase, &salt, file.kdf_params)?;
    let cipher = XChaCha20Poly1305::new(sealing.as_slice().into());
    let seed = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &aad(format, &file.public_key),
                },
            )
            .map_err(|_| KeystoreError::WrongPassphrase {
                path: path.to_path_buf(),
            })?,
    );
    if seed.len() != 32 {
        return Err(corrupt("sealed key is not 32 bytes"));
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&seed);
    Ok((out, file.public_key))
}

/// A passphrase from a credential file (e.g. systemd's LoadCredential): private, first line.
pub fn read_passphrase_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    check_private(path)?;
    let bytes = Zeroizing::new(std::fs::read(path).map_err(io(path))?);
    let end = bytes
        .iter()
        .position(|b| *b == b'\n' || *b == b'\r')
        .unwrap_or(bytes.len());
    Ok(Zeroizing::new(bytes[..end].to_vec()))
}
