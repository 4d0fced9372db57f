//! The marker that ties a store to its key: a small file outside the store, in the state
//! directory, named by the key's public key, with the store's random id and the newest journal
//! head a flush made durable (see `integrity`). Written atomically after every flush.

use std::path::{Path, PathBuf};

use crate::audit::Head;

/// Where the store id of the key `key` is kept, in `state_dir`.
pub fn marker_path(state_dir: &Path, key: &nem::PublicKey) -> PathBuf {
    state_dir.join(format!("store-id-{key}.json"))
}

/// Where an earlier version kept it: beside the key file.
pub fn legacy_marker_path(key_file: &Path) -> PathBuf {
    let mut name = key_file.as_os_str().to_owned();
    name.push(".store-id");
    PathBuf::from(name)
}

/// What the marker says: the key it belongs to, the store's id and the newest journal head
/// known to be durable.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Marker {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<nem::PublicKey>,
    pub store_id: String,
    #[serde(default)]
    pub head: Option<Head>,
}

/// Where a marker is and whose key it names.
#[derive(Debug, Clone)]
pub struct MarkerAt {
    pub path: PathBuf,
    pub key: nem::PublicKey,
}

pub(crate) fn read_marker(path: &Path) -> Result<Option<Marker>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Replaces the marker atomically: a temporary file, synced, renamed over it, mode 600.
pub fn write_marker(at: &MarkerAt, store_id: &str, head: Option<&Head>) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = &at.path;
    let marker = Marker {
        public_key: Some(at.key),
        store_id: store_id.into(),
        head: head.cloned(),
    };
    let text = serde_json::to_vec(&marker).map_err(std::io::Error::other)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(&text)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
