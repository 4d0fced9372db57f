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
    /// The first coordinator's configuration (the others': [`Layout::coordinator_config_of`]).
    pub coordinator_config: PathBuf,
    pub treasury_config: PathBuf,
    pub admin_config: PathBuf,
    /// The coordinator's Prometheus endpoint (`http://ADDR/metrics`).
    pub metrics_addr: std::net::SocketAddr,
    pub limits: Option<coordinator::config::limits::Limits>,
    pub history: Option<coordinator::store::Keep>,
    pub store: coordinator::store::StoreConfig,
    pub officers: Vec<(String, minisign::PublicKey)>,
    officer_keys: Vec<minisign::SecretKey>,
}

pub(super) fn io(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::Io(format!("{}: {e}", path.display()))
}

pub(super) fn mkdir(path: &Path) -> Result<(), CliError> {
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

pub(super) fn minisign_err(e: minisign::PError) -> CliError {
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
    pub limits: Option<coordinator::config::limits::Limits>,
    /// What the coordinator keeps in its main store; `None` keeps its defaults.
    pub history: Option<coordinator::store::Keep>,
    /// Where the coordinators keep their state: embedded (the default), or a database.
    pub store: coordinator::store::StoreConfig,
    /// Coordinators besides the first, sharing its database (`store` must be one).
    pub standbys: usize,
}

impl Plan {
    /// `cosigners` of which `required` sign, in `dir`, as the demo runs them: real key-file
    /// hashing, a block a second, a deadline of an hour, the demo's policies, every daemon on
    /// 127.0.0.1, the coordinator's own limits and history.
    pub fn new(dir: PathBuf, cosigners: usize, required: usize) -> Plan {
        Plan {
            dir,
            cosigners,
            required,
            kdf: Default::default(),
            block_time_ms: 1_000,
            deadline: "1h".into(),
            policy: Box::new(super::script::demo_policy),
            hosts: Default::default(),
            limits: None,
            history: None,
            store: Default::default(),
            standbys: 0,
        }
    }
}

/// The installation's CA, and certificates it issues this year.
struct Authority {
    ca: Issued,
    year: i32,
}

impl Authority {
    /// A new CA in `pki/`, and the coordinator's server certificate beside it.
    fn make(pki: &Path, hosts: &Hosts) -> Result<Authority, CliError> {
        mkdir(pki)?;
        let year = crate::certs_cmd::this_year();
        let ca = new_ca("hanko-local-ca", 5, year).map_err(pki_err)?;
        write_new(&pki.join("ca.pem"), &ca.cert_pem, false)?;
        write_new(&pki.join("ca.key"), &ca.key_pem, true)?;
        let authority = Authority { ca, year };
        let server = Usage::Server {
            names: vec![
                "localhost".into(),
                "127.0.0.1".into(),
                hosts.ip("coordinator").to_string(),
            ],
        };
        write_pair(pki, "coordinator", &authority.issue("coordinator", server)?)?;
        Ok(authority)
    }

    fn issue(&self, name: &str, usage: Usage) -> Result<Issued, CliError> {
        issue(&self.ca, name, usage, Validity::Years(1), self.year).map_err(pki_err)
    }

    /// A client's directory with its certificate (`tls.pem`, `tls.key`) as `name`.
    fn client(&self, dir: &Path, name: &str) -> Result<(), CliError> {
        mkdir(dir)?;
        write_pair(dir, "tls", &self.issue(name, Usage::Client)?)
    }
}

fn pki_err(e: hanko_runtime::pki::PkiError) -> CliError {
    CliError::Io(e.to_string())
}

/// The compliance officers' minisign keys, in `compliance/`: their public keys, and the
/// secret keys that sign the policies.
type Officers = (Vec<(String, minisign::PublicKey)>, Vec<minisign::SecretKey>);

fn make_officers(compliance: &Path) -> Result<Officers, CliError> {
    mkdir(compliance)?;
    let (mut public, mut secret) = (Vec::new(), Vec::new());
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
        public.push((name.to_string(), kp.pk));
        secret.push(kp.sk);
    }
    Ok((public, secret))
}

/// Cosigner `i`'s directory: its certificate, passphrase and encrypted key.
fn make_cosigner(
    dir: &Path,
    i: usize,
    authority: &Authority,
    kdf: cosigner::keystore::KdfParams,
) -> Result<CosignerFiles, CliError> {
    let letter = (b'A' + i as u8) as char;
    let name = format!("cosigner-{}", letter.to_ascii_lowercase());
    let cdir = dir.join(&name);
    authority.client(&cdir, &name)?;
    write_new(&cdir.join("passphrase"), PASSPHRASE, true)?;
    let key = cosigner::keystore::generate().map_err(|e| CliError::Io(e.to_string()))?;
    let public_key =
        cosigner::keystore::create(&cdir.join("cosigner.key"), &key, PASSPHRASE.as_bytes(), kdf)
            .map_err(|e| CliError::Io(e.to_string()))?;
    Ok(CosignerFiles {
        name,
        letter,
        config: cdir.join("cosigner.toml"),
        socket: cdir.join("operator.sock"),
        policy: cdir.join("policy.toml"),
        dir: cdir,
        public_key,
    })
}

impl Layout {
    /// Coordinator `i`'s directory: `coordinator` for the first, `coordinator-2`, … after.
    pub fn coordinator_dir(&self, i: usize) -> PathBuf {
        match i {
            0 => self.dir.join("coordinator"),
            i => self.dir.join(format!("coordinator-{}", i + 1)),
        }
    }

    /// Coordinator `i`'s configuration file.
    pub fn coordinator_config_of(&self, i: usize) -> PathBuf {
        self.coordinator_dir(i).join("coordinator.toml")
    }

    /// Creates every file under `plan.dir`, which must be empty or absent.
    pub fn create(plan: &Plan) -> Result<Layout, CliError> {
        let dir = &plan.dir;
        if dir.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
            return Err(CliError::Input(format!(
                "--data-dir: {} is not empty; give a new or empty directory",
                dir.display()
            )));
        }
        let authority = Authority::make(&dir.join("pki"), &plan.hosts)?;
        let multisig = fresh_key()?.public_key();
        let address = |key: PublicKey| Address::from_public_key(&key, NETWORK);

        // Treasury: a proposer identity key and a client certificate; admin: a certificate.
        let treasury = dir.join("treasury");
        authority.client(&treasury, "treasury-alice")?;
        write_new(&treasury.join("passphrase"), PASSPHRASE, true)?;
        let proposer = cosigner::keystore::create_identity(
            &treasury.join("proposer.key"),
            PASSPHRASE.as_bytes(),
            plan.kdf,
        )
        .map_err(|e| CliError::Io(e.to_string()))?;
        let admin = dir.join("admin");
        authority.client(&admin, "security-oncall")?;

        let context = Context {
            account: address(multisig),
            customer: address(fresh_key()?.public_key()),
            unlisted: address(fresh_key()?.public_key()),
            proposer,
        };
        // Compliance: two officers sign every policy; each cosigner needs both.
        let (officers, officer_keys) = make_officers(&dir.join("compliance"))?;
        let cosigners = (0..plan.cosigners)
            .map(|i| make_cosigner(dir, i, &authority, plan.kdf))
            .collect::<Result<Vec<_>, _>>()?;
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
            store: plan.store.clone(),
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
}
