//! Who is calling: the TLS layer has already verified the client certificate against the CA;
//! its common name is looked up in configuration to find the role. An unknown name or the
//! wrong role is PermissionDenied.

use std::collections::HashMap;
use std::num::NonZeroU32;

use nem::PublicKey;
use serde::{Deserialize, Serialize};
use tonic::{Request, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Proposer,
    Cosigner,
    Auditor,
    Admin,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Proposer => "proposer",
            Role::Cosigner => "cosigner",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }
}

/// A configured client: its certificate name, its role, and for a cosigner its NEM key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub cosigner_key: Option<PublicKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub role: Role,
    pub cosigner_key: Option<PublicKey>,
}

type Limiter = governor::DefaultKeyedRateLimiter<String>;

/// Configured clients, and a request budget per client name for every role but cosigners
/// (whose calls follow the proposals they are sent).
#[derive(Default)]
pub struct Clients {
    by_name: HashMap<String, Client>,
    limiter: Option<Limiter>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients")
            .field("names", &self.by_name.keys().collect::<Vec<_>>())
            .field("rate_limited", &self.limiter.is_some())
            .finish()
    }
}

impl Clients {
    pub fn new(clients: Vec<Client>) -> Result<Clients, String> {
        let mut by_name = HashMap::new();
        for c in clients {
            if c.role == Role::Cosigner && c.cosigner_key.is_none() {
                return Err(format!(
                    "client '{}': a cosigner needs cosigner_key (its NEM public key)",
                    c.name
                ));
            }
            if by_name.insert(c.name.clone(), c.clone()).is_some() {
                return Err(format!("client '{}' is configured twice", c.name));
            }
        }
        Ok(Clients {
            by_name,
            limiter: None,
        })
    }

    /// Limits each non-cosigner client to `per_second` calls, with bursts up to `burst`;
    /// beyond it a call is ResourceExhausted.
    pub fn with_rate_limit(mut self, per_second: u32, burst: u32) -> Clients {
        if let (Some(rate), Some(burst)) = (NonZeroU32::new(per_second), NonZeroU32::new(burst)) {
            self.limiter = Some(governor::RateLimiter::keyed(
                governor::Quota::per_second(rate).allow_burst(burst),
            ));
        }
        self
    }

    /// The caller's identity, if its role is one of `allowed`.
    pub fn authorize<T>(&self, request: &Request<T>, allowed: &[Role]) -> Result<Identity, Status> {
        let certs = request
            .peer_certs()
            .ok_or_else(|| Status::unauthenticated("no client certificate"))?;
        let cert = certs
            .first()
            .ok_or_else(|| Status::unauthenticated("no client certificate"))?;
        let name = hanko_proto::tls::peer_name(cert)
            .map_err(|e| Status::unauthenticated(e.to_string()))?;
        let client = self.by_name.get(&name).ok_or_else(|| {
            Status::permission_denied(format!("certificate '{name}' is not a configured client"))
        })?;
        if !allowed.contains(&client.role) {
            let names: Vec<&str> = allowed.iter().map(|r| r.name()).collect();
            return Err(Status::permission_denied(format!(
                "'{name}' has role {}; this call needs {}",
                client.role.name(),
                names.join(" or ")
            )));
        }
        if let Some(limiter) = &self.limiter
            && client.role != Role::Cosigner
            && limiter.check_key(&name).is_err()
        {
            return Err(Status::resource_exhausted(format!(
                "'{name}' is over its request rate; retry in a second"
            )));
        }
        Ok(Identity {
            name,
            role: client.role,
            cosigner_key: client.cosigner_key,
        })
    }

    /// The configured name of the cosigner with NEM key `key`.
    pub fn cosigner_name(&self, key: &PublicKey) -> Option<&str> {
        self.by_name
            .values()
            .find(|c| c.cosigner_key.as_ref() == Some(key))
            .map(|c| c.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cosigner_is_named_by_its_key() {
        let clients = Clients::new(vec![
            Client {
                name: "alice".into(),
                role: Role::Proposer,
                cosigner_key: None,
            },
            Client {
                name: "cosigner-b".into(),
                role: Role::Cosigner,
                cosigner_key: Some(PublicKey([2; 32])),
            },
        ])
        .unwrap();
        assert_eq!(
            clients.cosigner_name(&PublicKey([2; 32])),
            Some("cosigner-b")
        );
        assert_eq!(clients.cosigner_name(&PublicKey([3; 32])), None);
    }
}
