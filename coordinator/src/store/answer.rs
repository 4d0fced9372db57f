//! What a Prepare answers when its idempotency key is known: the draft (or the proposal it
//! became) if it was asked with the same request, else a conflict naming it. The same for
//! every backend.

use super::{Draft, DraftWrite, Store, StoreError};

impl Store {
    /// What a Prepare under `key` answers when the key is already known: the draft (or
    /// proposal) it names, if that was asked with the same request (`canonical`, or `legacy`
    /// for one stored before the stable digest); none when the key is new. Once on disk.
    pub async fn retry(
        &self,
        key: &str,
        canonical: &str,
        legacy: Option<&str>,
    ) -> Result<Option<Draft>, StoreError> {
        let Some(id) = self.id_for_key(key).await? else {
            return Ok(None);
        };
        let stored = self.draft(&id).await?;
        // Settled whatever the answer: a conflict names a proposal, which must be on disk.
        let answer = self.known(key, id, stored, canonical, legacy).await;
        self.settled(()).await?;
        answer.map(Some)
    }

    /// What a Prepare answers for `asked` once what writing it found is on disk: the draft, the
    /// draft or proposal its key already names, or why neither.
    pub async fn draft_answer(
        &self,
        asked: &Draft,
        found: DraftWrite,
    ) -> Result<Draft, StoreError> {
        match found {
            DraftWrite::New => Ok(asked.clone()),
            DraftWrite::SameBytes { existing } => Err(StoreError::SameBytes { existing }),
            DraftWrite::Known { id, stored } => {
                self.known(
                    &asked.idempotency_key,
                    id,
                    stored,
                    &asked.request_digest,
                    asked.legacy_digest.as_deref(),
                )
                .await
            }
        }
    }

    /// The draft `stored` (or, once accepted, proposal `id`) that `key` names, if it was asked
    /// with the request of digest `canonical` (or `legacy`); else the conflict.
    async fn known(
        &self,
        key: &str,
        id: String,
        stored: Option<Draft>,
        canonical: &str,
        legacy: Option<&str>,
    ) -> Result<Draft, StoreError> {
        // No longer a draft: accepted (a draft leaves in the same step as its proposal comes).
        let stored = match stored {
            Some(d) => Some(d),
            None => self.get(&id).await?.map(|r| Draft {
                legacy_digest: None,
                // Proposals stored before digests were kept match any request.
                request_digest: if r.request_digest.is_empty() {
                    canonical.to_string()
                } else {
                    r.request_digest
                },
                id: r.id,
                idempotency_key: r.idempotency_key,
                account: r.account,
                inner: r.inner,
                deadline: r.deadline,
            }),
        };
        match stored {
            Some(d) if crate::core::digest::same_request(&d.request_digest, canonical, legacy) => {
                Ok(d)
            }
            _ => Err(StoreError::IdempotencyConflict {
                key: key.to_string(),
                existing: id,
            }),
        }
    }
}
