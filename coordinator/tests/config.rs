//! The shipped example configuration parses and describes a consistent 2-of-3 setup.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

#[test]
fn deploy_example_parses() {
    let path = format!(
        "{}/../deploy/coordinator.example.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let config = coordinator::config::Config::load(std::path::Path::new(&path)).unwrap();
    assert_eq!(config.accounts().len(), 1);
    assert_eq!(config.accounts()[0].required, 2);
    assert_eq!(config.build().unwrap().deadline_seconds, 3_600);
    let clients = coordinator::auth::Clients::new(config.clients.clone()).unwrap();
    let _ = clients;
    let cosigners: Vec<_> = config
        .clients
        .iter()
        .filter_map(|c| c.cosigner_key)
        .collect();
    assert_eq!(
        cosigners,
        config.accounts()[0].cosigners,
        "each cosignatory has a client certificate name"
    );
}
