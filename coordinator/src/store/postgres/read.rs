//! Reads: a proposal (unfinished ones from memory), drafts, keys, inner hashes, pages in id
//! order, the journal.

use std::collections::HashSet;

use hanko_runtime::audit::{Entry, Head};

use super::{PgStore, db};
use crate::core::ProposalRecord;
use crate::store::{Draft, Freeze, StoreError};

/// `bytes` of row `key`, decoded.
pub(super) fn decode<T: for<'de> serde::Deserialize<'de>>(
    key: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        key: key.to_string(),
        reason: e.to_string(),
    })
}

/// Rows read per round trip while filling a page.
const PAGE_ROWS: i64 = 500;

impl PgStore {
    /// One text column of the row `sql` finds for `key`.
    async fn text(
        &self,
        sql: &str,
        key: &(dyn tokio_postgres::types::ToSql + Sync),
    ) -> Result<Option<String>, StoreError> {
        let client = self.pool.get().await.map_err(db)?;
        let row = client.query_opt(sql, &[key]).await.map_err(db)?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn get(&self, id: &str) -> Result<Option<ProposalRecord>, StoreError> {
        // Only a leader's memory is what the database holds: it alone writes.
        if self.leading()
            && let Some(r) = self.live.get(id)
        {
            return Ok(Some((*r).clone()));
        }
        self.text("SELECT record FROM proposals WHERE id = $1", &id)
            .await?
            .map(|t| decode(id, &t))
            .transpose()
    }

    pub async fn draft(&self, id: &str) -> Result<Option<Draft>, StoreError> {
        self.text("SELECT draft FROM drafts WHERE id = $1", &id)
            .await?
            .map(|t| decode(id, &t))
            .transpose()
    }

    pub async fn id_for_key(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.text("SELECT id FROM idempotency WHERE key = $1", &key)
            .await
    }

    pub async fn id_for_inner(&self, hash: &nem::Hash256) -> Result<Option<String>, StoreError> {
        let bytes = hash.0.to_vec();
        self.text("SELECT id FROM by_inner WHERE hash = $1", &bytes)
            .await
    }

    pub async fn approved(
        &self,
        hashes: &[nem::Hash256],
    ) -> Result<HashSet<nem::Hash256>, StoreError> {
        let asked: Vec<Vec<u8>> = hashes.iter().map(|h| h.0.to_vec()).collect();
        let client = self.pool.get().await.map_err(db)?;
        let rows = client
            .query("SELECT hash FROM by_inner WHERE hash = ANY($1)", &[&asked])
            .await
            .map_err(db)?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let bytes: Vec<u8> = r.get(0);
                bytes.try_into().ok().map(nem::Hash256)
            })
            .collect())
    }

    /// Up to `limit` proposals `keep` accepts, in id order after `after` (exclusive), and the
    /// token of the next page if there may be one.
    pub async fn page(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&ProposalRecord) -> bool,
    ) -> Result<(Vec<ProposalRecord>, Option<String>), StoreError> {
        self.page_of(false, after, limit, keep).await
    }

    /// [`PgStore::page`] of the unfinished proposals: from memory while leading, else from the
    /// database.
    pub async fn page_active(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&ProposalRecord) -> bool,
    ) -> Result<(Vec<ProposalRecord>, Option<String>), StoreError> {
        if self.leading() {
            return Ok(self.live.page(after, limit, keep));
        }
        self.page_of(true, after, limit, keep).await
    }

    async fn page_of(
        &self,
        only_active: bool,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&ProposalRecord) -> bool,
    ) -> Result<(Vec<ProposalRecord>, Option<String>), StoreError> {
        let sql = if only_active {
            "SELECT id, record FROM proposals WHERE active AND id > $1 ORDER BY id LIMIT $2"
        } else {
            "SELECT id, record FROM proposals WHERE id > $1 ORDER BY id LIMIT $2"
        };
        let client = self.pool.get().await.map_err(db)?;
        let mut from = after.unwrap_or("").to_string();
        let mut out = Vec::new();
        loop {
            let rows = client.query(sql, &[&from, &PAGE_ROWS]).await.map_err(db)?;
            let last = rows.len() < PAGE_ROWS as usize;
            for row in &rows {
                let id: String = row.get(0);
                let text: String = row.get(1);
                let record: ProposalRecord = decode(&id, &text)?;
                from = id;
                if keep(&record) {
                    let next = record.id.clone();
                    out.push(record);
                    if out.len() == limit {
                        return Ok((out, Some(next)));
                    }
                }
            }
            if last {
                return Ok((out, None));
            }
        }
    }

    /// The whole journal, in order, and its recorded head.
    pub async fn audit(&self) -> Result<(Vec<Entry>, Option<Head>), StoreError> {
        let client = self.pool.get().await.map_err(db)?;
        let rows = client
            .query("SELECT seq, entry FROM journal ORDER BY seq", &[])
            .await
            .map_err(db)?;
        let entries = rows
            .iter()
            .map(|r| {
                let seq: i64 = r.get(0);
                decode(&format!("journal #{seq}"), r.get::<_, &str>(1))
            })
            .collect::<Result<Vec<Entry>, _>>()?;
        let head = client
            .query_opt("SELECT value FROM meta WHERE key = 'audit_head'", &[])
            .await
            .map_err(db)?
            .map(|r| decode("audit_head", r.get::<_, &str>(0)))
            .transpose()?;
        Ok((entries, head))
    }

    /// The journal's last entry's number, if it has any.
    pub async fn journal_end(&self) -> Result<Option<u64>, StoreError> {
        let client = self.pool.get().await.map_err(db)?;
        let row = client
            .query_one("SELECT max(seq) FROM journal", &[])
            .await
            .map_err(db)?;
        Ok(row.get::<_, Option<i64>>(0).map(|s| s as u64))
    }

    /// The proposals that journal entries after entry `after` (from the first when `None`)
    /// speak of, at most `limit` entries read, each proposal once in the order of its first
    /// entry; and the last entry read (`after` when none was).
    pub async fn changed_since(
        &self,
        after: Option<u64>,
        limit: i64,
    ) -> Result<(Vec<String>, Option<u64>), StoreError> {
        let client = self.pool.get().await.map_err(db)?;
        let rows = client
            .query(
                "SELECT seq, entry FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after.map_or(-1, |s| s as i64), &limit],
            )
            .await
            .map_err(db)?;
        let mut ids: Vec<String> = vec![];
        let mut last = after;
        for row in &rows {
            let at: i64 = row.get(0);
            last = Some(at as u64);
            let entry: Entry = decode(&format!("journal #{at}"), row.get::<_, &str>(1))?;
            if let Some(id) = entry.event.proposal
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        Ok((ids, last))
    }

    /// The term that wrote each journal entry, in the journal's order.
    pub async fn journal_terms(&self) -> Result<Vec<u64>, StoreError> {
        let client = self.pool.get().await.map_err(db)?;
        let rows = client
            .query("SELECT term FROM journal ORDER BY seq", &[])
            .await
            .map_err(db)?;
        Ok(rows.iter().map(|r| r.get::<_, i64>(0) as u64).collect())
    }

    /// The unfinished proposals, as stored.
    pub(super) async fn load_active(&self) -> Result<Vec<ProposalRecord>, StoreError> {
        let client = self.pool.get().await.map_err(db)?;
        let rows = client
            .query(
                "SELECT id, record FROM proposals WHERE active ORDER BY id",
                &[],
            )
            .await
            .map_err(db)?;
        rows.iter()
            .map(|r| decode(r.get::<_, &str>(0), r.get::<_, &str>(1)))
            .collect()
    }

    pub async fn watch_heights(&self) -> Result<crate::store::WatchHeights, StoreError> {
        Ok(self
            .text("SELECT value FROM meta WHERE key = $1", &"watch_heights")
            .await?
            .map(|t| decode("watch_heights", &t))
            .transpose()?
            .unwrap_or_default())
    }

    pub(super) async fn read_freeze(&self) -> Result<Option<Freeze>, StoreError> {
        self.text("SELECT value FROM meta WHERE key = $1", &"freeze")
            .await?
            .map(|t| decode("freeze", &t))
            .transpose()
    }
}
