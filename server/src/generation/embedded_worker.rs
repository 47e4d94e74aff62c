//! The worker that runs inside the server (on by default, `--no-embedded-worker` turns
//! it off): it serves the built-in demo models, and the models of
//! `embedded_worker_config` (a worker.toml), through the same queue as any external
//! worker, so that one command gives a working arena (its row may serve every model,
//! and it names each job's lease like any worker). Its pool refill lets voting start
//! within seconds of a first start.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use arena_backends::backend::GenerationRequest;
use arena_backends::config::{Backends, WorkerConfig, load_backends};
use arena_backends::demo::demo_models;
use chrono::Utc;
use image::DynamicImage;

use super::{Error, queue, workers};
use crate::app::App;
use crate::store::{FailKind, LeasedJob, Worker};

/// The embedded worker's row: one per host, so servers sharing a database are told apart.
async fn register(app: &App) -> anyhow::Result<Worker> {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    let name = format!("embedded@{host}");
    // It never authenticates over HTTP: the hash of a token nobody knows.
    let unusable = workers::hash_token(&workers::new_token());
    let id = app.store.ensure_worker(&name, &unusable).await?;
    Ok(Worker {
        id,
        name,
        created_at: Utc::now(),
        last_seen_at: None,
        revoked_at: None,
        models: "[]".into(),
        allowed_models: None,
    })
}

fn demo_slugs() -> Vec<String> {
    let mut slugs: Vec<String> = demo_models().iter().map(|m| m.slug.to_string()).collect();
    slugs.sort();
    slugs
}

/// The backends of `embedded_worker_config`; must run inside the runtime.
fn configured_backends(app: &App) -> anyhow::Result<Backends> {
    match &app.config.embedded_worker_config {
        Some(path) => load_backends(&WorkerConfig::load(path)?),
        None => Ok(Backends::new()),
    }
}

/// Loads the configured backends (a bad worker.toml stops the start) and starts the
/// embedded worker in the background.
pub fn spawn(app: Arc<App>) -> anyhow::Result<()> {
    let backends = Arc::new(configured_backends(&app)?);
    tokio::spawn(async move {
        if let Err(e) = run(&app, backends).await {
            tracing::error!(error = %format!("{e:#}"), "the embedded worker stopped");
        }
    });
    Ok(())
}

async fn run(app: &App, backends: Arc<Backends>) -> anyhow::Result<()> {
    let mut worker = register(app).await?;
    let mut slugs = demo_slugs();
    slugs.extend(backends.keys().cloned());
    tracing::info!(worker.name = %worker.name, models = ?slugs, "embedded worker started");
    loop {
        // `lease` records the worker as seen (and updates `worker` when it does): setting
        // `last_seen_at` here without a write would make every later lease skip it.
        let job = queue::lease(app, &mut worker, &slugs, Duration::from_secs(30)).await;
        match job {
            Ok(Some(job)) => {
                if let Err(e) = generate(app, worker.id, job, &backends).await {
                    tracing::error!(error = %format!("{e:#}"), "embedded worker: generation failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "embedded worker cannot lease");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Draws one job (a configured backend, else a demo generator) and finishes it.
async fn generate(
    app: &App,
    worker_id: i64,
    job: LeasedJob,
    backends: &Backends,
) -> anyhow::Result<()> {
    if let Some(backend) = backends.get(&job.model).cloned() {
        return generate_with(app, worker_id, job, backend).await;
    }
    let started = Instant::now();
    let (slug, prompt) = (job.model.clone(), job.prompt.clone());
    let (seed, width, height) = (job.seed, job.width as u32, job.height as u32);
    let image = tokio::task::spawn_blocking(move || {
        arena_backends::demo::render(&slug, &prompt, seed as u64, width, height)
    })
    .await?;
    let Some(image) = image else {
        let reason = format!("no demo generator is called {}", job.model);
        queue::fail(app, job.held_by(worker_id), &reason, FailKind::Permanent).await?;
        return Ok(());
    };
    let params = serde_json::json!({
        "generator": job.model,
        "seed": seed,
        "width": width,
        "height": height,
        "latency_ms": started.elapsed().as_millis() as i64,
    });
    queue::complete_image(
        app,
        job.held_by(worker_id),
        DynamicImage::ImageRgb8(image),
        params,
    )
    .await?;
    Ok(())
}

/// Runs a configured backend on a blocking thread, extending the lease (with the
/// progress) while it works, as an external worker's heartbeats would.
async fn generate_with(
    app: &App,
    worker_id: i64,
    job: LeasedJob,
    backend: Arc<dyn arena_backends::backend::Backend>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let request = GenerationRequest {
        prompt: job.prompt.clone(),
        seed: job.seed as u64,
        width: job.width as u32,
        height: job.height as u32,
        steps: None,
        guidance: None,
    };
    let progress = Arc::new((AtomicU32::new(0), AtomicU32::new(0)));
    let shared = progress.clone();
    let mut generation = tokio::task::spawn_blocking(move || {
        let report = |k: u32, n: u32| {
            shared.0.store(k, Ordering::Relaxed);
            shared.1.store(n, Ordering::Relaxed);
        };
        backend.generate(&request, &report)
    });
    let every = Duration::from_secs(app.config.queue.heartbeat_secs());
    let result = loop {
        tokio::select! {
            result = &mut generation => break result?,
            _ = tokio::time::sleep(every) => {
                let (k, n) = (progress.0.load(Ordering::Relaxed), progress.1.load(Ordering::Relaxed));
                let expires = Utc::now() + chrono::Duration::seconds(app.config.queue.lease_secs as i64);
                let step = (n > 0).then_some((k.min(n) as i32, n as i32));
                if !app.store.heartbeat_job(job.held_by(worker_id), step, expires).await? {
                    tracing::warn!(job.id = job.id, "embedded worker lost its lease; dropping the job");
                    return Ok(());
                }
            }
        }
    };
    match result {
        Ok(image) => {
            let mut params = match image.params {
                serde_json::Value::Object(map) => map,
                _ => serde_json::Map::new(),
            };
            params.insert("seed".into(), job.seed.into());
            params.insert(
                "latency_ms".into(),
                (started.elapsed().as_millis() as i64).into(),
            );
            let lease = job.held_by(worker_id);
            match queue::complete_bytes(app, lease, image.png, params.into()).await {
                Ok(_) => {}
                // What the backend made is refused as it would be from any worker:
                // the job fails with the reason instead of waiting for its lease to end.
                Err(e @ (Error::ImageTooLarge(_) | Error::InvalidImage(_))) => {
                    queue::fail(app, lease, &e.to_string(), FailKind::Permanent).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => {
            let transient = e
                .downcast_ref::<arena_backends::openai::ApiError>()
                .is_some_and(|e| e.transient);
            let kind = if transient {
                FailKind::Transient
            } else {
                FailKind::Permanent
            };
            queue::fail(app, job.held_by(worker_id), &format!("{e:#}"), kind).await?;
        }
    }
    Ok(())
}

/// Queues and draws every missing pool image of the demo models right now, without a
/// background task; returns how many it made (tests, and tools that need a full pool).
pub async fn fill_pool(app: &App) -> anyhow::Result<u64> {
    let mut worker = register(app).await?;
    let slugs = demo_slugs();
    app.store.touch_worker(worker.id, &slugs).await?;
    worker.models = serde_json::to_string(&slugs)?;
    worker.last_seen_at = Some(Utc::now());
    queue::refill_pool(app).await?;
    let mut made = 0;
    let none = Backends::new();
    while let Some(job) = queue::lease(app, &mut worker, &slugs, Duration::ZERO).await? {
        generate(app, worker.id, job, &none).await?;
        made += 1;
    }
    Ok(made)
}
