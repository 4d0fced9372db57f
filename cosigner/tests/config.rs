//! The shipped example configuration loads, and bad configurations name the field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use cosigner::config::Config;

fn example() -> String {
    std::fs::read_to_string(format!(
        "{}/../deploy/cosigner.example.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn load(text: &str) -> Result<Config, String> {
    let dir = std::env::temp_dir().join(format!(
        "hanko-cosigner-config-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cosigner.toml");
    std::fs::write(&path, text).unwrap();
    let loaded = Config::load(&path);
    std::fs::remove_dir_all(&dir).unwrap();
    loaded
}

#[test]
fn the_example_loads_and_its_trusted_keys_are_minisign_keys() {
    let c = load(&example()).unwrap();
    assert_eq!(c.accounts.len(), 1);
    assert_eq!(c.policy.threshold, 2);
    for k in &c.policy.trusted {
        minisign_verify::PublicKey::from_base64(&k.key)
            .unwrap_or_else(|e| panic!("{}: {e}", k.name));
    }
}

#[test]
fn mistakes_are_named() {
    let unknown = load(&example().replace("chain_max_age_ms", "chain_max_age")).unwrap_err();
    assert!(unknown.contains("chain_max_age"), "{unknown}");
    let mainnet = load(&example().replace(
        "accounts = [\"TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2\"]",
        "accounts = [\"NDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5JFXJ4R4\"]",
    ))
    .unwrap_err();
    assert!(
        mainnet.contains("accounts[0]") && mainnet.contains("mainnet"),
        "{mainnet}"
    );
    let none = load(&example().replace(
        "accounts = [\"TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2\"]",
        "accounts = []",
    ))
    .unwrap_err();
    assert!(none.contains("accounts"), "{none}");
}

/// The directories a systemd unit lets its service write: StateDirectory, RuntimeDirectory,
/// LogsDirectory and CacheDirectory under their roots, ReadWritePaths, and, with PrivateTmp,
/// /tmp. The unit must protect the rest (ProtectSystem=strict).
fn writable_dirs(unit: &str) -> (Vec<std::path::PathBuf>, Vec<std::path::PathBuf>) {
    let mut writable = vec![];
    let mut read_only = vec![];
    let mut strict = false;
    for line in unit.lines().map(str::trim) {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let roots: &[(&str, &str)] = &[
            ("StateDirectory", "/var/lib"),
            ("RuntimeDirectory", "/run"),
            ("LogsDirectory", "/var/log"),
            ("CacheDirectory", "/var/cache"),
        ];
        for (name, root) in roots {
            if key == *name {
                writable.extend(
                    value
                        .split_whitespace()
                        .map(|d| std::path::Path::new(root).join(d)),
                );
            }
        }
        match key {
            "ReadWritePaths" => writable.extend(value.split_whitespace().map(Into::into)),
            "ReadOnlyPaths" => read_only.extend(value.split_whitespace().map(Into::into)),
            "PrivateTmp" if value == "yes" => writable.push("/tmp".into()),
            "ProtectSystem" => strict = value == "strict",
            _ => {}
        }
    }
    assert!(
        strict,
        "the unit must make everything else read-only (ProtectSystem=strict)"
    );
    (writable, read_only)
}

/// Every path the daemon writes, under the shipped configurations, is one the shipped unit
/// lets it write (the unit once made the marker's directory read-only, and could not start).
#[test]
fn the_shipped_unit_lets_the_daemon_write_every_path_it_writes() {
    let root = format!("{}/../deploy", env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(format!("{root}/systemd/hanko-cosigner.service")).unwrap();
    let (writable, read_only) = writable_dirs(&unit);
    let key = nem::PublicKey([7; 32]);
    let mut configs = vec![format!("{root}/cosigner.example.toml")];
    for host in ["a", "b", "c"] {
        configs.push(format!("{root}/hosts/cosigner-{host}.toml"));
    }
    for path in configs {
        let c = load(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let written = c.written_paths(&key);
        assert!(written.len() >= 4, "{path}: {written:?}");
        for w in written {
            assert!(
                writable.iter().any(|d| w.starts_with(d)),
                "{path}: the daemon writes {} but the unit lets it write only {writable:?}",
                w.display()
            );
            assert!(
                !read_only.iter().any(|d| w.starts_with(d)),
                "{path}: {} is under a read-only path",
                w.display()
            );
        }
        let marker = cosigner::marker::marker_path(&c.state_dir(), &key);
        assert!(
            !marker.starts_with(&c.data_dir),
            "{path}: the marker must live outside the store it watches"
        );
        assert_eq!(
            c.operator_group.as_deref(),
            Some("hanko-operators"),
            "{path}"
        );
    }
    assert!(unit.contains("SupplementaryGroups=hanko-operators"));
}

/// A configuration named by a bare file name, as `hanko-cosigner run --config cosigner.toml`
/// in its own directory does, resolves its relative paths against that directory.
#[test]
fn a_relative_configuration_path_resolves_like_an_absolute_one() {
    let dir = std::env::current_dir().unwrap();
    let name = format!("relative-config-{}.toml", std::process::id());
    std::fs::write(
        dir.join(&name),
        example().replace("/etc/hanko/cosigner.key", "cosigner.key"),
    )
    .unwrap();
    let loaded = Config::load(std::path::Path::new(&name));
    std::fs::remove_file(dir.join(&name)).unwrap();
    let c = loaded.unwrap();
    assert_eq!(c.key_file, dir.join("cosigner.key"));
    let marker = cosigner::marker::legacy_marker_path(&c.key_file);
    assert!(
        marker.parent().is_some_and(|p| p == dir),
        "{}",
        marker.display()
    );
}

/// Other users reach the socket only through the operator group: uids without it are a
/// mistake the configuration names.
#[test]
fn operator_uids_need_an_operator_group() {
    let text = example()
        .replace("operator_group = \"hanko-operators\"\n", "")
        .replace("operator_uids = []", "operator_uids = [1001]");
    let err = load(&text).unwrap_err();
    assert!(err.contains("operator_group"), "{err}");
}
