//! The `worker` table: generation workers, their hashed tokens, the models each token
//! may serve, and when they were last seen asking for work.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sql::{Exec, sql, sql_owned};
use super::{Result, Store, StoreError, job};

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
    /// JSON array of the model slugs its token may lease; `None`: every model.
    pub allowed_models: Option<String>,
}

impl Worker {
    pub fn model_slugs(&self) -> Vec<String> {
        serde_json::from_str(&self.models).unwrap_or_default()
    }

    /// The model slugs its token may lease; `None`: every model. A list that cannot be
    /// read allows nothing rather than everything.
    pub fn allowed_slugs(&self) -> Option<Vec<String>> {
        self.allowed_models
            .as_deref()
            .map(|list| serde_json::from_str(list).unwrap_or_default())
    }
}

const COLUMNS: &str = "id, name, created_at, last_seen_at, revoked_at, models, allowed_models";

/// Registers a worker that may serve `allowed_models` (JSON; `None`: all); false when
/// the name is taken (nothing is written then).
async fn insert(
    c: &mut impl Exec,
    name: &str,
    token_hash: &str,
    allowed_models: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let added = c
        .execute(
            sql(
                "insert into worker (name, token_hash, allowed_models, created_at) \
                 values ($1, $2, $3, $4) on conflict do nothing",
            )
            .bind(name)
            .bind(token_hash)
            .bind(allowed_models)
            .bind(now),
        )
        .await?;
    Ok(added == 1)
}

/// Records that the worker is alive and which models it serves now.
async fn touch(c: &mut impl Exec, id: i64, models: &str, now: DateTime<Utc>) -> Result<()> {
    c.execute(
        sql("update worker set last_seen_at = $1, models = $2 where id = $3")
            .bind(now)
            .bind(models)
            .bind(id),
    )
    .await?;
    Ok(())
}

/// Replaces the worker's token hash; `revoked_at` set means no token works.
async fn set_token(
    c: &mut impl Exec,
    id: i64,
    token_hash: &str,
    revoked_at: Option<DateTime<Utc>>,
) -> Result<()> {
    c.execute(
        sql("update worker set token_hash = $1, revoked_at = $2 where id = $3")
            .bind(token_hash)
            .bind(revoked_at)
            .bind(id),
    )
    .await?;
    Ok(())
}

async fn id_by_name(c: &mut impl Exec, name: &str) -> Result<Option<i64>> {
    c.scalar_optional(sql("select id from worker where name = $1").bind(name))
        .await
}

impl Store {
    /// Registers a worker under `name` with the hash of its token, allowed to serve
    /// `allowed_models` (`None`: every model); `Conflict` when the name is taken.
    pub async fn add_worker(
        &self,
        name: &str,
        token_hash: &str,
        allowed_models: Option<&[String]>,
    ) -> Result<i64> {
        let allowed = allowed_models.map(|slugs| serde_json::Value::from(slugs).to_string());
        let mut tx = self.begin().await?;
        if !insert(&mut tx, name, token_hash, allowed.as_deref(), Utc::now()).await? {
            return Err(StoreError::Conflict);
        }
        let id = id_by_name(&mut tx, name).await?;
        tx.commit().await?;
        id.ok_or(StoreError::Sqlx(sqlx::Error::RowNotFound))
    }

    /// The worker called `name`, created with `token_hash` and every model if there is
    /// none (the embedded worker, which never shows a token).
    pub async fn ensure_worker(&self, name: &str, token_hash: &str) -> Result<i64> {
        let mut pool = self.pool();
        insert(&mut pool, name, token_hash, None, Utc::now()).await?;
        id_by_name(&mut pool, name)
            .await?
            .ok_or(StoreError::Sqlx(sqlx::Error::RowNotFound))
    }

    pub async fn worker_by_token_hash(&self, token_hash: &str) -> Result<Option<Worker>> {
        self.pool()
            .fetch_optional(
                sql_owned(format!(
                    "select {COLUMNS} from worker where token_hash = $1 and revoked_at is null"
                ))
                .bind(token_hash),
            )
            .await
    }

    pub async fn list_workers(&self) -> Result<Vec<Worker>> {
        self.pool()
            .fetch_all(sql_owned(format!(
                "select {COLUMNS} from worker order by name"
            )))
            .await
    }

    /// Records that the worker is alive and which models it serves now.
    pub async fn touch_worker(&self, worker_id: i64, models: &[String]) -> Result<()> {
        let models = serde_json::to_string(models).unwrap_or_else(|_| "[]".into());
        touch(&mut self.pool(), worker_id, &models, Utc::now()).await
    }

    /// Model slugs served by workers seen since `since`.
    pub async fn served_model_slugs(&self, since: DateTime<Utc>) -> Result<Vec<String>> {
        let lists: Vec<String> = self
            .pool()
            .scalars(
                sql("select models from worker where last_seen_at >= $1 and revoked_at is null")
                    .bind(since),
            )
            .await?;
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
    /// no longer finish them. The models it may serve stay as they were. `None` when
    /// there is no such worker; otherwise how many jobs were returned.
    pub async fn replace_worker_token(
        &self,
        name: &str,
        token_hash: Option<&str>,
    ) -> Result<Option<u64>> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let Some(id) = id_by_name(&mut tx, name).await? else {
            return Ok(None);
        };
        // A revoked worker keeps a unique hash that no token has: tokens hash to hex.
        let hash = token_hash.map_or_else(|| format!("revoked:{id}"), str::to_string);
        set_token(&mut tx, id, &hash, token_hash.is_none().then_some(now)).await?;
        let released = job::release_held_by(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(released))
    }
}
