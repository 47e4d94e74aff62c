//! The `vote_tally` and `vote_daily_tally` tables: running totals of the overall votes
//! that count for leaderboards, per prompt category, model pair and outcome, and per
//! UTC day; `axis_tally`, the same per category for every other judgement axis; and
//! `choice_tally` and `choice_daily_tally`, the K-wise votes per category (and day),
//! models shown, best and worst.
//! Each transaction that stores counted votes adds them here before it commits,
//! so the totals always equal an aggregation of the vote table and leaderboards read a
//! few rows instead of every vote.

use std::collections::BTreeMap;

use arena_evaluator::Outcome;
use chrono::{DateTime, Utc};

use super::choice_vote::KChoice;
use super::sql::{Exec, sql, sql_owned};
use super::{Result, StoreError};

/// (category or day, model a, model b, outcome).
type Key = (String, i64, i64, Outcome);

/// (axis, category, model a, model b, outcome).
type AxisKey = (String, String, i64, i64, Outcome);

/// (category or day, model ids in display order joined by commas, best slot, worst
/// slot or -1).
type ChoiceKey = (String, String, i16, i16);

/// Counted votes to add to the tallies in one transaction. The keys are ordered, so
/// concurrent transactions lock tally rows in the same order (pairs, then days, then
/// other axes, then K-wise choices and their days) and cannot deadlock on Postgres.
#[derive(Debug, Default)]
pub(super) struct TallyDelta {
    pairs: BTreeMap<Key, i64>,
    days: BTreeMap<Key, i64>,
    axes: BTreeMap<AxisKey, i64>,
    choices: BTreeMap<ChoiceKey, i64>,
    choice_days: BTreeMap<ChoiceKey, i64>,
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
        *self
            .days
            .entry((day_of(cast_at), model_a_id, model_b_id, winner))
            .or_default() += 1;
    }

    /// One counted K-wise vote on `models` (in display order).
    pub fn add_choice(
        &mut self,
        category: Option<&str>,
        cast_at: DateTime<Utc>,
        models: &[i64],
        choice: KChoice,
    ) {
        let models = models_key(models);
        let (best, worst) = choice.slots();
        let worst = worst.unwrap_or(-1);
        let category = category.unwrap_or_default().to_string();
        *self
            .choices
            .entry((category, models.clone(), best, worst))
            .or_default() += 1;
        *self
            .choice_days
            .entry((day_of(cast_at), models, best, worst))
            .or_default() += 1;
    }
}

/// The UTC day of a vote, as the daily tallies key it.
fn day_of(cast_at: DateTime<Utc>) -> String {
    cast_at.format("%Y-%m-%d").to_string()
}

/// How the K-wise tallies key the models shown: their ids in display order, joined by
/// commas.
pub(super) fn models_key(models: &[i64]) -> String {
    models
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The model ids of a K-wise tally's `models`.
pub(super) fn parse_models_key(key: &str) -> Result<Vec<i64>> {
    key.split(',')
        .map(|id| {
            id.parse()
                .map_err(|_| StoreError::Invalid(format!("choice tally models {key:?}")))
        })
        .collect()
}

/// The two K-wise tables and the key column that is not the models shown.
const CHOICE_TABLES: [(&str, &str); 2] =
    [("choice_tally", "category"), ("choice_daily_tally", "day")];

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
    for ((table, key), rows) in CHOICE_TABLES
        .into_iter()
        .zip([&delta.choices, &delta.choice_days])
    {
        let upsert = format!(
            "insert into {table} ({key}, models, best, worst, n) values ($1, $2, $3, $4, $5) \
             on conflict ({key}, models, best, worst) do update set n = {table}.n + excluded.n"
        );
        for ((k, models, best, worst), n) in rows {
            let statement = sql_owned(upsert.clone())
                .bind(k)
                .bind(models)
                .bind(*best)
                .bind(*worst)
                .bind(*n);
            c.execute(statement).await?;
        }
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
    for ((table, key), rows) in CHOICE_TABLES
        .into_iter()
        .zip([&delta.choices, &delta.choice_days])
    {
        let row = format!("{key} = $1 and models = $2 and best = $3 and worst = $4");
        let delete = format!("delete from {table} where {row} and n = $5");
        let update = format!("update {table} set n = n - $5 where {row} and n > $5");
        for ((k, models, best, worst), n) in rows {
            for text in [&delete, &update] {
                let statement = sql_owned(text.clone())
                    .bind(k)
                    .bind(models)
                    .bind(*best)
                    .bind(*worst)
                    .bind(*n);
                c.execute(statement).await?;
            }
        }
    }
    Ok(())
}
