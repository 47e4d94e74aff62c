//! The `model` table: which generators take part and how often they are matched.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Result, Store, StoreError, on_pool};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelStatus {
    /// Matched in new battles.
    Active,
    /// Not matched; kept for its votes.
    Disabled,
    /// Retired; not matched, shown as deprecated on the leaderboard.
    Deprecated,
}

impl ModelStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelStatus::Active => "active",
            ModelStatus::Disabled => "disabled",
            ModelStatus::Deprecated => "deprecated",
        }
    }

    fn parse(s: &str) -> ModelStatus {
        match s {
            "disabled" => ModelStatus::Disabled,
            "deprecated" => ModelStatus::Deprecated,
            _ => ModelStatus::Active,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Model {
    #[serde(skip)]
    pub id: i64,
    pub slug: String,
    pub display_name: String,
    pub backend: String,
    pub version: String,
    pub description: String,
    pub status: ModelStatus,
    pub weight: f64,
    pub added_at: DateTime<Utc>,
    pub deprecated_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ModelRow {
    id: i64,
    slug: String,
    display_name: String,
    backend: String,
    version: String,
    description: String,
    status: String,
    weight: f64,
    added_at: DateTime<Utc>,
    deprecated_at: Option<DateTime<Utc>>,
}

impl From<ModelRow> for Model {
    fn from(r: ModelRow) -> Model {
        Model {
            id: r.id,
            slug: r.slug,
            display_name: r.display_name,
            backend: r.backend,
            version: r.version,
            description: r.description,
            status: ModelStatus::parse(&r.status),
            weight: r.weight,
            added_at: r.added_at,
            deprecated_at: r.deprecated_at,
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewModel {
    pub slug: String,
    pub display_name: String,
    pub backend: String,
    pub version: String,
    pub description: String,
    pub weight: f64,
}

macro_rules! model_columns {
    () => {
        "id, slug, display_name, backend, version, description, status, weight, added_at, deprecated_at"
    };
}

impl Store {
    /// Registers a model; `Conflict` when the slug is taken.
    pub async fn add_model(&self, m: &NewModel) -> Result<Model> {
        let sql = concat!(
            "insert into model (slug, display_name, backend, version, description, weight, added_at) \
             values ($1, $2, $3, $4, $5, $6, $7) returning ",
            model_columns!()
        );
        let row: ModelRow = on_pool!(self, pool => sqlx::query_as(sql)
            .bind(&m.slug)
            .bind(&m.display_name)
            .bind(&m.backend)
            .bind(&m.version)
            .bind(&m.description)
            .bind(m.weight)
            .bind(Utc::now())
            .fetch_one(pool)
            .await)?;
        Ok(row.into())
    }

    /// Registers a model unless its slug exists; returns whether it was added.
    pub async fn ensure_model(&self, m: &NewModel) -> Result<bool> {
        match self.add_model(m).await {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn list_models(&self) -> Result<Vec<Model>> {
        let sql = concat!("select ", model_columns!(), " from model order by slug");
        let rows: Vec<ModelRow> =
            on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(Model::from).collect())
    }

    pub async fn model_by_slug(&self, slug: &str) -> Result<Option<Model>> {
        let sql = concat!("select ", model_columns!(), " from model where slug = $1");
        let row: Option<ModelRow> =
            on_pool!(self, pool => sqlx::query_as(sql).bind(slug).fetch_optional(pool).await)?;
        Ok(row.map(Model::from))
    }

    /// Changes a model's status; false when no model has that slug.
    pub async fn set_model_status(&self, slug: &str, status: ModelStatus) -> Result<bool> {
        let deprecated_at = (status == ModelStatus::Deprecated).then(Utc::now);
        let done = on_pool!(self, pool => sqlx::query(
            "update model set status = $1, deprecated_at = coalesce($2, deprecated_at) where slug = $3",
        )
        .bind(status.as_str())
        .bind(deprecated_at)
        .bind(slug)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }
}
