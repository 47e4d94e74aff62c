//! The worker that runs inside the server (on by default, `--no-embedded-worker` turns
//! it off): it serves the built-in demo models through the same queue as any external
//! worker, so that one command gives a working arena. Its pool refill lets voting
//! start within seconds of a first start.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arena_worker::demo::demo_models;
use image::DynamicImage;

use crate::App;
use crate::store::{FailKind, LeasedJob, Worker};

/// Backend name under which the built-in demo models are registered.
pub const DEMO_BACKEND: &str = "demo";

/// The embedded worker's row: one per host, so servers sharing a database are told apart.
async fn register(app: &App) -> anyhow::Result<Worker> {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    let name = format!("embedded@{host}");
    // It never authenticates over HTTP: the hash of a token nobody knows.
    let unusable = crate::workers::hash_token(&crate::workers::new_token());
    let id = app.store.ensure_worker(&name, &unusable).await?;
    Ok(Worker {
        id,
        name,
        created_at: chrono::Utc::now(),
        last_seen_at: None,
        models: "[]".into(),
    })
}

fn demo_slugs() -> Vec<String> {
    let mut slugs: Vec<String> = demo_models().iter().map(|m| m.slug.to_string()).collect();
    slugs.sort();
    slugs
}

/// Starts the embedded worker in the background.
pub fn spawn(app: Arc<App>) {
    tokio::spawn(async move {
        if let Err(e) = run(&app).await {
            tracing::error!(error = %format!("{e:#}"), "the embedded worker stopped");
        }
    });
}

async fn run(app: &App) -> anyhow::Result<()> {
    let mut worker = register(app).await?;
    let slugs = demo_slugs();
    tracing::info!(worker.name = %worker.name, "embedded worker serving the demo models");
    loop {
        let job = crate::queue::lease(app, &worker, &slugs, Duration::from_secs(30)).await;
        worker.models = serde_json::to_string(&slugs)?;
        match job {
            Ok(Some(job)) => {
                if let Err(e) = generate(app, worker.id, job).await {
                    tracing::error!(error = %format!("{e:#}"), "embedded worker: generation failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = e.message, "embedded worker cannot lease");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Draws one job with a demo generator and finishes it.
async fn generate(app: &App, worker_id: i64, job: LeasedJob) -> anyhow::Result<()> {
    let started = Instant::now();
    let (slug, prompt) = (job.model.clone(), job.prompt.clone());
    let (seed, width, height) = (job.seed, job.width as u32, job.height as u32);
    let image = tokio::task::spawn_blocking(move || {
        arena_worker::demo::render(&slug, &prompt, seed as u64, width, height)
    })
    .await?;
    let Some(image) = image else {
        let reason = format!("no demo generator is called {}", job.model);
        crate::queue::fail(app, worker_id, job.id, &reason, FailKind::Permanent)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        return Ok(());
    };
    let params = serde_json::json!({
        "generator": job.model,
        "seed": seed,
        "width": width,
        "height": height,
        "latency_ms": started.elapsed().as_millis() as i64,
    });
    crate::queue::complete_image(
        app,
        worker_id,
        job.id,
        DynamicImage::ImageRgb8(image),
        params,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.message))?;
    Ok(())
}

/// Queues and draws every missing pool image of the demo models right now, without a
/// background task; returns how many it made (tests, and tools that need a full pool).
pub async fn fill_pool(app: &App) -> anyhow::Result<u64> {
    let mut worker = register(app).await?;
    let slugs = demo_slugs();
    app.store.touch_worker(worker.id, &slugs).await?;
    worker.models = serde_json::to_string(&slugs)?;
    crate::queue::refill_pool(app).await?;
    let mut made = 0;
    while let Some(job) = crate::queue::lease(app, &worker, &slugs, Duration::ZERO)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?
    {
        generate(app, worker.id, job).await?;
        made += 1;
    }
    Ok(made)
}
