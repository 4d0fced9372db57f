//! A local Hanko: dev node, coordinator and cosigners as separate processes of the `hanko`
//! binary, each with its own directory, certificates and log. `hanko demo` runs one; the
//! end-to-end tests start one per test.

mod configs;
pub mod layout;
pub mod policies;
pub mod process;
pub mod script;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hanko_proto::v1 as pb;
use hanko_proto::v1::treasury_client::TreasuryClient;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use crate::client::{ClientConfig, status};
use crate::error::CliError;
use crate::treasury::Withdrawal;
pub use layout::{Context, Layout, Plan};
use process::Daemon;

const NODE_READY: &str = "hanko devnode listening on ";
const COORDINATOR_READY: &str = "hanko-coordinator ready on ";
const COSIGNER_READY: &str = "hanko-cosigner ready: ";

pub struct Local {
    pub layout: Layout,
    pub node_url: String,
    /// The first coordinator's address.
    pub coordinator_addr: SocketAddr,
    /// Every coordinator's address, the first's first.
    pub coordinator_addrs: Vec<SocketAddr>,
    pub node: nem::client::NisClient,
    devnode: Daemon,
    /// The first coordinator.
    coordinator: Daemon,
    /// The coordinators sharing its database, if any.
    standbys: Vec<Daemon>,
    cosigners: Vec<Daemon>,
}

fn nis(e: nem::client::NisError) -> CliError {
    CliError::Io(format!("dev node: {e}"))
}

impl Local {
    /// Lays out the files and starts every daemon of `plan` with the `hanko` binary `exe`.
    pub fn start(exe: &Path, plan: &Plan) -> Result<Local, CliError> {
        let deadline = plan.deadline.as_str();
        let layout = Layout::create(plan)?;
        let log = |name: &str| layout.dir.join(name).join("log.txt");
        let node_config = layout.devnode_config.display().to_string();
        let hosts = &plan.hosts;
        let (devnode, node_url) = Daemon::start(
            "dev node",
            exe,
            hosts.namespace("devnode"),
            &["devnode", "--config", &node_config],
            &log("devnode"),
            NODE_READY,
        )?;
        let node_url = node_url
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let mut coordinators = Vec::new();
        let mut coordinator_addrs = Vec::new();
        for i in 0..=plan.standbys {
            let name = match i {
                0 => "coordinator".to_string(),
                i => format!("coordinator-{}", i + 1),
            };
            let listen = (hosts.ip("coordinator"), 0).into();
            layout.write_coordinator(i, &node_url, listen, deadline)?;
            let config = layout.coordinator_config_of(i).display().to_string();
            let (daemon, addr) = Daemon::start(
                &name,
                exe,
                hosts.namespace("coordinator"),
                &["coordinator", "run", "--config", &config],
                &layout.coordinator_dir(i).join("log.txt"),
                COORDINATOR_READY,
            )?;
            let addr: SocketAddr = addr
                .parse()
                .map_err(|_| CliError::Io(format!("{name} printed an odd address '{addr}'")))?;
            // From now on it comes back on the same port after a restart.
            layout.write_coordinator(i, &node_url, addr, deadline)?;
            coordinators.push(daemon);
            coordinator_addrs.push(addr);
        }
        let addresses = hanko_proto::channel::Addresses(
            coordinator_addrs.iter().map(|a| a.to_string()).collect(),
        );
        layout.write_clients(&addresses)?;
        let mut coordinators = coordinators.into_iter();
        let coordinator = coordinators
            .next()
            .ok_or_else(|| CliError::Io("no coordinator started".into()))?;
        let standbys: Vec<Daemon> = coordinators.collect();
        let coordinator_addr = coordinator_addrs[0];
        let mut cosigners = Vec::new();
        for (i, c) in layout.cosigners.iter().enumerate() {
            layout.write_cosigner(i, &node_url, &addresses)?;
            let config = c.config.display().to_string();
            let (d, _) = Daemon::start(
                &c.name,
                exe,
                hosts.namespace(&c.name),
                &["cosigner", "run", "--config", &config],
                &c.dir.join("log.txt"),
                COSIGNER_READY,
            )?;
            cosigners.push(d);
        }
        let node = nem::client::NisClient::new(nem::client::ClientConfig::new(node_url.clone()))
            .map_err(nis)?;
        Ok(Local {
            layout,
            node_url,
            coordinator_addr,
            coordinator_addrs,
            node,
            devnode,
            coordinator,
            standbys,
            cosigners,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.layout.dir
    }

    pub fn client_config(&self) -> Result<ClientConfig, CliError> {
        ClientConfig::load(&self.layout.treasury_config)
    }

    pub async fn treasury(&self) -> Result<TreasuryClient<Channel>, CliError> {
        self.client_config()?.treasury().await
    }

    /// Proposes through the same code as `hanko propose`.
    pub async fn propose(
        &self,
        to: &nem::Address,
        xem: &str,
        message: &str,
        idempotency_key: &str,
    ) -> Result<pb::Proposal, CliError> {
        self.proposer()
            .await?
            .propose(to, xem, message, idempotency_key)
            .await
    }

    /// The treasury's proposer with one open connection, for many proposals.
    pub async fn proposer(&self) -> Result<Proposer, CliError> {
        let config = self.client_config()?;
        Ok(Proposer {
            key: config.proposer_key()?,
            client: config.treasury().await?,
            account: self.layout.context.account,
            config,
        })
    }

    /// Follows proposal `id` until `done` holds for it, or `within` passes.
    pub async fn wait_for(
        &self,
        id: &str,
        within: Duration,
        each: impl FnMut(&pb::Proposal),
        done: impl Fn(&pb::Proposal) -> bool,
    ) -> Result<pb::Proposal, CliError> {
        let mut client = self.treasury().await?;
        wait_on(&mut client, id, within, each, done).await
    }

    /// Sends one request to cosigner `i`'s operator socket.
    pub async fn operator(
        &self,
        i: usize,
        request: cosigner::operator::Request,
    ) -> Result<serde_json::Value, CliError> {
        let socket = &self.layout.cosigners[i].socket;
        let response = cosigner::operator::call(socket, &request)
            .await
            .map_err(CliError::Io)?;
        if !response.ok {
            return Err(CliError::Refused(response.error.unwrap_or_default()));
        }
        Ok(response.data)
    }

    /// The coordinator's Prometheus metrics, as text.
    pub async fn metrics(&self) -> Result<String, CliError> {
        let url = format!("http://{}/metrics", self.layout.metrics_addr);
        let answer = reqwest::get(&url)
            .await
            .map_err(|e| CliError::Io(format!("{url}: {e}")))?;
        answer
            .text()
            .await
            .map_err(|e| CliError::Io(format!("{url}: {e}")))
    }

    /// The multisig account's balance in micro-XEM, as the dev node reports it.
    pub async fn balance(&self, address: &nem::Address) -> Result<u64, CliError> {
        let info = self.node.account(address).await.map_err(nis)?;
        Ok(info.account.balance)
    }

    /// Has the dev node make a block now (`POST /dev/block`): whatever was announced before
    /// is in the chain when it returns, so a test need not wait for the next block.
    pub async fn block(&self) -> Result<(), CliError> {
        let url = format!("{}/dev/block", self.node_url);
        let answer = reqwest::Client::new()
            .post(&url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| CliError::Io(format!("{url}: {e}")))?;
        drop(answer);
        Ok(())
    }

    /// Coordinator `i`: the first (0), or one of the others sharing its database.
    fn coordinator_at(&mut self, i: usize) -> Result<&mut Daemon, CliError> {
        match i {
            0 => Ok(&mut self.coordinator),
            i => self
                .standbys
                .get_mut(i - 1)
                .ok_or_else(|| CliError::Input(format!("no coordinator {i}"))),
        }
    }

    /// kill -9 coordinator `i`.
    pub fn kill_coordinator_at(&mut self, i: usize) -> Result<(), CliError> {
        self.coordinator_at(i)?.kill();
        Ok(())
    }

    /// Starts coordinator `i` again (after a kill), with crash point `point` armed if given.
    pub fn start_coordinator_at(&mut self, i: usize, point: Option<&str>) -> Result<(), CliError> {
        let d = self.coordinator_at(i)?;
        match point {
            Some(p) => d.restart_armed(COORDINATOR_READY, p).map(|_| ()),
            None => d.restart(COORDINATOR_READY).map(|_| ()),
        }
    }

    /// How coordinator `i` ended, if it did.
    pub fn coordinator_exited(&mut self, i: usize) -> Option<std::process::ExitStatus> {
        self.coordinator_at(i).ok().and_then(|d| d.exited())
    }

    /// The process id of coordinator `i`, while it runs.
    pub fn coordinator_pid(&mut self, i: usize) -> Option<u32> {
        self.coordinator_at(i).ok().and_then(|d| d.pid())
    }

    /// The log of coordinator `i`.
    pub fn coordinator_log(&mut self, i: usize) -> Option<PathBuf> {
        self.coordinator_at(i).ok().map(|d| d.log.clone())
    }

    /// kill -9 the coordinator, then start it again on the same port and data.
    pub fn restart_coordinator(&mut self) -> Result<(), CliError> {
        self.coordinator.restart(COORDINATOR_READY).map(|_| ())
    }

    pub fn kill_coordinator(&mut self) {
        self.coordinator.kill();
    }

    pub fn kill_cosigner(&mut self, i: usize) {
        if let Some(d) = self.cosigners.get_mut(i) {
            d.kill();
        }
    }

    pub fn restart_cosigner(&mut self, i: usize) -> Result<(), CliError> {
        match self.cosigners.get_mut(i) {
            Some(d) => d.restart(COSIGNER_READY).map(|_| ()),
            None => Err(CliError::Input(format!("no cosigner {i}"))),
        }
    }

    /// kill -9 the coordinator, then start it with crash point `point` armed.
    pub fn arm_coordinator(&mut self, point: &str) -> Result<(), CliError> {
        self.coordinator
            .restart_armed(COORDINATOR_READY, point)
            .map(|_| ())
    }

    /// kill -9 cosigner `i`, then start it with crash point `point` armed.
    pub fn arm_cosigner(&mut self, i: usize, point: &str) -> Result<(), CliError> {
        match self.cosigners.get_mut(i) {
            Some(d) => d.restart_armed(COSIGNER_READY, point).map(|_| ()),
            None => Err(CliError::Input(format!("no cosigner {i}"))),
        }
    }

    /// How the coordinator (`None`) or cosigner `i` ended, if it did.
    pub fn exited(&mut self, cosigner: Option<usize>) -> Option<std::process::ExitStatus> {
        match cosigner {
            None => self.coordinator.exited(),
            Some(i) => self.cosigners.get_mut(i).and_then(|d| d.exited()),
        }
    }

    /// The log of the coordinator (`None`) or of cosigner `i`.
    pub fn log_of(&self, cosigner: Option<usize>) -> Option<PathBuf> {
        match cosigner {
            None => Some(self.coordinator.log.clone()),
            Some(i) => self.cosigners.get(i).map(|d| d.log.clone()),
        }
    }

    pub fn cosigner_log(&self, i: usize) -> PathBuf {
        self.layout.cosigners[i].dir.join("log.txt")
    }

    /// Process ids of the dev node, the coordinator and the cosigners.
    pub fn pids(&self) -> Vec<(String, u32)> {
        std::iter::once(&self.devnode)
            .chain(std::iter::once(&self.coordinator))
            .chain(&self.standbys)
            .chain(&self.cosigners)
            .filter_map(|d| d.pid().map(|p| (d.name.clone(), p)))
            .collect()
    }

    /// Whether every daemon is still running.
    pub fn all_running(&mut self) -> bool {
        self.devnode.running()
            && self.coordinator.running()
            && self.standbys.iter_mut().all(|c| c.running())
            && self.cosigners.iter_mut().all(|c| c.running())
    }

    /// SIGTERM to every daemon, cosigners first.
    pub fn stop(mut self) {
        for c in &mut self.cosigners {
            c.stop(Duration::from_secs(5));
        }
        for c in &mut self.standbys {
            c.stop(Duration::from_secs(7));
        }
        self.coordinator.stop(Duration::from_secs(7));
        self.devnode.stop(Duration::from_secs(5));
    }
}

/// A proposer with its key and an open connection to the coordinator.
pub struct Proposer {
    config: ClientConfig,
    key: ed25519_dalek::SigningKey,
    account: nem::Address,
    pub client: TreasuryClient<Channel>,
}

impl Proposer {
    pub async fn propose(
        &mut self,
        to: &nem::Address,
        xem: &str,
        message: &str,
        idempotency_key: &str,
    ) -> Result<pb::Proposal, CliError> {
        let args = Withdrawal {
            account: self.account.to_string(),
            to: to.to_string(),
            amount: Some(xem.to_string()),
            mosaics: vec![],
            message: message.to_string(),
        };
        crate::treasury::propose(
            &self.config,
            &mut self.client,
            &self.key,
            &args,
            idempotency_key,
        )
        .await
    }

    pub async fn wait_for(
        &mut self,
        id: &str,
        within: Duration,
        done: impl Fn(&pb::Proposal) -> bool,
    ) -> Result<pb::Proposal, CliError> {
        wait_on(&mut self.client, id, within, |_| {}, done).await
    }
}

/// Follows proposal `id` on `client` until `done` holds for it, or `within` passes.
async fn wait_on(
    client: &mut TreasuryClient<Channel>,
    id: &str,
    within: Duration,
    mut each: impl FnMut(&pb::Proposal),
    done: impl Fn(&pb::Proposal) -> bool,
) -> Result<pb::Proposal, CliError> {
    let mut stream = client
        .watch(pb::WatchRequest { id: id.to_string() })
        .await
        .map_err(status)?
        .into_inner();
    let deadline = tokio::time::Instant::now() + within;
    let mut last = None;
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(p))) => {
                each(&p);
                if done(&p) {
                    return Ok(p);
                }
                last = Some(p);
            }
            Ok(Some(Err(e))) => return Err(status(e)),
            Ok(None) => return Err(CliError::Io("the watch stream ended".into())),
            Err(_) => {
                let state = last
                    .map(|p| crate::treasury::render::text(&p))
                    .unwrap_or_else(|| "no state seen".into());
                return Err(CliError::Refused(format!(
                    "proposal {id}: not done within {within:?}; last seen:\n{state}"
                )));
            }
        }
    }
}

/// The value of one line of Prometheus text, e.g. `hanko_coordinator_frozen`.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}
