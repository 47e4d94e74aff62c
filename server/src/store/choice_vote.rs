//! The `choice_vote` table: the vote of a K-wise battle (three or four images), one
//! per battle — the image judged best and, optionally, the one judged worst — stored
//! before it is acknowledged, like a pair's `vote`. Whether it counts changes through
//! the same functions as a pair's (`vote.rs`), through [`ChoiceKey`].

use arena_evaluator::Position;
use chrono::{DateTime, Utc};

use super::sql::{Exec, sql};
use super::tally::TallyDelta;
use super::{Result, StoreError};

/// What the voter of a K-wise battle chose: the best image, and the worst if they
/// picked one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KChoice {
    pub best: Position,
    pub worst: Option<Position>,
}

impl KChoice {
    /// The choice among `k` images, or why it is not one.
    pub fn new(best: Position, worst: Option<Position>, k: usize) -> Result<KChoice, String> {
        let letters = || {
            (0..k)
                .filter_map(Position::new)
                .map(Position::letter)
                .collect::<Vec<_>>()
                .join(", ")
        };
        for p in std::iter::once(best).chain(worst) {
            if p.index() >= k {
                return Err(format!(
                    "This battle shows {k} images: choose one of {} (got {:?}).",
                    letters(),
                    p.letter()
                ));
            }
        }
        if worst == Some(best) {
            return Err("The worst image cannot also be the best.".into());
        }
        Ok(KChoice { best, worst })
    }

    /// Slots as stored (`worst` is -1 in the tallies when there is none).
    pub(super) fn slots(self) -> (i16, Option<i16>) {
        (
            self.best.index() as i16,
            self.worst.map(|w| w.index() as i16),
        )
    }

    /// The choice as read back from its slots.
    pub(super) fn from_slots(best: i16, worst: Option<i16>) -> Result<KChoice> {
        let position = |slot: i16| {
            usize::try_from(slot)
                .ok()
                .and_then(Position::new)
                .ok_or_else(|| StoreError::Invalid(format!("choice slot {slot}")))
        };
        Ok(KChoice {
            best: position(best)?,
            worst: worst.map(position).transpose()?,
        })
    }
}

/// A K-wise vote row to insert.
pub(super) struct ChoiceRow<'a> {
    pub battle_id: &'a str,
    pub voter_id: &'a str,
    /// The models in display order (three or four).
    pub models: &'a [i64],
    pub choice: KChoice,
    pub created_at: DateTime<Utc>,
    pub latency_ms: Option<i64>,
    pub counts_for_leaderboard: bool,
    pub exclusion_reason: Option<&'a str>,
    pub flag_id: Option<i64>,
    pub client_hash: Option<&'a str>,
    pub client_net: Option<&'a str>,
}

/// Inserts a K-wise vote; `Conflict` when the battle has one already.
pub(super) async fn insert(c: &mut impl Exec, v: &ChoiceRow<'_>) -> Result<()> {
    let (best, worst) = v.choice.slots();
    let &[a, b, cc, ref d @ ..] = v.models else {
        return Err(StoreError::Invalid(format!(
            "a K-wise vote on {} models",
            v.models.len()
        )));
    };
    c.execute(
        sql(
            "insert into choice_vote (battle_id, voter_id, model_a_id, model_b_id, model_c_id, \
             model_d_id, best, worst, created_at, latency_ms, counts_for_leaderboard, \
             exclusion_reason, flag_id, source, client_hash, client_net) values ($1, $2, $3, $4, \
             $5, $6, $7, $8, $9, $10, $11, $12, $13, 'arena', $14, $15)",
        )
        .bind(v.battle_id)
        .bind(v.voter_id)
        .bind(a)
        .bind(b)
        .bind(cc)
        .bind(d.first().copied())
        .bind(best)
        .bind(worst)
        .bind(v.created_at)
        .bind(v.latency_ms)
        .bind(v.counts_for_leaderboard)
        .bind(v.exclusion_reason)
        .bind(v.flag_id)
        .bind(v.client_hash)
        .bind(v.client_net),
    )
    .await?;
    Ok(())
}

/// A K-wise vote whose counting changes, with what its tally rows need.
#[derive(sqlx::FromRow)]
pub(super) struct ChoiceKey {
    pub id: i64,
    category: Option<String>,
    created_at: DateTime<Utc>,
    model_a_id: i64,
    model_b_id: i64,
    model_c_id: i64,
    model_d_id: Option<i64>,
    best: i16,
    worst: Option<i16>,
}

impl ChoiceKey {
    /// Reads the keys, `v` being `choice_vote`.
    pub const SELECT: &'static str = "select v.id, p.category, v.created_at, v.model_a_id, \
         v.model_b_id, v.model_c_id, v.model_d_id, v.best, v.worst from choice_vote v \
         join battle b on b.id = v.battle_id left join prompt p on p.id = b.prompt_id";

    /// Adds this vote to `delta`.
    pub fn add_to(&self, delta: &mut TallyDelta) -> Result<()> {
        let mut models = vec![self.model_a_id, self.model_b_id, self.model_c_id];
        models.extend(self.model_d_id);
        let choice = KChoice::from_slots(self.best, self.worst)?;
        delta.add_choice(self.category.as_deref(), self.created_at, &models, choice);
        Ok(())
    }
}
