//! The `prompt` table: what voters are asked to judge, by category — the shipped and
//! imported prompt sets, and the prompts voters type for live battles (kept, with the
//! reason, when moderation refuses them).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::sql::{Exec, sql};
use super::{Result, Store, voter};

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

/// A prompt moderation refused, with why (for the operator).
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct RejectedPrompt {
    pub text: String,
    pub moderation_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewPrompt {
    pub text: String,
    pub category: String,
    pub source: String,
}

/// A prompt row to insert.
pub(super) struct PromptRow<'a> {
    pub text: &'a str,
    pub category: &'a str,
    /// `default`, `import:<file>`, a gallery's name, or `voter`.
    pub source: &'a str,
    /// The voter who typed it (live battles).
    pub voter_id: Option<&'a str>,
    /// Why moderation refused it; `None` for an accepted prompt.
    pub rejected_because: Option<&'a str>,
}

/// Inserts a prompt; returns its id.
pub(super) async fn insert(
    c: &mut impl Exec,
    p: &PromptRow<'_>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let moderation = if p.rejected_because.is_some() {
        "rejected"
    } else {
        "ok"
    };
    c.scalar(
        sql(
            "insert into prompt (text, category, source, voter_id, moderation, moderation_reason, \
             created_at) values ($1, $2, $3, $4, $5, $6, $7) returning id",
        )
        .bind(p.text)
        .bind(p.category)
        .bind(p.source)
        .bind(p.voter_id)
        .bind(moderation)
        .bind(p.rejected_because)
        .bind(now),
    )
    .await
}

/// The prompt-set prompt (any source but voters) with this text, if there is one.
pub(super) async fn find_in_sets(c: &mut impl Exec, text: &str) -> Result<Option<i64>> {
    c.scalar_optional(
        sql("select id from prompt where text = $1 and source <> 'voter' order by id limit 1")
            .bind(text),
    )
    .await
}

impl Store {
    /// Adds prompts that are not already present (same text, any non-voter source);
    /// returns how many were new. One transaction, so an import is all or nothing.
    pub async fn import_prompts(&self, prompts: &[NewPrompt]) -> Result<u64> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let mut added = 0;
        for p in prompts {
            if find_in_sets(&mut tx, &p.text).await?.is_some() {
                continue;
            }
            let row = PromptRow {
                text: &p.text,
                category: &p.category,
                source: &p.source,
                voter_id: None,
                rejected_because: None,
            };
            insert(&mut tx, &row, now).await?;
            added += 1;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Keeps a prompt that moderation refused, with the reason (nothing is dropped).
    pub async fn add_rejected_prompt(
        &self,
        text: &str,
        voter_id: &str,
        reason: &str,
    ) -> Result<i64> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        voter::ensure(&mut tx, voter_id, now).await?;
        let row = PromptRow {
            text,
            category: "voter",
            source: "voter",
            voter_id: Some(voter_id),
            rejected_because: Some(reason),
        };
        let id = insert(&mut tx, &row, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn prompt(&self, id: i64) -> Result<Option<Prompt>> {
        self.pool()
            .fetch_optional(
                sql(
                    "select id, text, category, source, moderation, moderation_reason, created_at \
                     from prompt where id = $1",
                )
                .bind(id),
            )
            .await
    }

    /// Categories of votable prompts, by name.
    pub async fn prompt_categories(&self) -> Result<Vec<String>> {
        self.pool()
            .scalars(sql(
                "select category from prompt \
                 where moderation = 'ok' and source <> 'voter' group by category order by category",
            ))
            .await
    }

    /// The latest rejected prompts, newest first.
    pub async fn rejected_prompts(&self, limit: i64) -> Result<Vec<RejectedPrompt>> {
        self.pool()
            .fetch_all(
                sql("select text, moderation_reason, created_at from prompt \
                     where moderation = 'rejected' order by created_at desc, id desc limit $1")
                .bind(limit),
            )
            .await
    }
}
