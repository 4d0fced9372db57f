//! The cosigner daemon: holds one NEM cosignatory key, decides on each proposal with its own
//! policy on bytes it decoded itself, and signs only after recording its decision durably.

pub mod audit;
pub mod chain;
pub mod cli;
pub mod config;
pub mod console;
pub mod daemon;
pub mod decide;
pub mod engine;
pub mod examine;
pub mod integrity;
pub mod keystore;
pub mod link;
pub mod marker;
pub mod operator;
pub mod record;
pub mod reload;
pub mod render;
pub mod sign;
pub mod store;
pub mod testing;
pub mod usage;
pub mod watch;
