//! What operators see: Prometheus metrics (and the endpoint that serves them), webhooks, the
//! board of cosigner connections, proposal watchers, and the archiver that moves finished
//! proposals to the history.

pub(crate) mod alerts;
pub(crate) mod archiver;
pub(crate) mod board;
pub(crate) mod metrics;
pub(crate) mod mirror;
pub(crate) mod scrape;
pub(crate) mod watchers;
pub mod webhook;
