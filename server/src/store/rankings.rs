//! Read-side queries for leaderboards and model pages. Counts per pair and outcome
//! come from the running tallies kept with every vote (`tally.rs`), so recomputing a
//! leaderboard reads O(pairs) rows; only online Elo streams the votes themselves.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;

use super::{Result, Store, on_pool};

/// Votes between two models (by id) with one outcome.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IdPairCount {
    pub model_a_id: i64,
    pub model_b_id: i64,
    pub winner: String,
    pub n: i64,
}

/// [`IdPairCount`] within one UTC day (`YYYY-MM-DD`).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DailyPairCount {
    pub day: String,
    pub model_a_id: i64,
    pub model_b_id: i64,
    pub winner: String,
    pub n: i64,
}

/// A voted battle, for a model page.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VotedBattle {
    pub battle_id: String,
    pub voted_at: DateTime<Utc>,
    pub prompt: Option<String>,
    pub winner: String,
    pub model_a_id: i64,
    pub model_b_id: i64,
    pub token_a: Option<String>,
    pub token_b: Option<String>,
}

/// Identifies the state of the counted votes: changes whenever a vote is added.
/// The count catches a vote whose transaction commits after one with a higher id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct VoteMarker {
    /// Counted votes, from the tallies.
    pub votes: i64,
    pub last_id: Option<i64>,
}

/// Votes that count for leaderboards: not excluded (a vote on a battle whose models
/// were visible is stored excluded, reason "not anonymous"), on the overall axis;
/// with a category, of battles whose prompt has it. Read in order for online Elo;
/// leaderboards of counts read the tallies instead.
macro_rules! counted_votes {
    (all) => {
        "from vote v where v.counts_for_leaderboard and v.axis = 'overall'"
    };
    (category) => {
        "from vote v join battle b on b.id = v.battle_id join prompt p on p.id = b.prompt_id \
         where v.counts_for_leaderboard and v.axis = 'overall' and p.category = $1"
    };
}

/// Runs `$make!(all)` or `$make!(category)` as `query_as`, binding the category.
macro_rules! by_category {
    ($store:expr, $category:expr, $sql:ident, $fetch:ident) => {
        match $category {
            None => on_pool!($store, pool => sqlx::query_as($sql!(all)).$fetch(pool).await),
            Some(c) => on_pool!($store, pool => sqlx::query_as($sql!(category)).bind(c).$fetch(pool).await),
        }
    };
}

impl Store {
    /// Counted votes per (model pair, outcome), from the running tallies: a few rows
    /// per pair whatever the number of votes.
    pub async fn pair_counts_by_id(&self, category: Option<&str>) -> Result<Vec<IdPairCount>> {
        let rows = match category {
            None => on_pool!(self, pool => sqlx::query_as(
                "select model_a_id, model_b_id, winner, cast(sum(n) as bigint) as n from vote_tally \
                 group by model_a_id, model_b_id, winner",
            )
            .fetch_all(pool)
            .await),
            Some(c) => on_pool!(self, pool => sqlx::query_as(
                "select model_a_id, model_b_id, winner, n from vote_tally where category = $1",
            )
            .bind(c)
            .fetch_all(pool)
            .await),
        };
        Ok(rows?)
    }

    /// Counted votes per UTC day, (model pair, outcome), oldest first, from the
    /// running tallies.
    pub async fn daily_pair_counts(&self) -> Result<Vec<DailyPairCount>> {
        let rows = on_pool!(self, pool => sqlx::query_as(
            "select day, model_a_id, model_b_id, winner, n from vote_daily_tally order by day",
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }

    /// The same counts as [`Store::pair_counts_by_id`], aggregated from the vote
    /// table itself: what the tallies must always equal.
    pub async fn pair_counts_from_votes(&self, category: Option<&str>) -> Result<Vec<IdPairCount>> {
        macro_rules! sql {
            ($which:tt) => {
                concat!(
                    "select v.model_a_id, v.model_b_id, v.winner, count(*) as n ",
                    counted_votes!($which),
                    " group by v.model_a_id, v.model_b_id, v.winner"
                )
            };
        }
        Ok(by_category!(self, category, sql, fetch_all)?)
    }

    /// Streams counted votes in the order they were cast (for online Elo), as
    /// (model_a_id, model_b_id, winner); memory stays flat.
    pub async fn for_each_counted_vote(
        &self,
        category: Option<&str>,
        mut f: impl FnMut(i64, i64, &str),
    ) -> Result<()> {
        macro_rules! sql {
            ($which:tt) => {
                concat!(
                    "select v.model_a_id, v.model_b_id, v.winner ",
                    counted_votes!($which),
                    " order by v.created_at, v.id"
                )
            };
        }
        on_pool!(self, pool => {
            let mut rows = match category {
                None => sqlx::query_as::<_, (i64, i64, String)>(sql!(all)).fetch(pool),
                Some(c) => sqlx::query_as::<_, (i64, i64, String)>(sql!(category)).bind(c).fetch(pool),
            };
            while let Some((a, b, winner)) = rows.try_next().await? {
                f(a, b, &winner);
            }
            Ok(())
        })
    }

    /// The latest voted battles of a model, newest first.
    pub async fn recent_battles_of(&self, model_id: i64, limit: i64) -> Result<Vec<VotedBattle>> {
        let rows = on_pool!(self, pool => sqlx::query_as(
            "select v.battle_id, v.created_at as voted_at, p.text as prompt, v.winner, \
             v.model_a_id, v.model_b_id, ia.token as token_a, ib.token as token_b \
             from vote v join battle b on b.id = v.battle_id left join prompt p on p.id = b.prompt_id \
             left join battle_image ia on ia.battle_id = b.id and ia.slot = 0 and ia.generation_id is not null \
             left join battle_image ib on ib.battle_id = b.id and ib.slot = 1 and ib.generation_id is not null \
             where (v.model_a_id = $1 or v.model_b_id = $1) and v.axis = 'overall' \
             order by v.created_at desc, v.id desc limit $2",
        )
        .bind(model_id)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }

    /// Cheap fingerprint of the counted votes (a sum over the tallies and the top of
    /// the vote id index), to know when leaderboards are stale.
    pub async fn vote_marker(&self) -> Result<VoteMarker> {
        let marker = on_pool!(self, pool => sqlx::query_as(
            "select (select coalesce(cast(sum(n) as bigint), 0) from vote_tally) as votes, \
             (select max(id) from vote) as last_id",
        )
        .fetch_one(pool)
        .await)?;
        Ok(marker)
    }
}
