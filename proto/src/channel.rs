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

/// Where a client reaches the coordinator: one address, or several (coordinators sharing a
/// database, one of which leads). Written as a string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "OneOrMany", into = "OneOrMany")]
pub struct Addresses(pub Vec<String>);

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl TryFrom<OneOrMany> for Addresses {
    type Error = String;

    fn try_from(o: OneOrMany) -> Result<Addresses, String> {
        let list = match o {
            OneOrMany::One(a) => vec![a],
            OneOrMany::Many(list) => list,
        };
        if list.is_empty() || list.iter().any(|a| a.trim().is_empty()) {
            return Err("give a \"host:port\", or a list of them, none empty".into());
        }
        Ok(Addresses(list))
    }
}

impl From<Addresses> for OneOrMany {
    fn from(a: Addresses) -> OneOrMany {
        match <[String; 1]>::try_from(a.0) {
            Ok([one]) => OneOrMany::One(one),
            Err(list) => OneOrMany::Many(list),
        }
    }
}

impl From<&str> for Addresses {
    fn from(a: &str) -> Addresses {
        Addresses(vec![a.to_string()])
    }
}

impl std::fmt::Display for Addresses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

/// How long a connection to one coordinator may take, TLS included.
const CONNECT_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// The health service a coordinator reports SERVING exactly while it leads (the overall
/// status, service "", also asks that it is not frozen and its node and storage answer).
pub const LEADER_HEALTH: &str = "hanko.coordinator.v1.Leader";

/// How far the coordinator behind `channel` is what a client wants: 2 when its health says
/// SERVING (it leads and is ready), 1 when it leads but is not ready (frozen, say: still the
/// one to unfreeze), 0 when it answers at all.
async fn rank(channel: &Channel) -> u8 {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    let serving = |service: &str| {
        let mut client = HealthClient::new(channel.clone());
        let request = tonic_health::pb::HealthCheckRequest {
            service: service.into(),
        };
        async move {
            matches!(
                tokio::time::timeout(CONNECT_WITHIN, client.check(request)).await,
                Ok(Ok(r)) if r.get_ref().status == ServingStatus::Serving as i32
            )
        }
    };
    if serving("").await {
        2
    } else if serving(LEADER_HEALTH).await {
        1
    } else {
        0
    }
}

/// A channel to the coordinator that serves among `addresses`: with one address, that one;
/// with several, asked all at once, the first whose health says SERVING (the leader, ready),
/// else the one that leads (frozen, say), else the first that answers at all (its answers
/// then say where the leader is). A coordinator
/// that accepts connections but never answers (paused, say) costs nothing while another
/// leads. The address chosen with it.
pub async fn connect_any(
    addresses: &Addresses,
    server_name: &str,
    tls: rustls::ClientConfig,
) -> Result<(Channel, String), String> {
    let within = |addr: String, tls: rustls::ClientConfig, server_name: String| async move {
        match tokio::time::timeout(CONNECT_WITHIN, connect(&addr, &server_name, tls)).await {
            Ok(Ok(channel)) => Ok((channel, addr)),
            Ok(Err(e)) => Err(format!("{addr}: {e}")),
            Err(_) => Err(format!(
                "{addr}: no answer within {} s",
                CONNECT_WITHIN.as_secs()
            )),
        }
    };
    if let [addr] = addresses.0.as_slice() {
        return within(addr.clone(), tls, server_name.into()).await;
    }
    let mut asking = tokio::task::JoinSet::new();
    for (i, addr) in addresses.0.iter().enumerate() {
        let connecting = within(addr.clone(), tls.clone(), server_name.into());
        asking.spawn(async move {
            let answer = connecting.await;
            let rank = match &answer {
                Ok((channel, _)) => rank(channel).await,
                Err(_) => 0,
            };
            (i, answer, rank)
        });
    }
    // The best answer so far: by rank, then by place in the list.
    type Key = (u8, std::cmp::Reverse<usize>);
    let mut best: Option<(Key, (Channel, String))> = None;
    let mut errors = vec![];
    while let Some(done) = asking.join_next().await {
        match done {
            Ok((_, Ok(found), 2)) => return Ok(found),
            Ok((i, Ok(found), rank)) => {
                let key = (rank, std::cmp::Reverse(i));
                if best.as_ref().is_none_or(|(k, _)| key > *k) {
                    best = Some((key, found));
                }
            }
            Ok((_, Err(e), _)) => errors.push(e),
            Err(e) => errors.push(format!("asking a coordinator failed: {e}")),
        }
    }
    best.map(|(_, found)| found)
        .ok_or_else(|| errors.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One address or a list, as configurations write them; never an empty one.
    #[test]
    fn addresses_read_as_one_or_a_list_and_never_empty() {
        #[derive(serde::Deserialize)]
        struct C {
            at: Addresses,
        }
        let one: C = toml::from_str(r#"at = "a:1""#).unwrap();
        assert_eq!(one.at.0, ["a:1"]);
        let two: C = toml::from_str(r#"at = ["a:1", "b:2"]"#).unwrap();
        assert_eq!(two.at.0, ["a:1", "b:2"]);
        assert_eq!(two.at.to_string(), "a:1, b:2");
        for bad in [r#"at = []"#, r#"at = ["a:1", ""]"#, r#"at = " ""#] {
            assert!(toml::from_str::<C>(bad).is_err(), "{bad}");
        }
    }
}
