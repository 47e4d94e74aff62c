//! The `openai` backend against a fake OpenAI-compatible server inside the test: the
//! real worker loop leases jobs from a real arena socket and each provider behaviour
//! ends as the right job state — b64_json and URL answers done, a 500 failed after its
//! retries, a timeout failed, a malformed body failed at once.

mod common;
mod queue_support;

use std::time::Duration;

use arena_server::config::QueueConfig;
use arena_server::generation::queue;
use arena_server::store::NewModel;
use arena_worker::client::WorkerClient;
use arena_worker::config::{WorkerConfig, load_backends};
use arena_worker::run::{RunOptions, run};
use common::Backend;
use common::support::fake_openai::FakeOpenAi;
use queue_support::arena;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_openai_outcome_ends_as_the_right_job_state() {
    let config = QueueConfig {
        max_attempts: 2,
        ..QueueConfig::default()
    };
    let Some(arena) = arena(Backend::Sqlite, config, &["a lighthouse at dusk"]).await else {
        return;
    };
    let models = [
        ("fake-b64", "b64"),
        ("fake-url", "url"),
        ("fake-500", "server-error"),
        ("fake-timeout", "slow"),
        ("fake-malformed", "malformed"),
    ];
    for (slug, _) in models {
        add_openai_model(&arena.app.store, slug, slug).await;
    }
    let provider = FakeOpenAi::start().await.base;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    let router = arena.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let mut toml = String::new();
    for (slug, model) in models {
        toml.push_str(&format!(
            "[[models]]\nslug = \"{slug}\"\nbackend = \"openai\"\nbase_url = \"{provider}/v1\"\n\
             model = \"{model}\"\nresponse_format = \"b64_json\"\ntimeout_secs = 1\nmax_retries = 1\nbackoff_ms = 10\n"
        ));
    }
    let worker_config: WorkerConfig = toml::from_str(&toml).unwrap();
    let backends = load_backends(&worker_config).unwrap();
    let token = arena_server::generation::workers::new_token();
    let worker_id = arena
        .app
        .store
        .add_worker(
            "api-worker",
            &arena_server::generation::workers::hash_token(&token),
            None,
        )
        .await
        .unwrap();
    let slugs: Vec<String> = models.iter().map(|(s, _)| s.to_string()).collect();
    arena
        .app
        .store
        .touch_worker(worker_id, &slugs)
        .await
        .unwrap();
    assert_eq!(queue::refill_pool(&arena.app).await.unwrap(), 5);

    let client = WorkerClient::new(&server, &token).unwrap();
    let options = RunOptions {
        wait_secs: 0,
        exit_when_idle: true,
        ..RunOptions::default()
    };
    let (_stop_tx, stop) = tokio::sync::watch::channel(0);
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        run(&client, &backends, &options, stop),
    )
    .await
    .expect("the worker drained the queue")
    .unwrap();
    assert_eq!(summary.done, 2, "{summary:?}");

    let jobs = arena.app.store.all_jobs().await.unwrap();
    let all_models = arena.app.store.list_models().await.unwrap();
    let state_of = |slug: &str| {
        let model = all_models.iter().find(|m| m.slug == slug).unwrap();
        let job = jobs.iter().find(|j| j.model_id == model.id).unwrap();
        (
            job.state.clone(),
            job.attempts,
            job.failure_reason.clone().unwrap_or_default(),
        )
    };
    let (state, attempts, _) = state_of("fake-b64");
    assert_eq!((state.as_str(), attempts), ("done", 1));
    let (state, _, _) = state_of("fake-url");
    assert_eq!(state, "done");
    let (state, attempts, reason) = state_of("fake-500");
    assert_eq!((state.as_str(), attempts), ("failed", 2), "{reason}");
    assert!(
        reason.contains("HTTP 500") && reason.contains("the GPU caught fire"),
        "{reason}"
    );
    let (state, attempts, reason) = state_of("fake-timeout");
    assert_eq!((state.as_str(), attempts), ("failed", 2), "{reason}");
    assert!(reason.contains("timed out"), "{reason}");
    let (state, attempts, reason) = state_of("fake-malformed");
    assert_eq!(
        (state.as_str(), attempts),
        ("failed", 1),
        "a malformed answer is not retried: {reason}"
    );
    assert!(reason.contains("malformed"), "{reason}");

    // Both successes were re-encoded to the arena's size.
    for job in jobs.iter().filter(|j| j.state == "done") {
        let g = arena
            .app
            .store
            .generation(job.generation_id.unwrap())
            .await
            .unwrap()
            .unwrap();
        let bytes = arena.app.blobs.get(&g.blob_key).await.unwrap();
        assert_eq!(common::support::png_size(&bytes), (64, 64));
    }
}

/// What the provider answers is not trusted: an answer over `max_response_bytes`
/// (its JSON, or the image at its URL), an image URL on another host, and a redirect
/// to another host each fail the job at once, and nothing on another host is
/// fetched; a host in `allowed_image_hosts` is.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oversized_answers_and_images_on_other_hosts_fail_the_job_unfetched() {
    let Some(arena) = arena(Backend::Sqlite, QueueConfig::default(), &["a tide pool"]).await else {
        return;
    };
    // (slug, the fake's model, extra worker.toml keys)
    let models = [
        ("fake-huge", "huge", ""),
        ("fake-huge-image", "huge-image", ""),
        ("fake-other-host", "other-host", ""),
        ("fake-redirect", "redirect", ""),
        (
            "fake-allowed",
            "other-host",
            "allowed_image_hosts = [\"LOCALHOST\"]\n",
        ),
    ];
    for (slug, _, _) in models {
        add_openai_model(&arena.app.store, slug, slug).await;
    }
    let provider = FakeOpenAi::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    let router = arena.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let mut toml = String::new();
    for (slug, model, extra) in models {
        toml.push_str(&format!(
            "[[models]]\nslug = \"{slug}\"\nbackend = \"openai\"\nbase_url = \"{}/v1\"\n\
             model = \"{model}\"\ntimeout_secs = 5\nmax_retries = 1\nbackoff_ms = 10\n\
             max_response_bytes = 1048576\n{extra}",
            provider.base
        ));
    }
    let worker_config: WorkerConfig = toml::from_str(&toml).unwrap();
    let backends = load_backends(&worker_config).unwrap();
    let token = arena_server::generation::workers::new_token();
    let hash = arena_server::generation::workers::hash_token(&token);
    let id = arena
        .app
        .store
        .add_worker("cautious", &hash, None)
        .await
        .unwrap();
    let slugs: Vec<String> = models.iter().map(|(s, _, _)| s.to_string()).collect();
    arena.app.store.touch_worker(id, &slugs).await.unwrap();
    assert_eq!(queue::refill_pool(&arena.app).await.unwrap(), 5);

    let client = WorkerClient::new(&server, &token).unwrap();
    let options = RunOptions {
        wait_secs: 0,
        exit_when_idle: true,
        ..RunOptions::default()
    };
    let (_stop_tx, stop) = tokio::sync::watch::channel(0);
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        run(&client, &backends, &options, stop),
    )
    .await
    .expect("the worker drained the queue")
    .unwrap();
    assert_eq!((summary.done, summary.failed), (1, 4), "{summary:?}");

    let jobs = arena.app.store.all_jobs().await.unwrap();
    let all_models = arena.app.store.list_models().await.unwrap();
    let job_of = |slug: &str| {
        let model = all_models.iter().find(|m| m.slug == slug).unwrap();
        jobs.iter()
            .find(|j| j.model_id == model.id)
            .unwrap()
            .clone()
    };
    for (slug, expected) in [
        ("fake-huge", "larger than 1048576 bytes"),
        ("fake-huge-image", "larger than 1048576 bytes"),
        ("fake-other-host", "image URL on localhost"),
        ("fake-redirect", "a redirect to localhost"),
    ] {
        let job = job_of(slug);
        let reason = job.failure_reason.clone().unwrap_or_default();
        assert_eq!(
            (job.state.as_str(), job.attempts),
            ("failed", 1),
            "{slug}: not retried: {reason}"
        );
        assert!(reason.contains(expected), "{slug}: {reason}");
    }
    assert_eq!(job_of("fake-allowed").state, "done");
    assert_eq!(
        provider.image_fetches(),
        1,
        "only the allowed host's image was fetched"
    );
}

#[tokio::test]
async fn a_refused_token_stops_the_worker_with_a_clear_message() {
    let Some(arena) = arena(Backend::Sqlite, QueueConfig::default(), &[]).await else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    let router = arena.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = WorkerClient::new(&server, "arw_wrong").unwrap();
    let backends = load_backends(&WorkerConfig::demo()).unwrap();
    let (_stop_tx, stop) = tokio::sync::watch::channel(0);
    let err = run(&client, &backends, &RunOptions::default(), stop)
        .await
        .unwrap_err();
    assert!(
        format!("{err}").contains("refused this worker's token"),
        "{err}"
    );
}

/// `embedded_worker_config`: the in-process worker serves an OpenAI-compatible model
/// besides the demo ones, through the same queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_embedded_worker_serves_the_models_of_its_worker_config() {
    use std::sync::Arc;

    use arena_server::App;
    use arena_server::config::{FileConfig, ServeConfig, Storage};

    let provider = FakeOpenAi::start().await.base;
    let dir = common::support::temp_dir("arena-embedded");
    let worker_toml = dir.join("worker.toml");
    std::fs::write(
        &worker_toml,
        format!(
            "[[models]]\nslug = \"fake-b64\"\nbackend = \"openai\"\nbase_url = \"{provider}/v1\"\nmodel = \"b64\"\n"
        ),
    )
    .unwrap();
    let storage = Storage::local(
        format!("sqlite:{}", dir.join("arena.db").display()),
        dir.clone(),
    );
    let file = FileConfig {
        image_size: Some(64),
        default_prompts: Some(false),
        embedded_worker_config: Some(worker_toml),
        // One pool image per (prompt, model): six jobs.
        queue: QueueConfig {
            pool_images: 1,
            ..QueueConfig::default()
        },
        ..FileConfig::default()
    };
    let app = Arc::new(
        App::open(ServeConfig::resolve(storage, None, false, file).unwrap())
            .await
            .unwrap(),
    );
    add_openai_model(&app.store, "fake-b64", "Fake").await;
    app.store
        .import_prompts(&[arena_server::store::NewPrompt {
            text: "a kettle on a stove".into(),
            category: "test".into(),
            source: "test".into(),
        }])
        .await
        .unwrap();
    arena_server::generation::queue::spawn_background(app.clone());
    arena_server::generation::embedded_worker::spawn(app.clone()).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let jobs = app.store.all_jobs().await.unwrap();
        let done = jobs.iter().filter(|j| j.state == "done").count();
        if jobs.len() == 6 && done == 6 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {} jobs done",
            done,
            jobs.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Registers `slug` as a model of the `openai` backend.
async fn add_openai_model(store: &arena_server::store::Store, slug: &str, name: &str) {
    store
        .add_model(&NewModel {
            slug: slug.into(),
            display_name: name.into(),
            backend: "openai".into(),
            version: String::new(),
            description: String::new(),
            weight: 1.0,
        })
        .await
        .unwrap();
}
