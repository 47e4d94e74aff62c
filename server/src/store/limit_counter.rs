//! The `limit_counter` table: how many times each limited action happened in the
//! current window, per client address or voter, shared by every server on the database.

use chrono::{DateTime, Utc};

use super::sql::{Exec, sql, sql_owned};
use super::{Result, Store};

impl Store {
    /// Counts one more of each of `keys` in the window starting at `window`; returns
    /// the new counts in the order of `keys`. One statement, so the increments of one
    /// request are atomic and cost one round trip.
    pub async fn count_hits(&self, keys: &[String], window: DateTime<Utc>) -> Result<Vec<i64>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let values: Vec<String> = (0..keys.len())
            .map(|i| format!("(${}, $1, 1)", i + 2))
            .collect();
        let mut statement = sql_owned(format!(
            "insert into limit_counter (key, window_start, n) values {} \
             on conflict (key, window_start) do update set n = limit_counter.n + 1 \
             returning key, cast(n as bigint)",
            values.join(", ")
        ))
        .bind(window);
        for key in keys {
            statement = statement.bind(key);
        }
        let rows: Vec<(String, i64)> = self.pool().fetch_all(statement).await?;
        Ok(keys
            .iter()
            .map(|k| rows.iter().find(|(key, _)| key == k).map_or(0, |(_, n)| *n))
            .collect())
    }

    /// The counts of `keys` in the window starting at `window`, without counting.
    pub async fn peek_hits(&self, keys: &[String], window: DateTime<Utc>) -> Result<Vec<i64>> {
        let mut pool = self.pool();
        let mut counts = Vec::with_capacity(keys.len());
        for key in keys {
            let n: Option<i64> = pool
                .scalar_optional(
                    sql("select cast(n as bigint) from limit_counter \
                         where key = $1 and window_start = $2")
                    .bind(key)
                    .bind(window),
                )
                .await?;
            counts.push(n.unwrap_or(0));
        }
        Ok(counts)
    }

    /// Forgets windows that ended before `before`.
    pub async fn prune_hits(&self, before: DateTime<Utc>) -> Result<u64> {
        self.pool()
            .execute(sql("delete from limit_counter where window_start < $1").bind(before))
            .await
    }

    /// Live-battle jobs waiting for a worker, arena-wide.
    pub async fn queued_live_jobs(&self) -> Result<i64> {
        self.pool()
            .scalar(sql(
                "select count(*) from job where kind = 'live' and state = 'queued'",
            ))
            .await
    }
}
