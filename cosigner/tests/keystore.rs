//! The encrypted key file: round trip, wrong passphrase, tampering, permissions, no overwrite;
//! and the `hanko-cosigner keys` commands as a real process, whose output never contains the
//! key or the passphrase, even at TRACE log level.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cosigner::keystore::{self, KdfParams, KeystoreError};
use nem::{KeyPair, PrivateKey};

/// Light parameters for speed; the file records them, as it does the real defaults.
const FAST: KdfParams = KdfParams {
    memory_kib: 1_024,
    iterations: 1,
    parallelism: 1,
};
const KEY_A: &str = "5B0E3FA5D3B49A79022D7C1E121BA1CBBF4DB5821F47AB8C708EF88DEFC29BFE";
const PUB_A: &str = "96eb2a145211b1b7ab5f0d4b14f8abc8d695c7aee31a3cfc2d4881313c68eea3";

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hanko-keystore-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn round_trip_and_refusals() {
    let d = dir("lib");
    let file = d.join("a.key");
    let key = PrivateKey::from_nis_hex(KEY_A).unwrap();
    let public = keystore::create(&file, &key, b"correct horse", FAST).unwrap();
    assert_eq!(public.to_string(), PUB_A);
    assert_eq!(keystore::public_key(&file).unwrap(), public);
    let opened = keystore::open(&file, b"correct horse").unwrap();
    assert_eq!(KeyPair::from_private_key(&opened).public_key(), public);
    assert!(
        !std::fs::read_to_string(&file)
            .unwrap()
            .to_lowercase()
            .contains(&KEY_A[..16].to_lowercase())
    );

    assert!(matches!(
        keystore::open(&file, b"wrong horse"),
        Err(KeystoreError::WrongPassphrase { .. })
    ));
    assert!(matches!(
        keystore::open(&file, b""),
        Err(KeystoreError::EmptyPassphrase)
    ));
    assert!(matches!(
        keystore::create(&file, &key, b"x", FAST),
        Err(KeystoreError::Exists { .. })
    ));

    // Swap the stored public key: the seal no longer opens.
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        original.replace(
            PUB_A,
            "2d8425e4ca2d8926346c7a7ca39826acd881a8639e81bd68820409c6e30d142a",
        ),
    )
    .unwrap();
    assert!(matches!(
        keystore::open(&file, b"correct horse"),
        Err(KeystoreError::WrongPassphrase { .. })
    ));
    // Flip a ciphertext digit.
    let json: serde_json::Value = serde_json::from_str(&original).unwrap();
    let ct = json["ciphertext"].as_str().unwrap();
    let flipped = format!(
        "{}{}",
        if ct.starts_with('0') { "1" } else { "0" },
        &ct[1..]
    );
    std::fs::write(&file, original.replace(ct, &flipped)).unwrap();
    assert!(matches!(
        keystore::open(&file, b"correct horse"),
        Err(KeystoreError::WrongPassphrase { .. })
    ));

    std::fs::write(&file, &original).unwrap();
    chmod(&file, 0o640);
    let e = keystore::open(&file, b"correct horse").unwrap_err();
    assert!(
        matches!(e, KeystoreError::TooOpen { mode: 0o640, .. })
            && e.to_string().contains("chmod 600"),
        "{e}"
    );
    chmod(&file, 0o600);
    assert!(keystore::open(&file, b"correct horse").is_ok());

    let pass = d.join("pass");
    std::fs::write(&pass, "s3cret\nsecond line\n").unwrap();
    chmod(&pass, 0o644);
    assert!(matches!(
        keystore::read_passphrase_file(&pass),
        Err(KeystoreError::TooOpen { .. })
    ));
    chmod(&pass, 0o600);
    assert_eq!(
        keystore::read_passphrase_file(&pass).unwrap().as_slice(),
        b"s3cret"
    );
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn keys_commands_never_print_secrets_even_at_trace() {
    let d = dir("cli");
    let pass = d.join("pass");
    std::fs::write(&pass, "tr4ce-passphrase-9271\n").unwrap();
    chmod(&pass, 0o600);
    let file = d.join("imported.key");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hanko-cosigner"))
        .args([
            "keys",
            "import",
            file.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
        .env("HANKO_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(KEY_A.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let show = Command::new(env!("CARGO_BIN_EXE_hanko-cosigner"))
        .args(["keys", "show-public", file.to_str().unwrap()])
        .env("HANKO_LOG", "trace")
        .output()
        .unwrap();
    let all = format!(
        "{}{}{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&show.stdout),
        String::from_utf8_lossy(&show.stderr)
    );
    assert!(
        all.contains(PUB_A) && all.contains("TABHFGE5ORQD3LE4O6B7JUFN47ECOFBFATE53N2I"),
        "{all}"
    );
    for secret in [KEY_A, &KEY_A.to_lowercase(), "tr4ce-passphrase-9271"] {
        assert!(!all.contains(secret), "a secret reached the output");
    }
    let new = Command::new(env!("CARGO_BIN_EXE_hanko-cosigner"))
        .args([
            "keys",
            "new",
            d.join("new.key").to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        new.status.success(),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    let again = Command::new(env!("CARGO_BIN_EXE_hanko-cosigner"))
        .args([
            "keys",
            "new",
            d.join("new.key").to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));
    std::fs::remove_dir_all(d).unwrap();
}
