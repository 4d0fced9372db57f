//! The installation's CA, the coordinator's server certificate and clients' certificates.

use std::net::SocketAddr;
use std::path::Path;

use hanko_runtime::pki::{Issued, Usage, Validity, issue, new_ca};
use tonic::transport::Channel;

pub const YEAR: i32 = 2026;

/// A CA and the coordinator's certificate for `localhost`.
#[derive(Clone)]
pub struct Pki {
    pub ca: Issued,
    pub server: Issued,
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}

/// Writes `text` readable by its owner only, as the daemons want key files.
pub fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

impl Pki {
    pub fn new() -> Pki {
        let ca = new_ca("ca", 5, YEAR).unwrap();
        let server = Usage::Server {
            names: vec!["localhost".into()],
        };
        let server = issue(&ca, "coordinator", server, Validity::Years(1), YEAR).unwrap();
        Pki { ca, server }
    }

    /// A client certificate with the name `name` (the name the coordinator's clients list).
    pub fn client(&self, name: &str) -> Issued {
        issue(&self.ca, name, Usage::Client, Validity::Years(1), YEAR).unwrap()
    }

    /// The coordinator's TLS configuration.
    pub fn server_config(&self) -> rustls::ServerConfig {
        hanko_proto::tls::server_config(
            &self.ca.cert_pem,
            &self.server.cert_pem,
            &self.server.key_pem,
        )
        .unwrap()
    }

    /// A gRPC channel to `addr` as the holder of `cert`.
    pub async fn channel(&self, cert: &Issued, addr: SocketAddr) -> Channel {
        let tls = hanko_proto::tls::client_config(&self.ca.cert_pem, &cert.cert_pem, &cert.key_pem)
            .unwrap();
        hanko_proto::channel::connect(&addr.to_string(), "localhost", tls)
            .await
            .unwrap()
    }

    /// Writes `ca.pem`, `tls.pem` and `tls.key` (mode 600) for `cert` into `dir`, as a daemon's
    /// `[tls]` names them.
    pub fn write_client(&self, dir: &Path, cert: &Issued) {
        std::fs::write(dir.join("ca.pem"), &self.ca.cert_pem).unwrap();
        std::fs::write(dir.join("tls.pem"), &cert.cert_pem).unwrap();
        write_private(&dir.join("tls.key"), &cert.key_pem);
    }
}
