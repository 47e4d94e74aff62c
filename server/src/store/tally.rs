//! The `vote_tally` and `vote_daily_tally` tables: running totals of the overall votes
//! that count for leaderboards, per prompt category, model pair and outcome, and per
//! UTC day; and `axis_tally`, the same per category for every other judgement axis.
//! Each transaction that stores counted votes adds them here before it commits,
//! so the totals always equal an aggregation of the vote table and leaderboards read a
//! few rows instead of every vote.

use std::collections::BTreeMap;

use arena_evaluator::Outcome;
use chrono::{DateTime, Utc};

use super::Result;
use super::sql::{Exec, sql, sql_owned};

/// (category or day, model a, model b, outcome).
type Key = (String, i64, i64, Outcome);

/// (axis, category, model a, model b, outcome).
type AxisKey = (String, String, i64, i64, Outcome);

/// Counted votes to add to the tallies in one transaction. The keys are ordered, so
/// concurrent transactions lock tally rows in the same order (pairs, then days, then
/// other axes) and cannot deadlock on Postgres.
#[derive(Debug, Default)]
pub(super) struct TallyDelta {
    pairs: BTreeMap<Key, i64>,
    days: BTreeMap<Key, i64>,
    axes: BTreeMap<AxisKey, i64>,
}

impl TallyDelta {
    /// One counted vote on `axis`; `category` is `None` for a battle without a prompt.
    pub fn add(
        &mut self,
        axis: &str,
        category: Option<&str>,
        cast_at: DateTime<Utc>,
        model_a_id: i64,
        model_b_id: i64,
        winner: Outcome,
    ) {
        let category = category.unwrap_or_default().to_string();
        if axis != OVERALL {
            *self
                .axes
                .entry((axis.to_string(), category, model_a_id, model_b_id, winner))
                .or_default() += 1;
            return;
        }
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

/// The axis every battle asks about; its votes are the ones `vote_tally` counts.
pub const OVERALL: &str = "overall";

/// The two tables of the overall axis and the key column that is not a model pair.
const TABLES: [(&str, &str); 2] = [("vote_tally", "category"), ("vote_daily_tally", "day")];

/// Adds a [`TallyDelta`] to the tables: pairs first, then days, then the other axes,
/// each in key order.
pub(super) async fn add(c: &mut impl Exec, delta: &TallyDelta) -> Result<()> {
    for ((table, key), rows) in TABLES.into_iter().zip([&delta.pairs, &delta.days]) {
        let upsert = format!(
            "insert into {table} ({key}, model_a_id, model_b_id, winner, n) \
             values ($1, $2, $3, $4, $5) on conflict ({key}, model_a_id, model_b_id, winner) \
             do update set n = {table}.n + excluded.n"
        );
        for ((k, a, b, winner), n) in rows {
            let statement = sql_owned(upsert.clone())
                .bind(k)
                .bind(*a)
                .bind(*b)
                .bind(*winner)
                .bind(*n);
            c.execute(statement).await?;
        }
    }
    for ((axis, category, a, b, winner), n) in &delta.axes {
        let statement = sql(
            "insert into axis_tally (axis, category, model_a_id, model_b_id, winner, n) \
             values ($1, $2, $3, $4, $5, $6) \
             on conflict (axis, category, model_a_id, model_b_id, winner) \
             do update set n = axis_tally.n + excluded.n",
        )
        .bind(axis)
        .bind(category)
        .bind(*a)
        .bind(*b)
        .bind(*winner)
        .bind(*n);
        c.execute(statement).await?;
    }
    Ok(())
}

/// Removes a [`TallyDelta`] (votes that stop counting) from both tables, in the same
/// order as [`add`]; a row that reaches zero is deleted.
pub(super) async fn remove(c: &mut impl Exec, delta: &TallyDelta) -> Result<()> {
    for ((table, key), rows) in TABLES.into_iter().zip([&delta.pairs, &delta.days]) {
        let row = format!("{key} = $1 and model_a_id = $2 and model_b_id = $3 and winner = $4");
        let delete = format!("delete from {table} where {row} and n = $5");
        let update = format!("update {table} set n = n - $5 where {row} and n > $5");
        for ((k, a, b, winner), n) in rows {
            for text in [&delete, &update] {
                let statement = sql_owned(text.clone())
                    .bind(k)
                    .bind(*a)
                    .bind(*b)
                    .bind(*winner)
                    .bind(*n);
                c.execute(statement).await?;
            }
        }
    }
    let row = "axis = $1 and category = $2 and model_a_id = $3 and model_b_id = $4 and winner = $5";
    let delete = format!("delete from axis_tally where {row} and n = $6");
    let update = format!("update axis_tally set n = n - $6 where {row} and n > $6");
    for ((axis, category, a, b, winner), n) in &delta.axes {
        for text in [&delete, &update] {
            let statement = sql_owned(text.clone())
                .bind(axis)
                .bind(category)
                .bind(*a)
                .bind(*b)
                .bind(*winner)
                .bind(*n);
            c.execute(statement).await?;
        }
    }
    Ok(())
}
