//! `hanko-coordinator --config FILE`: parses flags, loads configuration, sets up logging and
//! runs the coordinator until SIGTERM or Ctrl-C. Unfinished proposals resume on start.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use coordinator::auth::Clients;
use coordinator::config::Config;
use coordinator::driver::{Coordinator, Settings};
use coordinator::store::Store;

#[derive(Parser)]
#[command(
    name = "hanko-coordinator",
    version,
    about = "Hanko coordinator: relays, aggregates and broadcasts; holds no NEM key"
)]
struct Args {
    #[arg(long)]
    config: PathBuf,
}

async fn shutdown_signal() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HANKO_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let config = Config::load(&args.config).map_err(anyhow::Error::msg)?;
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
    };
    let tls = hanko_proto::tls::server_config(
        &read(&config.tls.ca)?,
        &read(&config.tls.cert)?,
        &read(&config.tls.key)?,
    )?;
    let clients = Arc::new(Clients::new(config.clients.clone()).map_err(anyhow::Error::msg)?);
    let store = Arc::new(
        Store::open(&config.data_dir)
            .with_context(|| format!("cannot open {}", config.data_dir.display()))?,
    );
    let node = nem::client::NisClient::new(nem::client::ClientConfig::new(config.node.clone()))?;
    let settings = Settings {
        build: config.build().map_err(anyhow::Error::msg)?,
        accounts: config.accounts(),
        tick: Duration::from_millis(config.tick_ms),
    };
    let unfinished = store.active()?.len();
    let coordinator = Coordinator::new(store.clone(), node, settings);
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let ticker = tokio::spawn(coordinator.clone().run_ticker(stop_rx));
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let running = coordinator::server::serve(
        listener,
        tls,
        clients,
        store,
        Some(coordinator),
        async move {
            let _ = shutdown_rx.await;
        },
    )
    .await?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), config = %args.config.display(), addr = %running.addr, node = %config.node, unfinished, "hanko-coordinator ready");
    println!("hanko-coordinator ready on {}", running.addr);
    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = shutdown_tx.send(());
    let _ = stop.send(true);
    // Cosigner subscriptions are endless streams: give in-flight calls 5 s, then stop.
    let _ = tokio::time::timeout(Duration::from_secs(5), running.task).await;
    let _ = ticker.await;
    Ok(())
}
