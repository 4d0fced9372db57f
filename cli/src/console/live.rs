//! Live updates: one Watch stream on every proposal, kept open (and opened again when the
//! coordinator goes away), fanned out to each page's event stream. The page then fetches
//! itself again; the event carries only the proposal's id, or `*` when any page may be stale
//! (the stream was opened again, or this page's events fell behind).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use hanko_proto::v1 as pb;
use hanko_proto::v1::treasury_client::TreasuryClient;
use tokio::sync::broadcast;
use tokio_stream::{Stream, StreamExt, wrappers::BroadcastStream};
use tonic::transport::Channel;

use super::App;
use super::link::Link;

#[derive(Clone)]
pub struct Live {
    changes: broadcast::Sender<String>,
}

impl Live {
    /// Follows every proposal in the background for as long as the console runs, over the
    /// link's current connection (which follows the leader).
    pub fn start(link: Arc<Link>) -> Live {
        let (changes, _) = broadcast::channel(256);
        let sender = changes.clone();
        tokio::spawn(async move {
            loop {
                follow(&mut TreasuryClient::new(link.channel()), &sender).await;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        Live { changes }
    }
}

async fn follow(client: &mut TreasuryClient<Channel>, sender: &broadcast::Sender<String>) {
    let mut stream = match client.watch(pb::WatchRequest { id: String::new() }).await {
        Ok(s) => s.into_inner(),
        Err(e) => {
            tracing::warn!(error = %e, "console: cannot follow proposals; trying again");
            return;
        }
    };
    // Reconnected: whatever a page shows may be stale.
    let _ = sender.send(ANY.into());
    while let Some(item) = stream.next().await {
        match item {
            Ok(p) => {
                let _ = sender.send(p.id);
            }
            Err(e) => {
                tracing::warn!(error = %e, "console: the proposal stream ended; reconnecting");
                return;
            }
        }
    }
}

/// The event that tells every page to refresh. (An event's data must not be empty: a
/// browser drops an event without data.)
const ANY: &str = "*";

#[derive(serde::Deserialize)]
pub struct Only {
    #[serde(default)]
    id: Option<String>,
}

/// `GET /events[?id=ID]`: a server-sent event each time a proposal (that one) changes.
pub async fn events(
    State(app): State<Arc<App>>,
    Query(only): Query<Only>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(app.live.changes.subscribe()).filter_map(move |item| {
        // Behind (lagged): what was missed is unknown, so everything may have changed.
        let id = item.unwrap_or_else(|_| ANY.into());
        let wanted = match &only.id {
            Some(only) => id == ANY || *only == id,
            None => true,
        };
        wanted.then(|| Ok(Event::default().data(id)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
