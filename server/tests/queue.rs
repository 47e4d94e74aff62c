//! The generation queue as one story on SQLite and on the real Postgres: pool jobs,
//! the worker protocol (tokens, lease, heartbeat, result, fail), re-encoding of
//! uploads, expired leases, attempts running out, and many concurrent leases.

mod common;
mod queue_support;

use std::collections::HashSet;
use std::sync::Arc;

use arena_server::config::QueueConfig;
use arena_server::generation::queue;
use arena_server::store::{FailKind, JobLease};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::Backend;
use common::support::{demo_slugs, png_with_metadata};
use common::support::{png_chunks, png_size};
use queue_support::{TestWorker, arena, send};

async fn generation_queue_story(backend: Backend) {
    let queue_config = QueueConfig {
        max_attempts: 2,
        ..QueueConfig::default()
    };
    let Some(arena) = arena(backend, queue_config, &["a red kite", "two green frogs"]).await else {
        return;
    };
    let store = &arena.app.store;

    // A bad or missing token is a 401 in the API's error shape.
    for auth in ["Bearer nope", "", "Basic abc"] {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/worker/lease");
        if !auth.is_empty() {
            request = request.header("authorization", auth);
        }
        let r = send(
            &arena.router,
            request
                .body(Body::from(r#"{"models":["demo-faithful"]}"#))
                .unwrap(),
        )
        .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNAUTHORIZED, "invalid_worker_token"),
            "{auth:?}"
        );
    }

    let worker = TestWorker::add(&arena, "gpu-1").await;
    let unknown = worker
        .post(
            "/api/v1/worker/lease",
            serde_json::json!({ "models": ["no-such-model"] }),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.error_code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_model")
    );

    // An empty queue answers `job: null` after the wait, and marks the worker live.
    assert!(worker.lease(&demo_slugs()).await.is_null());
    // Seeing the worker, the refill queues every pool image of its models.
    assert_eq!(queue::refill_pool(&arena.app).await.unwrap(), 10);
    assert_eq!(
        queue::refill_pool(&arena.app).await.unwrap(),
        0,
        "a second refill duplicates nothing"
    );

    // Lease, heartbeat with progress, upload an odd-sized PNG with metadata.
    let job = worker.lease(&["demo-faithful"]).await;
    let id = job["id"].as_i64().unwrap();
    assert_eq!(job["model"], "demo-faithful");
    assert_eq!(job["prompt"], "a red kite");
    assert_eq!(job["attempt"], 1);
    let beat = worker.heartbeat(id, 3, 10).await;
    assert_eq!(beat.status, StatusCode::OK);
    let stored = store.job(id).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.state.as_str(),
            stored.progress_step,
            stored.progress_steps
        ),
        ("leased", Some(3), Some(10))
    );
    let other = TestWorker::add(&arena, "gpu-2").await;
    assert_eq!(
        other.heartbeat(id, 4, 10).await.error_code(),
        "lease_lost",
        "only the holder may heartbeat"
    );
    assert_eq!(
        other
            .result(id, png_with_metadata(80, 50))
            .await
            .error_code(),
        "lease_lost"
    );
    let garbage = worker.result(id, b"not an image".to_vec()).await;
    assert_eq!(
        (garbage.status, garbage.error_code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_image")
    );
    let done = worker.result(id, png_with_metadata(80, 50)).await;
    assert_eq!(
        done.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&done.body)
    );
    assert_eq!(done.json()["state"], "done");
    assert_eq!(
        worker
            .result(id, png_with_metadata(80, 50))
            .await
            .error_code(),
        "lease_lost",
        "a job is done once"
    );

    // The server re-encoded it: the arena's size, no text chunk, sha256 recorded.
    let job_row = store.job(id).await.unwrap().unwrap();
    let generation = store
        .generation(job_row.generation_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    let bytes = arena.app.blobs.get(&generation.blob_key).await.unwrap();
    assert_eq!(png_size(&bytes), (64, 64));
    assert!(
        !png_chunks(&bytes)
            .iter()
            .any(|c| c == "tEXt" || c == "iTXt" || c == "zTXt"),
        "{:?}",
        png_chunks(&bytes)
    );
    assert_eq!(
        generation.sha256,
        arena_server::generation::blob::sha256_hex(&bytes)
    );
    assert_eq!((generation.steps, generation.latency_ms), (Some(4), 12));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&generation.params).unwrap()["note"],
        "café"
    );

    // A permanent failure ends the job with its reason.
    let job = worker.lease(&["demo-lowfi"]).await;
    let id = job["id"].as_i64().unwrap();
    let failed = worker.fail(id, "the prompt broke the model", false).await;
    assert_eq!(failed.json()["state"], "failed");
    let row = store.job(id).await.unwrap().unwrap();
    assert_eq!(
        row.failure_reason.as_deref(),
        Some("the prompt broke the model")
    );
    let recent = store.failed_jobs(1).await.unwrap();
    assert_eq!(recent[0].worker.as_deref(), Some("gpu-1"));

    // A transient failure is retried until attempts run out (2 here).
    let job = worker.lease(&["demo-geometric"]).await;
    let id = job["id"].as_i64().unwrap();
    assert_eq!(
        worker.fail(id, "HTTP 503", true).await.json()["state"],
        "queued"
    );
    let again = worker.lease(&["demo-geometric"]).await;
    assert_eq!(
        (again["id"].as_i64(), again["attempt"].as_i64()),
        (Some(id), Some(2))
    );
    assert_eq!(
        worker.fail(id, "HTTP 503", true).await.json()["state"],
        "failed"
    );
    assert!(
        store
            .job(id)
            .await
            .unwrap()
            .unwrap()
            .failure_reason
            .unwrap()
            .contains("after 2 attempts")
    );

    // A lease that expires goes back to the queue; after max attempts it fails, reason kept.
    let slugs = vec!["demo-painterly".to_string()];
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    let expired = store.lease_job(1, &slugs, past).await.unwrap().unwrap();
    let reaped = store.reap_jobs(2).await.unwrap();
    assert_eq!(reaped.requeued, 1);
    let row = store.job(expired.id).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("queued", 1));
    store.lease_job(1, &slugs, past).await.unwrap().unwrap();
    store.reap_jobs(2).await.unwrap();
    let row = store.job(expired.id).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("failed", 2));
    assert!(row.failure_reason.unwrap().contains("lease expired"));

    // Giving a job back (shutdown) queues it again, its attempt used
    // (worker_scope.rs: after max_attempts releases it fails).
    let job = worker.lease(&["demo-confused"]).await;
    let id = job["id"].as_i64().unwrap();
    let released = worker.release(id).await;
    assert_eq!(released.json()["state"], "queued");
    assert_eq!(store.job(id).await.unwrap().unwrap().attempts, 1);
}

#[tokio::test]
async fn generation_queue_story_on_sqlite() {
    generation_queue_story(Backend::Sqlite).await;
}

#[tokio::test]
async fn generation_queue_story_on_postgres() {
    generation_queue_story(Backend::Postgres).await;
}

/// Many leases at once never hand out one job twice.
async fn concurrent_leases_take_each_job_once(backend: Backend) {
    let prompts: Vec<String> = (0..30).map(|i| format!("prompt number {i}")).collect();
    let prompts: Vec<&str> = prompts.iter().map(String::as_str).collect();
    let Some(arena) = arena(backend, QueueConfig::default(), &prompts).await else {
        return;
    };
    let store = Arc::new(arena.app.store.clone());
    let mut workers = Vec::new();
    for i in 0..8 {
        workers.push(
            store
                .add_worker(&format!("w{i}"), &format!("hash{i}"), None)
                .await
                .unwrap(),
        );
    }
    let slugs: Vec<String> = demo_slugs().iter().map(|s| s.to_string()).collect();
    for &w in &workers {
        store.touch_worker(w, &slugs).await.unwrap();
    }
    let queued = queue::refill_pool(&arena.app).await.unwrap();
    assert_eq!(queued, 150);
    let tasks: Vec<_> = workers
        .iter()
        .map(|&w| {
            let (store, slugs) = (store.clone(), slugs.clone());
            tokio::spawn(async move {
                let mut got = Vec::new();
                let expires = chrono::Utc::now() + chrono::Duration::seconds(60);
                while let Some(job) = store.lease_job(w, &slugs, expires).await.unwrap() {
                    got.push(job.id);
                }
                got
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(
        (all.len(), distinct.len()),
        (150, 150),
        "a job was leased twice or lost"
    );
    // Whoever finishes first wins; a second result for the same job is refused.
    let not_mine = JobLease {
        job_id: all[0],
        worker_id: -1,
        nonce: queue_support::GUESSED_LEASE,
    };
    let fail = store
        .fail_job(not_mine, "not mine", FailKind::Permanent, 3)
        .await
        .unwrap();
    assert_eq!(fail, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_leases_take_each_job_once_on_sqlite() {
    concurrent_leases_take_each_job_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_leases_take_each_job_once_on_postgres() {
    concurrent_leases_take_each_job_once(Backend::Postgres).await;
}
