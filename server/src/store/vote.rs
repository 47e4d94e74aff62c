//! The `vote` table: one judgement per battle (and axis), stored before it is acknowledged.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::tally::{TallyDelta, apply_tally};
use super::{Result, Store, StoreError, on_pool};

#[derive(Clone, Debug)]
pub struct NewVote {
    pub battle_id: String,
    pub voter_id: String,
    /// `a`, `b`, `tie` or `both_bad`.
    pub winner: &'static str,
    /// Battles served longer ago than this can no longer be voted on.
    pub ttl: chrono::Duration,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Vote {
    pub battle_id: String,
    pub winner: String,
    pub created_at: DateTime<Utc>,
    pub latency_ms: Option<i64>,
}

/// What happened to a vote.
#[derive(Debug)]
pub enum VoteOutcome {
    /// Committed.
    Recorded(Vote),
    /// No such battle, or it was served to another voter.
    NotFound,
    /// The battle already has a vote.
    AlreadyVoted,
    /// The battle was served too long ago.
    Expired,
}

/// Votes between two models with one outcome, for the evaluator.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PairCount {
    pub model_a: String,
    pub model_b: String,
    pub winner: String,
    pub n: i64,
}

#[derive(sqlx::FromRow)]
struct BattleForVote {
    voter_id: String,
    served_at: DateTime<Utc>,
    category: Option<String>,
}

impl Store {
    /// Records a vote in one transaction; returns only after the commit.
    pub async fn record_vote(&self, v: &NewVote) -> Result<VoteOutcome> {
        let now = Utc::now();
        let result: Result<VoteOutcome> = on_pool!(self, pool => {
            let mut tx = super::begin_write(pool).await?;
            let battle: Option<BattleForVote> =
                sqlx::query_as(
                    "select b.voter_id, b.served_at, p.category from battle b \
                     left join prompt p on p.id = b.prompt_id where b.id = $1",
                )
                    .bind(&v.battle_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(battle) = battle.filter(|b| b.voter_id == v.voter_id) else {
                return Ok(VoteOutcome::NotFound);
            };
            let voted: Option<i64> =
                sqlx::query_scalar("select id from vote where battle_id = $1 and axis = 'overall'")
                    .bind(&v.battle_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if voted.is_some() {
                return Ok(VoteOutcome::AlreadyVoted);
            }
            if now - battle.served_at > v.ttl {
                return Ok(VoteOutcome::Expired);
            }
            let models: Vec<i64> = sqlx::query_scalar(
                "select model_id from battle_image where battle_id = $1 order by slot",
            )
            .bind(&v.battle_id)
            .fetch_all(&mut *tx)
            .await?;
            let [model_a, model_b] = models[..] else {
                return Ok(VoteOutcome::NotFound);
            };
            let latency_ms = (now - battle.served_at).num_milliseconds();
            let vote: Vote = sqlx::query_as(
                "insert into vote (battle_id, winner, voter_id, model_a_id, model_b_id, created_at, latency_ms) \
                 values ($1, $2, $3, $4, $5, $6, $7) \
                 returning battle_id, winner, created_at, latency_ms",
            )
            .bind(&v.battle_id)
            .bind(v.winner)
            .bind(&v.voter_id)
            .bind(model_a)
            .bind(model_b)
            .bind(now)
            .bind(latency_ms)
            .fetch_one(&mut *tx)
            .await?;
            // Votes cast here always count (only imports store excluded votes).
            let mut delta = TallyDelta::default();
            delta.add(battle.category.as_deref(), now, model_a, model_b, v.winner);
            apply_tally!(tx, delta);
            tx.commit().await?;
            Ok(VoteOutcome::Recorded(vote))
        });
        match result {
            // Two concurrent votes on one battle: the loser hits the unique constraint.
            Err(StoreError::Conflict) => Ok(VoteOutcome::AlreadyVoted),
            other => other,
        }
    }

    pub async fn vote_for_battle(&self, battle_id: &str) -> Result<Option<Vote>> {
        let row = on_pool!(self, pool => sqlx::query_as(
            "select battle_id, winner, created_at, latency_ms from vote \
             where battle_id = $1 and axis = 'overall'",
        )
        .bind(battle_id)
        .fetch_optional(pool)
        .await)?;
        Ok(row)
    }

    /// Leaderboard input: counts per (model pair, outcome) over the votes that count
    /// (as [`Store::pair_counts_by_id`], by slug), read from the running tallies so
    /// that no vote is loaded, or even read.
    pub async fn pair_counts(&self) -> Result<Vec<PairCount>> {
        let rows = on_pool!(self, pool => sqlx::query_as(
            "select ma.slug as model_a, mb.slug as model_b, c.winner, c.n from \
             (select model_a_id, model_b_id, winner, cast(sum(n) as bigint) as n from vote_tally \
              group by model_a_id, model_b_id, winner) c \
             join model ma on ma.id = c.model_a_id join model mb on mb.id = c.model_b_id",
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }

    pub async fn vote_count(&self) -> Result<i64> {
        let n = on_pool!(self, pool => sqlx::query_scalar("select count(*) from vote")
            .fetch_one(pool)
            .await)?;
        Ok(n)
    }
}
