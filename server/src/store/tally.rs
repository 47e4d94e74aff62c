//! Running totals of the votes that count for leaderboards (`vote_tally` per prompt
//! category, model pair and outcome; `vote_daily_tally` per UTC day). Each transaction
//! that stores counted votes adds them here before it commits, so the totals always
//! equal an aggregation of the vote table and leaderboards read a few rows instead of
//! every vote.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// (category or day, model a, model b, outcome).
type Key = (String, i64, i64, &'static str);

/// Counted votes to add to the tallies in one transaction. The keys are ordered, so
/// concurrent transactions lock tally rows in the same order (pairs first, then days)
/// and cannot deadlock on Postgres.
#[derive(Debug, Default)]
pub(crate) struct TallyDelta {
    pub pairs: BTreeMap<Key, i64>,
    pub days: BTreeMap<Key, i64>,
}

impl TallyDelta {
    /// One counted vote; `category` is `None` for a battle without a prompt.
    pub fn add(
        &mut self,
        category: Option<&str>,
        cast_at: DateTime<Utc>,
        model_a_id: i64,
        model_b_id: i64,
        winner: &'static str,
    ) {
        let category = category.unwrap_or_default().to_string();
        *self
            .pairs
            .entry((category, model_a_id, model_b_id, winner))
            .or_default() += 1;
        let day = cast_at.format("%Y-%m-%d").to_string();
        *self
            .days
            .entry((day, model_a_id, model_b_id, winner))
            .or_default() += 1;
    }
}

/// Upserts a `vote_tally` row: `(category, model_a_id, model_b_id, winner, n)`.
pub(crate) const ADD_TO_PAIR: &str = "insert into vote_tally (category, model_a_id, model_b_id, winner, n) \
     values ($1, $2, $3, $4, $5) on conflict (category, model_a_id, model_b_id, winner) \
     do update set n = vote_tally.n + excluded.n";

/// Upserts a `vote_daily_tally` row: `(day, model_a_id, model_b_id, winner, n)`.
pub(crate) const ADD_TO_DAY: &str = "insert into vote_daily_tally (day, model_a_id, model_b_id, winner, n) \
     values ($1, $2, $3, $4, $5) on conflict (day, model_a_id, model_b_id, winner) \
     do update set n = vote_daily_tally.n + excluded.n";

/// Adds a [`TallyDelta`] inside the open transaction `$tx` (either backend): pairs
/// first, then days, each in key order.
macro_rules! apply_tally {
    ($tx:expr, $delta:expr) => {{
        let delta: &$crate::store::tally::TallyDelta = &$delta;
        for (sql, rows) in [
            ($crate::store::tally::ADD_TO_PAIR, &delta.pairs),
            ($crate::store::tally::ADD_TO_DAY, &delta.days),
        ] {
            for ((key, a, b, winner), n) in rows {
                sqlx::query(sql)
                    .bind(key)
                    .bind(a)
                    .bind(b)
                    .bind(winner)
                    .bind(n)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}
pub(crate) use apply_tally;
