//! Everything a local Hanko needs on disk, made fresh: a CA and role certificates, three
//! cosigner key files, a proposer identity key, two compliance officers' minisign keys and
//! the policies they signed, and each daemon's configuration. Nothing is ever overwritten.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use hanko_runtime::pki::{Issued, Usage, Validity, issue, new_ca};
use nem::{Address, KeyPair, Network, PublicKey};

use crate::error::CliError;
use crate::io::write_new;

pub const NETWORK: Network = Network::Testnet;
pub const PASSPHRASE: &str = "hanko local demo passphrase; never use for real funds";
pub const OFFICERS: [&str; 2] = ["alice", "bob"];

/// What the policies of a local installation refer to.
#[derive(Debug, Clone)]
pub struct Context {
    pub account: Address,
    pub customer: Address,
    pub unlisted: Address,
    pub proposer: PublicKey,
}

/// A cosigner's files and identity.
#[derive(Debug, Clone)]
pub struct CosignerFiles {
    /// "cosigner-a", …
    pub name: String,
    /// "A", …
    pub letter: char,
    pub dir: PathBuf,
    pub public_key: PublicKey,
    pub config: PathBuf,
    pub socket: PathBuf,
    pub policy: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub dir: PathBuf,
    pub context: Context,
    pub multisig: PublicKey,
    pub cosigners: Vec<CosignerFiles>,
    pub required: usize,
    pub devnode_config: PathBuf,
    pub announce_log: PathBuf,
    pub coordinator_config: PathBuf,
    pub treasury_config: PathBuf,
    pub admin_config: PathBuf,
    /// The coordinator's Prometheus endpoint (`http://ADDR/metrics`).
    pub metrics_addr: std::net::SocketAddr,
    pub limits: Option<coordinator::limits::Limits>,
    pub history: Option<coordinator::store::Keep>,
    pub officers: Vec<(String, minisign::PublicKey)>,
    officer_keys: Vec<minisign::SecretKey>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::Io(format!("{}: {e}", path.display()))
}

fn mkdir(path: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(path).map_err(io(path))
}

fn fresh_key() -> Result<KeyPair, CliError> {
    cosigner::keystore::generate()
        .map(|k| KeyPair::from_private_key(&k))
        .map_err(|e| CliError::Io(e.to_string()))
}

fn write_pair(dir: &Path, stem: &str, issued: &Issued) -> Result<(), CliError> {
    write_new(&dir.join(format!("{stem}.key")), &issued.key_pem, true)?;
    write_new(&dir.join(format!("{stem}.pem")), &issued.cert_pem, false)
}

fn minisign_err(e: minisign::PError) -> CliError {
    CliError::Io(format!("minisign: {e}"))
}

/// The policy text of cosigner `i` (0 = A) of an installation.
pub type PolicyText = dyn Fn(usize, &Context) -> String + Send + Sync;

/// Where a daemon runs: a Linux network namespace and its address there. A daemon that is
/// not placed runs in this namespace on 127.0.0.1.
#[derive(Debug, Clone, Default)]
pub struct Hosts {
    /// By daemon: "devnode", "coordinator", "cosigner-a", …
    pub placed: std::collections::HashMap<String, (String, std::net::IpAddr)>,
}

impl Hosts {
    pub fn ip(&self, daemon: &str) -> std::net::IpAddr {
        self.placed
            .get(daemon)
            .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |(_, ip)| *ip)
    }

    pub fn namespace(&self, daemon: &str) -> Option<&str> {
        self.placed.get(daemon).map(|(ns, _)| ns.as_str())
    }
}

/// A port for the coordinator's metrics: a free one on loopback, or a fixed one inside the
/// coordinator's own network namespace.
fn metrics_addr(hosts: &Hosts) -> Result<std::net::SocketAddr, CliError> {
    if hosts.namespace("coordinator").is_some() {
        return Ok((hosts.ip("coordinator"), 9464).into());
    }
    let probe = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| CliError::Io(format!("cannot find a free port: {e}")))?;
    probe
        .local_addr()
        .map_err(|e| CliError::Io(format!("cannot find a free port: {e}")))
}

/// Settings of a local installation.
pub struct Plan {
    pub dir: PathBuf,
    pub cosigners: usize,
    pub required: usize,
    /// Argon2id cost of the key files (tests use a cheap one).
    pub kdf: cosigner::keystore::KdfParams,
    pub block_time_ms: u64,
    /// The coordinator's deadline after the timestamp, e.g. "1h".
    pub deadline: String,
    /// The policy text of cosigner `i` (0 = A).
    pub policy: Box<PolicyText>,
    pub hosts: Hosts,
    /// The coordinator's limits; `None` keeps its defaults.
    pub limits: Option<coordinator::limits::Limits>,
    /// What the coordinator keeps in its main store; `None` keeps its defaults.
    pub history: Option<coordinator::store::Keep>,
}

impl Layout {
    /// Creates every file under `plan.dir`, which must be empty or absent.
    pub fn create(plan: &Plan) -> Result<Layout, CliError> {
        let dir = &plan.dir;
        if dir.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
            return Err(CliError::Input(format!(
                "--data-dir: {} is not empty; give a new or empty directory",
                dir.display()
            )));
        }
        let pki = dir.join("pki");
        mkdir(&pki)?;
        let year = crate::certs_cmd::this_year();
        let pkierr = |e: hanko_runtime::pki::PkiError| CliError::Io(e.to_string());
        let ca = new_ca("hanko-local-ca", 5, year).map_err(pkierr)?;
        write_new(&pki.join("ca.pem"), &ca.cert_pem, false)?;
        write_new(&pki.join("ca.key"), &ca.key_pem, true)?;
        let server = Usage::Server {
            names: vec![
                "localhost".into(),
                "127.0.0.1".into(),
                plan.hosts.ip("coordinator").to_string(),
            ],
        };
        let cert = |name: &str, usage: Usage| {
            issue(&ca, name, usage, Validity::Years(1), year).map_err(pkierr)
        };
        write_pair(&pki, "coordinator", &cert("coordinator", server)?)?;

        let multisig = fresh_key()?.public_key();
        let account = Address::from_public_key(&multisig, NETWORK);
        let customer = Address::from_public_key(&fresh_key()?.public_key(), NETWORK);
        let unlisted = Address::from_public_key(&fresh_key()?.public_key(), NETWORK);

        // Treasury: a proposer identity key and a client configuration.
        let treasury = dir.join("treasury");
        mkdir(&treasury)?;
        write_pair(&treasury, "tls", &cert("treasury-alice", Usage::Client)?)?;
        write_new(&treasury.join("passphrase"), PASSPHRASE, true)?;
        let proposer = cosigner::keystore::create_identity(
            &treasury.join("proposer.key"),
            PASSPHRASE.as_bytes(),
            plan.kdf,
        )
        .map_err(|e| CliError::Io(e.to_string()))?;
        let admin = dir.join("admin");
        mkdir(&admin)?;
        write_pair(&admin, "tls", &cert("security-oncall", Usage::Client)?)?;

        let context = Context {
            account,
            customer,
            unlisted,
            proposer,
        };

        // Compliance: two officers sign every policy; each cosigner needs both.
        let compliance = dir.join("compliance");
        mkdir(&compliance)?;
        let mut officers = Vec::new();
        let mut officer_keys = Vec::new();
        for name in OFFICERS {
            let kp = minisign::KeyPair::generate_unencrypted_keypair().map_err(minisign_err)?;
            let sk_box = kp.sk.to_box(None).map_err(minisign_err)?;
            write_new(
                &compliance.join(format!("{name}.key")),
                &sk_box.to_string(),
                true,
            )?;
            let pk_box = kp.pk.to_box().map_err(minisign_err)?;
            write_new(
                &compliance.join(format!("{name}.pub")),
                &pk_box.to_string(),
                false,
            )?;
            officers.push((name.to_string(), kp.pk));
            officer_keys.push(kp.sk);
        }

        let mut cosigners = Vec::new();
        for i in 0..plan.cosigners {
            let letter = (b'A' + i as u8) as char;
            let name = format!("cosigner-{}", letter.to_ascii_lowercase());
            let cdir = dir.join(&name);
            mkdir(&cdir)?;
            write_pair(&cdir, "tls", &cert(&name, Usage::Client)?)?;
            write_new(&cdir.join("passphrase"), PASSPHRASE, true)?;
            let key = cosigner::keystore::generate().map_err(|e| CliError::Io(e.to_string()))?;
            let public_key = cosigner::keystore::create(
                &cdir.join("cosigner.key"),
                &key,
                PASSPHRASE.as_bytes(),
                plan.kdf,
            )
            .map_err(|e| CliError::Io(e.to_string()))?;
            let policy = cdir.join("policy.toml");
            cosigners.push(CosignerFiles {
                name,
                letter,
                config: cdir.join("cosigner.toml"),
                socket: cdir.join("operator.sock"),
                dir: cdir,
                public_key,
                policy,
            });
        }
        let layout = Layout {
            dir: dir.clone(),
            context,
            multisig,
            required: plan.required,
            devnode_config: dir.join("devnode").join("devnode.toml"),
            announce_log: dir.join("devnode").join("announces.jsonl"),
            coordinator_config: dir.join("coordinator").join("coordinator.toml"),
            treasury_config: treasury.join("client.toml"),
            admin_config: admin.join("client.toml"),
            metrics_addr: metrics_addr(&plan.hosts)?,
            limits: plan.limits,
            history: plan.history,
            cosigners,
            officers,
            officer_keys,
        };
        for (i, c) in layout.cosigners.iter().enumerate() {
            layout.sign_policy(&c.policy, &(plan.policy)(i, &layout.context))?;
        }
        layout.write_devnode(plan.block_time_ms, plan.hosts.ip("devnode"))?;
        Ok(layout)
    }

    /// Writes `text` to `path` and both officers' signatures beside it (`FILE.NAME.minisig`).
    pub fn sign_policy(&self, path: &Path, text: &str) -> Result<(), CliError> {
        std::fs::write(path, text).map_err(io(path))?;
        for ((name, pk), sk) in self.officers.iter().zip(&self.officer_keys) {
            let signature = minisign::sign(
                Some(pk),
                sk,
                Cursor::new(text.as_bytes()),
                Some(&format!("signed by {name}")),
                None,
            )
            .map_err(minisign_err)?;
            let sig_path = PathBuf::from(format!("{}.{name}.minisig", path.display()));
            std::fs::write(&sig_path, signature.into_string()).map_err(io(&sig_path))?;
        }
        Ok(())
    }

    fn write_devnode(&self, block_time_ms: u64, ip: std::net::IpAddr) -> Result<(), CliError> {
        mkdir(&self.dir.join("devnode"))?;
        let config = devnode::Config {
            network: NETWORK,
            listen: (ip, 0).into(),
            block_time_ms,
            request_log: Some(self.announce_log.clone()),
            accounts: vec![devnode::config::AccountConfig {
                public_key: None,
                address: Some(self.context.customer),
                balance: "0".into(),
                label: Some("customer".into()),
            }],
            multisigs: vec![devnode::config::MultisigConfig {
                label: Some("treasury hot wallet".into()),
                public_key: self.multisig,
                balance: "1000000".into(),
                cosignatories: self.cosigners.iter().map(|c| c.public_key).collect(),
                min_cosignatories: self.required as u32,
            }],
            faults: Default::default(),
        };
        let text = toml::to_string(&config)
            .map_err(|e| CliError::Io(format!("dev node configuration: {e}")))?;
        write_new(&self.devnode_config, &text, false)
    }

    /// The coordinator's configuration, pointing at the dev node; `listen` may be port 0.
    pub fn write_coordinator(
        &self,
        node_url: &str,
        listen: std::net::SocketAddr,
        deadline: &str,
    ) -> Result<(), CliError> {
        let dir = self.dir.join("coordinator");
        mkdir(&dir)?;
        let cosigners: Vec<String> = self
            .cosigners
            .iter()
            .map(|c| format!("\"{}\"", c.public_key))
            .collect();
        let mut text = format!(
            r#"# A local Hanko coordinator (made by hanko demo).
listen = "{listen}"
data_dir = "data"
node = "{node_url}"
network = "{NETWORK}"
deadline = "{deadline}"
tick_ms = 250
metrics_listen = "{metrics}"

[watch]
interval_ms = 250

[tls]
ca = "../pki/ca.pem"
cert = "../pki/coordinator.pem"
key = "../pki/coordinator.key"

[[account]]
public_key = "{multisig}"
cosigners = [{cosigners}]
required = {required}

[[client]]
name = "treasury-alice"
role = "proposer"

[[client]]
name = "security-oncall"
role = "admin"
"#,
            multisig = self.multisig,
            metrics = self.metrics_addr,
            cosigners = cosigners.join(", "),
            required = self.required,
        );
        for c in &self.cosigners {
            text.push_str(&format!(
                "\n[[client]]\nname = \"{}\"\nrole = \"cosigner\"\ncosigner_key = \"{}\"\n",
                c.name, c.public_key
            ));
        }
        if let Some(l) = &self.limits {
            text.push_str(&format!(
                "\n[limits]\nmax_pending_per_account = {}\nrequests_per_second = {}\nburst = {}\nmax_request_bytes = {}\n",
                l.max_pending_per_account, l.requests_per_second, l.burst, l.max_request_bytes
            ));
        }
        if let Some(k) = &self.history {
            text.push_str(&format!(
                "\n[history]\nfinished = {}\njournal = {}\nbatch = {}\ninterval_seconds = {}\ncheckpoint_writes = {}\n",
                k.finished, k.journal, k.batch, k.interval_seconds, k.checkpoint_writes
            ));
        }
        std::fs::write(&self.coordinator_config, text).map_err(io(&self.coordinator_config))?;
        for (path, proposer) in [(&self.treasury_config, true), (&self.admin_config, false)] {
            let mut text = format!(
                r#"# How `hanko` reaches the local coordinator: hanko ... --config {path}
coordinator = "{listen}"
server_name = "localhost"
network = "{NETWORK}"

[tls]
ca = "../pki/ca.pem"
cert = "tls.pem"
key = "tls.key"
"#,
                path = path.display()
            );
            if proposer {
                text.push_str(
                    "\n[proposer]\nkey_file = \"proposer.key\"\npassphrase_file = \"passphrase\"\n",
                );
            }
            std::fs::write(path, text).map_err(io(path))?;
        }
        Ok(())
    }

    /// Cosigner `i`'s configuration, pointing at the coordinator and the dev node.
    pub fn write_cosigner(
        &self,
        i: usize,
        node_url: &str,
        coordinator: &str,
    ) -> Result<(), CliError> {
        let c = self
            .cosigners
            .get(i)
            .ok_or_else(|| CliError::Input(format!("no cosigner {i}")))?;
        let mut text = format!(
            r#"# Local Hanko {name} (made by hanko demo).
data_dir = "data"
network = "{NETWORK}"
accounts = ["{account}"]
node = "{node_url}"
key_file = "cosigner.key"
passphrase_file = "passphrase"
socket = "operator.sock"
chain_max_age_ms = 500

[coordinator]
address = "{coordinator}"
server_name = "localhost"
heartbeat_ms = 1000
retry_ms = 500

[tls]
ca = "../pki/ca.pem"
cert = "tls.pem"
key = "tls.key"

[policy]
file = "policy.toml"
threshold = 2
watch_ms = 500

[watch]
interval_ms = 300
"#,
            name = c.name,
            account = self.context.account,
        );
        for (name, pk) in &self.officers {
            let line = pk
                .to_box()
                .map_err(minisign_err)?
                .to_string()
                .lines()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            text.push_str(&format!(
                "\n[[policy.trusted]]\nname = \"{name}\"\nkey = \"{line}\"\n"
            ));
        }
        std::fs::write(&c.config, text).map_err(io(&c.config))
    }
}
