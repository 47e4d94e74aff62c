//! The `model` table: which generators take part and how often they are matched.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::sql::{Exec, sql, sql_owned};
use super::{Result, Store, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
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

    fn parse(s: &str) -> Result<ModelStatus> {
        match s {
            "active" => Ok(ModelStatus::Active),
            "disabled" => Ok(ModelStatus::Disabled),
            "deprecated" => Ok(ModelStatus::Deprecated),
            other => Err(StoreError::Invalid(format!("model status {other:?}"))),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
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

impl TryFrom<ModelRow> for Model {
    type Error = StoreError;

    fn try_from(r: ModelRow) -> Result<Model> {
        Ok(Model {
            id: r.id,
            status: ModelStatus::parse(&r.status)?,
            slug: r.slug,
            display_name: r.display_name,
            backend: r.backend,
            version: r.version,
            description: r.description,
            weight: r.weight,
            added_at: r.added_at,
            deprecated_at: r.deprecated_at,
        })
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

const COLUMNS: &str = "id, slug, display_name, backend, version, description, status, weight, added_at, deprecated_at";

/// Registers `m` unless its slug is taken; returns its id and whether it was added.
pub(super) async fn insert_if_absent(
    c: &mut impl Exec,
    m: &NewModel,
    now: DateTime<Utc>,
) -> Result<(i64, bool)> {
    let added = c
        .execute(
            sql("insert into model (slug, display_name, backend, version, description, weight, added_at) \
                 values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing")
            .bind(&m.slug)
            .bind(&m.display_name)
            .bind(&m.backend)
            .bind(&m.version)
            .bind(&m.description)
            .bind(m.weight)
            .bind(now),
        )
        .await?;
    let id = c
        .scalar(sql("select id from model where slug = $1").bind(&m.slug))
        .await?;
    Ok((id, added == 1))
}

/// Sets a model's status (and when it was deprecated); false when no model has `slug`.
pub(super) async fn set_status(
    c: &mut impl Exec,
    slug: &str,
    status: ModelStatus,
    now: DateTime<Utc>,
) -> Result<bool> {
    let deprecated_at = (status == ModelStatus::Deprecated).then_some(now);
    let changed = c
        .execute(
            sql(
                "update model set status = $1, deprecated_at = coalesce($2, deprecated_at) \
                 where slug = $3",
            )
            .bind(status.as_str())
            .bind(deprecated_at)
            .bind(slug),
        )
        .await?;
    Ok(changed == 1)
}

/// Gives a model another display name; false when no model has `slug`.
pub(super) async fn set_display_name(c: &mut impl Exec, slug: &str, name: &str) -> Result<bool> {
    let changed = c
        .execute(
            sql("update model set display_name = $1 where slug = $2")
                .bind(name)
                .bind(slug),
        )
        .await?;
    Ok(changed == 1)
}

impl Store {
    /// Renames a model for people (its slug, votes and exports keep the slug); false
    /// when no model has `slug`.
    pub async fn set_model_display_name(&self, slug: &str, name: &str) -> Result<bool> {
        set_display_name(&mut self.pool(), slug, name).await
    }

    /// Registers a model; `Conflict` when the slug is taken.
    pub async fn add_model(&self, m: &NewModel) -> Result<Model> {
        let (_, added) = insert_if_absent(&mut self.pool(), m, Utc::now()).await?;
        if !added {
            return Err(StoreError::Conflict);
        }
        self.model_by_slug(&m.slug)
            .await?
            .ok_or(StoreError::Sqlx(sqlx::Error::RowNotFound))
    }

    /// Registers a model unless its slug exists; returns whether it was added.
    pub async fn ensure_model(&self, m: &NewModel) -> Result<bool> {
        Ok(insert_if_absent(&mut self.pool(), m, Utc::now()).await?.1)
    }

    /// The id of the model `m.slug`, registering `m` when it is new; returns (id,
    /// whether it was added).
    pub async fn ensure_model_id(&self, m: &NewModel) -> Result<(i64, bool)> {
        insert_if_absent(&mut self.pool(), m, Utc::now()).await
    }

    pub async fn list_models(&self) -> Result<Vec<Model>> {
        let rows: Vec<ModelRow> = self
            .pool()
            .fetch_all(sql_owned(format!(
                "select {COLUMNS} from model order by slug"
            )))
            .await?;
        rows.into_iter().map(Model::try_from).collect()
    }

    pub async fn model_by_slug(&self, slug: &str) -> Result<Option<Model>> {
        let row: Option<ModelRow> = self
            .pool()
            .fetch_optional(
                sql_owned(format!("select {COLUMNS} from model where slug = $1")).bind(slug),
            )
            .await?;
        row.map(Model::try_from).transpose()
    }

    /// Changes a model's status; false when no model has that slug.
    pub async fn set_model_status(&self, slug: &str, status: ModelStatus) -> Result<bool> {
        set_status(&mut self.pool(), slug, status, Utc::now()).await
    }
}
