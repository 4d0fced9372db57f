//! mTLS over real sockets on 127.0.0.1: a client certificate from the CA gets through and is
//! named; no certificate, another CA, an expired certificate, TLS 1.2 and plaintext do not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::sync::Arc;

use hanko_proto::tls::{client_config, peer_name, server_config};
use hanko_runtime::pki::{Issued, Usage, Validity, issue, new_ca};
use rustls::pki_types::ServerName;
use rustls::pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

const YEAR: i32 = 2026;

struct Pki {
    ca: Issued,
    server: Issued,
}

fn pki() -> Pki {
    let ca = new_ca("hanko-test-ca", 10, YEAR).unwrap();
    let server = issue(
        &ca,
        "coordinator",
        Usage::Server {
            names: vec!["localhost".into(), "127.0.0.1".into()],
        },
        Validity::Years(1),
        YEAR,
    )
    .unwrap();
    Pki { ca, server }
}

/// Serves one connection: on a good handshake, reads "ping", answers with the peer's name.
async fn serve_once(
    pki: &Pki,
) -> (
    std::net::SocketAddr,
    tokio::task::JoinHandle<Result<String, String>>,
) {
    let config =
        server_config(&pki.ca.cert_pem, &pki.server.cert_pem, &pki.server.key_pem).unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut tls = acceptor.accept(tcp).await.map_err(|e| e.to_string())?;
        let name = {
            let (_, conn) = tls.get_ref();
            let certs = conn.peer_certificates().ok_or("no peer certificate")?;
            peer_name(&certs[0]).map_err(|e| e.to_string())?
        };
        let mut buf = [0u8; 4];
        tls.read_exact(&mut buf).await.map_err(|e| e.to_string())?;
        tls.write_all(name.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        tls.shutdown().await.map_err(|e| e.to_string())?;
        Ok(name)
    });
    (addr, task)
}

async fn round_trip(
    addr: std::net::SocketAddr,
    config: rustls::ClientConfig,
) -> Result<String, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let connector = TlsConnector::from(Arc::new(config));
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    tls.write_all(b"ping").await.map_err(|e| e.to_string())?;
    let mut answer = String::new();
    tls.read_to_string(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    if answer.is_empty() {
        Err("no answer".into())
    } else {
        Ok(answer)
    }
}

#[tokio::test]
async fn a_client_certificate_from_the_ca_gets_through_and_is_named() {
    let pki = pki();
    let client = issue(
        &pki.ca,
        "cosigner-a",
        Usage::Client,
        Validity::Years(1),
        YEAR,
    )
    .unwrap();
    let (addr, server) = serve_once(&pki).await;
    let answer = round_trip(
        addr,
        client_config(&pki.ca.cert_pem, &client.cert_pem, &client.key_pem).unwrap(),
    )
    .await;
    assert_eq!(answer.as_deref(), Ok("cosigner-a"));
    assert_eq!(server.await.unwrap().as_deref(), Ok("cosigner-a"));
}

#[tokio::test]
async fn negative_matrix_no_successful_call() {
    let pki = pki();
    let other_ca = new_ca("someone-else", 10, YEAR).unwrap();
    let foreign = issue(
        &other_ca,
        "intruder",
        Usage::Client,
        Validity::Years(1),
        YEAR,
    )
    .unwrap();
    let expired = issue(
        &pki.ca,
        "old-client",
        Usage::Client,
        Validity::Expired,
        YEAR,
    )
    .unwrap();
    let good = issue(&pki.ca, "treasury", Usage::Client, Validity::Years(1), YEAR).unwrap();
    let provider = || Arc::new(rustls::crypto::ring::default_provider());
    let roots = |ca: &str| {
        let mut r = rustls::RootCertStore::empty();
        for c in hanko_proto::tls::certs(ca, "ca").unwrap() {
            r.add(c).unwrap();
        }
        r
    };

    let no_certificate = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots(&pki.ca.cert_pem))
        .with_no_client_auth();
    // The client trusts our CA but presents a certificate from another CA.
    let wrong_ca = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots(&pki.ca.cert_pem))
        .with_client_auth_cert(
            hanko_proto::tls::certs(&foreign.cert_pem, "c").unwrap(),
            rustls::pki_types::PrivateKeyDer::from_pem_slice(foreign.key_pem.as_bytes()).unwrap(),
        )
        .unwrap();
    let tls12_only = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots(&pki.ca.cert_pem))
        .with_client_auth_cert(
            hanko_proto::tls::certs(&good.cert_pem, "c").unwrap(),
            rustls::pki_types::PrivateKeyDer::from_pem_slice(good.key_pem.as_bytes()).unwrap(),
        )
        .unwrap();
    let expired_cert =
        client_config(&pki.ca.cert_pem, &expired.cert_pem, &expired.key_pem).unwrap();
    // A client that trusts another CA refuses our server.
    let distrusting =
        client_config(&other_ca.cert_pem, &foreign.cert_pem, &foreign.key_pem).unwrap();

    let mut successes = 0;
    for (name, config) in [
        ("no client certificate", no_certificate),
        ("certificate from another CA", wrong_ca),
        ("expired certificate", expired_cert),
        ("TLS 1.2 only", tls12_only),
        ("client does not trust the server", distrusting),
    ] {
        let (addr, server) = serve_once(&pki).await;
        let client = round_trip(addr, config).await;
        let served = server.await.unwrap();
        if client.is_ok() || served.is_ok() {
            successes += 1;
            eprintln!("{name}: got through: client {client:?}, server {served:?}");
        }
    }

    // Plaintext.
    let (addr, server) = serve_once(&pki).await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    if server.await.unwrap().is_ok() {
        successes += 1;
    }
    println!("mTLS negative matrix: 6 cases, {successes} successful calls");
    assert_eq!(successes, 0);
}
