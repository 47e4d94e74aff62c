//! The `generation` table: images made by a model for a prompt, ready for battles.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sql::{Exec, sql};
use super::{Result, Store};

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
}

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
             steps, params, latency_ms, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict do nothing",
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
        .bind(now),
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
                sql(
                    "select id, model_id, prompt_id, blob_key, sha256, width, height, seed, steps, \
                     params, latency_ms, created_at from generation where id = $1",
                )
                .bind(id),
            )
            .await
    }

    /// Counts (images present, images wanted) for the pool of `backend`'s models.
    pub async fn pool_progress(&self, backend: &str) -> Result<(i64, i64)> {
        let (present, wanted): (Option<i64>, i64) = self
            .pool()
            .fetch_one(
                sql("select sum(case when exists (select 1 from generation g \
                         where g.prompt_id = p.id and g.model_id = m.id) then 1 else 0 end), count(*) \
                     from prompt p cross join model m \
                     where m.backend = $1 and m.status = 'active' and p.moderation = 'ok' \
                       and p.source <> 'voter'")
                .bind(backend),
            )
            .await?;
        Ok((present.unwrap_or(0), wanted))
    }

    /// A random votable prompt (images from at least two active models), optionally
    /// within a category.
    pub async fn random_pool_prompt(&self, category: Option<&str>) -> Result<Option<i64>> {
        self.pool()
            .scalar_optional(
                sql("select g.prompt_id from generation g \
                     join model m on m.id = g.model_id join prompt p on p.id = g.prompt_id \
                     where m.status = 'active' and p.moderation = 'ok' and p.source <> 'voter' \
                       and (cast($1 as text) is null or p.category = $1) \
                     group by g.prompt_id having count(distinct g.model_id) >= 2 \
                     order by random() limit 1")
                .bind(category),
            )
            .await
    }

    /// Images of active models for a prompt.
    pub async fn candidates(&self, prompt_id: i64) -> Result<Vec<Candidate>> {
        self.pool()
            .fetch_all(
                sql("select g.id as generation_id, m.id as model_id, m.slug as model_slug, m.weight \
                     from generation g join model m on m.id = g.model_id \
                     where g.prompt_id = $1 and m.status = 'active' order by g.id")
                .bind(prompt_id),
            )
            .await
    }
}
