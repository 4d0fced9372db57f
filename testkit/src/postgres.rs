//! A PostgreSQL server of a test's own: a new cluster in a temporary directory, listening on
//! a free port of 127.0.0.1, stopped when dropped. As root (PostgreSQL refuses to run as root)
//! it runs as `nobody`. Its binaries are the distribution's (`tools/test.sh` installs them);
//! without them a test fails saying so, it is never skipped.
//!
//! A server can have a synchronous streaming replica ([`Postgres::replica`]): a commit is
//! acknowledged only once the replica has it, so killing the primary (`kill -9`,
//! [`Postgres::kill`]) and promoting the replica ([`Postgres::promote`]) loses nothing
//! acknowledged.

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

/// The processes whose parent is `pid`.
fn children_of(pid: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| {
            let status = std::fs::read_to_string(e.path().join("status")).ok()?;
            let parent = status.lines().find_map(|l| l.strip_prefix("PPid:"))?;
            (parent.trim() == pid).then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect()
}

pub struct Postgres {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
    as_nobody: bool,
}

impl Postgres {
    /// A directory and port for a server not yet made.
    fn unmade() -> Postgres {
        let dir = temp_dir("pg");
        let as_nobody = is_root();
        if as_nobody {
            std::os::unix::fs::chown(&*dir, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        Postgres {
            bin: bin_dir(),
            port: free_port(),
            as_nobody,
            dir,
        }
    }

    /// A new cluster, started: superuser `hanko`, trusted on 127.0.0.1 only (replication
    /// connections too).
    pub fn start() -> Postgres {
        let pg = Postgres::unmade();
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

    /// A streaming replica of this server, started, made synchronous: from now on this
    /// server acknowledges a commit only once the replica has written it.
    pub fn replica(&self) -> Postgres {
        let replica = Postgres::unmade();
        let data = replica.data().display().to_string();
        let source = format!(
            "host=127.0.0.1 port={} user=hanko application_name=replica",
            self.port
        );
        // -R: the copy starts as a standby of this server, streaming from it; -c fast: the
        // copy begins at once, not after a spread checkpoint (minutes).
        let args = [
            "-d",
            &source,
            "-D",
            &data,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ];
        replica.run("pg_basebackup", &args);
        replica.start_server();
        self.sql("ALTER SYSTEM SET synchronous_standby_names = 'replica'");
        self.sql("SELECT pg_reload_conf()");
        let started = std::time::Instant::now();
        while self.sql("SELECT sync_state FROM pg_stat_replication") != "sync" {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "the replica never became synchronous"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        replica
    }

    /// Runs one statement with psql on database `postgres`; what it printed, trimmed.
    pub fn sql(&self, statement: &str) -> String {
        let port = self.port.to_string();
        let args = [
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "hanko",
            "-d",
            "postgres",
            "-XAtc",
            statement,
        ];
        let out = self
            .command("psql")
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("psql: {e}"));
        assert!(
            out.status.success(),
            "psql {statement}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// kill -9 the server and every process of it, as the loss of its host would.
    pub fn kill(&self) {
        let pid_file = std::fs::read_to_string(self.data().join("postmaster.pid")).unwrap();
        let pid = pid_file.lines().next().unwrap().trim().to_string();
        // The postmaster first, so that it starts nothing new; then its children.
        let children = children_of(&pid);
        let status = Command::new("kill").args(["-9", &pid]).status().unwrap();
        assert!(status.success(), "kill -9 {pid}: {status}");
        for child in children {
            let _ = Command::new("kill").args(["-9", &child]).status();
        }
        // Its pid file stays, as after a crash; `Drop` must not stop another server by it.
        let _ = std::fs::remove_file(self.data().join("postmaster.pid"));
    }

    /// The server's processes: the postmaster and its children (backends, writers).
    pub fn pids(&self) -> Vec<u32> {
        let Ok(pid_file) = std::fs::read_to_string(self.data().join("postmaster.pid")) else {
            return vec![];
        };
        let Some(pid) = pid_file.lines().next().map(str::trim) else {
            return vec![];
        };
        std::iter::once(pid.to_string())
            .chain(children_of(pid))
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    /// Promotes this replica to a primary that accepts writes; returns once it does.
    pub fn promote(&self) {
        let data = self.data().display().to_string();
        self.run("pg_ctl", &["-D", &data, "-w", "promote"]);
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

    /// The URL of database `name` on this server or, once it has been promoted, on
    /// `replica`: libpq's list of hosts, of which the one that accepts writes is used.
    pub fn url_with(&self, replica: &Postgres, name: &str) -> String {
        format!(
            "postgres://hanko@127.0.0.1:{},127.0.0.1:{}/{name}?target_session_attrs=read-write",
            self.port, replica.port
        )
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
