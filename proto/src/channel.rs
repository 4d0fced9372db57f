//! The client end of Hanko's gRPC links: HTTP/2 over our own rustls configuration (TLS 1.3,
//! only the installation's CA), so no system trust store is ever consulted.

use std::sync::Arc;

use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint, Uri};

/// Connects to `addr` ("host:port"), checking the server certificate for `server_name`.
pub async fn connect(
    addr: &str,
    server_name: &str,
    tls: rustls::ClientConfig,
) -> Result<Channel, tonic::transport::Error> {
    let connector = TlsConnector::from(Arc::new(tls));
    let target = addr.to_string();
    let name = server_name.to_string();
    Endpoint::from_shared(format!("http://{addr}"))?
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let connector = connector.clone();
            let target = target.clone();
            let name = name.clone();
            async move {
                let tcp = TcpStream::connect(&target).await?;
                // Small gRPC frames must not wait for delayed ACKs (Nagle).
                tcp.set_nodelay(true)?;
                let server_name = ServerName::try_from(name)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
                let tls = connector.connect(server_name, tcp).await?;
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await
}
