//! Statements inside a writing transaction, each prepared once per connection and kept
//! (deadpool's statement cache): a statement then costs one round trip to the database, not
//! two, and the writers' turn is held that much shorter.

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

pub(super) type Tx<'a> = deadpool_postgres::Transaction<'a>;
type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

pub(super) async fn exec(
    tx: &Tx<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<u64, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.execute(&statement, params).await
}

pub(super) async fn opt(
    tx: &Tx<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.query_opt(&statement, params).await
}

pub(super) async fn one(
    tx: &Tx<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<Row, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.query_one(&statement, params).await
}
