//! The `audit` table: every operator action (and every flag the detector raises), in
//! order, never changed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::sql::{Exec, sql};
use super::{Result, Store};

/// One line of the audit log.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `admin`, `detector` or `cli`.
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// What changed (JSON text).
    pub detail: String,
}

/// Appends to the log (inside the transaction that makes the change).
pub(super) async fn insert(
    c: &mut impl Exec,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        sql("insert into audit (at, actor, action, subject, detail) values ($1, $2, $3, $4, $5)")
            .bind(now)
            .bind(actor)
            .bind(action)
            .bind(subject)
            .bind(detail.to_string()),
    )
    .await?;
    Ok(())
}

impl Store {
    /// The latest entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        self.pool()
            .fetch_all(
                sql("select id, at, actor, action, subject, detail from audit \
                     order by id desc limit $1")
                .bind(limit),
            )
            .await
    }
}
