//! `hanko certs init|issue`: the installation's CA and its server and client certificates.
//! Private keys are written with mode 0600; nothing is ever overwritten.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use hanko_runtime::pki::{Issued, Usage, Validity, issue, new_ca};

use crate::error::CliError;

#[derive(Subcommand, Debug)]
pub enum CertsCommand {
    /// Create a CA in DIR (ca.pem, ca.key). Keep ca.key offline after issuing.
    Init {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value = "hanko-ca")]
        name: String,
        #[arg(long, default_value_t = 10)]
        years: i32,
    },
    /// Issue NAME.pem and NAME.key in DIR, signed by DIR/ca.pem and DIR/ca.key.
    Issue {
        #[arg(long)]
        dir: PathBuf,
        /// The holder's name (certificate CN); the coordinator's config maps it to a role.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        kind: Kind,
        /// For a server: DNS names or IP addresses it is reached at (repeat).
        #[arg(long = "host")]
        hosts: Vec<String>,
        #[arg(long, default_value_t = 1)]
        years: i32,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    Server,
    Client,
}

pub fn this_year() -> i32 {
    i32::from(jiff::Zoned::now().year())
}

fn write_pair(dir: &Path, stem: &str, issued: &Issued) -> Result<(PathBuf, PathBuf), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::Io(format!("{}: {e}", dir.display())))?;
    let cert = dir.join(format!("{stem}.pem"));
    let key = dir.join(format!("{stem}.key"));
    if cert.exists() || key.exists() {
        return Err(CliError::Input(format!(
            "{} or {} already exists; refusing to overwrite",
            cert.display(),
            key.display()
        )));
    }
    crate::io::write_new(&key, &issued.key_pem, true)?;
    crate::io::write_new(&cert, &issued.cert_pem, false)?;
    Ok((cert, key))
}

pub fn run(cmd: CertsCommand, out: &mut dyn Write) -> Result<(), CliError> {
    let line = |out: &mut dyn Write, text: String| {
        writeln!(out, "{text}").map_err(|e| CliError::Io(e.to_string()))
    };
    match cmd {
        CertsCommand::Init { dir, name, years } => {
            let ca =
                new_ca(&name, years, this_year()).map_err(|e| CliError::Input(e.to_string()))?;
            let (cert, key) = write_pair(&dir, "ca", &ca)?;
            line(
                out,
                format!(
                    "CA '{name}' created: {} and {} (mode 600; keep it offline)",
                    cert.display(),
                    key.display()
                ),
            )
        }
        CertsCommand::Issue {
            dir,
            name,
            kind,
            hosts,
            years,
        } => {
            let read = |file: &str| {
                let path = dir.join(file);
                std::fs::read_to_string(&path).map_err(|e| {
                    CliError::Input(format!(
                        "{}: {e} (run hanko certs init --dir {} first)",
                        path.display(),
                        dir.display()
                    ))
                })
            };
            let ca = Issued {
                cert_pem: read("ca.pem")?,
                key_pem: read("ca.key")?,
            };
            let usage = match kind {
                Kind::Server if hosts.is_empty() => {
                    return Err(CliError::Input(
                        "--host: a server certificate needs at least one host".into(),
                    ));
                }
                Kind::Server => Usage::Server { names: hosts },
                Kind::Client => Usage::Client,
            };
            let issued = issue(&ca, &name, usage, Validity::Years(years), this_year())
                .map_err(|e| CliError::Input(e.to_string()))?;
            let (cert, key) = write_pair(&dir, &name, &issued)?;
            line(
                out,
                format!(
                    "issued '{name}': {} and {} (mode 600)",
                    cert.display(),
                    key.display()
                ),
            )
        }
    }
}
