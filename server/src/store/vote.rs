//! The `vote` table: one judgement per pairwise battle (and axis), stored before it
//! is acknowledged; and whether votes count — a pair's or a K-wise battle's
//! (`choice_vote.rs`) — as flags and operators decide.

use arena_evaluator::Outcome;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::battle::{self, Battle};
use super::choice_vote::{self, ChoiceKey, ChoiceRow, KChoice};
use super::sql::{Exec, Row, Tx, sql, sql_owned};
use super::tally::{self, OVERALL, TallyDelta};
use super::{Result, Store, StoreError, flag};

/// What a voter answered.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// A pair's: the answer to the overall question, and the answers on the
    /// operator's other axes (`axes` in the config), each stored as its own vote in the
    /// same transaction, counting or not as the overall vote does.
    Pair {
        winner: Outcome,
        axes: Vec<(String, Outcome)>,
    },
    /// A K-wise battle's: the best image and perhaps the worst.
    Choice(KChoice),
}

#[derive(Clone, Debug)]
pub struct NewVote {
    pub battle_id: String,
    pub voter_id: String,
    /// The answer, of the battle's kind (a pair's or a K-wise one).
    pub answer: Answer,
    /// Battles served longer ago than this can no longer be voted on.
    pub ttl: chrono::Duration,
    /// Keyed hashes of the client's address and network.
    pub client_hash: Option<String>,
    pub client_net: Option<String>,
    /// The vote counts only when both images were fetched by the voter at least this
    /// long before it; `None` counts every vote, seen or not.
    pub min_view: Option<chrono::Duration>,
}

/// A committed vote and the battle it was cast on, as read in its transaction.
#[derive(Clone, Debug)]
pub struct RecordedVote {
    pub battle: Battle,
    /// What was stored.
    pub answer: Answer,
    /// Milliseconds from serving the battle to the vote.
    pub latency_ms: i64,
    /// Why it does not count, if it does not (it is stored all the same).
    pub excluded: Option<&'static str>,
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
    /// The answer is not of the battle's kind (a winner for four images, a best for
    /// two), or names an image it does not show; the message says which.
    WrongAnswer(String),
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
    /// What was judged: `overall`, or another axis of the config.
    pub axis: &'a str,
    pub winner: Outcome,
    pub voter_id: &'a str,
    pub model_a_id: i64,
    pub model_b_id: i64,
    pub created_at: DateTime<Utc>,
    /// Milliseconds from serving the battle to the vote.
    pub latency_ms: Option<i64>,
    pub counts_for_leaderboard: bool,
    pub exclusion_reason: Option<&'a str>,
    /// The standing flag that keeps it from counting.
    pub flag_id: Option<i64>,
    /// `arena` for votes cast here, `import:<file>` for imported ones.
    pub source: &'a str,
    pub client_hash: Option<&'a str>,
    pub client_net: Option<&'a str>,
}

/// Why a vote stored by this arena does not count (`exclusion_reason`).
pub mod exclusion {
    /// Its images were not both fetched by its voter before the vote.
    pub const IMAGES_NOT_SEEN: &str = "images_not_seen";
    /// It came sooner after the images than `min_view_ms`.
    pub const TOO_FAST: &str = "too_fast";
    /// Its voter or address is flagged by the rigging detector (see its flag).
    pub const FLAGGED: &str = "flagged";
    /// An operator excluded it by hand.
    pub const OPERATOR: &str = "excluded_by_operator";
}

/// A pair's vote whose counting changes, with what its tally rows need.
#[derive(sqlx::FromRow)]
struct VoteKey {
    id: i64,
    axis: String,
    category: Option<String>,
    created_at: DateTime<Utc>,
    model_a_id: i64,
    model_b_id: i64,
    #[sqlx(try_from = "String")]
    winner: Outcome,
}

/// A stored vote whose counting can change: a pair's (`vote`, a row per axis) or a
/// K-wise battle's (`choice_vote`). The two tables have the same counting columns.
trait Counted: Row {
    /// Its table.
    const TABLE: &'static str;
    /// Selects it, the table named `v`, with its battle `b` and prompt `p`.
    const SELECT: &'static str;
    fn id(&self) -> i64;
    fn add_to(&self, delta: &mut TallyDelta) -> Result<()>;
}

impl Counted for VoteKey {
    const TABLE: &'static str = "vote";
    const SELECT: &'static str = "select v.id, v.axis, p.category, v.created_at, v.model_a_id, \
         v.model_b_id, v.winner from vote v join battle b on b.id = v.battle_id \
         left join prompt p on p.id = b.prompt_id";
    fn id(&self) -> i64 {
        self.id
    }
    fn add_to(&self, delta: &mut TallyDelta) -> Result<()> {
        delta.add(
            &self.axis,
            self.category.as_deref(),
            self.created_at,
            self.model_a_id,
            self.model_b_id,
            self.winner,
        );
        Ok(())
    }
}

impl Counted for ChoiceKey {
    const TABLE: &'static str = "choice_vote";
    const SELECT: &'static str = ChoiceKey::SELECT;
    fn id(&self) -> i64 {
        self.id
    }
    fn add_to(&self, delta: &mut TallyDelta) -> Result<()> {
        ChoiceKey::add_to(self, delta)
    }
}

fn delta_of<K: Counted>(votes: &[K]) -> Result<TallyDelta> {
    let mut delta = TallyDelta::default();
    for v in votes {
        v.add_to(&mut delta)?;
    }
    Ok(delta)
}

/// Stops counting `votes` (counting now, on any axis), with `reason` and the
/// flag behind it, and takes them out of the tallies. Returns how many changed.
async fn stop_counting<K: Counted>(
    c: &mut Tx,
    votes: &[K],
    reason: &str,
    flag_id: Option<i64>,
) -> Result<u64> {
    let update = format!(
        "update {} set counts_for_leaderboard = false, exclusion_reason = $1, flag_id = $2 \
         where id = $3",
        K::TABLE
    );
    for v in votes {
        c.execute(
            sql_owned(update.clone())
                .bind(reason)
                .bind(flag_id)
                .bind(v.id()),
        )
        .await?;
    }
    tally::remove(c, &delta_of(votes)?).await?;
    Ok(votes.len() as u64)
}

/// Makes `votes` (excluded now) count again and adds them back to the tallies.
async fn start_counting<K: Counted>(c: &mut Tx, votes: &[K]) -> Result<u64> {
    let update = format!(
        "update {} set counts_for_leaderboard = true, exclusion_reason = null, \
         flag_id = null where id = $1",
        K::TABLE
    );
    for v in votes {
        c.execute(sql_owned(update.clone()).bind(v.id())).await?;
    }
    tally::add(c, &delta_of(votes)?).await?;
    Ok(votes.len() as u64)
}

/// Excludes every counted vote (on every axis, pairs and K-wise) of a voter (or of an
/// address) because of flag `flag_id`.
pub(super) async fn exclude_flagged(
    c: &mut Tx,
    flag_id: i64,
    voter: Option<&str>,
    address: Option<&str>,
) -> Result<u64> {
    Ok(
        exclude_flagged_in::<VoteKey>(c, flag_id, voter, address).await?
            + exclude_flagged_in::<ChoiceKey>(c, flag_id, voter, address).await?,
    )
}

async fn exclude_flagged_in<K: Counted>(
    c: &mut Tx,
    flag_id: i64,
    voter: Option<&str>,
    address: Option<&str>,
) -> Result<u64> {
    let votes: Vec<K> = c
        .fetch_all(
            sql_owned(format!(
                "{} where v.counts_for_leaderboard \
                 and v.source = 'arena' and (v.voter_id = $1 or v.client_hash = $2) order by v.id",
                K::SELECT
            ))
            .bind(voter)
            .bind(address),
        )
        .await?;
    stop_counting(c, &votes, exclusion::FLAGGED, Some(flag_id)).await
}

/// After flag `flag_id` was cleared: its votes count again, except those another
/// standing flag covers (they move to that flag). Returns how many count again.
pub(super) async fn release_flagged(c: &mut Tx, flag_id: i64) -> Result<u64> {
    Ok(release_flagged_in::<VoteKey>(c, flag_id).await?
        + release_flagged_in::<ChoiceKey>(c, flag_id).await?)
}

async fn release_flagged_in<K: Counted>(c: &mut Tx, flag_id: i64) -> Result<u64> {
    let held: Vec<(i64, String, Option<String>)> = c
        .fetch_all(
            sql_owned(format!(
                "select id, voter_id, client_hash from {} \
                 where flag_id = $1 and not counts_for_leaderboard order by id",
                K::TABLE
            ))
            .bind(flag_id),
        )
        .await?;
    let mut restore = Vec::new();
    for (id, voter, address) in held {
        match super::flag::standing(c, &voter, address.as_deref()).await? {
            Some(other) => {
                c.execute(
                    sql_owned(format!(
                        "update {} set flag_id = $1 where id = $2",
                        K::TABLE
                    ))
                    .bind(other)
                    .bind(id),
                )
                .await?;
            }
            None => restore.push(id),
        }
    }
    let mut votes: Vec<K> = Vec::with_capacity(restore.len());
    for id in restore {
        votes.push(
            c.fetch_one(sql_owned(format!("{} where v.id = $1", K::SELECT)).bind(id))
                .await?,
        );
    }
    start_counting(c, &votes).await
}

/// An operator's decision on one battle's vote (its answers on every axis with it,
/// or its K-wise choice): count it again (`None`) or exclude it with a reason. False
/// when there is no such vote or it is already so.
pub(super) async fn set_counting(
    c: &mut Tx,
    battle_id: &str,
    exclude: Option<&str>,
) -> Result<bool> {
    Ok(set_counting_in::<VoteKey>(c, battle_id, exclude).await?
        || set_counting_in::<ChoiceKey>(c, battle_id, exclude).await?)
}

async fn set_counting_in<K: Counted>(
    c: &mut Tx,
    battle_id: &str,
    exclude: Option<&str>,
) -> Result<bool> {
    let counting = exclude.is_none();
    let votes: Vec<K> = c
        .fetch_all(
            sql_owned(format!(
                "{} where v.battle_id = $1 and v.counts_for_leaderboard = $2",
                K::SELECT
            ))
            .bind(battle_id)
            .bind(!counting),
        )
        .await?;
    if votes.is_empty() {
        return Ok(false);
    }
    match exclude {
        None => start_counting(c, &votes).await?,
        Some(reason) => stop_counting(c, &votes, reason, None).await?,
    };
    Ok(true)
}

/// Inserts a vote; `Conflict` when the battle has one already.
pub(super) async fn insert(c: &mut impl Exec, v: &VoteRow<'_>) -> Result<()> {
    c.execute(
        sql(
            "insert into vote (battle_id, winner, voter_id, model_a_id, model_b_id, created_at, \
             latency_ms, counts_for_leaderboard, exclusion_reason, flag_id, source, client_hash, \
             client_net, axis) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14)",
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
        .bind(v.flag_id)
        .bind(v.source)
        .bind(v.client_hash)
        .bind(v.client_net)
        .bind(v.axis),
    )
    .await?;
    Ok(())
}

/// Why a vote on `battle` at `now` does not count for want of looking: an image its
/// voter never fetched, or less than `least` since the later fetch.
fn unseen(battle: &Battle, now: DateTime<Utc>, least: chrono::Duration) -> Option<&'static str> {
    let fetched: Option<Vec<DateTime<Utc>>> = battle.images.iter().map(|i| i.fetched_at).collect();
    match fetched.and_then(|times| times.into_iter().max()) {
        None => Some(exclusion::IMAGES_NOT_SEEN),
        Some(latest) if now - latest < least => Some(exclusion::TOO_FAST),
        Some(_) => None,
    }
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
        if battle.is_voted() {
            return Ok(VoteOutcome::AlreadyVoted);
        }
        if now - battle.served_at > v.ttl {
            return Ok(VoteOutcome::Expired);
        }
        let models: Vec<i64> = battle.images.iter().map(|i| i.model_id).collect();
        // The answer must be of the battle's kind and name images it shows.
        match (&v.answer, models.len()) {
            (Answer::Pair { .. }, 2) => {}
            (Answer::Choice(c), k @ 3..) => {
                if let Err(why) = KChoice::new(c.best, c.worst, k) {
                    return Ok(VoteOutcome::WrongAnswer(why));
                }
            }
            (Answer::Pair { .. }, k @ 3..) => {
                return Ok(VoteOutcome::WrongAnswer(format!(
                    "This battle shows {k} images: send the best (`best`, and optionally \
                     `worst`), not a winner."
                )));
            }
            (Answer::Choice(_), 2) => {
                return Ok(VoteOutcome::WrongAnswer(
                    "This battle shows two images: send a winner (a, b, tie or both_bad), not \
                     a best."
                        .into(),
                ));
            }
            (_, n) => {
                return Err(StoreError::Invalid(format!(
                    "battle {} has {n} images",
                    battle.id
                )));
            }
        }
        // Stored either way; it counts only when its images were looked at for long
        // enough and neither its voter nor its address is flagged.
        let excluded = match v.min_view.map(|least| unseen(&battle, now, least)) {
            Some(Some(reason)) => Some((reason, None)),
            _ => flag::standing(&mut tx, &v.voter_id, v.client_hash.as_deref())
                .await?
                .map(|id| (exclusion::FLAGGED, Some(id))),
        };
        let latency_ms = (now - battle.served_at).num_milliseconds();
        let mut delta = TallyDelta::default();
        let stored = match &v.answer {
            Answer::Pair { winner, axes } => {
                let mut row = VoteRow {
                    battle_id: &v.battle_id,
                    axis: OVERALL,
                    winner: *winner,
                    voter_id: &v.voter_id,
                    model_a_id: models[0],
                    model_b_id: models[1],
                    created_at: now,
                    latency_ms: Some(latency_ms),
                    counts_for_leaderboard: excluded.is_none(),
                    exclusion_reason: excluded.map(|(reason, _)| reason),
                    flag_id: excluded.and_then(|(_, flag)| flag),
                    source: "arena",
                    client_hash: v.client_hash.as_deref(),
                    client_net: v.client_net.as_deref(),
                };
                // The other axes' answers: rows of their own, counting as the overall
                // one does.
                let answers = std::iter::once((OVERALL, *winner))
                    .chain(axes.iter().map(|(axis, w)| (axis.as_str(), *w)));
                let mut stored = Ok(());
                for (axis, winner) in answers {
                    row.axis = axis;
                    row.winner = winner;
                    stored = insert(&mut tx, &row).await;
                    if stored.is_err() {
                        break;
                    }
                    delta.add(
                        axis,
                        battle.category.as_deref(),
                        now,
                        models[0],
                        models[1],
                        winner,
                    );
                }
                stored
            }
            Answer::Choice(choice) => {
                let row = ChoiceRow {
                    battle_id: &v.battle_id,
                    voter_id: &v.voter_id,
                    models: &models,
                    choice: *choice,
                    created_at: now,
                    latency_ms: Some(latency_ms),
                    counts_for_leaderboard: excluded.is_none(),
                    exclusion_reason: excluded.map(|(reason, _)| reason),
                    flag_id: excluded.and_then(|(_, flag)| flag),
                    client_hash: v.client_hash.as_deref(),
                    client_net: v.client_net.as_deref(),
                };
                delta.add_choice(battle.category.as_deref(), now, &models, *choice);
                choice_vote::insert(&mut tx, &row).await
            }
        };
        match stored {
            Ok(()) => {}
            // Two concurrent votes on one battle: the loser hits the unique constraint.
            Err(StoreError::Conflict) => return Ok(VoteOutcome::AlreadyVoted),
            Err(e) => return Err(e),
        }
        if excluded.is_none() {
            tally::add(&mut tx, &delta).await?;
        }
        match tx.commit().await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Ok(VoteOutcome::AlreadyVoted),
            Err(e) => return Err(e),
        }
        Ok(VoteOutcome::Recorded(Box::new(RecordedVote {
            battle,
            answer: v.answer.clone(),
            latency_ms,
            excluded: excluded.map(|(reason, _)| reason),
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

    /// How many votes `voter` has cast here (answers on every axis, and K-wise votes).
    pub async fn votes_of(&self, voter: &str) -> Result<i64> {
        self.pool()
            .scalar(
                sql("select (select count(*) from vote where voter_id = $1) \
                     + (select count(*) from choice_vote where voter_id = $1)")
                .bind(voter),
            )
            .await
    }

    /// Votes that do not count (pairs and K-wise), per reason (for the methodology
    /// page).
    pub async fn exclusion_counts(&self) -> Result<Vec<(String, i64)>> {
        self.pool()
            .fetch_all(sql("select reason, cast(sum(n) as bigint) from ( \
                 select coalesce(exclusion_reason, 'unspecified') as reason, count(*) as n \
                 from vote where not counts_for_leaderboard and axis = 'overall' group by 1 \
                 union all select coalesce(exclusion_reason, 'unspecified'), count(*) \
                 from choice_vote where not counts_for_leaderboard group by 1) x \
                 group by reason order by reason"))
            .await
    }

    /// The latest votes that do not count (pairs and votes on three or four
    /// images), newest first.
    pub async fn excluded_votes(&self, limit: i64) -> Result<Vec<ExcludedVote>> {
        const LETTER: &str = "when 0 then 'a' when 1 then 'b' when 2 then 'c' when 3 then 'd' end";
        self.pool()
            .fetch_all(
                sql_owned(format!(
                    "select battle_id, created_at, voter_id, model_a, model_b, model_c, model_d, \
                     winner, worst, exclusion_reason, flag_id, source from ( \
                     select v.battle_id, v.created_at, v.voter_id, ma.slug as model_a, \
                     mb.slug as model_b, cast(null as text) as model_c, \
                     cast(null as text) as model_d, v.winner, cast(null as text) as worst, \
                     v.exclusion_reason, v.flag_id, v.source, 0 as kind, v.id \
                     from vote v join model ma on ma.id = v.model_a_id \
                     join model mb on mb.id = v.model_b_id \
                     where not v.counts_for_leaderboard and v.axis = 'overall' \
                     union all \
                     select v.battle_id, v.created_at, v.voter_id, ma.slug, mb.slug, mc.slug, \
                     md.slug, case v.best {LETTER}, case v.worst {LETTER}, \
                     v.exclusion_reason, v.flag_id, v.source, 1, v.id \
                     from choice_vote v join model ma on ma.id = v.model_a_id \
                     join model mb on mb.id = v.model_b_id join model mc on mc.id = v.model_c_id \
                     left join model md on md.id = v.model_d_id \
                     where not v.counts_for_leaderboard) x \
                     order by created_at desc, kind desc, id desc limit $1"
                ))
                .bind(limit),
            )
            .await
    }
}

/// A vote that does not count, for `/admin/votes`.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct ExcludedVote {
    pub battle_id: String,
    pub created_at: DateTime<Utc>,
    pub voter_id: String,
    pub model_a: String,
    pub model_b: String,
    /// The other models of a battle of three or four images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_c: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_d: Option<String>,
    /// A pair's outcome (`a`, `b`, `tie`, `both_bad`), or the best image of a battle of
    /// three or four (`a` … `d`).
    pub winner: String,
    /// The worst image of a battle of three or four, if chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst: Option<String>,
    pub exclusion_reason: Option<String>,
    pub flag_id: Option<i64>,
    pub source: String,
}

impl ExcludedVote {
    /// The models shown, as the admin page lists them.
    pub fn models(&self) -> String {
        [
            Some(&self.model_a),
            Some(&self.model_b),
            self.model_c.as_ref(),
            self.model_d.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" vs ")
    }

    /// The answer, as the admin page words it.
    pub fn answer(&self) -> String {
        if self.model_c.is_none() {
            return self.winner.clone();
        }
        match &self.worst {
            Some(worst) => format!("best {}, worst {worst}", self.winner),
            None => format!("best {}", self.winner),
        }
    }
}
