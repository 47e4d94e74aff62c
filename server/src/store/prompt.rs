//! The `prompt` table: what voters are asked to judge, by category.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Result, Store, on_pool};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Prompt {
    pub id: i64,
    pub text: String,
    pub category: String,
    pub source: String,
    pub moderation: String,
    pub moderation_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewPrompt {
    pub text: String,
    pub category: String,
    pub source: String,
}

impl Store {
    /// Adds prompts that are not already present (same text, any non-voter source);
    /// returns how many were new. One transaction, so an import is all or nothing.
    pub async fn import_prompts(&self, prompts: &[NewPrompt]) -> Result<u64> {
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = super::begin_write(pool).await?;
            let mut added = 0;
            for p in prompts {
                let done = sqlx::query(
                    "insert into prompt (text, category, source, created_at) \
                     select $1, $2, $3, $4 where not exists \
                     (select 1 from prompt where text = $1 and source <> 'voter')",
                )
                .bind(&p.text)
                .bind(&p.category)
                .bind(&p.source)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                added += done.rows_affected();
            }
            tx.commit().await?;
            Ok(added)
        })
    }

    pub async fn prompt(&self, id: i64) -> Result<Option<Prompt>> {
        let row = on_pool!(self, pool => sqlx::query_as(
            "select id, text, category, source, moderation, moderation_reason, created_at \
             from prompt where id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        Ok(row)
    }

    /// Categories of votable prompts, by name.
    pub async fn prompt_categories(&self) -> Result<Vec<String>> {
        let rows = on_pool!(self, pool => sqlx::query_scalar(
            "select category from prompt \
             where moderation = 'ok' and source <> 'voter' group by category order by category",
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }
}
