//! Storage errors in words for an operator: sled's own text prints I/O errors in debug form
//! and repeats their cause.

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
