//! The worker loop: lease a job, generate it on a thread of its own while heartbeats
//! extend the lease and carry progress, upload the image or report the failure (each
//! request naming the job's lease, as the client does from its [`JobSpec`]).
//!
//! Shutdown comes in two steps through a [`Stop`] signal: the first asks to finish the
//! current job (within a grace period) and stop; the second gives the job back at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use tokio::sync::{oneshot, watch};

use crate::backend::{Backend, GeneratedImage, GenerationRequest};
use crate::client::{ClientError, WorkerClient};
use crate::config::Backends;
use crate::protocol::{FailRequest, Heartbeat, JobSpec, MAX_WAIT_SECS};

/// How many stop requests arrived: 0 run, 1 finish the job and stop, 2+ stop now.
pub type Stop = watch::Receiver<u32>;

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Seconds each lease request waits for a job.
    pub wait_secs: u64,
    /// After the first stop request, how long the current job may still take.
    pub shutdown_grace: Duration,
    /// Stop after this many jobs (tests and benchmarks); `None` runs until stopped.
    pub max_jobs: Option<u64>,
    /// Stop when a lease request comes back empty (drain the queue, then exit).
    pub exit_when_idle: bool,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            wait_secs: MAX_WAIT_SECS,
            shutdown_grace: Duration::from_secs(60),
            max_jobs: None,
            exit_when_idle: false,
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Images uploaded and accepted.
    pub done: u64,
    /// Jobs reported as failed (or given back for a retry).
    pub failed: u64,
    /// Jobs dropped because the lease was lost.
    pub lost: u64,
    /// Jobs given back unfinished at shutdown.
    pub released: u64,
}

/// How one job ended.
enum Outcome {
    Done,
    Failed,
    Lost,
    Released,
}

/// Runs until stopped (or `options` says otherwise). A refused token ends the run
/// with an error; an unreachable server is retried with backoff.
pub async fn run(
    client: &WorkerClient,
    backends: &Backends,
    options: &RunOptions,
    mut stop: Stop,
) -> anyhow::Result<RunSummary> {
    let models: Vec<String> = backends.keys().cloned().collect();
    let mut summary = RunSummary::default();
    let mut backoff = Duration::from_millis(500);
    tracing::info!(server = client.server(), models = ?models, "worker started");
    while *stop.borrow() == 0 && options.max_jobs.is_none_or(|max| summary.done < max) {
        let lease = tokio::select! {
            lease = client.lease(&models, options.wait_secs.min(MAX_WAIT_SECS)) => lease,
            _ = stop.changed() => break,
        };
        let lease = match lease {
            Ok(lease) => lease,
            Err(e @ ClientError::Unauthorized(_)) => return Err(e.into()),
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "lease failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
            Err(e) => bail!("the server refused to lease jobs: {e}"),
        };
        backoff = Duration::from_millis(500);
        let Some(job) = lease.job else {
            if options.exit_when_idle {
                break;
            }
            continue;
        };
        let heartbeat = Duration::from_secs(lease.heartbeat_secs.max(1));
        match run_job(client, backends, &job, heartbeat, options, &mut stop).await? {
            Outcome::Done => summary.done += 1,
            Outcome::Failed => summary.failed += 1,
            Outcome::Lost => summary.lost += 1,
            Outcome::Released => summary.released += 1,
        }
    }
    tracing::info!(
        jobs.done = summary.done,
        jobs.failed = summary.failed,
        jobs.lost = summary.lost,
        jobs.released = summary.released,
        "worker stopped"
    );
    Ok(summary)
}

async fn run_job(
    client: &WorkerClient,
    backends: &Backends,
    job: &JobSpec,
    heartbeat_every: Duration,
    options: &RunOptions,
    stop: &mut Stop,
) -> anyhow::Result<Outcome> {
    let Some(backend) = backends.get(&job.model).cloned() else {
        let reason = format!("this worker has no backend for model {}", job.model);
        return report_failure(client, job, &reason, false).await;
    };
    tracing::info!(job.id = job.id, job.model = %job.model, job.attempt = job.attempt, "generating");
    let started = Instant::now();
    let progress = Arc::new((AtomicU32::new(0), AtomicU32::new(0)));
    let mut generation = spawn_generation(backend, job, progress.clone());
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::now() + heartbeat_every,
        heartbeat_every,
    );
    let mut grace_ends: Option<tokio::time::Instant> = None;
    let result = loop {
        if *stop.borrow() >= 1 && grace_ends.is_none() {
            grace_ends = Some(tokio::time::Instant::now() + options.shutdown_grace);
        }
        let grace = async {
            match grace_ends {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = &mut generation => break result.unwrap_or_else(|_| Err(anyhow::anyhow!("the generation thread panicked"))),
            _ = ticker.tick() => {
                let beat = Heartbeat {
                    step: Some(progress.0.load(Ordering::Relaxed)),
                    steps: Some(progress.1.load(Ordering::Relaxed)).filter(|n| *n > 0),
                };
                match client.heartbeat(job, beat.clone()).await {
                    Ok(_) => tracing::debug!(job.id = job.id, step = ?beat.step, steps = ?beat.steps, "heartbeat"),
                    Err(ClientError::LeaseLost(_)) => {
                        tracing::warn!(job.id = job.id, "lease lost; dropping the job");
                        return Ok(Outcome::Lost);
                    }
                    Err(e @ ClientError::Unauthorized(_)) => return Err(e.into()),
                    Err(e) => tracing::warn!(job.id = job.id, error = %e, "heartbeat failed"),
                }
            }
            _ = stop.changed() => {
                if *stop.borrow() >= 2 {
                    return release(client, job).await;
                }
                tracing::info!(job.id = job.id, "stopping after the current job");
            }
            _ = grace => {
                tracing::warn!(job.id = job.id, "the job did not finish within the shutdown grace period");
                return release(client, job).await;
            }
        }
    };
    match result {
        Ok(image) => upload(client, job, image, started.elapsed()).await,
        Err(e) => {
            let transient = e
                .downcast_ref::<crate::openai::ApiError>()
                .is_some_and(|e| e.transient);
            report_failure(client, job, &format!("{e:#}"), transient).await
        }
    }
}

/// Runs the backend on a thread of its own: it may block for minutes.
fn spawn_generation(
    backend: Arc<dyn Backend>,
    job: &JobSpec,
    progress: Arc<(AtomicU32, AtomicU32)>,
) -> oneshot::Receiver<anyhow::Result<GeneratedImage>> {
    let request = GenerationRequest {
        prompt: job.prompt.clone(),
        seed: job.seed as u64,
        width: job.width,
        height: job.height,
        steps: None,
        guidance: None,
    };
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        let report = |step: u32, steps: u32| {
            progress.0.store(step, Ordering::Relaxed);
            progress.1.store(steps, Ordering::Relaxed);
        };
        let _ = tx.send(backend.generate(&request, &report));
    });
    rx
}

async fn upload(
    client: &WorkerClient,
    job: &JobSpec,
    image: GeneratedImage,
    took: Duration,
) -> anyhow::Result<Outcome> {
    let params = recorded_params(image.params, job, took);
    let mut backoff = Duration::from_millis(500);
    for _ in 0..5 {
        match client.result(job, image.png.clone(), &params).await {
            Ok(_) => {
                tracing::info!(
                    job.id = job.id,
                    latency_ms = took.as_millis() as u64,
                    "uploaded"
                );
                return Ok(Outcome::Done);
            }
            Err(ClientError::LeaseLost(_)) => {
                tracing::warn!(
                    job.id = job.id,
                    "lease lost before the upload; dropping the image"
                );
                return Ok(Outcome::Lost);
            }
            Err(e @ ClientError::Unauthorized(_)) => return Err(e.into()),
            Err(e) if e.is_transient() => {
                tracing::warn!(job.id = job.id, error = %e, "upload failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            Err(e) => {
                return report_failure(
                    client,
                    job,
                    &format!("the server refused the image: {e}"),
                    false,
                )
                .await;
            }
        }
    }
    report_failure(client, job, "the image could not be uploaded", true).await
}

/// The parameters recorded with an image: what the backend reported, the job's seed
/// and size only where it reported none, and the latency this worker measured. The
/// backend's own values win because they made the image: a candle model with
/// `seed_policy = "fixed"` or a configured `size` ignores the job's.
fn recorded_params(
    reported: serde_json::Value,
    job: &JobSpec,
    took: Duration,
) -> serde_json::Value {
    let mut params = match reported {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    params.entry("seed").or_insert(job.seed.into());
    params.entry("width").or_insert(job.width.into());
    params.entry("height").or_insert(job.height.into());
    params.insert("latency_ms".into(), (took.as_millis() as u64).into());
    serde_json::Value::Object(params)
}

async fn report_failure(
    client: &WorkerClient,
    job: &JobSpec,
    reason: &str,
    retryable: bool,
) -> anyhow::Result<Outcome> {
    tracing::warn!(job.id = job.id, job.model = %job.model, reason, retryable, "generation failed");
    let request = FailRequest {
        reason: reason.to_string(),
        retryable,
        release: false,
    };
    match client.fail(job, &request).await {
        Ok(_) => Ok(Outcome::Failed),
        Err(ClientError::LeaseLost(_)) => Ok(Outcome::Lost),
        Err(e @ ClientError::Unauthorized(_)) => Err(e.into()),
        Err(e) => {
            // The lease expires and the server retries or fails the job by itself.
            tracing::warn!(job.id = job.id, error = %e, "reporting the failure failed");
            Ok(Outcome::Failed)
        }
    }
}

async fn release(client: &WorkerClient, job: &JobSpec) -> anyhow::Result<Outcome> {
    let request = FailRequest {
        reason: "the worker shut down before finishing".into(),
        retryable: true,
        release: true,
    };
    match client.fail(job, &request).await {
        Ok(_) => tracing::info!(job.id = job.id, "gave the job back"),
        Err(e) => {
            tracing::warn!(job.id = job.id, error = %e, "giving the job back failed; its lease will expire")
        }
    }
    Ok(Outcome::Released)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> JobSpec {
        JobSpec {
            id: 1,
            model: "m".into(),
            prompt: "a fox".into(),
            seed: 11,
            width: 64,
            height: 64,
            attempt: 1,
            lease: "00112233445566778899aabbccddeeff".into(),
        }
    }

    #[test]
    fn the_seed_and_size_a_backend_reports_are_recorded_rather_than_the_jobs() {
        let reported =
            serde_json::json!({ "seed": 42, "width": 32, "height": 48, "latency_ms": 5 });
        let params = recorded_params(reported, &job(), Duration::from_millis(70));
        assert_eq!(
            params,
            serde_json::json!({ "seed": 42, "width": 32, "height": 48, "latency_ms": 70 })
        );
    }

    #[test]
    fn the_jobs_seed_and_size_fill_in_what_a_backend_does_not_report() {
        let reported = serde_json::json!({ "generator": "faithful" });
        let params = recorded_params(reported, &job(), Duration::from_millis(3));
        assert_eq!(
            params,
            serde_json::json!({ "generator": "faithful", "seed": 11, "width": 64, "height": 64, "latency_ms": 3 })
        );
    }
}
