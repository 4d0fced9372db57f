//! The operators' local Unix socket: one JSON request per line, one JSON response per line.
//! The socket file is mode 0600 (only the daemon's user can connect), and every peer's uid is
//! checked again from the kernel's peer credentials against the allowed list.

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

/// Binds the socket (replacing a stale file), restricted to the daemon's user.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Serves operators until the listener fails.
pub async fn serve(listener: UnixListener, engine: Arc<Engine>, allowed_uids: Vec<u32>) {
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
        let allowed = allowed_uids.clone();
        tokio::spawn(async move {
            if let Err(e) = session(stream, engine, allowed).await {
                tracing::warn!(error = %e, "operator session ended with an error");
            }
        });
    }
}

async fn session(
    stream: UnixStream,
    engine: Arc<Engine>,
    allowed: Vec<u32>,
) -> std::io::Result<()> {
    let uid = stream.peer_cred()?.uid();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read.take(MAX_LINE as u64 * 64)).lines();
    while let Some(line) = lines.next_line().await? {
        let response = if !allowed.contains(&uid) {
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

async fn handle(engine: &Engine, request: Request, uid: u32) -> Response {
    let policy = engine.policy();
    let policy = &policy.loaded.linted.policy;
    let who = |name: String| Operator { uid, name };
    tracing::info!(uid, request = ?request, "operator request");
    match request {
        Request::Pending => answer(
            engine
                .pending()
                .map(|list| list.iter().map(|b| render(b, policy)).collect::<Vec<_>>()),
        ),
        Request::Show { id } => answer(engine.show(&id).map(|b| render(&b, policy))),
        Request::Approve { id, confirm, name } => answer(
            engine
                .approve(&id, &confirm, &who(name))
                .await
                .map(|b| render(&b, policy)),
        ),
        Request::Reject { id, reason, name } => answer(
            engine
                .reject(&id, &reason, &who(name))
                .await
                .map(|b| render(&b, policy)),
        ),
        Request::Freeze { reason, name } => answer(engine.freeze(&who(name), &reason).await),
        Request::Unfreeze { reason, name } => answer(engine.unfreeze(&who(name), &reason).await),
        Request::Status => answer(engine.status()),
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
