//! `hanko audit verify DIR` and `hanko audit export DIR [--since T]`: any daemon's audit
//! journal (coordinator or cosigner data directory), read while that daemon is stopped or
//! from a copy of its directory. For coordinators on a database, DIR is a coordinator's
//! configuration file instead, and the journal is read from the database while they run.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use hanko_runtime::audit::{self, Entry, Head};

use crate::error::CliError;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the hash chain and the recorded head; names the first bad entry.
    Verify {
        /// A data directory, or a configuration whose store is a database.
        dir: PathBuf,
    },
    /// Write the journal as JSON lines (for a SIEM), from time T (RFC 3339) on.
    Export {
        /// A data directory, or a configuration whose store is a database.
        dir: PathBuf,
        #[arg(long)]
        since: Option<jiff::Timestamp>,
    },
}

/// A journal as read: its entries, its recorded head, and (from a database) the leader's
/// term that wrote each entry.
pub struct Journal {
    pub entries: Vec<Entry>,
    pub head: Option<Head>,
    pub terms: Vec<u64>,
}

/// Reads the journal: from a daemon's data directory (a coordinator's older entries from
/// its history first), or from the database a coordinator's configuration names.
pub async fn read_journal(dir: &Path) -> Result<Journal, CliError> {
    if dir.is_file() {
        return read_database(dir).await;
    }
    let (entries, head) = read_directory(dir)?;
    Ok(Journal {
        entries,
        head,
        terms: vec![],
    })
}

fn read_directory(dir: &Path) -> Result<(Vec<Entry>, Option<Head>), CliError> {
    if !dir.join("conf").exists() && !dir.join("db").exists() {
        return Err(CliError::Input(format!(
            "{}: not a Hanko data directory (data_dir of a coordinator or cosigner)",
            dir.display()
        )));
    }
    let older = match coordinator::store::history::exists_in(dir) {
        true => read_part(&coordinator::store::history::dir_in(dir))?.0,
        false => vec![],
    };
    let (newer, head) = read_part(dir)?;
    Ok((audit::join(older, newer), head))
}

/// The journal of the coordinators whose database the configuration at `path` names.
async fn read_database(path: &Path) -> Result<Journal, CliError> {
    let config = coordinator::config::Config::load(path).map_err(CliError::Input)?;
    let coordinator::store::StoreConfig::Postgres(pg) = &config.store else {
        return Err(CliError::Input(format!(
            "{}: its store is embedded: give its data directory ({})",
            path.display(),
            config.data_dir.display()
        )));
    };
    let failed =
        |e: coordinator::store::StoreError| CliError::Io(format!("{}: {e}", path.display()));
    let store = coordinator::store::postgres::PgStore::open_to_read(pg)
        .await
        .map_err(failed)?;
    let (entries, head) = store.audit().await.map_err(failed)?;
    let terms = store.journal_terms().await.map_err(failed)?;
    Ok(Journal {
        entries,
        head,
        terms,
    })
}

/// The journal entries of one sled database, and the head recorded there.
fn read_part(dir: &Path) -> Result<(Vec<Entry>, Option<Head>), CliError> {
    let db = sled::Config::new().path(dir).open().map_err(|e| {
        CliError::Io(format!(
            "{}: {e} (stop the daemon first, or verify a copy of the directory)",
            dir.display()
        ))
    })?;
    let corrupt = |what: String| CliError::Refused(format!("{}: {what}", dir.display()));
    let tree = db
        .open_tree("audit")
        .map_err(|e| CliError::Io(e.to_string()))?;
    let mut entries = vec![];
    for (i, item) in tree.iter().enumerate() {
        let (key, value) = item.map_err(|e| CliError::Io(e.to_string()))?;
        let entry: Entry = serde_json::from_slice(&value).map_err(|e| {
            corrupt(format!(
                "audit record #{i} (key {}) is unreadable: {e}",
                hex::encode(&key)
            ))
        })?;
        entries.push(entry);
    }
    let head = db
        .open_tree("meta")
        .and_then(|m| m.get("audit_head"))
        .map_err(|e| CliError::Io(e.to_string()))?
        .map(|v| serde_json::from_slice::<Head>(&v))
        .transpose()
        .map_err(|e| corrupt(format!("the journal's head is unreadable: {e}")))?;
    Ok((entries, head))
}

pub async fn run(cmd: AuditCommand, out: &mut dyn Write) -> Result<(), CliError> {
    let w = |e: std::io::Error| CliError::Io(e.to_string());
    match cmd {
        AuditCommand::Verify { dir } => {
            let Journal {
                entries,
                head,
                terms,
            } = read_journal(&dir).await?;
            if let Some(i) = terms.windows(2).position(|t| t[1] < t[0]) {
                return Err(CliError::Refused(format!(
                    "{}: audit record #{} was written in term {} after one of term {}: two \
                     leaders wrote at once",
                    dir.display(),
                    i + 1,
                    terms[i + 1],
                    terms[i]
                )));
            }
            match audit::verify_with_head(&entries, head.as_ref()) {
                Ok(n) => {
                    let last = entries.last().map(|e| e.hash.as_str()).unwrap_or("-");
                    let terms = match (terms.first(), terms.last()) {
                        (Some(a), Some(b)) => format!(", leader terms {a} to {b} in order"),
                        _ => String::new(),
                    };
                    writeln!(
                        out,
                        "{}: {n} audit records, chain intact{terms}, head {last}",
                        dir.display()
                    )
                    .map_err(w)
                }
                Err(broken) => Err(CliError::Refused(format!(
                    "{}: audit journal broken at {broken}; records before it verify",
                    dir.display()
                ))),
            }
        }
        AuditCommand::Export { dir, since } => {
            let Journal { entries, head, .. } = read_journal(&dir).await?;
            if let Err(broken) = audit::verify_with_head(&entries, head.as_ref()) {
                eprintln!(
                    "warning: {}: audit journal broken at {broken}; exporting anyway",
                    dir.display()
                );
            }
            let from = since.map_or(i64::MIN, |t| t.as_millisecond());
            for e in entries.iter().filter(|e| e.at_ms >= from) {
                let mut v = serde_json::to_value(e).map_err(|e| CliError::Io(e.to_string()))?;
                if let (Some(map), Ok(at)) = (
                    v.as_object_mut(),
                    jiff::Timestamp::from_millisecond(e.at_ms),
                ) {
                    map.insert("at".into(), at.to_string().into());
                }
                writeln!(out, "{v}").map_err(w)?;
            }
            Ok(())
        }
    }
}
