//! The cosigner daemon: holds one NEM cosignatory key, decides on each proposal with its own
//! policy on bytes it decoded itself, and signs only after recording its decision durably.

pub mod keystore;
