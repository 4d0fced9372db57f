//! A local installation's configuration files are what each daemon reads: written by
//! serializing the daemons' own types, each loads with that daemon's loader and says what the
//! installation needs (addresses, the account and its cosigners, trusted officers, paths
//! beside the file).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use hanko_cli::local::layout::{Layout, Plan};

#[test]
fn every_written_configuration_loads_with_its_daemons_loader() {
    let dir = std::env::temp_dir().join(format!("hanko-local-configs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let plan = Plan {
        kdf: testkit::FAST_KDF,
        policy: Box::new(|i, _| format!("# policy {i}\n")),
        ..Plan::new(dir.clone(), 3, 2)
    };
    let layout = Layout::create(&plan).unwrap();
    let listen: std::net::SocketAddr = "127.0.0.1:7001".parse().unwrap();
    layout
        .write_coordinator(0, "http://127.0.0.1:7890", listen, "30m")
        .unwrap();
    let addresses = hanko_proto::channel::Addresses(vec![listen.to_string()]);
    layout.write_clients(&addresses).unwrap();
    let c = coordinator::config::Config::load(&layout.coordinator_config).unwrap();
    assert_eq!((c.listen, c.deadline.as_str()), (listen, "30m"));
    assert_eq!(
        c.data_dir,
        dir.join("coordinator").join("data"),
        "beside the file"
    );
    assert_eq!(c.accounts[0].public_key, layout.multisig);
    assert_eq!(c.accounts[0].required, 2);
    let keys: Vec<_> = layout.cosigners.iter().map(|c| c.public_key).collect();
    assert_eq!(c.accounts[0].cosigners, keys);
    let cosigner_clients: Vec<_> = c.clients.iter().filter_map(|k| k.cosigner_key).collect();
    assert_eq!(
        cosigner_clients, keys,
        "one client per cosigner, with its key"
    );
    assert_eq!(c.metrics_listen, Some(layout.metrics_addr));

    for (i, files) in layout.cosigners.iter().enumerate() {
        layout
            .write_cosigner(i, "http://127.0.0.1:7890", &addresses)
            .unwrap();
        let k = cosigner::config::Config::load(&files.config).unwrap();
        assert_eq!(k.accounts, vec![layout.context.account]);
        assert_eq!(k.coordinator.address.0, [listen.to_string()]);
        assert_eq!(k.key_file, files.dir.join("cosigner.key"));
        assert_eq!(k.policy.trusted.len(), 2, "both officers trusted");
        assert_eq!(k.policy.threshold, 2);
    }
    for path in [&layout.treasury_config, &layout.admin_config] {
        let t = hanko_cli::client::ClientConfig::load(path).unwrap();
        assert_eq!(t.coordinator.0, [listen.to_string()]);
        assert_eq!(
            t.proposer.is_some(),
            path == &layout.treasury_config,
            "only the treasury proposes"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
