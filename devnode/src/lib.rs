//! A local NIS1-compatible node for Hanko's demo and tests: the part of the NIS REST API Hanko
//! uses, NIS's JSON shapes, and NIS's announce and multisig rules (nem-protocol.md §6–§9).
//!
//! Non-NIS controls for tests live under `/dev/`: `POST /dev/block` makes a block now,
//! `POST /dev/clock` shifts network time, `GET|POST /dev/faults` reads or sets fault injection.
//!
//! # Answers, as NIS gives them
//!
//! Checked against NIS's source (nis `controller/*`, `ExceptionControllerAdvice`; nem.core
//! `serialization/BinaryDeserializer`): an `IllegalArgumentException` is HTTP 400, a
//! `MissingResourceException` 404, anything else 500; what NIS reads but writes back
//! differently fails its signature check with HTTP 200 and code 8.
//!
//! `POST /transaction/announce` (`chain::malformed` classifies what Hanko's decoder refuses):
//! - 400: a body that is not a JSON object; `data` or `signature` that is not hex; a signature
//!   that is not 64 bytes; a top-level unknown type; a signer key length that is not 32; a
//!   negative amount, fee, timestamp or deadline; a type the dev node does not model
//!   (importance transfers, namespaces, mosaic definitions and supply changes: the one place
//!   it does not answer as NIS, which would validate them against its namespace state).
//! - 404: a recipient or other account NIS cannot use (length, checksum, another network).
//! - 500: an empty body; `data` or `signature` missing, null or not a string; empty `data`;
//!   `data` over 2,048 bytes; truncated data; anything wrong inside a nested object (the inner
//!   transaction, the message, a mosaic, a modification).
//! - 200, code 8: trailing bytes; a nested object longer than its content; unsorted or
//!   repeated mosaics or modifications; an empty message envelope; a lower-case address; a
//!   version 1 transfer with mosaic bytes; a missing optional last field. (NIS reports the
//!   hash of its re-serialization; the dev node, of the data sent.)
//! - 200, code 22: an entity version the type does not have (code 8 first if the signature
//!   over the data does not verify); code 20: a network byte not the node's, before the push
//!   cache and the signature; code 78: a modification of type 3.
//! - Known order differences: NIS checks the balance (5) before the message size (6), and a
//!   passed deadline (3) last; the dev node checks the stateless rules first.
//!
//! `GET /transaction/get`: a missing or non-hex hash 500; a hash of the wrong length or not in
//! the cache 400 "Hash was not found in cache". `GET /account/*`: an address with dashes or
//! spaces, of the wrong length, checksum or network 400 (NIS upper-cases it). `GET
//! /account/transfers/*`: `id` wins over `hash`; an empty hash is none; a non-hex hash 500; an
//! unknown one 400; `pageSize` read as a Java short and clamped to 5..100, 400 if it is not
//! one. `POST /block/at/public`: a height below 1 400, past the chain's end 404, missing or not
//! an integer 500.

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
