//! Leadership: one row in `leader` says which coordinator leads, in which term, until when.
//! The leader renews its lease well within its expiry; another takes the next term once it
//! has expired (the holding process itself takes a new term at once, after reading everything
//! again). Expiry is by the database's clock. Every write checks the term in its own
//! transaction (`fence`), holding the row until it commits: a takeover waits for it, and a
//! leader that lost its lease writes nothing. Besides, a leader stops leading on its own when
//! its lease runs out by its own clock (counted from when it asked), so one cut off from the
//! database stops answering cosigners' heartbeats and health checks as a leader.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::cached::{Tx, one};
use hanko_runtime::audit::Event;

use super::{PgStore, db};
use crate::store::StoreError;

/// What the database says of leadership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leadership {
    pub term: u64,
    pub holder: String,
    pub address: String,
    /// Whether its lease has not expired.
    pub live: bool,
}

impl Leadership {
    /// What is said when the database cannot be asked: nobody known to lead.
    pub fn unknown() -> Leadership {
        Leadership {
            term: 0,
            holder: String::new(),
            address: String::new(),
            live: false,
        }
    }
}

fn interval(lease: Duration) -> String {
    format!("{} milliseconds", lease.as_millis())
}

impl PgStore {
    /// The term this coordinator leads in, if it does and its lease has not run out.
    pub fn term(&self) -> Option<u64> {
        match self.term.load(Ordering::SeqCst) {
            0 => None,
            t if self.lease_runs() => Some(t),
            _ => None,
        }
    }

    fn now_micros(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    fn lease_runs(&self) -> bool {
        self.now_micros() < self.valid_until.load(Ordering::SeqCst)
    }

    /// The lease asked for at `asked` (microseconds after the epoch) was granted.
    fn granted(&self, asked: u64) {
        let until = asked + self.lease.as_micros() as u64;
        self.valid_until.store(until, Ordering::SeqCst);
    }

    /// This coordinator's name among those sharing the database.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn leading(&self) -> bool {
        self.term().is_some()
    }

    /// Takes the lease if it expired or is this coordinator's own (`name`), in the next term,
    /// reading again what is kept in memory before it acts on anything; keeps it if it is
    /// already leading. Whether it leads now.
    pub async fn lead(&self) -> Result<bool, StoreError> {
        let held = self.term.load(Ordering::SeqCst);
        if held != 0 && !self.lease_runs() {
            // Not renewed in time (the database unreachable or slow): no longer leading.
            self.step_down(held);
        }
        if self.leading() {
            return self.renew().await;
        }
        let client = self.pool.get().await.map_err(db)?;
        let asked = self.now_micros();
        let row = client
            .query_opt(
                "UPDATE leader SET term = term + 1, holder = $1, address = $2, \
                 expires_at = clock_timestamp() + $3::text::interval, instance = $4 \
                 WHERE id = 1 AND (expires_at < clock_timestamp() \
                                   OR (holder = $1 AND instance = $4)) \
                 RETURNING term",
                &[
                    &self.name,
                    &self.address,
                    &interval(self.lease),
                    &self.instance,
                ],
            )
            .await
            .map_err(db)?;
        let Some(row) = row else {
            return Ok(false);
        };
        let term: i64 = row.get(0);
        // What the last leader wrote, before acting on any of it.
        self.reload().await?;
        self.granted(asked);
        self.term.store(term as u64, Ordering::SeqCst);
        tracing::warn!(term, name = %self.name, address = %self.address, "this coordinator leads");
        // The journal says where each term begins: one term's entries, then the next's.
        let event = Event::new("leader", &self.name).detail(vec![
            format!("term {term}"),
            format!("address {}", self.address),
        ]);
        self.record(event).await?;
        Ok(true)
    }

    /// Extends the lease of the term this coordinator leads in; steps down (and says so) when
    /// the database says another term began or the lease ran out.
    async fn renew(&self) -> Result<bool, StoreError> {
        let Some(term) = self.term() else {
            return Ok(false);
        };
        let client = self.pool.get().await.map_err(db)?;
        let asked = self.now_micros();
        let renewed = client
            .execute(
                "UPDATE leader SET expires_at = clock_timestamp() + $3::text::interval \
                 WHERE id = 1 AND term = $1 AND holder = $2 AND expires_at > clock_timestamp()",
                &[&(term as i64), &self.name, &interval(self.lease)],
            )
            .await;
        match renewed {
            Ok(1) => {
                self.granted(asked);
                Ok(true)
            }
            Ok(_) => {
                self.step_down(term);
                Ok(false)
            }
            // Unanswered: the lease may run out meanwhile; the writes' fence decides.
            Err(e) => Err(db(e)),
        }
    }

    /// Gives the lease up at once (a planned stop): a standby need not wait for it to run out.
    pub async fn resign(&self) -> Result<(), StoreError> {
        let Some(term) = self.term() else {
            return Ok(());
        };
        self.step_down(term);
        let client = self.pool.get().await.map_err(db)?;
        client
            .execute(
                "UPDATE leader SET expires_at = '-infinity' WHERE id = 1 AND term = $1",
                &[&(term as i64)],
            )
            .await
            .map_err(db)?;
        tracing::warn!(term, name = %self.name, "lease given up");
        Ok(())
    }

    /// Stops leading in `term` (if it still leads in it).
    pub fn step_down(&self, term: u64) {
        if self
            .term
            .compare_exchange(term, 0, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            tracing::error!(term, name = %self.name, "this coordinator no longer leads");
        }
    }

    /// Who leads, as the database says.
    pub async fn leadership(&self) -> Result<Leadership, StoreError> {
        let client = self.pool.get().await.map_err(db)?;
        let row = client
            .query_one(
                "SELECT term, holder, address, expires_at > clock_timestamp() \
                 FROM leader WHERE id = 1",
                &[],
            )
            .await
            .map_err(db)?;
        Ok(Leadership {
            term: row.get::<_, i64>(0) as u64,
            holder: row.get(1),
            address: row.get(2),
            live: row.get(3),
        })
    }

    /// Inside a writing transaction: the write may go on only if this coordinator leads in
    /// the current term with an unexpired lease; that term. The row stays locked (shared)
    /// until the transaction ends, so no takeover comes between the check and the commit.
    pub(super) async fn fence(&self, tx: &Tx<'_>) -> Result<u64, StoreError> {
        let term = self.term();
        let row = one(
            tx,
            "SELECT term, address, expires_at > clock_timestamp() FROM leader \
                 WHERE id = 1 FOR SHARE",
            &[],
        )
        .await
        .map_err(db)?;
        let (current, address, live): (i64, String, bool) = (row.get(0), row.get(1), row.get(2));
        if let Some(term) = term.filter(|t| *t == current as u64 && live) {
            return Ok(term);
        }
        if let Some(term) = term {
            self.step_down(term);
        }
        Err(StoreError::NotLeader {
            leader: (live && !address.is_empty()).then_some(address),
        })
    }
}
