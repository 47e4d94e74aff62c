//! The `generation` table: images made by a model for a prompt, ready for battles.
//!
//! A pool image is served in battles until it is retired (`retired_at`): after
//! `[queue] pool_image_battles` battles, when that is set. A retired image is never
//! put into a new battle again, and only then may public pages show it beside its
//! model's name (an image that can still be served must not be recognisable by its
//! bytes). The refill draws a replacement with a new seed.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sql::{Exec, sql, sql_owned};
use super::{Result, Store};
use crate::generation::style::Style;

/// A style as the `style` column stores it: a JSON object of the statistics.
pub(super) fn style_json(style: &Style) -> String {
    serde_json::to_string(style).expect("numbers always serialise")
}

/// The `style` column read back; `None` for a missing or unreadable value.
pub fn parse_style(text: Option<&str>) -> Option<Style> {
    serde_json::from_str(text?).ok()
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Generation {
    pub id: i64,
    pub model_id: i64,
    pub prompt_id: i64,
    pub blob_key: String,
    pub sha256: String,
    pub width: i32,
    pub height: i32,
    pub seed: i64,
    pub steps: Option<i32>,
    pub params: String,
    pub latency_ms: i64,
    pub created_at: DateTime<Utc>,
    /// Pool battles that have shown it.
    pub battles: i32,
    /// When it left the battle pool; `None` while it can be served.
    pub retired_at: Option<DateTime<Utc>>,
}

const GENERATION_COLUMNS: &str = "id, model_id, prompt_id, blob_key, sha256, width, height, \
     seed, steps, params, latency_ms, created_at, battles, retired_at";

/// An image that may be put into a battle, with its model's matchmaking weight.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Candidate {
    pub generation_id: i64,
    pub model_id: i64,
    pub model_slug: String,
    pub weight: f64,
}

/// An image to record.
pub(super) struct GenerationRow<'a> {
    pub model_id: i64,
    pub prompt_id: i64,
    pub blob_key: &'a str,
    pub sha256: &'a str,
    pub width: u32,
    pub height: u32,
    pub seed: i64,
    pub steps: Option<i32>,
    /// The generator's parameters, a JSON object.
    pub params: String,
    pub latency_ms: i64,
    /// Style statistics of the stored image (`None`: left for the backfill).
    pub style: Option<&'a Style>,
}

impl Store {
    /// Up to `limit` stored images whose style has not been computed, after id
    /// `after`, by id: (id, blob key).
    pub async fn generations_without_style(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        self.pool()
            .fetch_all(
                sql(
                    "select id, blob_key from generation where style is null and id > $1 \
                     order by id limit $2",
                )
                .bind(after)
                .bind(limit),
            )
            .await
    }

    /// Records an image's style (computed after it was stored).
    pub async fn set_generation_style(&self, id: i64, style: &Style) -> Result<()> {
        self.pool()
            .execute(
                sql("update generation set style = $1 where id = $2")
                    .bind(style_json(style))
                    .bind(id),
            )
            .await?;
        Ok(())
    }
}

/// Records an image; one already recorded for the same (model, prompt, seed) is kept
/// as it is. Returns the id of the stored row either way.
pub(super) async fn insert(
    c: &mut impl Exec,
    g: &GenerationRow<'_>,
    now: DateTime<Utc>,
) -> Result<i64> {
    c.execute(
        sql(
            "insert into generation (model_id, prompt_id, blob_key, sha256, width, height, seed, \
             steps, params, latency_ms, created_at, style) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) on conflict do nothing",
        )
        .bind(g.model_id)
        .bind(g.prompt_id)
        .bind(g.blob_key)
        .bind(g.sha256)
        .bind(g.width as i32)
        .bind(g.height as i32)
        .bind(g.seed)
        .bind(g.steps)
        .bind(g.params.as_str())
        .bind(g.latency_ms)
        .bind(now)
        .bind(g.style.map(style_json)),
    )
    .await?;
    c.scalar(
        sql("select id from generation where model_id = $1 and prompt_id = $2 and seed = $3")
            .bind(g.model_id)
            .bind(g.prompt_id)
            .bind(g.seed),
    )
    .await
}

/// Counts one more pool battle showing each of the images, and retires those that
/// this brings to `retire_after` battles (0: images are never retired). Runs in the
/// transaction that stores the battle, so the counts and the battle go together.
pub(super) async fn count_battle(
    c: &mut impl Exec,
    generation_ids: &[i64],
    retire_after: u32,
    now: DateTime<Utc>,
) -> Result<()> {
    // Rows locked in id order: battles served at the same moment that share images
    // wait for each other instead of deadlocking (Postgres).
    let mut ids = generation_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        c.execute(
            sql("update generation set battles = battles + 1, \
                 retired_at = case when $2 > 0 and battles + 1 >= $2 and retired_at is null \
                     then $3 else retired_at end \
                 where id = $1")
            .bind(id)
            .bind(i64::from(retire_after))
            .bind(now),
        )
        .await?;
    }
    Ok(())
}

/// Whether the model has any image of the prompt.
pub(super) async fn exists(c: &mut impl Exec, model_id: i64, prompt_id: i64) -> Result<bool> {
    let id: Option<i64> = c
        .scalar_optional(
            sql("select id from generation where model_id = $1 and prompt_id = $2 limit 1")
                .bind(model_id)
                .bind(prompt_id),
        )
        .await?;
    Ok(id.is_some())
}

impl Store {
    pub async fn generation(&self, id: i64) -> Result<Option<Generation>> {
        self.pool()
            .fetch_optional(
                sql_owned(format!(
                    "select {GENERATION_COLUMNS} from generation where id = $1"
                ))
                .bind(id),
            )
            .await
    }

    /// Every image of the pool's prompts (not voters' own), retired ones too, by
    /// prompt, model, then oldest first.
    pub async fn pool_generations(&self) -> Result<Vec<Generation>> {
        self.pool()
            .fetch_all(sql_owned(format!(
                "select {GENERATION_COLUMNS} from generation \
                 where prompt_id in (select id from prompt where source <> 'voter') \
                 order by prompt_id, model_id, id"
            )))
            .await
    }

    /// Retires every image shown in at least `max_battles` battles that is not
    /// retired yet (0: none is). Serving a battle retires its images as it counts
    /// them; this catches what that cannot: a lower setting than the one the images
    /// were counted under, and battles served at the same moment on several servers.
    pub async fn retire_spent_images(&self, max_battles: u32) -> Result<u64> {
        if max_battles == 0 {
            return Ok(0);
        }
        let mut pool = self.pool();
        let spent: Vec<i64> = pool
            .fetch_all(
                sql("select id from generation where retired_at is null and battles >= $1")
                    .bind(i64::from(max_battles)),
            )
            .await?
            .into_iter()
            .map(|(id,): (i64,)| id)
            .collect();
        // One row per statement: holding one row lock at a time, this never deadlocks
        // with a battle being served (which locks its images' rows).
        let now = Utc::now();
        let mut retired = 0;
        for id in spent {
            retired += pool
                .execute(
                    sql("update generation set retired_at = $1 \
                         where id = $2 and retired_at is null")
                    .bind(now)
                    .bind(id),
                )
                .await?;
        }
        Ok(retired)
    }

    /// Counts (images present, images wanted) for the pool of `backend`'s models.
    pub async fn pool_progress(&self, backend: &str) -> Result<(i64, i64)> {
        let (present, wanted): (Option<i64>, i64) = self
            .pool()
            .fetch_one(
                sql("select sum(case when exists (select 1 from generation g \
                         where g.prompt_id = p.id and g.model_id = m.id and g.retired_at is null) \
                         then 1 else 0 end), count(*) \
                     from prompt p cross join model m \
                     where m.backend = $1 and m.status = 'active' and p.moderation = 'ok' \
                       and p.source <> 'voter'")
                .bind(backend),
            )
            .await?;
        Ok((present.unwrap_or(0), wanted))
    }

    /// The votable prompts (images that can still be served from at least two active
    /// models), optionally within a category.
    pub async fn pool_prompts(&self, category: Option<&str>) -> Result<Vec<i64>> {
        self.pool()
            .scalars(
                sql("select g.prompt_id from generation g \
                     join model m on m.id = g.model_id join prompt p on p.id = g.prompt_id \
                     where g.retired_at is null and m.status = 'active' and p.moderation = 'ok' \
                       and p.source <> 'voter' and (cast($1 as text) is null or p.category = $1) \
                     group by g.prompt_id having count(distinct g.model_id) >= 2 \
                     order by g.prompt_id")
                .bind(category),
            )
            .await
    }

    /// Images of active models for a prompt that can still be served (not retired).
    pub async fn candidates(&self, prompt_id: i64) -> Result<Vec<Candidate>> {
        self.pool()
            .fetch_all(
                sql("select g.id as generation_id, m.id as model_id, m.slug as model_slug, m.weight \
                     from generation g join model m on m.id = g.model_id \
                     where g.prompt_id = $1 and g.retired_at is null and m.status = 'active' \
                     order by g.id")
                .bind(prompt_id),
            )
            .await
    }
}
