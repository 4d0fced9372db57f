//! The dev node in process.

use devnode::{Config, RunningNode};
use nem::client::{ClientConfig, NisClient};

/// The example node (a 2-of-3 treasury of 1,000,000 XEM) with a block every `block_time_ms`
/// (0: only on demand, `POST /dev/block`), changed by `change`.
pub async fn start(block_time_ms: u64, change: impl FnOnce(&mut Config)) -> RunningNode {
    let mut config = Config::example().unwrap();
    config.block_time_ms = block_time_ms;
    change(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    devnode::start(&config, listener).unwrap()
}

/// A NIS client of `node`.
pub fn client(node: &RunningNode) -> NisClient {
    NisClient::new(ClientConfig::new(node.url())).unwrap()
}

/// The example node as it comes (its own block time).
pub async fn example() -> RunningNode {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    devnode::start(&Config::example().unwrap(), listener).unwrap()
}
