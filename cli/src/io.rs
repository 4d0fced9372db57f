//! Bounded stdin reading and JSON output.

use std::io::{Read, Write};

use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::CliError;

/// Larger input is refused rather than buffered without bound.
pub const MAX_STDIN_BYTES: u64 = 16 * 1024 * 1024;

/// Reads all of stdin (at most 16 MiB) into memory that is wiped when dropped.
pub fn read_input(input: &mut dyn Read) -> Result<Zeroizing<String>, CliError> {
    let mut text = Zeroizing::new(String::new());
    input
        .take(MAX_STDIN_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| CliError::Input(format!("stdin: cannot read UTF-8 text: {e}")))?;
    if text.len() as u64 > MAX_STDIN_BYTES {
        return Err(CliError::Input(format!(
            "stdin: more than {MAX_STDIN_BYTES} bytes"
        )));
    }
    Ok(text)
}

pub fn print_json(out: &mut dyn Write, value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Io(format!("cannot write JSON: {e}")))?;
    writeln!(out, "{text}").map_err(|e| CliError::Io(format!("stdout: {e}")))
}

/// Writes a new file (mode 0600 when `private`), never overwriting one, and syncs it.
pub fn write_new(path: &std::path::Path, contents: &str, private: bool) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = private;
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => CliError::Input(format!(
            "{} already exists; refusing to overwrite it",
            path.display()
        )),
        _ => CliError::Io(format!("{}: {e}", path.display())),
    })?;
    file.write_all(contents.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| CliError::Io(format!("{}: {e}", path.display())))
}
