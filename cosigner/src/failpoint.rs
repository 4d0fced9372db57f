//! Crash points for the kill -9 tests: `HANKO_FAILPOINT=<name>` makes the process abort (as
//! abruptly as kill -9: no destructors, no flush) when it reaches that point. Unset, a point
//! costs one comparison. Aborting gives whoever sets the environment nothing they could not do
//! by killing the process.

use std::sync::OnceLock;

fn armed() -> Option<&'static str> {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    ARMED
        .get_or_init(|| std::env::var("HANKO_FAILPOINT").ok())
        .as_deref()
}

/// Aborts the process if `name` is the armed crash point.
pub fn hit(name: &str) {
    if armed() == Some(name) {
        eprintln!("hanko: crash point {name} reached: aborting");
        std::process::abort();
    }
}

/// Whether `name` is the armed point where a write is made to fail, as a disk that refuses
/// writes would (for the fail-closed tests). Unset, it costs one comparison.
pub fn fails(name: &str) -> bool {
    armed() == Some(name)
}
