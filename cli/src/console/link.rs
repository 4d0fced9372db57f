//! The console's connection to the coordinators, kept on the leader. Coordinators sharing a
//! database hand leadership over when one fails; a console that kept its first connection
//! would then propose to a standby (refused, naming the leader) or to nothing. Every few
//! seconds the link asks who answers; when that is not the leader, or nothing answers, it
//! connects again, to the ready leader first (`ClientConfig::channel`).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use hanko_proto::v1 as pb;
use hanko_proto::v1::admin_client::AdminClient;
use tonic::transport::Channel;

use crate::client::ClientConfig;
use crate::error::CliError;

/// How often the link checks that it is on the leader.
const CHECK: Duration = Duration::from_secs(2);

pub struct Link {
    config: ClientConfig,
    channel: RwLock<Channel>,
}

impl Link {
    /// Connects (to the leader, when several coordinators are listed).
    pub async fn connect(config: ClientConfig) -> Result<Arc<Link>, CliError> {
        let channel = config.channel().await?;
        Ok(Arc::new(Link {
            config,
            channel: RwLock::new(channel),
        }))
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The current connection (cheap: a handle).
    pub fn channel(&self) -> Channel {
        self.channel
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Connects again, to whichever coordinator leads now.
    pub async fn renew(&self) -> Result<(), CliError> {
        let fresh = self.config.channel().await?;
        *self.channel.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        tracing::info!("console: connected again to the coordinator that leads");
        Ok(())
    }

    /// Keeps the link on the leader for as long as the console runs.
    pub fn keep_on_leader(self: &Arc<Link>) {
        let link = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(CHECK).await;
                if !link.on_leader().await
                    && let Err(e) = link.renew().await
                {
                    tracing::warn!(error = %e, "console: no coordinator to connect to yet");
                }
            }
        });
    }

    /// Whether the coordinator on the current connection answers and leads (one on its own
    /// store always leads).
    async fn on_leader(&self) -> bool {
        let answer = AdminClient::new(self.channel())
            .status(pb::StatusRequest {})
            .await;
        match answer {
            Ok(s) => s.into_inner().leadership.is_none_or(|l| l.leading),
            Err(_) => false,
        }
    }
}
