//! How both daemons open sled, and storage errors in words for an operator (sled's own text
//! prints I/O errors in debug form and repeats their cause).

use std::path::Path;

/// The most memory sled may keep as cached pages. Its default (1 GiB) let a coordinator that
/// had written 400,000 proposals hold 980 MiB; with 64 MiB it held 140 MiB, at the same
/// end-to-end rate (the pages in use are the newest ones).
pub const CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// Opens the sled store in `dir` with a bounded page cache.
pub fn open(dir: &Path) -> sled::Result<sled::Db> {
    sled::Config::new()
        .path(dir)
        .cache_capacity(CACHE_BYTES)
        .open()
}

/// How long a store this process just closed may stay locked: sled's own threads let go of
/// its files a moment after the last handle is dropped.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// [`open`], for a store this process may have just closed: waits while sled's threads still
/// hold its lock.
pub fn reopen(dir: &Path) -> sled::Result<sled::Db> {
    let started = std::time::Instant::now();
    loop {
        match open(dir) {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && started.elapsed() < LOCK_WAIT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// What went wrong with a sled store, as an operator should read it.
pub fn in_words(e: &sled::Error) -> String {
    match e {
        sled::Error::Io(io) => match (io.raw_os_error(), io.kind()) {
            (Some(code), _) => std::io::Error::from_raw_os_error(code).to_string(),
            (None, std::io::ErrorKind::StorageFull) => "No space left on device".into(),
            _ => io.to_string(),
        },
        sled::Error::Corruption { .. } => {
            "the data files are corrupted (restore the data directory from a backup)".into()
        }
        other => other.to_string(),
    }
}
