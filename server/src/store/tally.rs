//! The `vote_tally` and `vote_daily_tally` tables: running totals of the votes that
//! count for leaderboards, per prompt category, model pair and outcome, and per UTC
//! day. Each transaction that stores counted votes adds them here before it commits,
//! so the totals always equal an aggregation of the vote table and leaderboards read a
//! few rows instead of every vote.

use std::collections::BTreeMap;

use arena_evaluator::Outcome;
use chrono::{DateTime, Utc};

use super::Result;
use super::sql::{Exec, sql};

/// (category or day, model a, model b, outcome).
type Key = (String, i64, i64, Outcome);

/// Counted votes to add to the tallies in one transaction. The keys are ordered, so
/// concurrent transactions lock tally rows in the same order (pairs first, then days)
/// and cannot deadlock on Postgres.
#[derive(Debug, Default)]
pub(super) struct TallyDelta {
    pairs: BTreeMap<Key, i64>,
    days: BTreeMap<Key, i64>,
}

impl TallyDelta {
    /// One counted vote; `category` is `None` for a battle without a prompt.
    pub fn add(
        &mut self,
        category: Option<&str>,
        cast_at: DateTime<Utc>,
        model_a_id: i64,
        model_b_id: i64,
        winner: Outcome,
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

/// Removes a [`TallyDelta`] (votes that stop counting) from both tables, in the same
/// order as [`add`]; a row that reaches zero is deleted.
pub(super) async fn remove(c: &mut impl Exec, delta: &TallyDelta) -> Result<()> {
    for ((category, a, b, winner), n) in &delta.pairs {
        let key =
            |s: super::sql::Statement| s.bind(category).bind(*a).bind(*b).bind(*winner).bind(*n);
        c.execute(key(sql(
            "delete from vote_tally where category = $1 and model_a_id = $2 \
             and model_b_id = $3 and winner = $4 and n = $5",
        )))
        .await?;
        c.execute(key(sql(
            "update vote_tally set n = n - $5 where category = $1 and model_a_id = $2 \
             and model_b_id = $3 and winner = $4 and n > $5",
        )))
        .await?;
    }
    for ((day, a, b, winner), n) in &delta.days {
        let key = |s: super::sql::Statement| s.bind(day).bind(*a).bind(*b).bind(*winner).bind(*n);
        c.execute(key(sql(
            "delete from vote_daily_tally where day = $1 and model_a_id = $2 \
             and model_b_id = $3 and winner = $4 and n = $5",
        )))
        .await?;
        c.execute(key(sql(
            "update vote_daily_tally set n = n - $5 where day = $1 and model_a_id = $2 \
             and model_b_id = $3 and winner = $4 and n > $5",
        )))
        .await?;
    }
    Ok(())
}

/// Adds a [`TallyDelta`] to both tables: pairs first, then days, each in key order.
pub(super) async fn add(c: &mut impl Exec, delta: &TallyDelta) -> Result<()> {
    for ((category, a, b, winner), n) in &delta.pairs {
        c.execute(
            sql("insert into vote_tally (category, model_a_id, model_b_id, winner, n) \
                 values ($1, $2, $3, $4, $5) on conflict (category, model_a_id, model_b_id, winner) \
                 do update set n = vote_tally.n + excluded.n")
            .bind(category)
            .bind(*a)
            .bind(*b)
            .bind(*winner)
            .bind(*n),
        )
        .await?;
    }
    for ((day, a, b, winner), n) in &delta.days {
        c.execute(
            sql(
                "insert into vote_daily_tally (day, model_a_id, model_b_id, winner, n) \
                 values ($1, $2, $3, $4, $5) on conflict (day, model_a_id, model_b_id, winner) \
                 do update set n = vote_daily_tally.n + excluded.n",
            )
            .bind(day)
            .bind(*a)
            .bind(*b)
            .bind(*winner)
            .bind(*n),
        )
        .await?;
    }
    Ok(())
}
