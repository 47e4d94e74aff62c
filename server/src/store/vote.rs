//! The `vote` table: one judgement per battle (and axis), stored before it is
//! acknowledged.

use arena_evaluator::Outcome;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::battle::{self, Battle};
use super::sql::{Exec, sql};
use super::tally::{self, TallyDelta};
use super::{Result, Store, StoreError};

#[derive(Clone, Debug)]
pub struct NewVote {
    pub battle_id: String,
    pub voter_id: String,
    pub winner: Outcome,
    /// Battles served longer ago than this can no longer be voted on.
    pub ttl: chrono::Duration,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Vote {
    pub battle_id: String,
    #[sqlx(try_from = "String")]
    pub winner: Outcome,
    pub created_at: DateTime<Utc>,
    pub latency_ms: Option<i64>,
}

/// A committed vote and the battle it was cast on, as read in its transaction.
#[derive(Clone, Debug)]
pub struct RecordedVote {
    pub vote: Vote,
    pub battle: Battle,
}

/// What happened to a vote.
#[derive(Debug)]
pub enum VoteOutcome {
    /// Committed.
    Recorded(Box<RecordedVote>),
    /// No such battle, or it was served to another voter.
    NotFound,
    /// The battle's images are not all drawn yet (a live battle).
    NotReady,
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
    #[sqlx(try_from = "String")]
    pub winner: Outcome,
    pub n: i64,
}

/// A vote row to insert.
pub(super) struct VoteRow<'a> {
    pub battle_id: &'a str,
    pub winner: Outcome,
    pub voter_id: &'a str,
    pub model_a_id: i64,
    pub model_b_id: i64,
    pub created_at: DateTime<Utc>,
    /// Milliseconds from serving the battle to the vote.
    pub latency_ms: Option<i64>,
    pub counts_for_leaderboard: bool,
    pub exclusion_reason: Option<&'a str>,
    /// `arena` for votes cast here, `import:<file>` for imported ones.
    pub source: &'a str,
}

/// Inserts a vote; `Conflict` when the battle has one already.
pub(super) async fn insert(c: &mut impl Exec, v: &VoteRow<'_>) -> Result<Vote> {
    c.fetch_one(
        sql(
            "insert into vote (battle_id, winner, voter_id, model_a_id, model_b_id, created_at, \
             latency_ms, counts_for_leaderboard, exclusion_reason, source) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             returning battle_id, winner, created_at, latency_ms",
        )
        .bind(v.battle_id)
        .bind(v.winner)
        .bind(v.voter_id)
        .bind(v.model_a_id)
        .bind(v.model_b_id)
        .bind(v.created_at)
        .bind(v.latency_ms)
        .bind(v.counts_for_leaderboard)
        .bind(v.exclusion_reason)
        .bind(v.source),
    )
    .await
}

impl Store {
    /// Records a vote in one transaction — one read of the battle with its images and
    /// vote, the insert, the tallies, the commit — and returns only after the commit,
    /// with the battle as read (what the reveal shows).
    pub async fn record_vote(&self, v: &NewVote) -> Result<VoteOutcome> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let battle = match battle::read(&mut tx, &v.battle_id).await? {
            Some(b) if b.voter_id == v.voter_id => b,
            _ => return Ok(VoteOutcome::NotFound),
        };
        if !battle.is_ready() {
            return Ok(VoteOutcome::NotReady);
        }
        if battle.vote.is_some() {
            return Ok(VoteOutcome::AlreadyVoted);
        }
        if now - battle.served_at > v.ttl {
            return Ok(VoteOutcome::Expired);
        }
        let [a, b] = &battle.images[..] else {
            return Err(StoreError::Invalid(format!(
                "battle {} has {} images",
                battle.id,
                battle.images.len()
            )));
        };
        let row = VoteRow {
            battle_id: &v.battle_id,
            winner: v.winner,
            voter_id: &v.voter_id,
            model_a_id: a.model_id,
            model_b_id: b.model_id,
            created_at: now,
            latency_ms: Some((now - battle.served_at).num_milliseconds()),
            counts_for_leaderboard: true,
            exclusion_reason: None,
            source: "arena",
        };
        let vote = match insert(&mut tx, &row).await {
            Ok(vote) => vote,
            // Two concurrent votes on one battle: the loser hits the unique constraint.
            Err(StoreError::Conflict) => return Ok(VoteOutcome::AlreadyVoted),
            Err(e) => return Err(e),
        };
        // Votes cast here always count (only imports store excluded votes).
        let mut delta = TallyDelta::default();
        delta.add(
            battle.category.as_deref(),
            now,
            a.model_id,
            b.model_id,
            v.winner,
        );
        tally::add(&mut tx, &delta).await?;
        match tx.commit().await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Ok(VoteOutcome::AlreadyVoted),
            Err(e) => return Err(e),
        }
        Ok(VoteOutcome::Recorded(Box::new(RecordedVote {
            vote,
            battle,
        })))
    }

    /// Leaderboard input: counts per (model pair, outcome) over the votes that count
    /// (as [`Store::pair_counts_by_id`], by slug), read from the running tallies so
    /// that no vote is loaded, or even read.
    pub async fn pair_counts(&self) -> Result<Vec<PairCount>> {
        self.pool()
            .fetch_all(sql(
                "select ma.slug as model_a, mb.slug as model_b, c.winner, c.n from \
                 (select model_a_id, model_b_id, winner, cast(sum(n) as bigint) as n from vote_tally \
                  group by model_a_id, model_b_id, winner) c \
                 join model ma on ma.id = c.model_a_id join model mb on mb.id = c.model_b_id",
            ))
            .await
    }

    pub async fn vote_count(&self) -> Result<i64> {
        self.pool().scalar(sql("select count(*) from vote")).await
    }
}
