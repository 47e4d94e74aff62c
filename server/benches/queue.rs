//! Generation queue benchmark, over loopback HTTP against the real router:
//!
//! 1. lease + result round trip: one worker leases a job and uploads its PNG, one
//!    after the other (the upload is decoded and re-encoded by the server, as always);
//! 2. 1,000 queued jobs drained by 4 demo workers (the real worker loop, each its own
//!    task and HTTP client), then a check that no job was done twice.
//!
//!     cargo bench -p arena-server --bench queue -- [--postgres] [--size PX]
//!
//! SQLite in a temporary directory by default; `--postgres` creates (and drops) a
//! database on `ARENA_TEST_POSTGRES_URL`. Prints one JSON object per scenario.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use arena_server::App;
use arena_server::config::{FileConfig, ServeConfig, Storage};
use arena_server::http::{AppState, app};
use arena_server::store::NewPrompt;
use arena_worker::client::WorkerClient;
use arena_worker::config::{WorkerConfig, load_backends};
use arena_worker::run::{RunOptions, run};

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let postgres = args.iter().any(|a| a == "--postgres");
    let size: u32 = args
        .iter()
        .position(|a| a == "--size")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(128);
    round_trip(postgres, size, 500).await?;
    drain(postgres, size, 1000, 4).await?;
    Ok(())
}

/// A fresh arena serving on a loopback port; the database is dropped with the guard.
async fn start(
    postgres: bool,
    size: u32,
    prompts: usize,
) -> anyhow::Result<(Arc<App>, String, Option<support::PgDb>)> {
    let dir =
        std::env::temp_dir().join(format!("arena-bench-queue-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir)?;
    let backend = if postgres {
        support::Backend::Postgres
    } else {
        support::Backend::Sqlite
    };
    let (url, guard) = support::require_database(backend, &dir).await?;
    let storage = Storage::local(url, dir);
    let file = FileConfig {
        image_size: Some(size),
        default_prompts: Some(false),
        embedded_worker: Some(false),
        ..FileConfig::default()
    };
    let config = ServeConfig::resolve(storage, None, true, file)?;
    let arena = Arc::new(App::open(config).await?);
    let prompts: Vec<NewPrompt> = (0..prompts)
        .map(|i| NewPrompt {
            text: format!("a paper boat number {i} on a pond"),
            category: "bench".into(),
            source: "bench".into(),
        })
        .collect();
    arena.store.import_prompts(&prompts).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = app(AppState(arena.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok((arena, base, guard))
}

/// A worker token registered and its models marked live, then the pool queued.
async fn worker_with_jobs(arena: &App, name: &str) -> anyhow::Result<String> {
    let token = arena_server::generation::workers::new_token();
    let id = arena
        .store
        .add_worker(
            name,
            &arena_server::generation::workers::hash_token(&token),
            None,
        )
        .await?;
    let slugs: Vec<String> = support::demo_slugs()
        .iter()
        .map(|s| s.to_string())
        .collect();
    arena.store.touch_worker(id, &slugs).await?;
    arena_server::generation::queue::refill_pool(arena).await?;
    Ok(token)
}

async fn round_trip(postgres: bool, size: u32, n: usize) -> anyhow::Result<()> {
    let (arena, base, _guard) = start(postgres, size, n / 5 + 1).await?;
    let token = worker_with_jobs(&arena, "bench").await?;
    let client = WorkerClient::new(&base, &token)?;
    let image =
        arena_worker::demo::render("demo-faithful", "a paper boat on a pond", 1, size, size)
            .unwrap();
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, image::ImageFormat::Png)?;
    let png = png.into_inner();
    let models: Vec<String> = support::demo_slugs()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let params = serde_json::json!({ "latency_ms": 1 });
    let mut lease_ms = Vec::with_capacity(n);
    let mut total_ms = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let job = client.lease(&models, 0).await?.job.expect("a queued job");
        let leased = started.elapsed();
        client.result(&job, png.clone(), &params).await?;
        lease_ms.push(leased.as_secs_f64() * 1e3);
        total_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let (lease, total) = (stats(&mut lease_ms), stats(&mut total_ms));
    println!(
        "{}",
        serde_json::json!({
            "scenario": "lease + result round trip",
            "database": arena.store.backend_name(),
            "image_px": size,
            "png_bytes": png.len(),
            "round_trips": n,
            "lease_p50_ms": lease.0, "lease_p99_ms": lease.1,
            "round_trip_p50_ms": total.0, "round_trip_p99_ms": total.1, "round_trip_mean_ms": total.2,
        })
    );
    Ok(())
}

async fn drain(postgres: bool, size: u32, jobs: usize, workers: usize) -> anyhow::Result<()> {
    let (arena, base, _guard) = start(postgres, size, jobs / 5).await?;
    let mut tokens = Vec::new();
    for i in 0..workers {
        tokens.push(worker_with_jobs(&arena, &format!("bench-{i}")).await?);
    }
    let queued = arena.store.all_jobs().await?.len();
    assert_eq!(queued, jobs);
    let started = Instant::now();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let base = base.clone();
            tokio::spawn(async move {
                let client = WorkerClient::new(&base, &token)?;
                let backends = load_backends(&WorkerConfig::demo())?;
                let options = RunOptions {
                    wait_secs: 0,
                    exit_when_idle: true,
                    ..RunOptions::default()
                };
                let (_stop_tx, stop) = tokio::sync::watch::channel(0);
                run(&client, &backends, &options, stop).await
            })
        })
        .collect();
    let mut per_worker = Vec::new();
    for t in tasks {
        per_worker.push(t.await??);
    }
    let took = started.elapsed();
    let all = arena.store.all_jobs().await?;
    let done = all.iter().filter(|j| j.state == "done").count();
    let once = all.iter().filter(|j| j.attempts == 1).count();
    let images: HashSet<i64> = all.iter().filter_map(|j| j.generation_id).collect();
    let uploaded: u64 = per_worker.iter().map(|s| s.done).sum();
    let lost: u64 = per_worker.iter().map(|s| s.lost).sum();
    let twice = uploaded as usize != jobs || lost > 0 || once != jobs || images.len() != jobs;
    println!(
        "{}",
        serde_json::json!({
            "scenario": "queued jobs drained by demo workers",
            "database": arena.store.backend_name(),
            "image_px": size,
            "jobs": jobs,
            "workers": workers,
            "seconds": (took.as_secs_f64() * 1000.0).round() / 1000.0,
            "jobs_per_s": (jobs as f64 / took.as_secs_f64()).round(),
            "done": done,
            "per_worker": per_worker.iter().map(|s| s.done).collect::<Vec<_>>(),
            "leased_once": once,
            "distinct_images": images.len(),
            "any_job_done_twice": twice,
        })
    );
    assert!(!twice && done == jobs, "a job was done twice or not at all");
    Ok(())
}

/// (p50, p99, mean) in milliseconds, rounded to microseconds.
fn stats(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() as f64 * q) as usize).min(values.len() - 1)];
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (round(at(0.5)), round(at(0.99)), round(mean))
}
