//! `hanko console`: a page on this machine for the treasury, admins and auditors. It talks to
//! the coordinator with the user's own client configuration (certificate, role, proposer
//! key) and serves on loopback only, behind the session guard of `hanko_runtime::web`.
//! What it offers follows the role the coordinator gives the certificate; the coordinator
//! checks every call again.

mod link;
mod live;
mod policy;
mod policy_rules;
mod proposals;
mod propose;
mod status;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use hanko_proto::v1 as pb;
use hanko_proto::v1::admin_client::AdminClient;
use hanko_proto::v1::treasury_client::TreasuryClient;
use hanko_runtime::web::{self, Guard};
use tonic::transport::Channel;

use crate::client::{ClientConfig, ConfigArg, status as grpc};
use crate::error::CliError;

#[derive(clap::Args, Debug)]
pub struct ConsoleArgs {
    /// Where to serve the page: a loopback address only.
    #[arg(long, default_value_t = format!("127.0.0.1:{}", web::TREASURY_PORT))]
    pub listen: String,
    /// A folder of policy files (and simulation histories, *.jsonl) for the policy pages.
    #[arg(long)]
    pub policies: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArg,
}

/// What every page handler shares.
pub struct App {
    pub guard: Arc<Guard>,
    link: Arc<link::Link>,
    /// The certificate's name and role, as the coordinator says.
    pub caller: String,
    pub role: String,
    /// Opened once at start, for proposers whose configuration names a key.
    pub key: Option<ed25519_dalek::SigningKey>,
    pub live: live::Live,
    pub policies: Option<PathBuf>,
}

impl App {
    pub fn config(&self) -> &ClientConfig {
        self.link.config()
    }

    pub fn treasury(&self) -> TreasuryClient<Channel> {
        TreasuryClient::new(self.link.channel())
    }

    pub fn admin(&self) -> AdminClient<Channel> {
        AdminClient::new(self.link.channel())
    }

    pub fn is(&self, role: &str) -> bool {
        self.role == role
    }

    /// The coordinator's status (freeze, links, alerts), or why it could not be read.
    pub async fn status(&self) -> Result<pb::StatusResponse, CliError> {
        self.admin()
            .status(pb::StatusRequest {})
            .await
            .map(|r| r.into_inner())
            .map_err(grpc)
    }
}

/// Connects, asks the coordinator who this certificate is, opens the proposer key if there is
/// one, and returns the console's routes.
pub async fn app(
    config: ClientConfig,
    guard: Arc<Guard>,
    policies: Option<PathBuf>,
) -> Result<(Arc<App>, Router), CliError> {
    let link = link::Link::connect(config).await?;
    let me = AdminClient::new(link.channel())
        .status(pb::StatusRequest {})
        .await
        .map_err(grpc)?
        .into_inner();
    let key = match (&link.config().proposer, me.caller_role.as_str()) {
        (Some(_), "proposer") => Some(link.config().proposer_key()?),
        _ => None,
    };
    link.keep_on_leader();
    let live = live::Live::start(link.clone());
    let app = Arc::new(App {
        guard,
        link,
        caller: me.caller,
        role: me.caller_role,
        key,
        live,
        policies,
    });
    let router = Router::new()
        .route("/", get(proposals::list))
        .route("/proposals/{id}", get(proposals::show))
        .route("/proposals/{id}/cancel", post(proposals::cancel))
        .route("/propose", get(propose::form).post(propose::submit))
        .route("/status", get(status::show))
        .route("/freeze", post(status::freeze))
        .route("/unfreeze", post(status::unfreeze))
        .route("/events", get(live::events))
        .with_state(app.clone())
        .merge(policy::router(app.guard.clone(), app.policies.clone(), "/"));
    Ok((app, router))
}

/// A console bound to its address, ready to serve.
pub struct Bound {
    /// The address to open (it carries the session's key).
    pub url: String,
    /// Who the coordinator says this is: "name (role)".
    pub who: String,
    listener: tokio::net::TcpListener,
    router: Router,
    guard: Arc<Guard>,
}

impl Bound {
    /// Serves until `shutdown` resolves.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), CliError> {
        web::serve(self.listener, self.router, self.guard, shutdown)
            .await
            .map_err(|e| CliError::Io(format!("console: {e}")))
    }
}

/// Binds `listen` (loopback only), connects to the coordinator and learns the caller's role.
pub async fn bind(
    config: ClientConfig,
    listen: &str,
    policies: Option<PathBuf>,
) -> Result<Bound, CliError> {
    let (listener, guard) = web::listen(listen).await.map_err(CliError::Input)?;
    let (app, router) = app(config, guard.clone(), policies).await?;
    Ok(Bound {
        url: guard.login_url(),
        who: format!("{} ({})", app.caller, app.role),
        listener,
        router,
        guard,
    })
}

/// `hanko policy console`: the policy pages alone, over the files in `dir`.
pub async fn serve_policies(
    dir: PathBuf,
    listen: &str,
    out: &mut dyn std::io::Write,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), CliError> {
    if !dir.is_dir() {
        return Err(CliError::input(
            "--dir",
            format!("{} is not a folder", dir.display()),
        ));
    }
    let (listener, guard) = web::listen(listen).await.map_err(CliError::Input)?;
    let router = Router::new()
        .route(
            "/",
            get({
                let to = guard.at("/policy");
                move || async move { axum::response::Redirect::to(&to) }
            }),
        )
        .merge(policy::router(guard.clone(), Some(dir), "/policy"));
    writeln!(out, "Hanko policy console: open {}", guard.login_url())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::Io(e.to_string()))?;
    web::serve(listener, router, guard, shutdown)
        .await
        .map_err(|e| CliError::Io(format!("console: {e}")))
}

pub async fn run(args: ConsoleArgs, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let config = ClientConfig::load(&args.config.config)?;
    let bound = bind(config, &args.listen, args.policies).await?;
    writeln!(out, "Hanko console for {}: open {}", bound.who, bound.url)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::Io(e.to_string()))?;
    bound.run(hanko_runtime::process::shutdown_signal()).await
}

/// The navigation of every page, by role.
pub fn nav(app: &App) -> Vec<(&'static str, &'static str)> {
    let mut nav = vec![("/", "Proposals")];
    if app.is("proposer") {
        nav.push(("/propose", "New withdrawal"));
    }
    nav.push(("/status", "Cosigners & alerts"));
    if app.policies.is_some() {
        nav.push(("/policy", "Policies"));
    }
    nav
}

/// A page of this console, with the freeze banner when the coordinator is frozen.
pub async fn page(app: &App, title: &str, body: maud::Markup) -> maud::Markup {
    page_with(app, &app.status().await, title, body)
}

/// The same, for a page that has read the coordinator's status already.
pub fn page_with(
    app: &App,
    status: &Result<pb::StatusResponse, CliError>,
    title: &str,
    body: maud::Markup,
) -> maud::Markup {
    let banner = status::banner(status);
    let nav = nav(app);
    let console = format!("Hanko console: {} ({})", app.caller, app.role);
    web::page::Frame {
        guard: &app.guard,
        console: &console,
        title,
        nav: &nav,
        banner,
    }
    .render(body)
}
