//! Every shipped dev node configuration parses, and the built-in example is what it says.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use devnode::config::EXAMPLE_KEYS;
use devnode::{Chain, Config};
use nem::{Address, KeyPair, Network, PrivateKey};

#[test]
fn deploy_example_parses_and_builds_a_chain() {
    let path = format!(
        "{}/../deploy/devnode.example.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let config = Config::load(std::path::Path::new(&path)).unwrap();
    assert_eq!(config.network, Network::Testnet);
    assert_eq!(config.multisigs[0].min_cosignatories, 2);
    let chain = Chain::from_config(&config).unwrap();
    let treasury: Address = "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2".parse().unwrap();
    let account = chain.account(&treasury).unwrap();
    assert_eq!(account.balance, 1_000_000_000_000);
    assert_eq!(Chain::required_signatures(account), 2);
}

#[test]
fn built_in_example_keys_are_the_public_vectors() {
    let path = format!(
        "{}/../nem/tests/vectors/1.test-keys.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let vectors: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for (i, (_, key)) in EXAMPLE_KEYS.iter().enumerate() {
        assert_eq!(vectors[i]["privateKey"].as_str().unwrap(), *key);
        let public =
            KeyPair::from_private_key(&PrivateKey::from_nis_hex(key).unwrap()).public_key();
        assert_eq!(
            public.to_string(),
            vectors[i]["publicKey"].as_str().unwrap().to_lowercase()
        );
    }
    let example = Config::example().unwrap();
    Chain::from_config(&example).unwrap();
}

#[test]
fn bad_configs_say_what_is_wrong() {
    let cases = [
        ("network = \"devnet\"", "unknown network"),
        ("[[account]]\nbalance = \"1\"", "give public_key or address"),
        (
            "[[account]]\naddress = \"NDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5JFXJ4R4\"\nbalance = \"1\"",
            "not a testnet address",
        ),
        (
            "[[account]]\naddress = \"TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6\"\nbalance = \"1.0000001\"",
            "decimal places",
        ),
        ("[faults]\ndrop = 2.0", "between 0 and 1"),
        ("surprise = 1", "unknown field"),
    ];
    let dir = std::env::temp_dir().join(format!("hanko-devnode-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = dir.join(format!("{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let error = Config::load(&path).unwrap_err().to_string();
        assert!(error.contains(expected), "{text:?}: {error}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
