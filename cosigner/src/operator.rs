//! The operators' local Unix socket: one JSON request per line, one JSON response per line.
//!
//! Who may connect is the kernel's decision first: the socket is mode 0600 (the daemon's
//! user only), or, with an operator group, mode 0660 owned by that group, in a directory the
//! group may enter and no one else may. Every peer is then checked again from the kernel's
//! peer credentials: the daemon's own uid, a listed operator uid, or a process in the group.
//! Distinct approvals are distinct uids.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::engine::{Engine, Operator};
use crate::render::render;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Request {
    Pending,
    Show {
        id: String,
    },
    Approve {
        id: String,
        confirm: String,
        name: String,
    },
    Reject {
        id: String,
        reason: String,
        name: String,
    },
    Freeze {
        reason: String,
        name: String,
    },
    Unfreeze {
        reason: String,
        name: String,
    },
    Status,
    /// Each velocity rule's use over its window (for the console's charts).
    Usage,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub data: Value,
}

/// Longest request line accepted.
const MAX_LINE: usize = 16 * 1024;

/// Who may operate this cosigner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The daemon's own uid and the listed operators'.
    pub uids: Vec<u32>,
    /// The operator group's id, if one is configured.
    pub group: Option<u32>,
}

impl Access {
    /// From the configuration: the listed uids and the group, resolved to its id.
    pub fn of(config: &crate::config::Config) -> anyhow::Result<Access> {
        let group = match config.operator_group.as_deref() {
            None => None,
            Some(text) => Some(match text.parse::<u32>() {
                Ok(gid) => gid,
                Err(_) => nix::unistd::Group::from_name(text)
                    .map_err(|e| anyhow::anyhow!("operator_group '{text}': {e}"))?
                    .ok_or_else(|| anyhow::anyhow!("operator_group '{text}': no such group"))?
                    .gid
                    .as_raw(),
            }),
        };
        Ok(Access {
            uids: config.operator_uids.clone(),
            group,
        })
    }

    pub fn with_uid(mut self, uid: u32) -> Access {
        self.uids.push(uid);
        self
    }

    /// Whether a peer with these credentials operates this cosigner.
    pub fn allows(&self, uid: u32, gid: u32, pid: Option<i32>) -> bool {
        if self.uids.contains(&uid) {
            return true;
        }
        let Some(group) = self.group else {
            return false;
        };
        gid == group || pid.is_some_and(|p| supplementary_groups(p).contains(&group))
    }
}

/// A process's supplementary groups, from `/proc/<pid>/status` (empty if it cannot be read).
fn supplementary_groups(pid: i32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|l| {
                l.strip_prefix("Groups:").map(|g| {
                    g.split_whitespace()
                        .filter_map(|x| x.parse::<u32>().ok())
                        .collect()
                })
            })
        })
        .unwrap_or_default()
}

/// Binds the socket (replacing a stale file): mode 0600 for the daemon's user, or, with an
/// operator group, mode 0660 for that group, and its directory given to the group (mode 0750)
/// when the daemon owns it, so that members can reach it and no one else can.
pub fn bind(path: &Path, group: Option<u32>) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    let Some(gid) = group else {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        return Ok(listener);
    };
    let gid = rustix::fs::Gid::from_raw(gid);
    rustix::fs::chown(path, None, Some(gid))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && std::fs::metadata(dir)?.uid() == rustix::process::geteuid().as_raw()
    {
        rustix::fs::chown(dir, None, Some(gid))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o750))?;
    }
    Ok(listener)
}

/// Serves operators until the listener fails.
pub async fn serve(listener: UnixListener, engine: Arc<Engine>, access: Access) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "operator socket accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
        };
        let engine = engine.clone();
        let access = access.clone();
        tokio::spawn(async move {
            if let Err(e) = session(stream, engine, access).await {
                tracing::warn!(error = %e, "operator session ended with an error");
            }
        });
    }
}

async fn session(stream: UnixStream, engine: Arc<Engine>, access: Access) -> std::io::Result<()> {
    let peer = stream.peer_cred()?;
    let uid = peer.uid();
    let allowed = access.allows(uid, peer.gid(), peer.pid());
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read.take(MAX_LINE as u64 * 64)).lines();
    while let Some(line) = lines.next_line().await? {
        let response = if !allowed {
            tracing::warn!(uid, "operator socket: uid not allowed");
            failure(format!("uid {uid} is not an operator of this cosigner"))
        } else if line.len() > MAX_LINE {
            failure(format!("request: longer than {MAX_LINE} bytes"))
        } else {
            match serde_json::from_str::<Request>(&line) {
                Ok(request) => handle(&engine, request, uid).await,
                Err(e) => failure(format!("request: {e}")),
            }
        };
        let mut out = serde_json::to_vec(&response).unwrap_or_default();
        out.push(b'\n');
        write.write_all(&out).await?;
    }
    Ok(())
}

fn failure(error: String) -> Response {
    Response {
        ok: false,
        error: Some(error),
        data: Value::Null,
    }
}

fn success(data: Value) -> Response {
    Response {
        ok: true,
        error: None,
        data,
    }
}

fn answer<T: Serialize, E: std::fmt::Display>(r: Result<T, E>) -> Response {
    match r {
        Ok(v) => success(serde_json::to_value(v).unwrap_or(Value::Null)),
        Err(e) => failure(e.to_string()),
    }
}

/// A binding as operators see it, with the account's cosignatories as this cosigner's node
/// says (which sets what signature fees may cost); 1 if the node cannot be read.
async fn shown(engine: &Engine, b: &crate::record::Binding) -> crate::render::Shown {
    let policy = engine.policy();
    let n = match engine.chain().current(&b.account).await {
        Ok(s) => u32::try_from(s.facts.cosignatories.len()).unwrap_or(u32::MAX),
        Err(_) => 1,
    };
    render(b, &policy.loaded.linted.policy, n)
}

async fn shown_all(
    engine: &Engine,
    list: Vec<crate::record::Binding>,
) -> Vec<crate::render::Shown> {
    let mut out = Vec::with_capacity(list.len());
    for b in &list {
        out.push(shown(engine, b).await);
    }
    out
}

async fn handle(engine: &Engine, request: Request, uid: u32) -> Response {
    let who = |name: String| Operator { uid, name };
    tracing::info!(uid, request = ?request, "operator request");
    match request {
        Request::Pending => match engine.pending() {
            Ok(list) => answer(Ok::<_, String>(shown_all(engine, list).await)),
            Err(e) => failure(e.to_string()),
        },
        Request::Show { id } => match engine.show(&id) {
            Ok(b) => answer(Ok::<_, String>(shown(engine, &b).await)),
            Err(e) => failure(e.to_string()),
        },
        Request::Approve { id, confirm, name } => {
            match engine.approve(&id, &confirm, &who(name)).await {
                Ok(b) => answer(Ok::<_, String>(shown(engine, &b).await)),
                Err(e) => failure(e.to_string()),
            }
        }
        Request::Reject { id, reason, name } => {
            match engine.reject(&id, &reason, &who(name)).await {
                Ok(b) => answer(Ok::<_, String>(shown(engine, &b).await)),
                Err(e) => failure(e.to_string()),
            }
        }
        Request::Freeze { reason, name } => answer(engine.freeze(&who(name), &reason).await),
        Request::Unfreeze { reason, name } => answer(engine.unfreeze(&who(name), &reason).await),
        Request::Status => answer(engine.status()),
        Request::Usage => answer(engine.usage().await),
    }
}

/// The client side: sends one request, returns the response.
pub async fn call(socket: &Path, request: &Request) -> Result<Response, String> {
    let stream = UnixStream::connect(socket).await.map_err(|e| {
        format!(
            "cannot reach the cosigner at {}: {e} (is hanko-cosigner running, and are you its user?)",
            socket.display()
        )
    })?;
    let (read, mut write) = stream.into_split();
    let mut line = serde_json::to_vec(request).map_err(|e| e.to_string())?;
    line.push(b'\n');
    write.write_all(&line).await.map_err(|e| e.to_string())?;
    let mut lines = BufReader::new(read).lines();
    let reply = lines
        .next_line()
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the cosigner closed the socket without answering")?;
    serde_json::from_str(&reply).map_err(|e| format!("unreadable answer: {e}"))
}

/// The socket path when none is given.
pub fn default_socket() -> PathBuf {
    PathBuf::from("/run/hanko-cosigner/operator.sock")
}
