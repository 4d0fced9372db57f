//! Wiring of the daemon: key, policy, store, node, engine, operator socket, coordinator link
//! and policy watcher. Everything that can be wrong at start stops the start with a message.

use std::os::unix::fs::MetadataExt;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::{Notify, watch};
use zeroize::Zeroizing;

use crate::chain::ChainView;
use crate::config::Config;
use crate::engine::{Engine, Parts, system_clock};
use crate::link::LinkConfig;
use crate::store::Store;
use crate::{keystore, link, operator, reload};

/// A started daemon; `stop` ends it.
pub struct Running {
    pub engine: Arc<Engine>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            t.abort();
            let _ = t.await;
        }
    }
}

fn read(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Starts every part; the passphrase is dropped (zeroized) once the key is open.
pub async fn start(config: &Config, passphrase: Zeroizing<Vec<u8>>) -> Result<Running> {
    keystore::check_private(&config.key_file)?;
    keystore::check_private(&config.tls.key)?;
    let key = keystore::open(&config.key_file, &passphrase)?;
    drop(passphrase);
    let key = nem::KeyPair::from_private_key(&key);
    let operators = operator::Access::of(config)?;

    let trust = config.policy.trust();
    let policy =
        reload::load(&config.policy.file, &trust).map_err(|e| anyhow::anyhow!("policy: {e}"))?;
    let node = nem::client::NisClient::new(nem::client::ClientConfig::new(config.node.clone()))?;
    let store = Store::open(&config.data_dir)
        .with_context(|| format!("cannot open {}", config.data_dir.display()))?;
    let checked = crate::integrity::check_store(&store)
        .with_context(|| format!("{} is not whole", config.data_dir.display()))?;
    let state_dir = config.state_dir();
    std::fs::create_dir_all(&state_dir)
        .with_context(|| format!("cannot create the state directory {}", state_dir.display()))?;
    let marker = crate::marker::MarkerAt {
        path: crate::marker::marker_path(&state_dir, &key.public_key()),
        key: key.public_key(),
    };
    let legacy = crate::marker::legacy_marker_path(&config.key_file);
    crate::integrity::check_identity(&store, &marker, &legacy)?;
    tracing::info!(data_dir = %config.data_dir.display(), journal_entries = checked, "store checked");
    let tls = hanko_proto::tls::client_config(
        &read(&config.tls.ca)?,
        &read(&config.tls.cert)?,
        &read(&config.tls.key)?,
    )?;
    let (engine, outgoing) = Engine::new(Parts {
        key,
        network: config.network,
        accounts: config.accounts.clone(),
        store,
        chain: ChainView::new(node, Duration::from_millis(config.chain_max_age_ms)),
        policy,
        clock: system_clock(),
    })?;

    let listener = operator::bind(&config.socket, operators.group).with_context(|| {
        format!(
            "cannot create the operator socket {}",
            config.socket.display()
        )
    })?;
    let own_uid = std::fs::metadata(&config.socket)?.uid();
    let operators = operators.with_uid(own_uid);

    let (stop, stop_rx) = watch::channel(false);
    let hup = Arc::new(Notify::new());
    let mut tasks = vec![tokio::spawn(operator::serve(
        listener,
        engine.clone(),
        operators,
    ))];
    tasks.push(tokio::spawn(link::run(
        engine.clone(),
        LinkConfig {
            address: config.coordinator.address.clone(),
            server_name: config.coordinator.server_name.clone(),
            tls,
            heartbeat: Duration::from_millis(config.coordinator.heartbeat_ms.max(100)),
            retry: Duration::from_millis(config.coordinator.retry_ms.max(100)),
        },
        outgoing,
        stop_rx.clone(),
    )));
    if config.watch.enabled {
        tasks.push(tokio::spawn(crate::watch::run(
            engine.clone(),
            config.watch.clone(),
            stop_rx.clone(),
        )));
    }
    tasks.push(tokio::spawn(reload::watch(
        engine.clone(),
        config.policy.file.clone(),
        trust,
        Duration::from_millis(config.policy.watch_ms.max(100)),
        hup.clone(),
        stop_rx,
    )));
    if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        tasks.push(tokio::spawn(async move {
            while signal.recv().await.is_some() {
                tracing::info!("SIGHUP: checking the policy file");
                hup.notify_one();
            }
        }));
    }
    Ok(Running {
        engine,
        stop,
        tasks,
    })
}
