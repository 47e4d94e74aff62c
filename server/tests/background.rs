//! Running as one of several servers: background work that must run once (the
//! leaderboard snapshots) is claimed by exactly one of them per period, and readiness
//! covers everything a server needs (the database and the image store).

mod common;

use std::time::Duration;

use common::{Backend, TestArena};

async fn one_claim_wins(backend: Backend) {
    let Some(arena) = TestArena::open(backend, Default::default()).await else {
        return;
    };
    let (sibling, _) = arena.sibling(Duration::from_secs(3600)).await;
    let hour = chrono::Duration::hours(1);
    // Eight claims at once from two servers: one wins.
    let claims = (0..8).map(|i| {
        let store = if i % 2 == 0 {
            arena.app.store.clone()
        } else {
            sibling.store.clone()
        };
        async move { store.claim_task("snapshot", hour).await.unwrap() }
    });
    let won: Vec<bool> = futures_util::future::join_all(claims).await;
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    // Within the period nobody claims it again; another task is claimed on its own.
    assert!(!sibling.store.claim_task("snapshot", hour).await.unwrap());
    assert!(sibling.store.claim_task("other", hour).await.unwrap());
    // Once the period has passed, it can be claimed again.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let short = chrono::Duration::milliseconds(10);
    assert!(arena.app.store.claim_task("snapshot", short).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_server_of_many_claims_a_background_task_on_sqlite() {
    one_claim_wins(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_server_of_many_claims_a_background_task_on_postgres() {
    one_claim_wins(Backend::Postgres).await;
}

/// `/readyz` answers 503 while the image store cannot be written (here its folder is
/// replaced by a file), and 200 again once it can.
#[tokio::test]
async fn readiness_needs_the_image_store() {
    let Some(arena) = TestArena::open(Backend::Sqlite, Default::default()).await else {
        return;
    };
    let mut client = arena.client();
    let ready = client.get("/readyz").await;
    assert_eq!(ready.status, axum::http::StatusCode::OK);
    let images = arena.images_dir();
    let aside = images.with_extension("aside");
    std::fs::rename(&images, &aside).unwrap();
    std::fs::write(&images, b"not a folder").unwrap();
    let down = client.get("/readyz").await;
    assert_eq!(down.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.text(), "image store unreachable");
    std::fs::remove_file(&images).unwrap();
    std::fs::rename(&aside, &images).unwrap();
    assert_eq!(
        client.get("/readyz").await.status,
        axum::http::StatusCode::OK
    );
}

/// The pool refill of several servers at once queues each missing image once: no
/// (prompt, model, seed) twice, exactly the pool's size in all.
async fn refills_at_once_queue_each_image_once(backend: Backend) {
    let file = || arena_server::config::FileConfig {
        queue: arena_server::config::QueueConfig {
            pool_images: 2,
            ..Default::default()
        },
        ..Default::default()
    };
    let Some(arena) = TestArena::open(backend, file()).await else {
        return;
    };
    let store = &arena.app.store;
    // Enough prompts that the refills overlap.
    let prompts: Vec<_> = (0..60)
        .map(|i| arena_server::store::NewPrompt {
            text: format!("prompt number {i}: a lighthouse at dusk"),
            category: "test".into(),
            source: "test".into(),
        })
        .collect();
    store.import_prompts(&prompts).await.unwrap();
    // A live worker serving every demo model, so that the pool wants their images.
    let slugs: Vec<String> = common::support::demo_slugs()
        .into_iter()
        .map(String::from)
        .collect();
    let token = arena_server::generation::workers::hash_token("a worker token");
    let worker = store.add_worker("gpu-1", &token, None).await.unwrap();
    store.touch_worker(worker, &slugs).await.unwrap();

    let (sibling, _) = arena.sibling_with(file()).await;
    let refills = (0..8).map(|i| {
        let app = if i % 2 == 0 {
            arena.app.clone()
        } else {
            sibling.clone()
        };
        async move {
            arena_server::generation::queue::refill_pool(&app)
                .await
                .unwrap()
        }
    });
    let added: u64 = futures_util::future::join_all(refills).await.iter().sum();
    let expected = (prompts.len() * slugs.len() * 2) as u64;
    assert_eq!(added, expected, "the refills together queued the pool once");
    let jobs = store.all_jobs().await.unwrap();
    assert_eq!(jobs.len() as u64, expected);
    let distinct: std::collections::HashSet<_> = jobs
        .iter()
        .map(|j| (j.prompt_id, j.model_id, j.seed))
        .collect();
    assert_eq!(distinct.len(), jobs.len(), "a pool image was queued twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refills_of_several_servers_queue_each_image_once_on_sqlite() {
    refills_at_once_queue_each_image_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refills_of_several_servers_queue_each_image_once_on_postgres() {
    refills_at_once_queue_each_image_once(Backend::Postgres).await;
}
