//! The `job` table: the generation queue. A job is queued, leased by one worker at a
//! time (with an expiry that heartbeats extend, and a nonce that every later request of
//! that lease must name), and ends done, failed (with its reason and its public cause)
//! or cancelled. Postgres leases with `for update skip locked`; SQLite in one
//! `begin immediate` transaction, which serialises writers.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::generation::{self, GenerationRow};
use super::sql::{Exec, sql, sql_owned};
use super::{Backend, Result, Store, battle_image};
use crate::generation::style::Style;

/// Priority of jobs a voter is waiting for; pool refills have 0.
pub const LIVE_PRIORITY: i32 = 100;

/// A pool image to generate.
#[derive(Clone, Debug)]
pub struct NewPoolJob {
    pub model_id: i64,
    pub prompt_id: i64,
    pub seed: i64,
    pub width: u32,
    pub height: u32,
    /// The pair's pool jobs before this one when the refill looked: the job is queued
    /// only if that is still so (another server's refill may have queued it since).
    pub index: u32,
}

/// Held by each transaction that queues pool jobs, so that the refills of several
/// servers take turns and each sees what the others queued.
const REFILL_LOCK: i64 = 0x6172_656e_6172; // "arenar"

/// Held by the reaper's transaction: one server reaps at a time.
const REAP_LOCK: i64 = 0x6172_656e_616c; // "arenal"

/// A (prompt, model) pair of the pool with fewer images than it should have.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WantedImage {
    pub prompt_id: i64,
    pub model_id: i64,
    pub model_slug: String,
    /// Images to queue: wanted, less those that can be served, are being drawn, or
    /// failed lately.
    #[sqlx(try_from = "i64")]
    pub missing: u32,
    /// Pool jobs of the pair so far, whatever became of them: the index of the next
    /// one's seed.
    #[sqlx(try_from = "i64")]
    pub jobs_so_far: u32,
}

/// What a worker needs to do a leased job.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct LeasedJob {
    pub id: i64,
    pub model: String,
    pub prompt: String,
    pub seed: i64,
    pub width: i32,
    pub height: i32,
    pub attempts: i32,
    /// This lease's nonce: heartbeats, the result and failures must name it.
    pub lease: String,
}

impl LeasedJob {
    /// The hold `worker_id` has on this job under this lease.
    pub fn held_by(&self, worker_id: i64) -> JobLease<'_> {
        JobLease {
            job_id: self.id,
            worker_id,
            nonce: &self.lease,
        }
    }
}

/// A worker's hold on a job: heartbeats, results and failures change the job only when
/// it is leased to that worker under that nonce, so a request from an earlier lease
/// (or another worker, or a guess) changes nothing.
#[derive(Clone, Copy, Debug)]
pub struct JobLease<'a> {
    pub job_id: i64,
    pub worker_id: i64,
    /// The nonce the lease was given ([`LeasedJob::lease`]).
    pub nonce: &'a str,
}

/// A fresh lease nonce: 128 random bits as hex.
fn new_lease_nonce() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

/// Why a failed job failed, in the terms public pages use; the worker's own words
/// (which may name backend URLs or quote a provider) stay in `failure_reason`, shown
/// only in `/admin/queue`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureCause {
    /// The worker reported that the model could not draw it.
    Model,
    /// No image in time: its worker stopped responding or kept giving it back until
    /// its attempts ran out, or a live battle's deadline passed while it was drawn.
    TimedOut,
    /// A live job whose deadline passed before any worker leased it: the arena had no
    /// free worker, which is not the model's failure.
    NoWorker,
}

impl FailureCause {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCause::Model => "model",
            FailureCause::TimedOut => "timed_out",
            FailureCause::NoWorker => "no_worker",
        }
    }

    /// The stored spelling; `None` for anything else.
    pub fn parse(s: &str) -> Option<FailureCause> {
        match s {
            "model" => Some(FailureCause::Model),
            "timed_out" => Some(FailureCause::TimedOut),
            "no_worker" => Some(FailureCause::NoWorker),
            _ => None,
        }
    }

    /// What public pages say about such a failure.
    pub fn public_reason(self) -> &'static str {
        match self {
            FailureCause::Model => "the model could not draw the image",
            FailureCause::TimedOut => "timed out",
            FailureCause::NoWorker => "timed out: no worker was free",
        }
    }
}

/// A job as stored (for the admin page, tests and live battles).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub model_id: i64,
    pub prompt_id: i64,
    pub seed: i64,
    pub state: String,
    pub worker_id: Option<i64>,
    pub attempts: i32,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub progress_step: Option<i32>,
    pub progress_steps: Option<i32>,
    pub failure_reason: Option<String>,
    /// A failed job's [`FailureCause`] (its stored spelling).
    pub failure_cause: Option<String>,
    pub generation_id: Option<i64>,
    pub battle_id: Option<String>,
    pub slot: Option<i16>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const JOB_COLUMNS: &str = "id, kind, model_id, prompt_id, seed, state, worker_id, attempts, \
     lease_expires_at, progress_step, progress_steps, failure_reason, failure_cause, generation_id, \
     battle_id, slot, created_at, finished_at";

/// A job to queue.
pub(super) struct JobRow<'a> {
    /// `pool` or `live`.
    pub kind: &'static str,
    pub priority: i32,
    pub model_id: i64,
    pub prompt_id: i64,
    pub seed: i64,
    pub width: u32,
    pub height: u32,
    /// The live battle and the slot (0 = A) the image is for.
    pub battle: Option<(&'a str, i16)>,
    /// When the voter stops waiting (live jobs).
    pub deadline: Option<DateTime<Utc>>,
}

/// Queues a job; a pool image that already has an open job is skipped (returns 0).
pub(super) async fn insert(c: &mut impl Exec, j: &JobRow<'_>, now: DateTime<Utc>) -> Result<u64> {
    c.execute(
        sql(
            "insert into job (kind, priority, model_id, prompt_id, seed, width, height, battle_id, \
             slot, deadline_at, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             on conflict do nothing",
        )
        .bind(j.kind)
        .bind(j.priority)
        .bind(j.model_id)
        .bind(j.prompt_id)
        .bind(j.seed)
        .bind(j.width as i32)
        .bind(j.height as i32)
        .bind(j.battle.map(|(id, _)| id))
        .bind(j.battle.map(|(_, slot)| slot))
        .bind(j.deadline)
        .bind(now),
    )
    .await
}

/// Puts the jobs a worker holds back in the queue (its token was replaced or revoked).
pub(super) async fn release_held_by(c: &mut impl Exec, worker_id: i64) -> Result<u64> {
    c.execute(
        sql("update job set state = 'queued', lease_expires_at = null, \
             failure_reason = 'its worker''s token was replaced or revoked' \
             where worker_id = $1 and state = 'leased'")
        .bind(worker_id),
    )
    .await
}

/// The image a worker made, already re-encoded and stored as a blob.
#[derive(Clone, Debug)]
pub struct JobResult {
    pub blob_key: String,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub steps: Option<i32>,
    pub params: serde_json::Value,
    pub latency_ms: i64,
    /// The stored image's style statistics.
    pub style: Option<Style>,
}

/// A job just marked done: (model, prompt, seed, live battle, slot).
type Claimed = (i64, i64, i64, Option<String>, Option<i16>);

/// How a worker ends an attempt without an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailKind {
    /// The job cannot succeed (bad prompt, malformed response): fail it now.
    Permanent,
    /// Worth another attempt while attempts remain.
    Transient,
    /// The worker gives the job back unfinished (shutting down). The attempt counts:
    /// a worker that gives a job back forever would otherwise keep it from failing.
    Release,
}

/// Counts per model and state, for `/admin/queue`.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct QueueCount {
    pub model: String,
    pub state: String,
    pub n: i64,
}

/// A failed job with its full reason, for `/admin/queue` only.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct FailedJob {
    pub id: i64,
    pub model: String,
    pub kind: String,
    pub attempts: i32,
    pub failure_reason: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The worker that held it last (none when it was never leased).
    pub worker: Option<String>,
}

/// What the reaper changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reaped {
    pub requeued: u64,
    pub failed: u64,
    pub cancelled: u64,
}

impl Store {
    /// `select` yielding the slugs of the JSON array bound at `$n`.
    pub(super) fn slug_set(&self, n: u8) -> String {
        match self.backend() {
            Backend::Sqlite => format!("select value from json_each(${n})"),
            Backend::Postgres => format!("select jsonb_array_elements_text(cast(${n} as jsonb))"),
        }
    }

    /// Pairs (prompt, model) of the given models with fewer than `per_pair` images
    /// that can still be served (not retired), counting the images being drawn (open
    /// jobs) and those that failed since `failed_since` as present, prompt by prompt.
    pub async fn wanted_pool_images(
        &self,
        slugs: &[String],
        per_pair: u32,
        failed_since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<WantedImage>> {
        let query = format!(
            "select prompt_id, model_id, model_slug, missing, jobs_so_far from ( \
               select p.id as prompt_id, m.id as model_id, m.slug as model_slug, \
                 cast($4 as bigint) \
                 - (select count(*) from generation g where g.prompt_id = p.id \
                     and g.model_id = m.id and g.retired_at is null) \
                 - (select count(*) from job j where j.model_id = m.id and j.prompt_id = p.id \
                     and j.kind = 'pool' and (j.state in ('queued', 'leased') \
                     or (j.state = 'failed' and j.finished_at >= $2))) as missing, \
                 (select count(*) from job j where j.model_id = m.id and j.prompt_id = p.id \
                     and j.kind = 'pool') as jobs_so_far \
               from prompt p cross join model m \
               where m.slug in ({}) and m.status = 'active' \
                 and p.moderation = 'ok' and p.source <> 'voter' \
             ) pair where missing > 0 order by prompt_id, model_id limit $3",
            self.slug_set(1)
        );
        let slugs = serde_json::to_string(slugs).unwrap_or_default();
        self.pool()
            .fetch_all(
                sql_owned(query)
                    .bind(slugs)
                    .bind(failed_since)
                    .bind(limit)
                    .bind(i64::from(per_pair)),
            )
            .await
    }

    /// Queues pool jobs (one transaction); an image (model, prompt, seed) already
    /// queued or being drawn is skipped.
    pub async fn enqueue_pool_jobs(&self, jobs: &[NewPoolJob]) -> Result<u64> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        tx.lock(REFILL_LOCK).await?;
        let mut added = 0;
        // Pool jobs per pair now, read once per pair under the lock.
        let mut so_far = std::collections::HashMap::new();
        for j in jobs {
            let count = match so_far.entry((j.model_id, j.prompt_id)) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let n: i64 = tx
                        .scalar(
                            sql("select count(*) from job where kind = 'pool' \
                                 and model_id = $1 and prompt_id = $2")
                            .bind(j.model_id)
                            .bind(j.prompt_id),
                        )
                        .await?;
                    e.insert(n)
                }
            };
            if *count != i64::from(j.index) {
                // Queued by another server since this refill looked.
                continue;
            }
            *count += 1;
            let row = JobRow {
                kind: "pool",
                priority: 0,
                model_id: j.model_id,
                prompt_id: j.prompt_id,
                seed: j.seed,
                width: j.width,
                height: j.height,
                battle: None,
                deadline: None,
            };
            added += insert(&mut tx, &row, now).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Leases the most urgent queued job of one of `slugs` to `worker_id` until
    /// `expires_at`, under a fresh nonce; `None` when there is none.
    pub async fn lease_job(
        &self,
        worker_id: i64,
        slugs: &[String],
        expires_at: DateTime<Utc>,
    ) -> Result<Option<LeasedJob>> {
        let now = Utc::now();
        let nonce = new_lease_nonce();
        let slugs = serde_json::to_string(slugs).unwrap_or_default();
        let pick = format!(
            "select j.id from job j join model m on m.id = j.model_id \
             where j.state = 'queued' and m.slug in ({}) order by j.priority desc, j.id limit 1",
            self.slug_set(1)
        );
        let set = "update job set state = 'leased', worker_id = $2, attempts = attempts + 1, \
                   leased_at = $3, lease_expires_at = $4, lease_token = $5, progress_step = null, \
                   progress_steps = null";
        let id: Option<i64> = match self.backend() {
            Backend::Postgres => {
                // One statement: concurrent leases skip each other's locked rows
                // instead of waiting for them or taking the same job.
                let query =
                    format!("{set} where id = ({pick} for update of j skip locked) returning id");
                self.pool()
                    .scalar_optional(
                        sql_owned(query)
                            .bind(slugs)
                            .bind(worker_id)
                            .bind(now)
                            .bind(expires_at)
                            .bind(&nonce),
                    )
                    .await?
            }
            Backend::Sqlite => {
                // `begin immediate` holds the write lock from the pick to the update.
                let mut tx = self.begin().await?;
                let id: Option<i64> = tx.scalar_optional(sql_owned(pick).bind(slugs)).await?;
                if let Some(id) = id {
                    tx.execute(
                        sql_owned(format!("{set} where id = $1"))
                            .bind(id)
                            .bind(worker_id)
                            .bind(now)
                            .bind(expires_at)
                            .bind(&nonce),
                    )
                    .await?;
                }
                tx.commit().await?;
                id
            }
        };
        let Some(id) = id else { return Ok(None) };
        self.pool()
            .fetch_optional(
                sql(
                    "select j.id, m.slug as model, p.text as prompt, j.seed, j.width, j.height, \
                     j.attempts, j.lease_token as lease from job j join model m on m.id = j.model_id \
                     join prompt p on p.id = j.prompt_id where j.id = $1",
                )
                .bind(id),
            )
            .await
    }

    /// Extends the lease and records progress; false when the worker no longer holds it.
    pub async fn heartbeat_job(
        &self,
        lease: JobLease<'_>,
        progress: Option<(i32, i32)>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        let (step, steps) = progress.unzip();
        let changed = self
            .pool()
            .execute(
                sql("update job set lease_expires_at = $1, \
                     progress_step = coalesce($2, progress_step), \
                     progress_steps = coalesce($3, progress_steps) \
                     where id = $4 and state = 'leased' and worker_id = $5 and lease_token = $6")
                .bind(expires_at)
                .bind(step)
                .bind(steps)
                .bind(lease.job_id)
                .bind(lease.worker_id)
                .bind(lease.nonce),
            )
            .await?;
        Ok(changed == 1)
    }

    /// Whether the worker holds the job under this lease now (a cheap check before
    /// work that is wasted otherwise; the write that follows checks again).
    pub async fn holds_job(&self, lease: JobLease<'_>) -> Result<bool> {
        let n: i64 = self
            .pool()
            .scalar(
                sql("select count(*) from job \
                     where id = $1 and state = 'leased' and worker_id = $2 and lease_token = $3")
                .bind(lease.job_id)
                .bind(lease.worker_id)
                .bind(lease.nonce),
            )
            .await?;
        Ok(n == 1)
    }

    /// Finishes a job with its image: the job, its generation and (for a live battle)
    /// the battle's image in one transaction. False, with nothing written, when the
    /// worker does not hold the job under this lease (another worker has it, it went
    /// back to the queue, or it ended): each job is done once, by its leaseholder.
    pub async fn complete_job(&self, lease: JobLease<'_>, r: &JobResult) -> Result<bool> {
        let now = Utc::now();
        let job_id = lease.job_id;
        let mut tx = self.begin().await?;
        // A lease that expired but was not yet reaped (nor taken again) may still be
        // completed; a queued job may not, whoever asks.
        let claimed: Option<Claimed> = tx
            .fetch_optional(
                sql("update job set state = 'done', finished_at = $2, \
                     progress_step = progress_steps, failure_reason = null, failure_cause = null \
                     where id = $3 and state = 'leased' and worker_id = $1 and lease_token = $4 \
                     returning model_id, prompt_id, seed, battle_id, slot")
                .bind(lease.worker_id)
                .bind(now)
                .bind(job_id)
                .bind(lease.nonce),
            )
            .await?;
        let Some((model_id, prompt_id, seed, battle_id, slot)) = claimed else {
            return Ok(false);
        };
        let image = GenerationRow {
            model_id,
            prompt_id,
            blob_key: &r.blob_key,
            sha256: &r.sha256,
            width: r.width,
            height: r.height,
            seed,
            steps: r.steps,
            params: r.params.to_string(),
            latency_ms: r.latency_ms,
            style: r.style.as_ref(),
        };
        let generation_id = generation::insert(&mut tx, &image, now).await?;
        tx.execute(
            sql("update job set generation_id = $1 where id = $2")
                .bind(generation_id)
                .bind(job_id),
        )
        .await?;
        if let (Some(battle_id), Some(slot)) = (battle_id, slot) {
            battle_image::set_generation(&mut tx, &battle_id, slot, generation_id).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Ends an attempt without an image; returns the job's new state, or `None` when
    /// the worker does not hold the job under this lease. Every kind uses the attempt
    /// (the lease counted it); a failed live job cancels its sibling.
    pub async fn fail_job(
        &self,
        lease: JobLease<'_>,
        reason: &str,
        kind: FailKind,
        max_attempts: i32,
    ) -> Result<Option<&'static str>> {
        let now = Utc::now();
        let job_id = lease.job_id;
        let mut tx = self.begin().await?;
        let held: Option<(i32, Option<String>)> = tx
            .fetch_optional(
                sql("select attempts, battle_id from job \
                     where id = $1 and state = 'leased' and worker_id = $2 and lease_token = $3")
                .bind(job_id)
                .bind(lease.worker_id)
                .bind(lease.nonce),
            )
            .await?;
        let Some((attempts, battle_id)) = held else {
            return Ok(None);
        };
        let retry = attempts < max_attempts;
        let (state, cause, reason) = match kind {
            FailKind::Release if retry => {
                ("queued", None, format!("given back unfinished: {reason}"))
            }
            FailKind::Release => (
                "failed",
                Some(FailureCause::TimedOut),
                format!("given back unfinished with its {attempts} attempts used up: {reason}"),
            ),
            FailKind::Transient if retry => ("queued", None, reason.to_string()),
            _ if attempts > 1 => (
                "failed",
                Some(FailureCause::Model),
                format!("{reason} (after {attempts} attempts)"),
            ),
            _ => ("failed", Some(FailureCause::Model), reason.to_string()),
        };
        // The hold is checked again in the write itself: a concurrent request of the
        // same lease that got here first wins, and this one changes nothing.
        let changed = tx
            .execute(
                sql(
                    "update job set state = $1, failure_reason = $2, failure_cause = $3, \
                     lease_expires_at = null, finished_at = $4 \
                     where id = $5 and state = 'leased' and lease_token = $6",
                )
                .bind(state)
                .bind(reason)
                .bind(cause.map(FailureCause::as_str))
                .bind((state == "failed").then_some(now))
                .bind(job_id)
                .bind(lease.nonce),
            )
            .await?;
        if changed != 1 {
            return Ok(None);
        }
        if state == "failed"
            && let Some(battle_id) = battle_id
        {
            tx.execute(
                sql("update job set state = 'cancelled', finished_at = $1, lease_expires_at = null, \
                     failure_reason = 'the other image of its battle failed' \
                     where battle_id = $2 and state in ('queued', 'leased')")
                .bind(now)
                .bind(battle_id),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Some(state))
    }

    /// Puts expired leases back in the queue (or fails them after `max_attempts`),
    /// fails live jobs past their deadline and cancels what their battles still wait for.
    pub async fn reap_jobs(&self, max_attempts: i32) -> Result<Reaped> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        if !tx.try_lock(REAP_LOCK).await? {
            // Another server is reaping this moment.
            tx.commit().await?;
            return Ok(Reaped::default());
        }
        let failed_expired = tx
            .execute(
                sql(
                    "update job set state = 'failed', finished_at = $1, lease_expires_at = null, \
                     failure_reason = 'the worker stopped responding (lease expired) ' \
                         || attempts || ' times', failure_cause = 'timed_out' \
                     where state = 'leased' and lease_expires_at < $1 and attempts >= $2",
                )
                .bind(now)
                .bind(max_attempts),
            )
            .await?;
        let requeued = tx
            .execute(
                sql("update job set state = 'queued', lease_expires_at = null, \
                     failure_reason = 'the worker stopped responding (lease expired)' \
                     where state = 'leased' and lease_expires_at < $1")
                .bind(now),
            )
            .await?;
        // Never leased: the arena had no free worker in time, which says nothing about
        // the model (model pages leave these out).
        let unserved = tx
            .execute(
                sql(
                    "update job set state = 'failed', finished_at = $1, lease_expires_at = null, \
                     failure_reason = 'timed out: no worker was free to draw it before the live \
                     battle''s deadline', failure_cause = 'no_worker' \
                     where kind = 'live' and state = 'queued' and leased_at is null \
                     and deadline_at < $1",
                )
                .bind(now),
            )
            .await?;
        let timed_out = tx
            .execute(
                sql(
                    "update job set state = 'failed', finished_at = $1, lease_expires_at = null, \
                     failure_reason = 'timed out: no image before the live battle''s deadline', \
                     failure_cause = 'timed_out' \
                     where kind = 'live' and state in ('queued', 'leased') and deadline_at < $1",
                )
                .bind(now),
            )
            .await?;
        let cancelled = tx
            .execute(
                sql("update job set state = 'cancelled', finished_at = $1, lease_expires_at = null, \
                     failure_reason = 'the other image of its battle failed' \
                     where kind = 'live' and state in ('queued', 'leased') and battle_id in \
                     (select battle_id from job where kind = 'live' and state = 'failed')")
                .bind(now),
            )
            .await?;
        tx.commit().await?;
        Ok(Reaped {
            requeued,
            failed: failed_expired + unserved + timed_out,
            cancelled,
        })
    }

    pub async fn job(&self, id: i64) -> Result<Option<Job>> {
        self.pool()
            .fetch_optional(
                sql_owned(format!("select {JOB_COLUMNS} from job where id = $1")).bind(id),
            )
            .await
    }

    /// Every job, oldest first (tests and benchmarks check them all).
    pub async fn all_jobs(&self) -> Result<Vec<Job>> {
        self.pool()
            .fetch_all(sql_owned(format!(
                "select {JOB_COLUMNS} from job order by id"
            )))
            .await
    }

    /// The jobs of a live battle, in slot order.
    pub async fn battle_jobs(&self, battle_id: &str) -> Result<Vec<Job>> {
        self.pool()
            .fetch_all(
                sql_owned(format!(
                    "select {JOB_COLUMNS} from job where battle_id = $1 order by slot, id"
                ))
                .bind(battle_id),
            )
            .await
    }

    /// Jobs per model and state.
    pub async fn queue_counts(&self) -> Result<Vec<QueueCount>> {
        self.pool()
            .fetch_all(sql(
                "select m.slug as model, j.state, count(*) as n from job j \
                 join model m on m.id = j.model_id group by m.slug, j.state order by m.slug, j.state",
            ))
            .await
    }

    /// The latest failed jobs, newest first.
    pub async fn failed_jobs(&self, limit: i64) -> Result<Vec<FailedJob>> {
        self.pool()
            .fetch_all(
                sql(
                    "select j.id, m.slug as model, j.kind, j.attempts, j.failure_reason, \
                     j.finished_at, w.name as worker from job j join model m on m.id = j.model_id \
                     left join worker w on w.id = j.worker_id where j.state = 'failed' \
                     order by j.finished_at desc, j.id desc limit $1",
                )
                .bind(limit),
            )
            .await
    }

    /// How a model's generation has gone, for its public page: images stored, jobs
    /// finished and failed, and the latest failure in general terms. Failures that were
    /// the arena's (no worker was free) are not the model's and are left out.
    pub async fn generation_record(&self, model_id: i64) -> Result<GenerationRecord> {
        let mut pool = self.pool();
        let images: i64 = pool
            .scalar(sql("select count(*) from generation where model_id = $1").bind(model_id))
            .await?;
        let (done, failed): (i64, i64) = pool
            .fetch_one(
                sql(
                    "select coalesce(sum(case when state = 'done' then 1 else 0 end), 0), \
                     coalesce(sum(case when state = 'failed' \
                         and coalesce(failure_cause, '') <> 'no_worker' then 1 else 0 end), 0) \
                     from job where model_id = $1",
                )
                .bind(model_id),
            )
            .await?;
        let last_failure: Option<(Option<String>, Option<DateTime<Utc>>)> = pool
            .fetch_optional(
                sql("select failure_cause, finished_at from job \
                     where model_id = $1 and state = 'failed' \
                     and coalesce(failure_cause, '') <> 'no_worker' \
                     order by finished_at desc, id desc limit 1")
                .bind(model_id),
            )
            .await?;
        Ok(GenerationRecord {
            images,
            jobs_done: done,
            jobs_failed: failed,
            last_failure: last_failure.map(|(cause, at)| {
                // Never the worker's words: they may name backends or quote providers.
                let cause = cause
                    .as_deref()
                    .and_then(FailureCause::parse)
                    .unwrap_or(FailureCause::Model);
                LastFailure {
                    reason: cause.public_reason().to_string(),
                    cause,
                    at,
                }
            }),
        })
    }
}

/// What [`Store::generation_record`] returns.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GenerationRecord {
    pub images: i64,
    pub jobs_done: i64,
    pub jobs_failed: i64,
    pub last_failure: Option<LastFailure>,
}

/// A model's latest failure as public pages show it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LastFailure {
    /// [`FailureCause::public_reason`]: never the worker's own text.
    pub reason: String,
    pub cause: FailureCause,
    pub at: Option<DateTime<Utc>>,
}

/// What `/metrics` reports of the generation queue, per model.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ModelQueueStats {
    pub model: String,
    /// Jobs waiting for a worker.
    pub queued: i64,
    /// When the longest-waiting of them was queued.
    pub oldest_queued: Option<DateTime<Utc>>,
}

/// Images drawn per model and the time they took, for `/metrics`.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ModelGenerationStats {
    pub model: String,
    pub images: i64,
    pub latency_ms: Option<i64>,
}

impl Store {
    /// Jobs waiting per model and the oldest one's time.
    pub async fn queue_stats(&self) -> Result<Vec<ModelQueueStats>> {
        self.pool()
            .fetch_all(sql(
                "select m.slug as model, count(*) as queued, min(j.created_at) as oldest_queued \
                 from job j join model m on m.id = j.model_id where j.state = 'queued' \
                 group by m.slug order by m.slug",
            ))
            .await
    }

    /// Live battles whose images are being drawn now.
    pub async fn live_battles_drawing(&self) -> Result<i64> {
        self.pool()
            .scalar(sql("select count(distinct battle_id) from job \
                 where kind = 'live' and state in ('queued', 'leased') and battle_id is not null"))
            .await
    }

    /// Images stored per model, with their total drawing time.
    pub async fn generation_stats(&self) -> Result<Vec<ModelGenerationStats>> {
        self.pool()
            .fetch_all(sql(
                "select m.slug as model, count(*) as images, \
                 cast(sum(g.latency_ms) as bigint) as latency_ms \
                 from generation g join model m on m.id = g.model_id group by m.slug order by m.slug",
            ))
            .await
    }
}
