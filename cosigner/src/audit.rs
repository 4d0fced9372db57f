//! The cosigner's audit journal: the hash-chained format every Hanko daemon shares.

pub use hanko_runtime::audit::*;
