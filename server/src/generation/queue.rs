//! The generation queue as the server runs it: leasing with a long poll (only models
//! the worker's token may serve), results decoded within limits and re-encoded before
//! they are stored, failures, and the background tasks that keep the queue honest
//! (expired leases, live deadlines) and the pool full. Every request about a leased
//! job names its lease ([`JobLease`]).

use std::time::{Duration, Instant};

use chrono::Utc;
use image::DynamicImage;

use super::blob::{Normalized, decode_upload, normalize};
use super::{Error, Result};
use crate::app::App;
use crate::store::{FailKind, JobLease, JobResult, LeasedJob, NewPoolJob, Worker};

/// The seed of the `index`th pool image of (prompt, model): reproducible, and new for
/// every index. Index 0 is the one seed each pair had before the pool kept several
/// images, so an existing pool keeps its images.
pub fn pool_seed(prompt_id: i64, model_slug: &str, index: u32) -> i64 {
    let h = model_slug.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let h = h ^ (prompt_id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    if index == 0 {
        return (h >> 1) as i64;
    }
    // SplitMix64's finaliser over the pair's hash and the index: neighbouring indices
    // give unrelated seeds.
    let mut z = h ^ u64::from(index).wrapping_mul(0xd6e8_feb8_6659_fd93);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 1) as i64
}

/// Leases a job of one of `models` to `worker`, waiting up to `wait` for one.
/// `ModelNotAllowed`, with nothing leased or recorded, when its token may not serve
/// one of them. `worker` is updated with what was recorded (models, last seen), so a
/// caller that keeps its row between leases knows when the next touch is due.
pub async fn lease(
    app: &App,
    worker: &mut Worker,
    models: &[String],
    wait: Duration,
) -> Result<Option<LeasedJob>> {
    let mut models = models.to_vec();
    models.sort();
    models.dedup();
    if let Some(allowed) = worker.allowed_slugs() {
        let refused: Vec<String> = models
            .iter()
            .filter(|m| !allowed.contains(m))
            .cloned()
            .collect();
        if !refused.is_empty() {
            tracing::warn!(worker.name = %worker.name, models = ?refused, "lease refused: models not allowed");
            return Err(Error::ModelNotAllowed { refused, allowed });
        }
    }
    let changed = worker.model_slugs() != models;
    // A worker is live for `worker_seen_secs` after the latest lease recorded. One
    // recorded a moment ago (a quarter of that, at most 5 s) needs no new write, which
    // saves a commit (an fsync on SQLite) on every lease of a busy worker; and no lease
    // waits longer than a third of it, so a worker waiting for jobs is recorded again
    // before it would stop counting as live.
    let seen_for = Duration::from_secs(app.config.queue.worker_seen_secs);
    let fresh_for = (seen_for / 4).min(Duration::from_secs(5));
    let recent = worker
        .last_seen_at
        .is_some_and(|t| (Utc::now() - t).to_std().is_ok_and(|age| age < fresh_for));
    if changed || !recent {
        app.store.touch_worker(worker.id, &models).await?;
        worker.last_seen_at = Some(Utc::now());
        worker.models =
            serde_json::to_string(&models).map_err(|e| Error::Internal(e.to_string()))?;
    }
    let wait = wait.min(seen_for / 3);
    // After the touch, so that the refill sees this worker's models.
    if changed {
        app.queue.refill.notify_one();
    }
    let deadline = Instant::now() + wait;
    loop {
        // Registered before looking, so a job queued in between still wakes us.
        let added = app.queue.jobs_added.notified();
        let expires = Utc::now() + chrono::Duration::seconds(app.config.queue.lease_secs as i64);
        if let Some(job) = app.store.lease_job(worker.id, &models, expires).await? {
            tracing::debug!(job.id = job.id, worker.name = %worker.name, "job leased");
            return Ok(Some(job));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        // Jobs queued by another server are only seen by looking again.
        tokio::select! {
            _ = added => {}
            _ = tokio::time::sleep(left.min(Duration::from_millis(500))) => {}
        }
    }
}

/// Decodes an uploaded image within the upload limits, at most
/// [`super::signals::DECODING_AT_ONCE`] at a time in this process, and finishes the
/// job with it (see [`complete_image`]). Nothing is written when it is refused.
pub async fn complete_bytes(
    app: &App,
    lease: JobLease<'_>,
    bytes: Vec<u8>,
    params: serde_json::Value,
) -> Result<bool> {
    let size = app.config.image_size;
    let stored = {
        // Held through the re-encoding too: the decoded pixels live until then.
        let _permit = app
            .queue
            .decoding
            .acquire()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let image = decode_upload(&bytes).map_err(|e| match e {
                image::ImageError::Limits(limit) => Error::ImageTooLarge(limit.to_string()),
                other => Error::InvalidImage(other.to_string()),
            })?;
            Ok::<_, Error>(normalize(image, size)?)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))??
    };
    finish(app, lease, stored, params).await
}

/// Re-encodes the image to the arena's one format and size (blindness: no metadata,
/// no size or format that could tell models apart), stores it and finishes the job.
/// False when the worker no longer holds the job under this lease.
pub async fn complete_image(
    app: &App,
    lease: JobLease<'_>,
    image: DynamicImage,
    params: serde_json::Value,
) -> Result<bool> {
    let size = app.config.image_size;
    let stored = tokio::task::spawn_blocking(move || normalize(image, size))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    finish(app, lease, stored, params).await
}

/// Stores a normalised PNG and finishes the job with it.
async fn finish(
    app: &App,
    lease: JobLease<'_>,
    stored: Normalized,
    params: serde_json::Value,
) -> Result<bool> {
    let size = app.config.image_size;
    let (blob_key, sha256) = app.blobs.put_png(&stored.png).await?;
    let result = JobResult {
        style: Some(stored.style),
        blob_key,
        sha256,
        width: size,
        height: size,
        steps: params["steps"].as_i64().map(|s| s as i32),
        latency_ms: params["latency_ms"].as_i64().unwrap_or(0),
        params,
    };
    Ok(app.store.complete_job(lease, &result).await?)
}

/// Ends an attempt without an image; `None` when the worker does not hold the job
/// under this lease.
pub async fn fail(
    app: &App,
    lease: JobLease<'_>,
    reason: &str,
    kind: FailKind,
) -> Result<Option<&'static str>> {
    let reason: String = reason.chars().take(2000).collect();
    let job_id = lease.job_id;
    let state = app
        .store
        .fail_job(lease, &reason, kind, app.config.queue.max_attempts as i32)
        .await?;
    if state == Some("queued") {
        app.queue.jobs_added.notify_waiters();
    }
    if state == Some("failed") {
        tracing::warn!(job.id = job_id, reason = %reason, "job failed");
    }
    Ok(state)
}

/// Keeps `[queue] pool_images` servable images of every (prompt, model) of the models
/// live workers serve: retires images shown in `pool_image_battles` battles, then
/// queues what is missing, each job with a seed no earlier job of its pair had.
/// Returns how many jobs were added.
pub async fn refill_pool(app: &App) -> anyhow::Result<u64> {
    let now = Utc::now();
    let retired = app
        .store
        .retire_spent_images(app.config.queue.pool_image_battles)
        .await?;
    if retired > 0 {
        tracing::info!(images = retired, "retired pool images");
    }
    let seen = app.config.queue.live_workers_since(now);
    let slugs = app.store.served_model_slugs(seen).await?;
    if slugs.is_empty() {
        return Ok(0);
    }
    // A pool image that failed is tried again an hour later, not in a tight loop.
    let retry_failed_after = now - chrono::Duration::hours(1);
    let size = app.config.image_size;
    let per_pair = app.config.queue.pool_images;
    let mut added = 0;
    loop {
        let wanted = app
            .store
            .wanted_pool_images(&slugs, per_pair, retry_failed_after, 500)
            .await?;
        if wanted.is_empty() {
            break;
        }
        let jobs: Vec<NewPoolJob> = wanted
            .iter()
            .flat_map(|w| {
                // Every pool job of the pair so far had its own index: the next ones
                // follow, so a replacement never repeats a retired image's seed.
                (0..w.missing).map(move |i| NewPoolJob {
                    model_id: w.model_id,
                    prompt_id: w.prompt_id,
                    seed: pool_seed(w.prompt_id, &w.model_slug, w.jobs_so_far + i),
                    width: size,
                    height: size,
                    index: w.jobs_so_far + i,
                })
            })
            .collect();
        let n = app.store.enqueue_pool_jobs(&jobs).await?;
        added += n;
        app.queue.jobs_added.notify_waiters();
        if n == 0 {
            break;
        }
    }
    if added > 0 {
        tracing::info!(jobs = added, "queued missing pool images");
    }
    Ok(added)
}

/// Runs the queue's background work until the process ends: the reaper (expired
/// leases, live deadlines) and, when configured, the pool refill.
pub fn spawn_background(app: std::sync::Arc<App>) {
    let reaper = app.clone();
    tokio::spawn(async move {
        let every = Duration::from_millis((reaper.config.queue.lease_secs * 250).clamp(250, 5000));
        loop {
            match reaper
                .store
                .reap_jobs(reaper.config.queue.max_attempts as i32)
                .await
            {
                Ok(r) if r.requeued > 0 => {
                    tracing::warn!(
                        jobs.requeued = r.requeued,
                        jobs.failed = r.failed,
                        "expired leases"
                    );
                    reaper.queue.jobs_added.notify_waiters();
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "reaping jobs failed"),
            }
            tokio::time::sleep(every).await;
        }
    });
    if app.config.queue.pool_refill {
        tokio::spawn(async move {
            loop {
                if let Err(e) = refill_pool(&app).await {
                    tracing::error!(error = %format!("{e:#}"), "pool refill failed");
                }
                let _ = tokio::time::timeout(Duration::from_secs(30), app.queue.refill.notified())
                    .await;
            }
        });
    }
}
