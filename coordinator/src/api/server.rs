//! Serving: TLS 1.3 with client certificates on every connection (a failed handshake never
//! reaches gRPC), then the services, standard health and server reflection.

use std::net::SocketAddr;
use std::sync::Arc;

use hanko_proto::v1::admin_server::AdminServer;
use hanko_proto::v1::cosigner_link_server::CosignerLinkServer;
use hanko_proto::v1::treasury_server::TreasuryServer;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;

use crate::api::admin::AdminService;
use crate::api::auth::Clients;
use crate::api::cosigner_link::CosignerLinkService;
use crate::api::treasury::TreasuryService;
use crate::driver::Coordinator;

type TlsStream = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;

/// Accepts TCP connections and completes TLS handshakes concurrently; only authenticated
/// streams are handed on.
fn tls_incoming(
    listener: TcpListener,
    tls: rustls::ServerConfig,
) -> ReceiverStream<Result<TlsStream, std::io::Error>> {
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            };
            if tx.is_closed() {
                break;
            }
            // Small gRPC frames must not wait for delayed ACKs (Nagle): 40 ms a round trip.
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let sender = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp))
                    .await
                {
                    Ok(Ok(stream)) => {
                        let _ = sender.send(Ok(stream)).await;
                    }
                    Ok(Err(e)) => tracing::info!(%peer, error = %e, "TLS handshake refused"),
                    Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

pub struct Running {
    pub addr: SocketAddr,
    pub task: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    tls: rustls::ServerConfig,
    clients: Arc<Clients>,
    coordinator: Arc<Coordinator>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running, std::io::Error> {
    let addr = listener.local_addr()?;
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<AdminServer<AdminService>>()
        .await;
    if let Ok(mut slot) = coordinator.health.lock() {
        *slot = Some(health_reporter.clone());
    }
    // A coordinator that does not lead is NOT_SERVING from its first answer on.
    coordinator.refresh_health().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(hanko_proto::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    // A hard stop well above the limit; handlers answer ResourceExhausted above the limit.
    let max = coordinator.request_limit().saturating_mul(4);
    let admin = AdminServer::new(AdminService {
        clients: clients.clone(),
        coordinator: coordinator.clone(),
    })
    .max_decoding_message_size(max);
    let incoming = tls_incoming(listener, tls);
    let treasury = TreasuryServer::new(TreasuryService {
        clients: clients.clone(),
        coordinator: coordinator.clone(),
    })
    .max_decoding_message_size(max);
    let link = CosignerLinkServer::new(CosignerLinkService {
        clients,
        coordinator,
    })
    .max_decoding_message_size(max);
    let task = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(health)
            .add_service(reflection)
            .add_service(admin)
            .add_service(treasury)
            .add_service(link)
            .serve_with_incoming_shutdown(incoming, shutdown),
    );
    tracing::info!(%addr, "coordinator serving (mTLS, TLS 1.3)");
    Ok(Running { addr, task })
}
