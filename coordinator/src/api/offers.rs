//! The stream of proposals offered to one cosigner: first every unfinished proposal still
//! waiting for it, then each one the coordinator distributes. A cosigner that reads so slowly
//! that the broadcast of distributions drops some for it is sent everything still waiting for
//! it again: an offer can be repeated (a cosigner answers a repeated offer as it did the first
//! time), never lost.

use std::sync::Arc;

use hanko_proto::v1 as pb;
use nem::PublicKey;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use crate::api::convert;
use crate::core::{CosignerDecision, ProposalRecord};

/// Offers queued ahead of what the cosigner has read; past this the broadcast holds them.
const AHEAD: usize = 64;

pub type Offers = ReceiverStream<Result<pb::ProposalForSigning, Status>>;

/// A cosigner has decided for good once it signed or refused; a proposal waiting for its
/// operators is offered again on every subscription, so an approval made while the link was
/// down still arrives.
fn decided(r: &ProposalRecord, key: &PublicKey) -> bool {
    matches!(
        r.decisions.get(key),
        Some(CosignerDecision::Signed(_) | CosignerDecision::Refused { .. })
    )
}

/// The unfinished proposals among `active` that still wait for `key`.
fn waiting(active: &[Arc<ProposalRecord>], key: &PublicKey) -> Vec<pb::ProposalForSigning> {
    active
        .iter()
        .filter(|r| r.cosigners.contains(key) && !decided(r, key))
        .map(|r| convert::offer(r))
        .collect()
}

/// Offers for `key`: what `active` returns now, then what `changes` carries. `changes` must be
/// subscribed before `active` is first read, so nothing distributed in between is missed. `held`
/// lives as long as the stream (it counts the subscription).
pub fn stream<H: Send + 'static>(
    key: PublicKey,
    name: String,
    mut changes: broadcast::Receiver<Arc<ProposalRecord>>,
    active: impl Fn() -> Vec<Arc<ProposalRecord>> + Send + 'static,
    held: H,
) -> Offers {
    let (tx, rx) = mpsc::channel(AHEAD);
    tokio::spawn(async move {
        let _held = held;
        let mut batch = waiting(&active(), &key);
        tracing::info!(cosigner = %name, waiting = batch.len(), "cosigner subscribed");
        loop {
            for offer in batch.drain(..) {
                if tx.send(Ok(offer)).await.is_err() {
                    return;
                }
            }
            let change = tokio::select! {
                () = tx.closed() => return,
                change = changes.recv() => change,
            };
            match change {
                Ok(r) if r.cosigners.contains(&key) => batch.push(convert::offer(&r)),
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    batch = waiting(&active(), &key);
                    tracing::warn!(cosigner = %name, missed, offered_again = batch.len(), "cosigner fell behind the offers; sending everything still waiting for it again");
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nem::{Address, Network};
    use tokio_stream::StreamExt;

    fn proposal(id: &str, cosigners: Vec<PublicKey>) -> Arc<ProposalRecord> {
        let account = Address::from_public_key(&PublicKey([9; 32]), Network::Testnet);
        Arc::new(crate::testing::collecting(id, account, vec![], cosigners))
    }

    async fn next_ids(offers: &mut Offers, n: usize) -> Vec<String> {
        let mut out = vec![];
        for _ in 0..n {
            let next = tokio::time::timeout(std::time::Duration::from_secs(5), offers.next());
            match next.await {
                Ok(Some(Ok(offer))) => out.push(offer.proposal_id),
                other => panic!("expected an offer, got {other:?}"),
            }
        }
        out
    }

    #[tokio::test]
    async fn a_cosigner_that_falls_behind_is_offered_everything_waiting_again() {
        let (me, other) = (PublicKey([1; 32]), PublicKey([2; 32]));
        let (changes, rx) = broadcast::channel(2);
        let active = Arc::new(std::sync::Mutex::new(Vec::new()));
        let read = active.clone();
        let mut offers = stream(
            me,
            "me".into(),
            rx,
            move || read.lock().map(|a| a.clone()).unwrap_or_default(),
            (),
        );
        // Let the stream's task read the (empty) waiting list and wait for changes.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        // 200 proposals accepted and broadcast before the stream's task reads any change: the
        // broadcast (room for 2) keeps only the last two.
        for i in 0..200 {
            let r = proposal(&format!("p{i:03}"), vec![me, other]);
            if let Ok(mut a) = active.lock() {
                a.push(r.clone());
            }
            let _ = changes.send(r);
        }
        let _ = changes.send(proposal("not-mine", vec![other]));
        let mut seen = next_ids(&mut offers, 200).await;
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 200, "every waiting proposal offered again");
        assert!(!seen.contains(&"not-mine".to_string()));
    }

    #[tokio::test]
    async fn the_stream_ends_its_task_when_the_cosigner_goes() {
        let (_changes, rx) = broadcast::channel::<Arc<ProposalRecord>>(4);
        let held = Arc::new(());
        let offers = stream(PublicKey([1; 32]), "me".into(), rx, Vec::new, held.clone());
        drop(offers);
        for _ in 0..100 {
            if Arc::strong_count(&held) == 1 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the subscription is still counted after its stream was dropped");
    }
}
