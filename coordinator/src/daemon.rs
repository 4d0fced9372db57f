//! The coordinator process: configuration → store, node client, mTLS listener, services and
//! ticker, until the shutdown signal. Both `hanko-coordinator` and `hanko coordinator run`
//! call [`run`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::api::auth::Clients;
use crate::config::Config;
use crate::driver::{Coordinator, Settings};
use crate::store::Store;

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// A started coordinator: its services on `addr`, its ticker, archiver, chain watcher and
/// metrics endpoint, until [`Running::stop`].
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub coordinator: Arc<Coordinator>,
    stop: tokio::sync::watch::Sender<bool>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    server: crate::api::Running,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops serving and every task; in-flight calls get 5 s (cosigner subscriptions are
    /// endless streams).
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.server.task).await;
        for task in self.tasks {
            let _ = task.await;
        }
        // Nothing acts any more: a standby may lead at once.
        if let Some(pg) = self.coordinator.store.postgres()
            && let Err(e) = pg.resign().await
        {
            tracing::warn!(error = %e, "cannot give the lease up; a standby takes over when it runs out");
        }
    }
}

/// Of coordinators that share a database: renews this one's lease while it leads, takes the
/// lead when the leader's lease ran out, every third of a lease.
async fn keep_leading(c: Arc<Coordinator>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let Some(pg) = c.store.postgres() else { return };
    let mut interval = tokio::time::interval(pg.lease() / 3);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        if pg.leading() {
            // A renewal, bounded: a database that does not answer must not keep health from
            // being told once the lease runs out by this process's clock. (Cut short, a
            // renewal changes nothing this process relies on.)
            match tokio::time::timeout(pg.lease() / 3, pg.lead()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot reach the database to renew"),
                Err(_) => tracing::warn!("the database did not answer within a third of the lease"),
            }
        } else {
            // Not leading (any more): say so before trying to take the lead, which is never
            // cut short (a takeover committed and then abandoned would hold the lease for
            // nobody); every wait in it is bounded by the database settings.
            c.refresh_health().await;
            if let Err(e) = pg.lead().await {
                tracing::warn!(error = %e, "cannot reach the database to lead");
            }
        }
        c.refresh_health().await;
    }
}

/// Starts every part of a coordinator configured by `config`, serving on `listener`.
pub async fn start(config: &Config, listener: tokio::net::TcpListener) -> Result<Running> {
    hanko_runtime::process::check_private(&config.tls.key)?;
    let tls = hanko_proto::tls::server_config(
        &read(&config.tls.ca)?,
        &read(&config.tls.cert)?,
        &read(&config.tls.key)?,
    )?;
    let limits = config.limits;
    let clients = Arc::new(
        Clients::new(config.clients.clone())
            .map_err(anyhow::Error::msg)?
            .with_rate_limit(limits.requests_per_second, limits.burst),
    );
    let address = listener.local_addr()?.to_string();
    let store = Arc::new(
        Store::connect(&config.store, &config.data_dir, &address)
            .await
            .with_context(|| match &config.store {
                crate::store::StoreConfig::Embedded => {
                    format!("cannot open {}", config.data_dir.display())
                }
                crate::store::StoreConfig::Postgres(pg) => {
                    format!("cannot open the store at {}", pg.url)
                }
            })?,
    );
    let node = nem::client::NisClient::new(nem::client::ClientConfig::new(config.node.clone()))?;
    let settings = Settings {
        build: config.build().map_err(anyhow::Error::msg)?,
        accounts: config.accounts(),
        tick: Duration::from_millis(config.tick_ms),
        limits,
    };
    let webhooks =
        crate::ops::webhook::Webhooks::new(&config.webhooks).map_err(anyhow::Error::msg)?;
    let coordinator = Coordinator::with_webhooks(store.clone(), node, settings, webhooks);
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = vec![];
    if let Some(pg) = store.postgres() {
        // One try before serving: a coordinator alone (or the first) leads at once.
        if let Err(e) = pg.lead().await {
            tracing::warn!(error = %e, "cannot take the lead yet; trying again");
        }
        tasks.push(tokio::spawn(keep_leading(
            coordinator.clone(),
            stop_rx.clone(),
        )));
        // A standby's watchers hear of changes from the journal.
        tasks.push(tokio::spawn(crate::ops::mirror::run(
            coordinator.clone(),
            Duration::from_millis(config.tick_ms),
            stop_rx.clone(),
        )));
    }
    tasks.extend([
        tokio::spawn(coordinator.clone().run_ticker(stop_rx.clone())),
        tokio::spawn(crate::ops::archiver::run(
            store,
            config.history,
            stop_rx.clone(),
        )),
    ]);
    if config.watch.enabled {
        tasks.push(tokio::spawn(crate::chain::watch::run(
            coordinator.clone(),
            config.watched().map_err(anyhow::Error::msg)?,
            config.watch.clone(),
            stop_rx.clone(),
        )));
    }
    if let Some(addr) = config.metrics_listen {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("metrics_listen: cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        println!("hanko-coordinator metrics on http://{local}/metrics");
        let mut stop_metrics = stop_rx.clone();
        let c = coordinator.clone();
        tasks.push(tokio::spawn(async move {
            let stopped = async move {
                let _ = stop_metrics.changed().await;
            };
            if let Err(e) = crate::ops::scrape::serve(listener, c, stopped).await {
                tracing::error!(error = %e, "metrics server stopped");
            }
        }));
    }
    let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let server = crate::api::serve(listener, tls, clients, coordinator.clone(), async move {
        let _ = shutdown_rx.await;
    })
    .await?;
    Ok(Running {
        addr: server.addr,
        coordinator,
        stop,
        shutdown,
        server,
        tasks,
    })
}

/// Runs until SIGTERM or Ctrl-C; `ready` is called once the port accepts connections.
pub async fn run(config_path: &Path, ready: &dyn Fn()) -> Result<()> {
    let config = Config::load(config_path).map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let running = start(&config, listener).await?;
    let unfinished = running.coordinator.store.unfinished();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), config = %config_path.display(), addr = %running.addr, node = %config.node, unfinished, "hanko-coordinator ready");
    println!("hanko-coordinator ready on {}", running.addr);
    ready();
    hanko_runtime::process::shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}
