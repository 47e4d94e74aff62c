//! The `voter` table: one row per voter cookie, created the first time a voter is
//! served something.

use chrono::{DateTime, Utc};

use super::Result;
use super::sql::{Exec, sql};

/// Registers the voter `id` on first sight (nothing happens when it exists).
pub(super) async fn ensure(c: &mut impl Exec, id: &str, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        sql("insert into voter (id, created_at) values ($1, $2) on conflict do nothing")
            .bind(id)
            .bind(now),
    )
    .await?;
    Ok(())
}

/// Takes the voter's row lock until the transaction ends (Postgres; SQLite's write
/// transaction already serialises writers), so that one voter's concurrent requests
/// check their limits one at a time.
pub(super) async fn lock(c: &mut super::Tx, id: &str) -> Result<()> {
    if c.is_postgres() {
        c.execute(sql("select id from voter where id = $1 for update").bind(id))
            .await?;
    }
    Ok(())
}
