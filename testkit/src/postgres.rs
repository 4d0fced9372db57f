//! A PostgreSQL server of a test's own: a new cluster in a temporary directory, listening on
//! a free port of 127.0.0.1, stopped when dropped. As root (PostgreSQL refuses to run as root)
//! it runs as `nobody`. Its binaries are the distribution's (`tools/test.sh` installs them);
//! without them a test fails saying so, it is never skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::dir::{TempDir, temp_dir};

/// The user the server runs as when the tests run as root.
const NOBODY: u32 = 65534;

/// The newest installed server's binaries.
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("HANKO_PG_BIN") {
        return dir.into();
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path().join("bin"))
                .filter(|bin| bin.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb): run \
             the tests with tools/test.sh, which installs it, or set HANKO_PG_BIN"
        )
    })
}

fn is_root() -> bool {
    // The effective uid, as the kernel reports it.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|v| v.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// A free port of 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

pub struct Postgres {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
    as_nobody: bool,
}

impl Postgres {
    /// A new cluster, started: superuser `hanko`, trusted on 127.0.0.1 only.
    pub fn start() -> Postgres {
        let dir = temp_dir("pg");
        let as_nobody = is_root();
        if as_nobody {
            std::os::unix::fs::chown(&*dir, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        let pg = Postgres {
            bin: bin_dir(),
            port: free_port(),
            as_nobody,
            dir,
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "hanko",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        pg.start_server();
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The server's directory (its data in `data/`, its log in `log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// One of the server's programs, to run as `nobody` when the tests run as root.
    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if !self.as_nobody {
            return Command::new(exe);
        }
        let mut c = Command::new("setpriv");
        let nobody = NOBODY.to_string();
        c.args(["--reuid", &nobody, "--regid", &nobody, "--clear-groups"])
            .arg(exe);
        c
    }

    /// Runs one of the server's programs, panicking with its output if it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.dir.display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-l",
                &self.dir.join("log").display().to_string(),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
    }

    /// A new empty database; its URL.
    pub fn database(&self, name: &str) -> String {
        self.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "hanko",
                name,
            ],
        );
        self.url(name)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://hanko@127.0.0.1:{}/{name}", self.port)
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`).
    pub fn stop(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-m",
                "immediate",
                "stop",
            ],
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let pid_file = self.data().join("postmaster.pid");
        if pid_file.exists() {
            let data = self.data().display().to_string();
            let _ = self
                .command("pg_ctl")
                .args(["-D", &data, "-m", "immediate", "stop"])
                .output();
        }
    }
}
