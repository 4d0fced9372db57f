//! A daemon of the local installation as a real child process: its output goes to a log file
//! in its directory, and it counts as started when it prints its ready line.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::error::CliError;

pub struct Daemon {
    pub name: String,
    args: Vec<String>,
    exe: PathBuf,
    namespace: Option<String>,
    pub log: PathBuf,
    child: Option<Child>,
    /// Set for the next start only: the crash point to arm (`HANKO_FAILPOINT`).
    failpoint: Option<String>,
}

/// How long a daemon may take to print its ready line.
const READY_WITHIN: Duration = Duration::from_secs(60);

impl Daemon {
    /// Starts `exe args…` (inside network namespace `namespace`, if given), appending its
    /// output to `log`; returns once a line of its stdout starts with `ready`, with the rest
    /// of that line.
    pub fn start(
        name: &str,
        exe: &Path,
        namespace: Option<&str>,
        args: &[&str],
        log: &Path,
        ready: &str,
    ) -> Result<(Daemon, String), CliError> {
        let mut d = Daemon {
            name: name.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            exe: exe.to_path_buf(),
            namespace: namespace.map(str::to_string),
            log: log.to_path_buf(),
            child: None,
            failpoint: None,
        };
        let rest = d.spawn(ready)?;
        Ok((d, rest))
    }

    fn spawn(&mut self, ready: &str) -> Result<String, CliError> {
        let io = |e: std::io::Error| CliError::Io(format!("{}: {e}", self.log.display()));
        let file = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(io)?;
        // `ip netns exec` enters the namespace and then execs the daemon: same pid.
        let mut command = match &self.namespace {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(&self.exe);
                c
            }
            None => Command::new(&self.exe),
        };
        let mut child = command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(file.try_clone().map_err(io)?)
            .env(
                "HANKO_LOG",
                std::env::var("HANKO_LOG").unwrap_or("info".into()),
            )
            .env("HANKO_FAILPOINT", self.failpoint.take().unwrap_or_default())
            .spawn()
            .map_err(|e| CliError::Io(format!("cannot start {}: {e}", self.exe.display())))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| CliError::Io("no stdout".into()))?;
        let (tx, rx) = mpsc::channel();
        let prefix = ready.to_string();
        std::thread::spawn(move || {
            let mut file = file;
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(file, "{line}");
                if let Some(rest) = line.strip_prefix(&prefix)
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(rest.trim().to_string());
                }
            }
        });
        self.child = Some(child);
        match rx.recv_timeout(READY_WITHIN) {
            Ok(rest) => Ok(rest),
            Err(_) => {
                self.kill();
                let tail = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(8).collect();
                Err(CliError::Io(format!(
                    "{} did not start; the end of {}:\n{}",
                    self.name,
                    self.log.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )))
            }
        }
    }

    /// Starts it again with the same arguments.
    pub fn restart(&mut self, ready: &str) -> Result<String, CliError> {
        self.kill();
        self.spawn(ready)
    }

    /// kill -9 and start it again with crash point `point` armed (see
    /// `hanko_runtime::failpoint`): it kills itself with SIGKILL when it gets there.
    pub fn restart_armed(&mut self, ready: &str, point: &str) -> Result<String, CliError> {
        self.failpoint = Some(point.to_string());
        self.restart(ready)
    }

    /// How it ended, if it did (without waiting).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// SIGKILL, as abrupt as a power cut, and reap it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let deadline = std::time::Instant::now() + grace;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}
