//! Policy files are signed with minisign (detached .minisig files) by k of n compliance keys.
//! Signed here with real minisign keys made for the test: unsigned, under-signed, tampered,
//! untrusted and broken signatures are refused; k of n loads and reports the version hash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::io::Cursor;
use std::path::{Path, PathBuf};

use policy::signing::{LoadError, Trust, load};

struct Officer {
    name: &'static str,
    keys: minisign::KeyPair,
}

fn officer(name: &'static str) -> Officer {
    Officer {
        name,
        keys: minisign::KeyPair::generate_unencrypted_keypair().unwrap(),
    }
}

fn sign(officer: &Officer, file: &Path) {
    let bytes = std::fs::read(file).unwrap();
    let signature = minisign::sign(
        Some(&officer.keys.pk),
        &officer.keys.sk,
        Cursor::new(bytes),
        None,
        None,
    )
    .unwrap();
    std::fs::write(
        format!("{}.{}.minisig", file.display(), officer.name),
        signature.into_string(),
    )
    .unwrap();
}

fn trust(officers: &[&Officer], threshold: usize) -> Trust {
    Trust {
        keys: officers
            .iter()
            .map(|o| (o.name.to_string(), o.keys.pk.to_base64()))
            .collect(),
        threshold,
    }
}

/// A fresh directory holding a copy of the shipped example policy.
fn workspace(tag: &str) -> (PathBuf, PathBuf) {
    let dir =
        std::env::temp_dir().join(format!("hanko-policy-signing-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cosigner-a.toml");
    std::fs::copy(
        format!(
            "{}/../deploy/policies/cosigner-a.toml",
            env!("CARGO_MANIFEST_DIR")
        ),
        &file,
    )
    .unwrap();
    (dir, file)
}

#[test]
fn two_of_three_signatures_load_and_report_the_version_hash() {
    let (dir, file) = workspace("ok");
    let (alice, bob, carol) = (officer("alice"), officer("bob"), officer("carol"));
    sign(&alice, &file);
    sign(&carol, &file);
    let loaded = load(&file, &trust(&[&alice, &bob, &carol], 2)).unwrap();
    assert_eq!(loaded.signers, ["alice", "carol"]);
    assert_eq!(
        loaded.linted.policy.hash,
        policy::version_hash(&std::fs::read(&file).unwrap())
    );
    assert_eq!(loaded.linted.policy.hash.len(), 64);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unsigned_and_under_signed_files_are_refused() {
    let (dir, file) = workspace("under");
    let (alice, bob, carol) = (officer("alice"), officer("bob"), officer("carol"));
    let t = trust(&[&alice, &bob, &carol], 2);
    assert!(matches!(load(&file, &t), Err(LoadError::Unsigned { .. })));
    sign(&alice, &file);
    let e = load(&file, &t).unwrap_err();
    assert!(
        matches!(
            e,
            LoadError::UnderSigned {
                valid: 1,
                needed: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("still needed: bob, carol"), "{e}");
    // The same officer signing twice still counts once.
    std::fs::copy(
        format!("{}.alice.minisig", file.display()),
        format!("{}.alice-again.minisig", file.display()),
    )
    .unwrap();
    assert!(matches!(
        load(&file, &t),
        Err(LoadError::UnderSigned { valid: 1, .. })
    ));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_tampered_file_is_refused() {
    let (dir, file) = workspace("tampered");
    let (alice, bob) = (officer("alice"), officer("bob"));
    sign(&alice, &file);
    sign(&bob, &file);
    let t = trust(&[&alice, &bob], 2);
    assert!(load(&file, &t).is_ok());
    // Raise a limit after signing.
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("max = \"50000\"", "max = \"5000000\"");
    std::fs::write(&file, text).unwrap();
    let e = load(&file, &t).unwrap_err();
    assert!(
        matches!(e, LoadError::BadSignature { .. })
            && e.to_string().contains("changed after signing"),
        "{e}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn untrusted_and_broken_signatures_are_refused() {
    let (dir, file) = workspace("untrusted");
    let (alice, bob, mallory) = (officer("alice"), officer("bob"), officer("mallory"));
    sign(&alice, &file);
    sign(&bob, &file);
    sign(&mallory, &file);
    let e = load(&file, &trust(&[&alice, &bob], 2)).unwrap_err();
    assert!(e.to_string().contains("does not trust"), "{e}");
    std::fs::remove_file(format!("{}.mallory.minisig", file.display())).unwrap();
    std::fs::write(
        format!("{}.broken.minisig", file.display()),
        "not a signature",
    )
    .unwrap();
    let e = load(&file, &trust(&[&alice, &bob], 2)).unwrap_err();
    assert!(e.to_string().contains("not a minisign signature"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_signed_file_that_does_not_lint_is_refused() {
    let (dir, file) = workspace("lint");
    std::fs::write(&file, "version = 1\nnetwork = \"testnet\"\naccounts = [\"TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2\"]\nsurprise = true\n").unwrap();
    let alice = officer("alice");
    sign(&alice, &file);
    let e = load(&file, &trust(&[&alice], 1)).unwrap_err();
    assert!(
        matches!(e, LoadError::Invalid { .. }) && e.to_string().contains("4:1"),
        "{e}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_trust_configuration_is_refused() {
    let (dir, file) = workspace("trust");
    let alice = officer("alice");
    sign(&alice, &file);
    assert!(matches!(
        load(&file, &trust(&[&alice], 2)),
        Err(LoadError::BadThreshold { .. })
    ));
    let bad = Trust {
        keys: vec![("x".into(), "not base64".into())],
        threshold: 1,
    };
    assert!(matches!(
        load(&file, &bad),
        Err(LoadError::BadTrustedKey { .. })
    ));
    std::fs::remove_dir_all(dir).unwrap();
}
