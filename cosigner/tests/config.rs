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
