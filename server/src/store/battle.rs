//! The `battle` table: what was served to whom. A battle's images are in
//! `battle_image` (see `battle_image.rs`): two for a pair, three or four for a K-wise
//! battle. [`read`] fetches them with the vote (a pair's `vote` or a K-wise battle's
//! `choice_vote`) in one query — what showing a battle and voting on it need.

use arena_evaluator::{Outcome, Position};
use chrono::{DateTime, Utc};

use super::battle_image::{self, BattleImage};
use super::choice_vote::KChoice;
use super::sql::{Exec, sql};
use super::{Result, Store, StoreError, generation, voter};

/// How a battle came to be.
pub(super) enum Mode {
    /// Pre-generated images from the pool.
    Pool,
    /// The voter's own prompt, drawn while they wait.
    Live,
    /// A vote imported from another arena's file (no images).
    Imported,
}

impl Mode {
    fn as_str(&self) -> &'static str {
        match self {
            Mode::Pool => "pool",
            Mode::Live => "live",
            Mode::Imported => "imported",
        }
    }
}

/// A battle row to insert.
pub(super) struct BattleRow<'a> {
    pub id: &'a str,
    pub prompt_id: Option<i64>,
    pub voter_id: &'a str,
    pub mode: Mode,
    /// False when the models were visible before the vote (imported data).
    pub anony: bool,
    pub served_at: DateTime<Utc>,
    /// Keyed hashes of the client's address and network.
    pub client_hash: Option<&'a str>,
    pub client_net: Option<&'a str>,
}

/// Inserts a battle; false (and nothing written) when its id exists already.
pub(super) async fn insert(c: &mut impl Exec, b: &BattleRow<'_>) -> Result<bool> {
    let added = c
        .execute(
            sql(
                "insert into battle (id, prompt_id, voter_id, mode, anony, served_at, \
                 client_hash, client_net) values ($1, $2, $3, $4, $5, $6, $7, $8) \
                 on conflict do nothing",
            )
            .bind(b.id)
            .bind(b.prompt_id)
            .bind(b.voter_id)
            .bind(b.mode.as_str())
            .bind(b.anony)
            .bind(b.served_at)
            .bind(b.client_hash)
            .bind(b.client_net),
        )
        .await?;
    Ok(added == 1)
}

/// A pool battle about to be stored: images in display order (the first is A).
#[derive(Clone, Debug)]
pub struct NewBattle {
    pub id: String,
    pub prompt_id: i64,
    pub voter_id: String,
    /// (generation id, model id, image URL token) per position.
    pub images: Vec<(i64, i64, String)>,
    /// Keyed hashes of the client's address and network.
    pub client_hash: Option<String>,
    pub client_net: Option<String>,
    /// Battles after which an image leaves the pool (`[queue] pool_image_battles`; 0: never).
    pub retire_images_after: u32,
}

#[derive(Clone, Debug)]
pub struct Battle {
    pub id: String,
    pub prompt_id: Option<i64>,
    pub prompt: Option<String>,
    pub category: Option<String>,
    pub voter_id: String,
    pub mode: String,
    pub served_at: DateTime<Utc>,
    /// Its images in display order.
    pub images: Vec<BattleImage>,
    /// The overall vote of a pair, once cast.
    pub vote: Option<Outcome>,
    /// The vote of a K-wise battle, once cast.
    pub choice: Option<KChoice>,
    /// The answers on other axes cast with it, in the order stored.
    pub axis_votes: Vec<(String, Outcome)>,
}

impl Battle {
    /// Whether every image exists (a live battle's may still be drawn).
    pub fn is_ready(&self) -> bool {
        !self.images.is_empty() && self.images.iter().all(|i| i.generation_id.is_some())
    }

    /// Whether it has its vote (a pair's or a K-wise one).
    pub fn is_voted(&self) -> bool {
        self.vote.is_some() || self.choice.is_some()
    }
}

/// One row per image of the battle, with the battle's columns repeated.
#[derive(sqlx::FromRow)]
struct BattleImageRow {
    id: String,
    prompt_id: Option<i64>,
    prompt: Option<String>,
    category: Option<String>,
    voter_id: String,
    mode: String,
    served_at: DateTime<Utc>,
    slot: i16,
    token: String,
    model_id: i64,
    model_slug: String,
    model_name: String,
    generation_id: Option<i64>,
    fetched_at: Option<DateTime<Utc>>,
    winner: Option<String>,
    best: Option<i16>,
    worst: Option<i16>,
}

/// The battle `id` with its images and its vote, in one query.
pub(super) async fn read(c: &mut impl Exec, id: &str) -> Result<Option<Battle>> {
    let rows: Vec<BattleImageRow> = c
        .fetch_all(
            sql(
                "select b.id, b.prompt_id, p.text as prompt, p.category, b.voter_id, b.mode, \
                 b.served_at, bi.slot, bi.token, bi.model_id, m.slug as model_slug, \
                 m.display_name as model_name, bi.generation_id, bi.fetched_at, v.winner, cv.best, cv.worst \
                 from battle b left join prompt p on p.id = b.prompt_id \
                 join battle_image bi on bi.battle_id = b.id join model m on m.id = bi.model_id \
                 left join vote v on v.battle_id = b.id and v.axis = 'overall' \
                 left join choice_vote cv on cv.battle_id = b.id \
                 where b.id = $1 order by bi.slot",
            )
            .bind(id),
        )
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let vote = first
        .winner
        .as_deref()
        .map(Outcome::parse_arena)
        .transpose()
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let choice = first
        .best
        .map(|best| KChoice::from_slots(best, first.worst))
        .transpose()?;
    let mut battle = Battle {
        id: first.id.clone(),
        prompt_id: first.prompt_id,
        prompt: first.prompt.clone(),
        category: first.category.clone(),
        voter_id: first.voter_id.clone(),
        mode: first.mode.clone(),
        served_at: first.served_at,
        images: Vec::with_capacity(rows.len()),
        vote,
        choice,
        axis_votes: Vec::new(),
    };
    if battle.vote.is_some() {
        let answers: Vec<(String, String)> = c
            .fetch_all(
                sql(
                    "select axis, winner from vote where battle_id = $1 and axis <> 'overall' \
                     order by id",
                )
                .bind(id),
            )
            .await?;
        for (axis, winner) in answers {
            let winner =
                Outcome::parse_arena(&winner).map_err(|e| StoreError::Invalid(e.to_string()))?;
            battle.axis_votes.push((axis, winner));
        }
    }
    for r in rows {
        let position = usize::try_from(r.slot)
            .ok()
            .and_then(Position::new)
            .ok_or_else(|| StoreError::Invalid(format!("battle image slot {}", r.slot)))?;
        battle.images.push(BattleImage {
            position,
            token: r.token,
            model_id: r.model_id,
            model_slug: r.model_slug,
            model_name: r.model_name,
            generation_id: r.generation_id,
            fetched_at: r.fetched_at,
        });
    }
    Ok(Some(battle))
}

impl Store {
    /// Stores a served pool battle and its images, registering its voter on first
    /// sight, in one transaction.
    pub async fn add_battle(&self, b: &NewBattle) -> Result<()> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        voter::ensure(&mut tx, &b.voter_id, now).await?;
        let row = BattleRow {
            id: &b.id,
            prompt_id: Some(b.prompt_id),
            voter_id: &b.voter_id,
            mode: Mode::Pool,
            anony: true,
            served_at: now,
            client_hash: b.client_hash.as_deref(),
            client_net: b.client_net.as_deref(),
        };
        if !insert(&mut tx, &row).await? {
            return Err(StoreError::Conflict);
        }
        for (i, (generation_id, model_id, token)) in b.images.iter().enumerate() {
            let position = Position::new(i)
                .ok_or_else(|| StoreError::Invalid(format!("a battle of {} images", i + 1)))?;
            let image = battle_image::ImageRow {
                battle_id: &b.id,
                position,
                generation_id: Some(*generation_id),
                model_id: *model_id,
                token,
            };
            battle_image::insert(&mut tx, &image).await?;
        }
        let shown: Vec<i64> = b.images.iter().map(|(id, _, _)| *id).collect();
        generation::count_battle(&mut tx, &shown, b.retire_images_after, now).await?;
        tx.commit().await
    }

    /// The battle with its images (in display order) and its vote.
    pub async fn battle(&self, id: &str) -> Result<Option<Battle>> {
        read(&mut self.pool(), id).await
    }
}
