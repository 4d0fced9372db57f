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
    let clients = coordinator::api::auth::Clients::new(config.clients.clone()).unwrap();
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
    assert_eq!(config.history, coordinator::store::Keep::default());
}

#[test]
fn a_history_that_would_move_the_newest_journal_entry_is_refused() {
    let example = format!(
        "{}/../deploy/coordinator.example.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(example)
        .unwrap()
        .replace("journal = 10000", "journal = 0");
    let path = std::env::temp_dir().join(format!("hanko-history-{}.toml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let err = coordinator::config::Config::load(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(
        err.contains("history: journal, batch, interval_seconds and checkpoint_writes must each")
            && err.contains("got 0, 20000, 60 and 100000"),
        "{err}"
    );
}
