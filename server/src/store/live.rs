//! Live battles in storage: the voter's prompt, the battle with its two empty image
//! slots and the two jobs that fill them, written together in one transaction, and the
//! per-voter limits checked inside it. Owns no table: it composes the writes of
//! `prompt`, `battle`, `battle_image` and `job`.

use arena_evaluator::Position;
use chrono::{DateTime, Utc};

use super::battle::{self, BattleRow, Mode};
use super::battle_image::{self, ImageRow};
use super::job::{self, JobRow, LIVE_PRIORITY};
use super::prompt::{self, PromptRow};
use super::sql::{Exec, sql, sql_owned};
use super::{Candidate, Result, Store, StoreError, voter};

/// One side of a live battle: the model and the job that will draw its image.
#[derive(Clone, Debug)]
pub struct LiveSide {
    pub model_id: i64,
    /// Opaque URL token of the image once it exists.
    pub token: String,
    pub seed: i64,
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
    /// Keyed hashes of the client's address and network.
    pub client_hash: Option<String>,
    pub client_net: Option<String>,
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

/// Checks `limits` for `voter` (on the pool, or inside the transaction that then
/// stores the battle).
async fn admission(
    c: &mut impl Exec,
    voter: &str,
    limits: LiveLimits,
    now: DateTime<Utc>,
) -> Result<LiveAdmission> {
    if limits.generating > 0 {
        let generating: i64 = c
            .scalar(
                sql("select count(distinct j.battle_id) from job j join battle b on b.id = j.battle_id \
                     where b.voter_id = $1 and j.kind = 'live' and j.state in ('queued', 'leased')")
                .bind(voter),
            )
            .await?;
        if generating >= i64::from(limits.generating) {
            return Ok(LiveAdmission::TooManyGenerating {
                generating: generating as u32,
            });
        }
    }
    if limits.per_hour > 0 {
        let since = now - chrono::Duration::hours(1);
        let recent: Vec<DateTime<Utc>> = c
            .scalars(
                sql(
                    "select served_at from battle where voter_id = $1 and mode = 'live' \
                     and served_at >= $2 order by served_at desc limit $3",
                )
                .bind(voter)
                .bind(since)
                .bind(i64::from(limits.per_hour)),
            )
            .await?;
        if recent.len() >= limits.per_hour as usize {
            return Ok(LiveAdmission::TooManyThisHour {
                per_hour: limits.per_hour,
                retry_at: recent[recent.len() - 1] + chrono::Duration::hours(1),
            });
        }
    }
    Ok(LiveAdmission::Allowed)
}

impl Store {
    /// Whether `voter` may start another live battle now (checked again, under a lock,
    /// when the battle is stored).
    pub async fn live_admission(&self, voter: &str, limits: LiveLimits) -> Result<LiveAdmission> {
        admission(&mut self.pool(), voter, limits, Utc::now()).await
    }

    /// Active models among `slugs` (those a live worker serves), as matchmaking
    /// candidates without an image yet.
    pub async fn live_candidates(&self, slugs: &[String]) -> Result<Vec<Candidate>> {
        let query = format!(
            "select cast(0 as bigint) as generation_id, id as model_id, slug as model_slug, weight \
             from model where status = 'active' and slug in ({}) order by id",
            self.slug_set(1)
        );
        let slugs = serde_json::to_string(slugs).unwrap_or_default();
        self.pool().fetch_all(sql_owned(query).bind(slugs)).await
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
        let mut tx = self.begin().await?;
        voter::ensure(&mut tx, &b.voter_id, now).await?;
        voter::lock(&mut tx, &b.voter_id).await?;
        let admitted = admission(&mut tx, &b.voter_id, limits, now).await?;
        if admitted != LiveAdmission::Allowed {
            return Ok(admitted);
        }
        let prompt = PromptRow {
            text: &b.prompt,
            category: "voter",
            source: "voter",
            voter_id: Some(&b.voter_id),
            rejected_because: None,
        };
        let prompt_id = prompt::insert(&mut tx, &prompt, now).await?;
        let row = BattleRow {
            id: &b.id,
            prompt_id: Some(prompt_id),
            voter_id: &b.voter_id,
            mode: Mode::Live,
            anony: true,
            served_at: now,
            client_hash: b.client_hash.as_deref(),
            client_net: b.client_net.as_deref(),
        };
        if !battle::insert(&mut tx, &row).await? {
            return Err(StoreError::Conflict);
        }
        for (side, position) in b.sides.iter().zip([Position::A, Position::B]) {
            let image = ImageRow {
                battle_id: &b.id,
                position,
                generation_id: None,
                model_id: side.model_id,
                token: &side.token,
            };
            battle_image::insert(&mut tx, &image).await?;
            let job = JobRow {
                kind: "live",
                priority: LIVE_PRIORITY,
                model_id: side.model_id,
                prompt_id,
                seed: side.seed,
                width: b.width,
                height: b.height,
                battle: Some((&b.id, position.index() as i16)),
                deadline: Some(b.deadline),
            };
            job::insert(&mut tx, &job, now).await?;
        }
        tx.commit().await?;
        Ok(LiveAdmission::Allowed)
    }
}
