//! Directories of a test's own, removed when dropped.

use std::path::Path;

/// A directory removed with everything in it when dropped.
pub struct TempDir(tempfile::TempDir);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

/// A new empty directory named after `tag` (`hanko-TAG-…` in the system's temporary
/// directory).
pub fn temp_dir(tag: &str) -> TempDir {
    TempDir(
        tempfile::Builder::new()
            .prefix(&format!("hanko-{tag}-"))
            .tempdir()
            .unwrap(),
    )
}
