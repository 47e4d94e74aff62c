//! Workers only do their own jobs, on SQLite and on the real Postgres, through the real
//! router: a token serves only the models it was given; a job's heartbeat, result and
//! failure change it only when they come from the worker that holds it, under the
//! nonce of its current lease; releases use attempts; uploads are decoded within
//! limits. And what the public learns of failures: never the worker's words, and never
//! a failure that was the arena's (no free worker) counted against a model.

mod common;
mod queue_support;

use arena_server::config::QueueConfig;
use arena_server::generation::queue;
use arena_server::generation::workers::{self, WorkersCommand};
use arena_server::store::{Job, Store};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::support::{demo_slugs, png_with_metadata};
use common::{Backend, Client, Response, TestArena};
use queue_support::{ADMIN_TOKEN, GUESSED_LEASE, TestWorker, arena, send};

/// The id of the worker called `name`.
async fn worker_id(store: &Store, name: &str) -> i64 {
    let workers = store.list_workers().await.unwrap();
    workers.iter().find(|w| w.name == name).unwrap().id
}

/// What a request must not change about a job.
fn fingerprint(job: &Job) -> String {
    format!(
        "{} attempts={} worker={:?} expires={:?} progress={:?}/{:?} reason={:?} generation={:?}",
        job.state,
        job.attempts,
        job.worker_id,
        job.lease_expires_at,
        job.progress_step,
        job.progress_steps,
        job.failure_reason,
        job.generation_id
    )
}

/// Asserts `r` is the API error `status`/`code`.
fn refused(r: &Response, status: StatusCode, code: &str, what: &str) {
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (status, code),
        "{what}: {}",
        r.text()
    );
}

/// Every way `worker` can name `job` other than with the lease it holds (none, a
/// guess, and each of `nonces`), each tried on heartbeat, result, fail and release:
/// each is refused and `job` stays exactly as it was, with no image stored.
async fn cannot_touch(
    arena: &TestArena,
    worker: &TestWorker,
    job: i64,
    nonces: &[&str],
    who: &str,
) {
    let store = &arena.app.store;
    let before = fingerprint(&store.job(job).await.unwrap().unwrap());
    let generations = store
        .all_jobs()
        .await
        .unwrap()
        .iter()
        .filter(|j| j.generation_id.is_some())
        .count();
    let mut tries: Vec<Option<&str>> = vec![None, Some(GUESSED_LEASE)];
    tries.extend(nonces.iter().map(|n| Some(*n)));
    for nonce in tries {
        let (status, code) = match nonce {
            None => (StatusCode::BAD_REQUEST, "missing_lease"),
            Some(_) => (StatusCode::CONFLICT, "lease_lost"),
        };
        let what = |action: &str| format!("{who}: {action} of job {job} with lease {nonce:?}");
        let r = worker.heartbeat_as(job, nonce, 7, 10).await;
        refused(&r, status, code, &what("heartbeat"));
        let r = worker
            .result_as(job, nonce, png_with_metadata(64, 64))
            .await;
        refused(&r, status, code, &what("result"));
        let body = serde_json::json!({ "reason": "it broke", "retryable": false });
        let r = worker.post_as(job, "fail", nonce, body).await;
        refused(&r, status, code, &what("fail"));
        let r = worker.release_as(job, nonce).await;
        refused(&r, status, code, &what("release"));
        let after = fingerprint(&store.job(job).await.unwrap().unwrap());
        assert_eq!(before, after, "{}", what("any request"));
    }
    let now = store
        .all_jobs()
        .await
        .unwrap()
        .iter()
        .filter(|j| j.generation_id.is_some())
        .count();
    assert_eq!(now, generations, "{who}: an image was stored");
}

async fn a_worker_touches_no_job_it_does_not_hold_under_its_lease(backend: Backend) {
    let Some(arena) = arena(backend, QueueConfig::default(), &["a red kite"]).await else {
        return;
    };
    let store = &arena.app.store;
    let a = TestWorker::add(&arena, "worker-a").await;
    let b = TestWorker::add_serving(&arena, "worker-b", Some(&["demo-lowfi"])).await;
    assert!(a.lease(&demo_slugs()).await.is_null());
    assert_eq!(queue::refill_pool(&arena.app).await.unwrap(), 5);

    // B may not lease a model it was not given, alone or beside one it was: a 403
    // naming it, nothing leased, and B not recorded as serving it.
    for models in [vec!["demo-faithful"], vec!["demo-lowfi", "demo-faithful"]] {
        let r = b
            .post(
                "/api/v1/worker/lease",
                serde_json::json!({ "models": models, "wait_secs": 0 }),
            )
            .await;
        refused(&r, StatusCode::FORBIDDEN, "model_not_allowed", "B's lease");
        let message = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(message.contains("demo-faithful"), "{message}");
    }
    let jobs = store.all_jobs().await.unwrap();
    assert!(
        jobs.iter()
            .all(|j| j.state == "queued" && j.attempts == 0 && j.worker_id.is_none()),
        "{jobs:?}"
    );
    let b_row = store.list_workers().await.unwrap();
    let b_row = b_row.iter().find(|w| w.name == "worker-b").unwrap();
    assert_eq!(b_row.allowed_slugs(), Some(vec!["demo-lowfi".to_string()]));
    assert!(b_row.model_slugs().is_empty() && b_row.last_seen_at.is_none());

    // A holds a job; B can do nothing to it, even with A's own nonce; nor can A
    // without that nonce.
    let job = a.lease(&["demo-faithful"]).await;
    let id = job["id"].as_i64().unwrap();
    let a_nonce = job["lease"].as_str().unwrap().to_string();
    assert_eq!(a_nonce.len(), 32, "128 bits as hex: {a_nonce}");
    assert!(a_nonce.bytes().all(|c| c.is_ascii_hexdigit()), "{a_nonce}");
    cannot_touch(&arena, &b, id, &[&a_nonce], "worker B").await;
    cannot_touch(&arena, &a, id, &[], "worker A without its nonce").await;

    // A stale nonce: A's lease of a lowfi job expires and the reaper queues it again.
    // Queued, nobody can finish it, A's old nonce included; once B leases it, A's old
    // nonce is refused and B's own works.
    let a_id = worker_id(store, "worker-a").await;
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    let expired = store
        .lease_job(a_id, &["demo-lowfi".to_string()], past)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.reap_jobs(3).await.unwrap().requeued, 1);
    assert_eq!(
        store.job(expired.id).await.unwrap().unwrap().state,
        "queued"
    );
    cannot_touch(
        &arena,
        &a,
        expired.id,
        &[&expired.lease],
        "A after its lease expired",
    )
    .await;
    cannot_touch(
        &arena,
        &b,
        expired.id,
        &[&expired.lease],
        "B on a queued job",
    )
    .await;
    let again = b.lease(&["demo-lowfi"]).await;
    assert_eq!(again["id"].as_i64(), Some(expired.id));
    assert_ne!(
        again["lease"].as_str(),
        Some(expired.lease.as_str()),
        "a fresh nonce per lease"
    );
    cannot_touch(
        &arena,
        &a,
        expired.id,
        &[&expired.lease],
        "A with its stale nonce",
    )
    .await;
    cannot_touch(
        &arena,
        &b,
        expired.id,
        &[&expired.lease],
        "B with A's stale nonce",
    )
    .await;
    let done = b.result(expired.id, png_with_metadata(64, 64)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());

    // A job never leased: nobody finishes it, whatever the nonce.
    let queued = store
        .all_jobs()
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.state == "queued")
        .unwrap();
    cannot_touch(&arena, &a, queued.id, &[&a_nonce], "A on a queued job").await;

    // A, with its nonce, still holds its own job after all that and finishes it.
    let beat = a.heartbeat(id, 3, 10).await;
    assert_eq!(beat.status, StatusCode::OK, "{}", beat.text());
    let done = a.result(id, png_with_metadata(64, 64)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let row = store.job(id).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.worker_id), ("done", Some(a_id)));
}

#[tokio::test]
async fn a_worker_touches_no_job_it_does_not_hold_under_its_lease_on_sqlite() {
    a_worker_touches_no_job_it_does_not_hold_under_its_lease(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_worker_touches_no_job_it_does_not_hold_under_its_lease_on_postgres() {
    a_worker_touches_no_job_it_does_not_hold_under_its_lease(Backend::Postgres).await;
}

async fn releasing_a_job_uses_an_attempt_until_the_job_fails(backend: Backend) {
    let config = QueueConfig {
        max_attempts: 2,
        ..QueueConfig::default()
    };
    let Some(arena) = arena(backend, config, &["a paper crane"]).await else {
        return;
    };
    let store = &arena.app.store;
    let worker = TestWorker::add(&arena, "restless").await;
    assert!(worker.lease(&demo_slugs()).await.is_null());
    queue::refill_pool(&arena.app).await.unwrap();

    let first = worker.lease(&["demo-painterly"]).await;
    let id = first["id"].as_i64().unwrap();
    assert_eq!(worker.release(id).await.json()["state"], "queued");
    let row = store.job(id).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("queued", 1));
    assert!(row.failure_reason.unwrap().contains("given back"));

    let second = worker.lease(&["demo-painterly"]).await;
    assert_eq!(
        (second["id"].as_i64(), second["attempt"].as_i64()),
        (Some(id), Some(2))
    );
    assert_eq!(worker.release(id).await.json()["state"], "failed");
    let row = store.job(id).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("failed", 2));
    let reason = row.failure_reason.unwrap();
    assert!(
        reason.contains("given back unfinished") && reason.contains("2 attempts used up"),
        "{reason}"
    );
    assert_eq!(row.failure_cause.as_deref(), Some("timed_out"));
    assert!(
        worker.lease(&["demo-painterly"]).await.is_null(),
        "a failed job is not leased again"
    );
}

#[tokio::test]
async fn releasing_a_job_uses_an_attempt_until_the_job_fails_on_sqlite() {
    releasing_a_job_uses_an_attempt_until_the_job_fails(Backend::Sqlite).await;
}

#[tokio::test]
async fn releasing_a_job_uses_an_attempt_until_the_job_fails_on_postgres() {
    releasing_a_job_uses_an_attempt_until_the_job_fails(Backend::Postgres).await;
}

/// `/api/v1/models/{slug}`'s `generation`.
async fn record(voter: &mut Client, slug: &str) -> serde_json::Value {
    voter.get(&format!("/api/v1/models/{slug}")).await.json()["generation"].clone()
}

async fn a_live_job_no_worker_leased_in_time_is_not_the_models_failure(backend: Backend) {
    let config = QueueConfig {
        live_timeout_secs: 1,
        ..QueueConfig::default()
    };
    let Some(arena) = arena(backend, config, &[]).await else {
        return;
    };
    let store = &arena.app.store;
    let worker = TestWorker::add(&arena, "only-one").await;
    assert!(worker.lease(&demo_slugs()).await.is_null());
    let mut voter = Client::new(arena.router.clone());
    let battle = voter
        .post_json(
            "/api/v1/battles",
            serde_json::json!({ "prompt": "a slow snail" }),
        )
        .await;
    assert_eq!(battle.status, StatusCode::CREATED, "{}", battle.text());
    let battle_id = battle.json()["id"].as_str().unwrap().to_string();
    // The one worker takes one image; nobody is free for the other.
    let drawn = worker.lease(&demo_slugs()).await;
    let drawn_model = drawn["model"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    store.reap_jobs(3).await.unwrap();

    let jobs = store.battle_jobs(&battle_id).await.unwrap();
    let models = store.list_models().await.unwrap();
    let slug_of = |j: &Job| {
        models
            .iter()
            .find(|m| m.id == j.model_id)
            .unwrap()
            .slug
            .clone()
    };
    let unserved = jobs.iter().find(|j| slug_of(j) != drawn_model).unwrap();
    let leased = jobs.iter().find(|j| slug_of(j) == drawn_model).unwrap();
    assert_eq!(unserved.state, "failed");
    assert_eq!(unserved.failure_cause.as_deref(), Some("no_worker"));
    assert!(
        unserved
            .failure_reason
            .as_deref()
            .unwrap()
            .contains("no worker was free"),
        "{unserved:?}"
    );
    assert_eq!(leased.state, "failed");
    assert_eq!(leased.failure_cause.as_deref(), Some("timed_out"));

    // Not the unserved model's failure; the one that was drawing timed out.
    let unserved_slug = slug_of(unserved);
    let r = record(&mut voter, &unserved_slug).await;
    assert_eq!(r["jobs_failed"], 0, "{r}");
    assert!(r["last_failure"].is_null(), "{r}");
    let page = voter.get(&format!("/models/{unserved_slug}")).await.text();
    assert!(
        !page.contains("generation jobs failed") && !page.contains("model-last-failure"),
        "{page}"
    );
    let r = record(&mut voter, &drawn_model).await;
    assert_eq!(r["jobs_failed"], 1, "{r}");
    assert_eq!(r["last_failure"]["reason"], "timed out", "{r}");
    // The voter still hears that the battle took too long.
    let seen = voter
        .get(&format!("/api/v1/battles/{battle_id}"))
        .await
        .json();
    assert_eq!(seen["status"], "failed");
    assert!(
        seen["live"]["message"]
            .as_str()
            .unwrap()
            .contains("took too long"),
        "{seen}"
    );
}

#[tokio::test]
async fn a_live_job_no_worker_leased_in_time_is_not_the_models_failure_on_sqlite() {
    a_live_job_no_worker_leased_in_time_is_not_the_models_failure(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_live_job_no_worker_leased_in_time_is_not_the_models_failure_on_postgres() {
    a_live_job_no_worker_leased_in_time_is_not_the_models_failure(Backend::Postgres).await;
}

/// A failure text a worker could send: a backend URL with a key, a provider's words.
const WORKER_TEXT: &str = "HTTP 500 from http://10.0.0.7:8188/internal/generate?key=sk-live-4f2a: provider says the GPU melted";

async fn a_workers_failure_text_reaches_operators_and_no_public_page(backend: Backend) {
    let Some(arena) = arena(backend, QueueConfig::default(), &["a quiet harbour"]).await else {
        return;
    };
    let worker = TestWorker::add(&arena, "leaky").await;
    assert!(worker.lease(&demo_slugs()).await.is_null());
    queue::refill_pool(&arena.app).await.unwrap();
    // A live battle's job and a pool job (of another model) fail with the worker's text.
    let mut voter = Client::new(arena.router.clone());
    let battle = voter
        .post_json(
            "/api/v1/battles",
            serde_json::json!({ "prompt": "a lighthouse in fog" }),
        )
        .await
        .json();
    let battle_id = battle["id"].as_str().unwrap_or_else(|| panic!("{battle}"));
    let live_job = worker.lease(&demo_slugs()).await;
    assert_eq!(live_job["prompt"], "a lighthouse in fog");
    let r = worker
        .fail(live_job["id"].as_i64().unwrap(), WORKER_TEXT, false)
        .await;
    assert_eq!(r.json()["state"], "failed");
    let live_model = live_job["model"].as_str().unwrap();
    let pool_model = *demo_slugs().iter().find(|s| **s != live_model).unwrap();
    let pool_job = worker.lease(&[pool_model]).await;
    let r = worker
        .fail(pool_job["id"].as_i64().unwrap(), WORKER_TEXT, false)
        .await;
    assert_eq!(r.json()["state"], "failed");

    // The operator sees it, as JSON and as the page.
    let admin = |accept: &'static str| {
        Request::get("/admin/queue")
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .header("accept", accept)
            .body(Body::empty())
            .unwrap()
    };
    let json = send(&arena.router, admin("application/json")).await.json();
    let reasons: Vec<&str> = json["recent_failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["failure_reason"].as_str())
        .collect();
    assert_eq!(reasons, vec![WORKER_TEXT, WORKER_TEXT], "{json}");
    let page = send(&arena.router, admin("text/html")).await.text();
    assert!(page.contains("10.0.0.7:8188/internal/generate"), "{page}");

    // No public page or API says it, nor any part of it.
    let mut public = vec![
        "/".to_string(),
        "/leaderboard".into(),
        "/api/v1/leaderboard".into(),
        "/api/v1/models".into(),
        "/data".into(),
        "/api/v1/export/votes?format=jsonl".into(),
        format!("/api/v1/battles/{battle_id}"),
        format!("/api/v1/battles/{battle_id}/events"),
        format!("/battles/{battle_id}"),
    ];
    for model in [pool_model, live_model] {
        public.push(format!("/models/{model}"));
        public.push(format!("/api/v1/models/{model}"));
    }
    for uri in &public {
        let text = voter.get(uri).await.text();
        for part in [
            "10.0.0.7",
            "sk-live",
            "internal/generate",
            "GPU melted",
            "HTTP 500",
        ] {
            assert!(!text.contains(part), "{uri} shows {part:?}: {text}");
        }
    }
    for model in [pool_model, live_model] {
        let r = record(&mut voter, model).await;
        assert_eq!(r["jobs_failed"], 1, "{r}");
        assert_eq!(
            r["last_failure"]["reason"], "the model could not draw the image",
            "{r}"
        );
        let page = voter.get(&format!("/models/{model}")).await.text();
        assert!(
            page.contains("the model could not draw the image"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn a_workers_failure_text_reaches_operators_and_no_public_page_on_sqlite() {
    a_workers_failure_text_reaches_operators_and_no_public_page(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_workers_failure_text_reaches_operators_and_no_public_page_on_postgres() {
    a_workers_failure_text_reaches_operators_and_no_public_page(Backend::Postgres).await;
}

/// CRC-32 (ISO-HDLC), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid, tiny PNG whose header claims `width`×`height` RGB pixels (and has none).
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = crc32(&out[start..]);
        out.extend(crc.to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    // An empty zlib stream.
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

async fn an_upload_over_the_decoding_limits_is_refused_and_the_job_untouched(backend: Backend) {
    let Some(arena) = arena(backend, QueueConfig::default(), &["a wide horizon"]).await else {
        return;
    };
    let store = &arena.app.store;
    let worker = TestWorker::add(&arena, "uploader").await;
    assert!(worker.lease(&demo_slugs()).await.is_null());
    queue::refill_pool(&arena.app).await.unwrap();
    let job = worker.lease(&["demo-faithful"]).await;
    let id = job["id"].as_i64().unwrap();
    let before = fingerprint(&store.job(id).await.unwrap().unwrap());

    let claims_huge = png_claiming(60_000, 60_000);
    assert!(claims_huge.len() < 100, "{} bytes", claims_huge.len());
    assert!(
        image::ImageReader::new(std::io::Cursor::new(&claims_huge))
            .with_guessed_format()
            .unwrap()
            .into_dimensions()
            .is_ok_and(|d| d == (60_000, 60_000))
    );
    let really_wide = png_with_metadata(4100, 8);
    for (what, png) in [
        ("a header claiming 60000²", claims_huge),
        ("a real 4100×8 image", really_wide),
    ] {
        let r = worker.result(id, png).await;
        refused(&r, StatusCode::PAYLOAD_TOO_LARGE, "image_too_large", what);
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("4096")
        );
        assert_eq!(
            fingerprint(&store.job(id).await.unwrap().unwrap()),
            before,
            "{what}"
        );
    }
    assert!(
        store
            .all_jobs()
            .await
            .unwrap()
            .iter()
            .all(|j| j.generation_id.is_none())
    );

    // At the limit it is accepted (and re-encoded to the arena's size).
    let done = worker.result(id, png_with_metadata(4096, 8)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
}

#[tokio::test]
async fn an_upload_over_the_decoding_limits_is_refused_and_the_job_untouched_on_sqlite() {
    an_upload_over_the_decoding_limits_is_refused_and_the_job_untouched(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_upload_over_the_decoding_limits_is_refused_and_the_job_untouched_on_postgres() {
    an_upload_over_the_decoding_limits_is_refused_and_the_job_untouched(Backend::Postgres).await;
}

async fn a_token_keeps_the_models_it_was_given_across_rotation(backend: Backend) {
    let Some(arena) = arena(backend, QueueConfig::default(), &[]).await else {
        return;
    };
    let store = arena.app.store.clone();
    let add = |name: &str, models: Option<Vec<&str>>| WorkersCommand::Add {
        name: name.into(),
        models: models.map(|m| m.into_iter().map(String::from).collect()),
    };
    let allowed = |name: &'static str| {
        let store = store.clone();
        async move {
            let workers = store.list_workers().await.unwrap();
            workers
                .iter()
                .find(|w| w.name == name)
                .map(|w| w.allowed_slugs())
        }
    };
    workers::run(
        add(
            "scoped",
            Some(vec![" demo-lowfi", "demo-faithful", "demo-lowfi"]),
        ),
        store.clone(),
    )
    .await
    .unwrap();
    let scoped = Some(Some(vec![
        "demo-faithful".to_string(),
        "demo-lowfi".to_string(),
    ]));
    assert_eq!(allowed("scoped").await, scoped);
    workers::run(add("everything", None), store.clone())
        .await
        .unwrap();
    assert_eq!(allowed("everything").await, Some(None));

    // A model that does not exist, or none at all, adds no worker.
    let err = workers::run(add("typo", Some(vec!["demo-faithfull"])), store.clone())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no model [\"demo-faithfull\"]"),
        "{err}"
    );
    let err = workers::run(add("typo", Some(vec![""])), store.clone())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("names no model"), "{err}");
    assert_eq!(allowed("typo").await, None);

    // Rotating (and revoking, then rotating) keeps the models.
    workers::run(
        WorkersCommand::Rotate {
            name: "scoped".into(),
        },
        store.clone(),
    )
    .await
    .unwrap();
    workers::run(
        WorkersCommand::Revoke {
            name: "scoped".into(),
        },
        store.clone(),
    )
    .await
    .unwrap();
    workers::run(
        WorkersCommand::Rotate {
            name: "scoped".into(),
        },
        store.clone(),
    )
    .await
    .unwrap();
    assert_eq!(allowed("scoped").await, scoped);
}

#[tokio::test]
async fn a_token_keeps_the_models_it_was_given_across_rotation_on_sqlite() {
    a_token_keeps_the_models_it_was_given_across_rotation(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_token_keeps_the_models_it_was_given_across_rotation_on_postgres() {
    a_token_keeps_the_models_it_was_given_across_rotation(Backend::Postgres).await;
}
