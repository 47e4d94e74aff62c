//! Live battles in storage: the voter's prompt, the battle with its two empty image
//! slots and the two jobs that fill them, written together; rejected prompts.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::jobs::LIVE_PRIORITY;
use super::{Candidate, Result, Store, begin_write, on_pool};

/// One side of a live battle: the model and the job that will draw its image.
#[derive(Clone, Debug)]
pub struct LiveSide {
    pub model_id: i64,
    /// Opaque URL token of the image once it exists.
    pub token: String,
    pub seed: i64,
}

/// A prompt moderation refused, with why (for the operator).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct RejectedPrompt {
    pub text: String,
    pub moderation_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewLiveBattle {
    pub id: String,
    pub voter_id: String,
    pub prompt: String,
    /// Slot 0 is A.
    pub sides: [LiveSide; 2],
    pub width: u32,
    pub height: u32,
    /// When the voter stops waiting: unfinished jobs fail then.
    pub deadline: DateTime<Utc>,
}

/// How many live battles one voter may start (0: no limit). Live battles spend GPU
/// time on one voter's prompt, so a script must not be able to queue thousands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveLimits {
    /// Live battles started in any rolling hour.
    pub per_hour: u32,
    /// Live battles whose images are still being drawn.
    pub generating: u32,
}

/// Whether a voter may start another live battle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveAdmission {
    Allowed,
    /// `generating` of their battles are still being drawn.
    TooManyGenerating {
        generating: u32,
    },
    /// They started `per_hour` in the past hour; the oldest leaves the window then.
    TooManyThisHour {
        per_hour: u32,
        retry_at: DateTime<Utc>,
    },
}

/// Checks `$limits` for `$voter` on `$conn` (a pool or an open transaction).
macro_rules! live_admission {
    ($conn:expr, $voter:expr, $limits:expr, $now:expr) => {{
        let limits: LiveLimits = $limits;
        let mut admission = LiveAdmission::Allowed;
        if limits.generating > 0 {
            let generating: i64 = sqlx::query_scalar(
                "select count(distinct j.battle_id) from job j join battle b on b.id = j.battle_id \
                 where b.voter_id = $1 and j.kind = 'live' and j.state in ('queued', 'leased')",
            )
            .bind($voter)
            .fetch_one($conn)
            .await?;
            if generating >= i64::from(limits.generating) {
                admission = LiveAdmission::TooManyGenerating {
                    generating: generating as u32,
                };
            }
        }
        if admission == LiveAdmission::Allowed && limits.per_hour > 0 {
            let since = $now - chrono::Duration::hours(1);
            let recent: Vec<DateTime<Utc>> = sqlx::query_scalar(
                "select served_at from battle where voter_id = $1 and mode = 'live' \
                 and served_at >= $2 order by served_at desc limit $3",
            )
            .bind($voter)
            .bind(since)
            .bind(i64::from(limits.per_hour))
            .fetch_all($conn)
            .await?;
            if recent.len() >= limits.per_hour as usize {
                admission = LiveAdmission::TooManyThisHour {
                    per_hour: limits.per_hour,
                    retry_at: recent[recent.len() - 1] + chrono::Duration::hours(1),
                };
            }
        }
        admission
    }};
}

impl Store {
    /// Whether `voter` may start another live battle now (checked again, under a lock,
    /// when the battle is stored).
    pub async fn live_admission(&self, voter: &str, limits: LiveLimits) -> Result<LiveAdmission> {
        let now = Utc::now();
        Ok(on_pool!(self, pool => live_admission!(pool, voter, limits, now)))
    }

    /// Active models among `slugs` (those a live worker serves), as matchmaking
    /// candidates without an image yet.
    pub async fn live_candidates(&self, slugs: &[String]) -> Result<Vec<Candidate>> {
        let sql = format!(
            "select cast(0 as bigint) as generation_id, id as model_id, slug as model_slug, weight from model \
             where status = 'active' and slug in ({}) order by id",
            self.slug_set(1)
        );
        let slugs = serde_json::to_string(slugs).unwrap_or_default();
        let rows = on_pool!(self, pool => sqlx::query_as(AssertSqlSafe(sql))
            .bind(slugs)
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    /// Stores the prompt, the battle, its two image slots and their two live jobs in
    /// one transaction, so a battle never exists without the jobs that complete it —
    /// unless the voter is over `limits`: then nothing is stored. Concurrent requests
    /// of one voter take turns (SQLite's write lock; the voter's row on Postgres).
    pub async fn add_live_battle(
        &self,
        b: &NewLiveBattle,
        limits: LiveLimits,
    ) -> Result<LiveAdmission> {
        let now = Utc::now();
        let lock_voter = matches!(self, Store::Postgres(_));
        on_pool!(self, pool => {
            let mut tx = begin_write(pool).await?;
            sqlx::query("insert into voter (id, created_at) values ($1, $2) on conflict do nothing")
                .bind(&b.voter_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if lock_voter {
                sqlx::query("select id from voter where id = $1 for update")
                    .bind(&b.voter_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let admission = live_admission!(&mut *tx, &b.voter_id, limits, now);
            if admission != LiveAdmission::Allowed {
                return Ok(admission);
            }
            let prompt_id: i64 = sqlx::query_scalar(
                "insert into prompt (text, category, source, voter_id, created_at) \
                 values ($1, 'voter', 'voter', $2, $3) returning id",
            )
            .bind(&b.prompt)
            .bind(&b.voter_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "insert into battle (id, prompt_id, voter_id, mode, anony, served_at) \
                 values ($1, $2, $3, 'live', $4, $5)",
            )
            .bind(&b.id)
            .bind(prompt_id)
            .bind(&b.voter_id)
            .bind(true)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for (slot, side) in b.sides.iter().enumerate() {
                sqlx::query(
                    "insert into battle_image (battle_id, slot, model_id, token) values ($1, $2, $3, $4)",
                )
                .bind(&b.id)
                .bind(slot as i16)
                .bind(side.model_id)
                .bind(&side.token)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "insert into job (kind, priority, model_id, prompt_id, seed, width, height, \
                     battle_id, slot, deadline_at, created_at) \
                     values ('live', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(LIVE_PRIORITY)
                .bind(side.model_id)
                .bind(prompt_id)
                .bind(side.seed)
                .bind(b.width as i32)
                .bind(b.height as i32)
                .bind(&b.id)
                .bind(slot as i16)
                .bind(b.deadline)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(LiveAdmission::Allowed)
        })
    }

    /// Keeps a prompt that moderation refused, with the reason (nothing is dropped).
    pub async fn add_rejected_prompt(
        &self,
        text: &str,
        voter_id: &str,
        reason: &str,
    ) -> Result<i64> {
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = begin_write(pool).await?;
            sqlx::query("insert into voter (id, created_at) values ($1, $2) on conflict do nothing")
                .bind(voter_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let id: i64 = sqlx::query_scalar(
                "insert into prompt (text, category, source, moderation, moderation_reason, voter_id, created_at) \
                 values ($1, 'voter', 'voter', 'rejected', $2, $3, $4) returning id",
            )
            .bind(text)
            .bind(reason)
            .bind(voter_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The latest rejected prompts, newest first.
    pub async fn rejected_prompts(&self, limit: i64) -> Result<Vec<RejectedPrompt>> {
        let rows = on_pool!(self, pool => sqlx::query_as(
            "select text, moderation_reason, created_at from prompt \
             where moderation = 'rejected' order by created_at desc, id desc limit $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }
}
