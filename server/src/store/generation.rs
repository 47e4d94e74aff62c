//! The `generation` table: images made by a model for a prompt, ready for battles.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Result, Store, on_pool};

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

impl Store {
    pub async fn generation(&self, id: i64) -> Result<Option<Generation>> {
        let row = on_pool!(self, pool => sqlx::query_as(
            "select id, model_id, prompt_id, blob_key, sha256, width, height, seed, steps, params, \
             latency_ms, created_at from generation where id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        Ok(row)
    }

    /// Counts (images present, images wanted) for the pool of `backend`'s models.
    pub async fn pool_progress(&self, backend: &str) -> Result<(i64, i64)> {
        let (present, wanted): (Option<i64>, i64) = on_pool!(self, pool => sqlx::query_as(
            "select sum(case when exists (select 1 from generation g \
                 where g.prompt_id = p.id and g.model_id = m.id) then 1 else 0 end), count(*) \
             from prompt p cross join model m \
             where m.backend = $1 and m.status = 'active' and p.moderation = 'ok' and p.source <> 'voter'",
        )
        .bind(backend)
        .fetch_one(pool)
        .await)?;
        Ok((present.unwrap_or(0), wanted))
    }

    /// A random votable prompt (images from at least two active models), optionally
    /// within a category.
    pub async fn random_pool_prompt(&self, category: Option<&str>) -> Result<Option<i64>> {
        let id = on_pool!(self, pool => sqlx::query_scalar(
            "select g.prompt_id from generation g \
             join model m on m.id = g.model_id join prompt p on p.id = g.prompt_id \
             where m.status = 'active' and p.moderation = 'ok' and p.source <> 'voter' \
               and (cast($1 as text) is null or p.category = $1) \
             group by g.prompt_id having count(distinct g.model_id) >= 2 \
             order by random() limit 1",
        )
        .bind(category)
        .fetch_optional(pool)
        .await)?;
        Ok(id)
    }

    /// Images of active models for a prompt.
    pub async fn candidates(&self, prompt_id: i64) -> Result<Vec<Candidate>> {
        let rows = on_pool!(self, pool => sqlx::query_as(
            "select g.id as generation_id, m.id as model_id, m.slug as model_slug, m.weight \
             from generation g join model m on m.id = g.model_id \
             where g.prompt_id = $1 and m.status = 'active' order by g.id",
        )
        .bind(prompt_id)
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }
}
