//! The deployment kit is consistent: the three cosigner hosts' configurations load and match
//! the coordinator's clients, the client example loads, and the systemd units are hardened.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::HashSet;
use std::path::PathBuf;

fn deploy(path: &str) -> PathBuf {
    PathBuf::from(format!("{}/../deploy/{path}", env!("CARGO_MANIFEST_DIR")))
}

#[test]
fn three_cosigner_hosts_match_the_coordinator() {
    let coordinator =
        coordinator::config::Config::load(&deploy("coordinator.example.toml")).unwrap();
    let account = &coordinator.accounts()[0];
    let served = nem::Address::from_public_key(&account.public_key, coordinator.network);
    let mut certs = HashSet::new();
    let mut policies = HashSet::new();
    for host in ["a", "b", "c"] {
        let c = cosigner::config::Config::load(&deploy(&format!("hosts/cosigner-{host}.toml")))
            .unwrap_or_else(|e| panic!("cosigner-{host}: {e}"));
        assert_eq!(
            c.accounts,
            vec![served],
            "cosigner-{host} serves another account"
        );
        assert_eq!(c.network, coordinator.network);
        let name = format!("cosigner-{host}");
        assert!(
            c.tls.cert.to_string_lossy().contains(&name),
            "cosigner-{host} uses another host's certificate"
        );
        assert!(
            coordinator
                .clients
                .iter()
                .any(|k| k.name == name && k.cosigner_key.is_some()),
            "the coordinator does not know {name}"
        );
        assert!(
            deploy(&format!("policies/{name}.toml")).exists(),
            "no example policy for {name}"
        );
        certs.insert(c.tls.cert.clone());
        policies.insert(c.policy.file.clone());
    }
    assert_eq!((certs.len(), policies.len()), (3, 3));
}

#[test]
fn the_client_example_loads() {
    let c = hanko_cli::client::ClientConfig::load(&deploy("client.example.toml")).unwrap();
    assert!(c.proposer.is_some());
    assert_eq!(c.server_name, "coordinator.internal");
}

#[test]
fn systemd_units_are_hardened_and_report_readiness() {
    for unit in ["hanko-coordinator", "hanko-cosigner", "hanko-devnode"] {
        let text = std::fs::read_to_string(deploy(&format!("systemd/{unit}.service"))).unwrap();
        for line in [
            "Type=notify",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            "CapabilityBoundingSet=\n",
        ] {
            assert!(text.contains(line), "{unit}: missing {line:?}");
        }
        assert!(
            text.contains("\nUser=") || text.contains("DynamicUser=yes"),
            "{unit}: no dedicated user"
        );
    }
}

#[test]
fn the_two_ha_coordinators_share_one_database_and_differ_only_in_who_they_are() {
    use coordinator::store::StoreConfig;
    let load = |n: u8| {
        coordinator::config::Config::load(&deploy(&format!("ha/coordinator-{n}.toml")))
            .unwrap_or_else(|e| panic!("coordinator-{n}: {e}"))
    };
    let (one, two) = (load(1), load(2));
    let (StoreConfig::Postgres(a), StoreConfig::Postgres(b)) = (&one.store, &two.store) else {
        panic!("the HA coordinators keep their state in PostgreSQL");
    };
    assert_eq!(a.url, b.url, "one database");
    assert!(
        a.url.contains("target_session_attrs=read-write"),
        "{}",
        a.url
    );
    assert!(a.ca_file.is_some() && a.password_file.is_some());
    assert_ne!(a.name, b.name, "each its own name");
    assert_ne!(a.advertise, b.advertise);
    assert_ne!(one.metrics_listen, two.metrics_listen);
    assert_eq!(one.accounts(), two.accounts(), "the same accounts");
    assert_eq!(one.clients, two.clients, "the same clients");

    // Clients and cosigners list both.
    #[derive(serde::Deserialize)]
    struct Client {
        coordinator: hanko_proto::channel::Addresses,
    }
    #[derive(serde::Deserialize)]
    struct Cosigner {
        coordinator: cosigner::config::CoordinatorLink,
    }
    let text = |path: &str| std::fs::read_to_string(deploy(path)).unwrap();
    let client: Client = toml::from_str(&text("ha/treasury.toml")).unwrap();
    let link: Cosigner = toml::from_str(&text("ha/cosigner-coordinator.toml")).unwrap();
    assert_eq!(client.coordinator.0.len(), 2);
    assert_eq!(link.coordinator.address.0, client.coordinator.0);
}
