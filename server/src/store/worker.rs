//! The `worker` table: generation workers, their hashed tokens and when they were
//! last seen asking for work.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Result, Store, on_pool};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Worker {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Set by `arena workers revoke`; its token no longer works.
    pub revoked_at: Option<DateTime<Utc>>,
    /// JSON array of the model slugs it asked for at its latest lease.
    pub models: String,
}

impl Worker {
    pub fn model_slugs(&self) -> Vec<String> {
        serde_json::from_str(&self.models).unwrap_or_default()
    }
}

impl Store {
    /// Registers a worker under `name` with the hash of its token; `Conflict` when the
    /// name is taken.
    pub async fn add_worker(&self, name: &str, token_hash: &str) -> Result<i64> {
        let id = on_pool!(self, pool => sqlx::query_scalar(
            "insert into worker (name, token_hash, created_at) values ($1, $2, $3) returning id",
        )
        .bind(name)
        .bind(token_hash)
        .bind(Utc::now())
        .fetch_one(pool)
        .await)?;
        Ok(id)
    }

    /// The worker called `name`, created with `token_hash` if there is none
    /// (the embedded worker, which never shows a token).
    pub async fn ensure_worker(&self, name: &str, token_hash: &str) -> Result<i64> {
        on_pool!(self, pool => sqlx::query(
            "insert into worker (name, token_hash, created_at) values ($1, $2, $3) \
             on conflict do nothing",
        )
        .bind(name)
        .bind(token_hash)
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|_| ()))?;
        let id = on_pool!(self, pool => sqlx::query_scalar("select id from worker where name = $1")
            .bind(name)
            .fetch_one(pool)
            .await)?;
        Ok(id)
    }

    pub async fn worker_by_token_hash(&self, token_hash: &str) -> Result<Option<Worker>> {
        let row = on_pool!(self, pool => sqlx::query_as(
            "select id, name, created_at, last_seen_at, revoked_at, models from worker \
             where token_hash = $1 and revoked_at is null",
        )
        .bind(token_hash)
        .fetch_optional(pool)
        .await)?;
        Ok(row)
    }

    pub async fn list_workers(&self) -> Result<Vec<Worker>> {
        let rows = on_pool!(self, pool => sqlx::query_as(
            "select id, name, created_at, last_seen_at, revoked_at, models from worker order by name",
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }

    /// Records that the worker is alive and which models it serves now.
    pub async fn touch_worker(&self, worker_id: i64, models: &[String]) -> Result<()> {
        let models = serde_json::to_string(models).unwrap_or_else(|_| "[]".into());
        on_pool!(self, pool => sqlx::query(
            "update worker set last_seen_at = $1, models = $2 where id = $3",
        )
        .bind(Utc::now())
        .bind(models)
        .bind(worker_id)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Model slugs served by workers seen since `since`.
    pub async fn served_model_slugs(&self, since: DateTime<Utc>) -> Result<Vec<String>> {
        let lists: Vec<String> = on_pool!(self, pool => sqlx::query_scalar(
            "select models from worker where last_seen_at >= $1 and revoked_at is null",
        )
        .bind(since)
        .fetch_all(pool)
        .await)?;
        let mut slugs: Vec<String> = lists
            .iter()
            .flat_map(|l| serde_json::from_str::<Vec<String>>(l).unwrap_or_default())
            .collect();
        slugs.sort();
        slugs.dedup();
        Ok(slugs)
    }

    /// Gives the worker called `name` a new token hash, or none (`None`: revoked), in
    /// one transaction that also returns the jobs it holds to the queue, since it can
    /// no longer finish them. `None` when there is no such worker; otherwise how many
    /// jobs were returned.
    pub async fn replace_worker_token(
        &self,
        name: &str,
        token_hash: Option<&str>,
    ) -> Result<Option<u64>> {
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = super::begin_write(pool).await?;
            let id: Option<i64> = sqlx::query_scalar("select id from worker where name = $1")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(id) = id else {
                return Ok(None);
            };
            // A revoked worker keeps a unique hash that no token has: tokens hash to hex.
            let hash = token_hash.map_or_else(|| format!("revoked:{id}"), str::to_string);
            sqlx::query("update worker set token_hash = $1, revoked_at = $2 where id = $3")
                .bind(hash)
                .bind(token_hash.is_none().then_some(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let released = sqlx::query(
                "update job set state = 'queued', lease_expires_at = null, \
                 failure_reason = 'its worker''s token was replaced or revoked' \
                 where worker_id = $1 and state = 'leased'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(Some(released))
        })
    }
}
