//! Read-side queries for leaderboards and model pages. Counts per pair and outcome
//! come from the running tallies kept with every vote (`tally.rs`), so recomputing a
//! leaderboard reads O(pairs) rows; only online Elo streams the votes themselves.

use arena_evaluator::{Outcome, Position};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;

use super::choice_vote::KChoice;
use super::sql::{Exec, sql, sql_owned};
use super::tally::parse_models_key;
use super::{OVERALL, Result, Store};

/// Votes between two models (by id) with one outcome.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IdPairCount {
    pub model_a_id: i64,
    pub model_b_id: i64,
    #[sqlx(try_from = "String")]
    pub winner: Outcome,
    pub n: i64,
}

/// [`IdPairCount`] within one UTC day (`YYYY-MM-DD`).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DailyPairCount {
    pub day: String,
    pub model_a_id: i64,
    pub model_b_id: i64,
    #[sqlx(try_from = "String")]
    pub winner: Outcome,
    pub n: i64,
}

/// A voted battle, for a model page. Its image tokens are there only when both its
/// images have left the battle pool: the page pairs each image with its model, which
/// must never be true of an image a battle can still serve.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VotedBattle {
    pub battle_id: String,
    pub voted_at: DateTime<Utc>,
    pub prompt: Option<String>,
    #[sqlx(try_from = "String")]
    pub winner: Outcome,
    pub model_a_id: i64,
    pub model_b_id: i64,
    pub token_a: Option<String>,
    pub token_b: Option<String>,
}

/// Counted K-wise votes with the same models shown (by id, in display order), best
/// and worst (slots).
#[derive(Clone, Debug)]
pub struct IdChoiceCount {
    pub models: Vec<i64>,
    pub best: usize,
    pub worst: Option<usize>,
    pub n: i64,
}

/// [`IdChoiceCount`] within one UTC day (`YYYY-MM-DD`).
#[derive(Clone, Debug)]
pub struct DailyChoiceCount {
    pub day: String,
    pub count: IdChoiceCount,
}

/// A K-wise tally row as read: `models` joined by commas, `worst` -1 for none; `key`
/// the category or day.
#[derive(sqlx::FromRow)]
struct ChoiceCountRow {
    key: String,
    models: String,
    best: i16,
    worst: i16,
    n: i64,
}

impl ChoiceCountRow {
    fn parse(self) -> Result<(String, IdChoiceCount)> {
        let choice = KChoice::from_slots(self.best, (self.worst >= 0).then_some(self.worst))?;
        let count = IdChoiceCount {
            models: parse_models_key(&self.models)?,
            best: choice.best.index(),
            worst: choice.worst.map(Position::index),
            n: self.n,
        };
        Ok((self.key, count))
    }
}

/// Identifies the state of the counted votes: changes whenever a vote is added.
/// The count catches a vote whose transaction commits after one with a higher id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct VoteMarker {
    /// Counted votes, from the tallies (pairs and K-wise).
    pub votes: i64,
    pub last_id: Option<i64>,
    /// The latest K-wise vote.
    pub last_choice_id: Option<i64>,
    /// The latest audit entry: a vote excluded or restored changes the counted votes
    /// without adding one.
    pub last_audit: Option<i64>,
}

/// Votes that count for leaderboards: not excluded (a vote on a battle whose models
/// were visible is stored excluded, reason "not anonymous"), on axis `$3`; with a
/// category, of battles whose prompt has it. Read in order for online Elo;
/// leaderboards of counts read the tallies instead.
/// `$2` true takes every vote instead, excluded ones too (an operator's view).
const COUNTED_VOTES: &str = "from vote v join battle b on b.id = v.battle_id \
     left join prompt p on p.id = b.prompt_id \
     where (v.counts_for_leaderboard or $2) and v.axis = $3 \
     and (cast($1 as text) is null or p.category = $1)";

/// [`COUNTED_VOTES`] with each vote's two images (slot 0 is A, slot 1 is B).
const COUNTED_VOTES_WITH_IMAGES: &str = "from vote v join battle b on b.id = v.battle_id \
     left join prompt p on p.id = b.prompt_id \
     left join battle_image ia on ia.battle_id = v.battle_id and ia.slot = 0 \
     left join generation ga on ga.id = ia.generation_id \
     left join battle_image ib on ib.battle_id = v.battle_id and ib.slot = 1 \
     left join generation gb on gb.id = ib.generation_id \
     where (v.counts_for_leaderboard or $2) and v.axis = $3 \
     and (cast($1 as text) is null or p.category = $1)";

impl Store {
    /// Counted votes per (model pair, outcome), from the running tallies: a few rows
    /// per pair whatever the number of votes.
    pub async fn pair_counts_by_id(&self, category: Option<&str>) -> Result<Vec<IdPairCount>> {
        self.pair_counts_on_axis(OVERALL, category).await
    }

    /// [`Store::pair_counts_by_id`] of the answers on judgement axis `axis`.
    pub async fn pair_counts_on_axis(
        &self,
        axis: &str,
        category: Option<&str>,
    ) -> Result<Vec<IdPairCount>> {
        if axis == OVERALL {
            return self
                .pool()
                .fetch_all(
                    sql(
                        "select model_a_id, model_b_id, winner, cast(sum(n) as bigint) as n \
                         from vote_tally where (cast($1 as text) is null or category = $1) \
                         group by model_a_id, model_b_id, winner",
                    )
                    .bind(category),
                )
                .await;
        }
        self.pool()
            .fetch_all(
                sql(
                    "select model_a_id, model_b_id, winner, cast(sum(n) as bigint) as n \
                     from axis_tally where axis = $2 \
                     and (cast($1 as text) is null or category = $1) \
                     group by model_a_id, model_b_id, winner",
                )
                .bind(category)
                .bind(axis),
            )
            .await
    }

    /// Counted K-wise votes per (models shown, best, worst), from the running tallies
    /// (of one prompt category); with `include_excluded`, every K-wise vote from the
    /// votes themselves.
    pub async fn choice_counts(
        &self,
        category: Option<&str>,
        include_excluded: bool,
    ) -> Result<Vec<IdChoiceCount>> {
        let text = if include_excluded {
            "select '' as key, cast(v.model_a_id as text) || ',' || cast(v.model_b_id as text) \
             || ',' || cast(v.model_c_id as text) \
             || coalesce(',' || cast(v.model_d_id as text), '') as models, \
             v.best, cast(coalesce(v.worst, -1) as smallint) as worst, count(*) as n \
             from choice_vote v join battle b on b.id = v.battle_id \
             left join prompt p on p.id = b.prompt_id \
             where (cast($1 as text) is null or p.category = $1) group by 2, 3, 4"
        } else {
            "select '' as key, models, best, worst, cast(sum(n) as bigint) as n \
             from choice_tally where (cast($1 as text) is null or category = $1) \
             group by models, best, worst"
        };
        let rows: Vec<ChoiceCountRow> = self
            .pool()
            .fetch_all(sql_owned(text.to_string()).bind(category))
            .await?;
        rows.into_iter()
            .map(|r| r.parse().map(|(_, count)| count))
            .collect()
    }

    /// Counted K-wise votes per UTC day, oldest first, from the running tallies.
    pub async fn daily_choice_counts(&self) -> Result<Vec<DailyChoiceCount>> {
        let rows: Vec<ChoiceCountRow> = self
            .pool()
            .fetch_all(sql(
                "select day as key, models, best, worst, n from choice_daily_tally order by day",
            ))
            .await?;
        rows.into_iter()
            .map(|r| {
                r.parse()
                    .map(|(day, count)| DailyChoiceCount { day, count })
            })
            .collect()
    }

    /// Counted votes per UTC day, (model pair, outcome), oldest first, from the
    /// running tallies.
    pub async fn daily_pair_counts(&self) -> Result<Vec<DailyPairCount>> {
        self.pool()
            .fetch_all(sql(
                "select day, model_a_id, model_b_id, winner, n from vote_daily_tally order by day",
            ))
            .await
    }

    /// The same counts as [`Store::pair_counts_by_id`], aggregated from the vote
    /// table itself: what the tallies must always equal.
    pub async fn pair_counts_from_votes(&self, category: Option<&str>) -> Result<Vec<IdPairCount>> {
        self.pair_counts_of_votes(OVERALL, category, false).await
    }

    /// Counts per (model pair, outcome) from the vote table on `axis`: the votes that
    /// count, or (`include_excluded`) every vote, excluded ones too.
    pub async fn pair_counts_of_votes(
        &self,
        axis: &str,
        category: Option<&str>,
        include_excluded: bool,
    ) -> Result<Vec<IdPairCount>> {
        self.pool()
            .fetch_all(
                super::sql::sql_owned(format!(
                    "select v.model_a_id, v.model_b_id, v.winner, count(*) as n {COUNTED_VOTES} \
                     group by v.model_a_id, v.model_b_id, v.winner"
                ))
                .bind(category)
                .bind(include_excluded)
                .bind(axis),
            )
            .await
    }

    /// Streams counted votes on `axis` (every vote with `include_excluded`) in the
    /// order they were cast (for online Elo), as (model_a_id, model_b_id, winner);
    /// memory stays flat.
    pub async fn for_each_counted_vote(
        &self,
        axis: &str,
        category: Option<&str>,
        include_excluded: bool,
        mut f: impl FnMut(i64, i64, Outcome),
    ) -> Result<()> {
        let mut rows = self.pool().fetch::<CountedVote>(
            super::sql::sql_owned(format!(
                "select v.model_a_id, v.model_b_id, v.winner {COUNTED_VOTES} \
                 order by v.created_at, v.id"
            ))
            .bind(category)
            .bind(include_excluded)
            .bind(axis),
        );
        while let Some(v) = rows.try_next().await? {
            f(v.model_a_id, v.model_b_id, v.winner);
        }
        Ok(())
    }

    /// Every vote `voter_id` has cast (overall axis, counted or not: it is their own
    /// board), as (A's slug, B's slug, outcome).
    pub async fn votes_of_voter(&self, voter_id: &str) -> Result<Vec<(String, String, Outcome)>> {
        let rows: Vec<VoterVote> = self
            .pool()
            .fetch_all(
                sql(
                    "select ma.slug as model_a, mb.slug as model_b, v.winner from vote v \
                     join model ma on ma.id = v.model_a_id join model mb on mb.id = v.model_b_id \
                     where v.voter_id = $1 and v.axis = 'overall' order by v.created_at, v.id",
                )
                .bind(voter_id),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|v| (v.model_a, v.model_b, v.winner))
            .collect())
    }

    /// Every vote `voter_id` has cast on three or four images (counted or not), in
    /// the order cast: the models shown (slugs, display order), best and worst.
    pub async fn choices_of_voter(&self, voter_id: &str) -> Result<Vec<VoterChoice>> {
        let rows: Vec<VoterChoiceRow> = self
            .pool()
            .fetch_all(
                sql(
                    "select ma.slug as model_a, mb.slug as model_b, mc.slug as model_c, \
                     md.slug as model_d, v.best, v.worst from choice_vote v \
                     join model ma on ma.id = v.model_a_id join model mb on mb.id = v.model_b_id \
                     join model mc on mc.id = v.model_c_id \
                     left join model md on md.id = v.model_d_id \
                     where v.voter_id = $1 order by v.created_at, v.id",
                )
                .bind(voter_id),
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let choice = KChoice::from_slots(r.best, r.worst)?;
                Ok(VoterChoice {
                    models: [Some(r.model_a), Some(r.model_b), Some(r.model_c), r.model_d]
                        .into_iter()
                        .flatten()
                        .collect(),
                    best: choice.best.index(),
                    worst: choice.worst.map(Position::index),
                })
            })
            .collect()
    }

    /// Every counted vote on `axis` with its two images' style statistics (the `style` column of
    /// each image's generation; `None` for an imported vote, which has no images, or an
    /// image not yet backfilled), in the order cast.
    pub async fn for_each_counted_vote_with_style(
        &self,
        axis: &str,
        category: Option<&str>,
        include_excluded: bool,
        mut f: impl FnMut(i64, i64, Outcome, Option<String>, Option<String>),
    ) -> Result<()> {
        let mut rows = self.pool().fetch::<StyledVote>(
            super::sql::sql_owned(format!(
                "select v.model_a_id, v.model_b_id, v.winner, ga.style as style_a, \
                 gb.style as style_b {COUNTED_VOTES_WITH_IMAGES} order by v.created_at, v.id"
            ))
            .bind(category)
            .bind(include_excluded)
            .bind(axis),
        );
        while let Some(v) = rows.try_next().await? {
            f(v.model_a_id, v.model_b_id, v.winner, v.style_a, v.style_b);
        }
        Ok(())
    }

    /// The latest voted battles of a model, newest first; image tokens only for
    /// battles whose images are all retired. The latest of each side are taken first
    /// (an index each), then joined: the cost is the limit's, not the model's votes.
    pub async fn recent_battles_of(&self, model_id: i64, limit: i64) -> Result<Vec<VotedBattle>> {
        self.pool()
            .fetch_all(
                sql(
                    "select v.battle_id, v.created_at as voted_at, p.text as prompt, v.winner, \
                     v.model_a_id, v.model_b_id, \
                     case when ga.retired_at is not null and gb.retired_at is not null \
                         then ia.token end as token_a, \
                     case when ga.retired_at is not null and gb.retired_at is not null \
                         then ib.token end as token_b \
                     from ( \
                         select * from (select id, battle_id, created_at, winner, model_a_id, \
                             model_b_id from vote where model_a_id = $1 and axis = 'overall' \
                             order by created_at desc, id desc limit $2) as on_a \
                         union all \
                         select * from (select id, battle_id, created_at, winner, model_a_id, \
                             model_b_id from vote where model_b_id = $1 and axis = 'overall' \
                             order by created_at desc, id desc limit $2) as on_b \
                     ) v join battle b on b.id = v.battle_id \
                     left join prompt p on p.id = b.prompt_id \
                     left join battle_image ia on ia.battle_id = b.id and ia.slot = 0 \
                     left join generation ga on ga.id = ia.generation_id \
                     left join battle_image ib on ib.battle_id = b.id and ib.slot = 1 \
                     left join generation gb on gb.id = ib.generation_id \
                     order by v.created_at desc, v.id desc limit $2",
                )
                .bind(model_id)
                .bind(limit),
            )
            .await
    }

    /// Cheap fingerprint of the counted votes (a sum over the tallies and the top of
    /// the vote id index), to know when leaderboards are stale.
    pub async fn vote_marker(&self) -> Result<VoteMarker> {
        self.pool()
            .fetch_one(sql(
                "select (select coalesce(cast(sum(n) as bigint), 0) from vote_tally) \
                 + (select coalesce(cast(sum(n) as bigint), 0) from choice_tally) as votes, \
                 (select max(id) from vote) as last_id, \
                 (select max(id) from choice_vote) as last_choice_id, \
                 (select max(id) from audit) as last_audit",
            ))
            .await
    }
}

/// A vote on three or four images, by slug, for a voter's own board.
#[derive(Clone, Debug)]
pub struct VoterChoice {
    pub models: Vec<String>,
    pub best: usize,
    pub worst: Option<usize>,
}

#[derive(sqlx::FromRow)]
struct VoterChoiceRow {
    model_a: String,
    model_b: String,
    model_c: String,
    model_d: Option<String>,
    best: i16,
    worst: Option<i16>,
}

/// One counted vote, for online Elo.
#[derive(sqlx::FromRow)]
struct VoterVote {
    model_a: String,
    model_b: String,
    #[sqlx(try_from = "String")]
    winner: Outcome,
}

#[derive(sqlx::FromRow)]
struct StyledVote {
    model_a_id: i64,
    model_b_id: i64,
    #[sqlx(try_from = "String")]
    winner: Outcome,
    style_a: Option<String>,
    style_b: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CountedVote {
    model_a_id: i64,
    model_b_id: i64,
    #[sqlx(try_from = "String")]
    winner: Outcome,
}
