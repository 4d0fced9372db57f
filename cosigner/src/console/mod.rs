//! `hanko-cosigner console`: the operators' page on a cosigner host. It speaks only to this
//! cosigner's operator socket, as the operator who runs it (the daemon checks the uid from
//! the kernel, as for every operator command), and serves on loopback only, behind the
//! session guard of `hanko_runtime::web`. What it shows is rendered from the bytes this
//! cosigner decoded itself (`render::Shown`), never from the coordinator's description.

mod approvals;
mod board;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use hanko_runtime::web::{self, Guard};
use maud::Markup;
use serde::de::DeserializeOwned;

use crate::operator::{Request, call};

#[derive(clap::Args, Debug)]
pub struct ConsoleArgs {
    /// The daemon's operator socket.
    #[arg(
        long,
        env = "HANKO_COSIGNER_SOCKET",
        default_value = "/run/hanko-cosigner/operator.sock"
    )]
    pub socket: PathBuf,
    /// Where to serve the page: a loopback address only.
    #[arg(long, default_value_t = format!("127.0.0.1:{}", web::OPERATOR_PORT))]
    pub listen: String,
    /// Your name, recorded with your uid in the audit journal.
    #[arg(long, env = "USER", default_value = "operator")]
    pub name: String,
}

pub struct App {
    pub socket: PathBuf,
    pub name: String,
    pub guard: Arc<Guard>,
}

impl App {
    /// One operator request; the daemon's error as text.
    pub async fn ask<T: DeserializeOwned>(&self, request: &Request) -> Result<T, String> {
        let response = call(&self.socket, request).await?;
        if !response.ok {
            return Err(response.error.unwrap_or_else(|| "refused".into()));
        }
        serde_json::from_value(response.data).map_err(|e| format!("unreadable answer: {e}"))
    }

    /// A page with this console's frame and, while signing is frozen, the banner.
    pub async fn page(&self, title: &str, body: Markup) -> Markup {
        let status = self
            .ask::<crate::engine::StatusReport>(&Request::Status)
            .await;
        self.page_with(&status, title, body)
    }

    /// The same, for a page that has asked for the status already.
    pub fn page_with(
        &self,
        status: &Result<crate::engine::StatusReport, String>,
        title: &str,
        body: Markup,
    ) -> Markup {
        let banner = board::banner(status);
        let console = match status {
            Ok(s) => format!(
                "Hanko cosigner {}… (operator {})",
                s.public_key.get(..12).unwrap_or(&s.public_key),
                self.name
            ),
            Err(_) => format!("Hanko cosigner (operator {})", self.name),
        };
        let nav = [
            ("/", "Waiting for approval"),
            ("/usage", "Velocity"),
            ("/status", "Status & freeze"),
        ];
        web::page::Frame {
            guard: &self.guard,
            console: &console,
            title,
            nav: &nav,
            banner,
        }
        .render(body)
    }
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(approvals::list))
        .route("/proposals/{id}", get(approvals::show))
        .route("/proposals/{id}/approve", post(approvals::approve))
        .route("/proposals/{id}/reject", post(approvals::reject))
        .route("/events", get(approvals::events))
        .route("/usage", get(board::usage))
        .route("/status", get(board::status))
        .route("/freeze", post(board::freeze))
        .route("/unfreeze", post(board::unfreeze))
        .with_state(app)
}

/// A console bound to its address, ready to serve.
pub struct Bound {
    /// The address to open (it carries the session's key).
    pub url: String,
    listener: tokio::net::TcpListener,
    app: Arc<App>,
}

impl Bound {
    /// Serves until `shutdown` resolves.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let guard = self.app.guard.clone();
        web::serve(self.listener, router(self.app), guard, shutdown).await
    }
}

/// Binds the address (loopback only) and checks that the operator socket answers.
pub async fn bind(args: ConsoleArgs) -> anyhow::Result<Bound> {
    let (listener, guard) = web::listen(&args.listen)
        .await
        .map_err(anyhow::Error::msg)?;
    let app = Arc::new(App {
        socket: args.socket,
        name: args.name,
        guard: guard.clone(),
    });
    // The socket answers now, or the operator hears why before opening a page.
    app.ask::<crate::engine::StatusReport>(&Request::Status)
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(Bound {
        url: guard.login_url(),
        listener,
        app,
    })
}

/// Serves the console until `shutdown`; prints the address to open on `out`.
pub async fn serve(
    args: ConsoleArgs,
    out: &mut dyn std::io::Write,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let bound = bind(args).await?;
    writeln!(out, "Hanko cosigner console: open {}", bound.url)?;
    out.flush()?;
    bound.run(shutdown).await?;
    Ok(())
}
