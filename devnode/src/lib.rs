//! A local NIS1-compatible node for Hanko's demo and tests: the part of the NIS REST API Hanko
//! uses, NIS's JSON shapes, and NIS's announce and multisig rules (nem-protocol.md §6–§9).
//!
//! Non-NIS controls for tests live under `/dev/`: `POST /dev/block` makes a block now,
//! `POST /dev/clock` shifts network time, `GET|POST /dev/faults` reads or sets fault injection.

pub mod chain;
pub mod config;
mod http;
pub mod node;
mod routes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use chain::Chain;
pub use config::{Config, ConfigError};
pub use node::Node;

/// A dev node serving on a listener until its shutdown signal.
pub struct RunningNode {
    pub addr: SocketAddr,
    pub node: Arc<Node>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningNode {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, stops the block producer and waits for both.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Starts serving `config` on `listener` (blocks every `block_time_ms`, if not 0).
pub fn start(config: &Config, listener: TcpListener) -> Result<RunningNode, ConfigError> {
    let node = Arc::new(Node::new(config)?);
    let addr = listener
        .local_addr()
        .map_err(|e| ConfigError::Invalid(format!("listener: {e}")))?;
    let (shutdown, receiver) = watch::channel(false);
    let mut tasks = vec![tokio::spawn(http::serve(
        listener,
        routes::router(node.clone()),
        node.clone(),
        receiver.clone(),
    ))];
    if config.block_time_ms > 0 {
        tasks.push(tokio::spawn(produce_blocks(
            node.clone(),
            Duration::from_millis(config.block_time_ms),
            receiver,
        )));
    }
    tracing::info!(%addr, network = %config.network, block_time_ms = config.block_time_ms, "dev node ready");
    Ok(RunningNode {
        addr,
        node,
        shutdown,
        tasks,
    })
}

async fn produce_blocks(node: Arc<Node>, every: Duration, mut shutdown: watch::Receiver<bool>) {
    let mut interval = tokio::time::interval(every);
    interval.tick().await;
    loop {
        tokio::select! {
            _ = interval.tick() => {
                let now = node.now();
                let summary = node.lock_chain().harvest(now);
                if !summary.included.is_empty() || !summary.dropped.is_empty() {
                    tracing::info!(height = summary.height, included = summary.included.len(), dropped = summary.dropped.len(), "block");
                }
            }
            _ = shutdown.changed() => break,
        }
    }
}
