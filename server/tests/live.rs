//! Live battles as one story on SQLite and on the real Postgres: a voter's prompt is
//! checked, two jobs are queued ahead of pool refills, the battle reports only joint
//! progress, both images appear together, the vote reveals the models; a failed side
//! gives the battle up without a vote; moderated prompts are kept with their reason;
//! `/admin/queue` needs the admin token.

mod common;
mod queue_support;

use arena_server::config::QueueConfig;
use arena_server::generation::queue;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::support::{demo_slugs, png_with_metadata};
use common::{Backend, Client};
use queue_support::{ADMIN_TOKEN, TestWorker, arena, send};

/// Nothing in `text` names a model.
fn assert_blind(what: &str, text: &str) {
    let lower = text.to_lowercase();
    for word in [
        "faithful",
        "painterly",
        "geometric",
        "confused",
        "lowfi",
        "low-fi",
        "demo-",
    ] {
        assert!(
            !lower.contains(word),
            "{what} names a model ({word}): {text}"
        );
    }
}

async fn live_battle_story(backend: Backend) {
    let Some(arena) = arena(backend, QueueConfig::default(), &["an old pool prompt"]).await else {
        return;
    };
    let store = &arena.app.store;
    let mut voter = Client::new(arena.router.clone());

    // Without a live worker no two models can draw a prompt.
    let none = voter
        .post_json(
            "/api/v1/battles",
            serde_json::json!({ "prompt": "a blue boat on a lake" }),
        )
        .await;
    assert_eq!(
        (none.status, none.error_code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "no_live_models")
    );

    // A worker appears; the pool refill queues its images first.
    let worker = TestWorker::add(&arena, "gpu-1").await;
    assert!(worker.lease(&demo_slugs()).await.is_null());
    assert_eq!(queue::refill_pool(&arena.app).await.unwrap(), 5);

    // Bad prompts: too short, too long, moderated (kept with the reason).
    let cases = [
        (
            "hi",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_prompt_length",
        ),
        (
            &*"x".repeat(501),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_prompt_length",
        ),
        (
            "a NSFW painting of a dragon",
            StatusCode::UNPROCESSABLE_ENTITY,
            "prompt_rejected",
        ),
    ];
    for (prompt, status, code) in cases {
        let r = voter
            .post_json("/api/v1/battles", serde_json::json!({ "prompt": prompt }))
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "{prompt}"
        );
    }
    let rejected: Vec<(String, Option<String>)> = store
        .rejected_prompts(10)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.text, p.moderation_reason))
        .collect();
    assert_eq!(
        rejected,
        vec![(
            "a NSFW painting of a dragon".into(),
            Some("blocked word: nsfw".into())
        )]
    );

    // A live battle starts as `generating`, without images.
    let created = voter
        .post_json(
            "/api/v1/battles",
            serde_json::json!({ "prompt": "  a blue   boat on a lake " }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_blind("the new live battle", &created.text());
    let battle = created.json();
    let id = battle["id"].as_str().unwrap().to_string();
    assert_eq!(
        (battle["status"].as_str(), battle["prompt"].as_str()),
        (Some("generating"), Some("a blue boat on a lake"))
    );
    assert!(battle["images"].is_null());
    assert_eq!(voter.vote(&id, "a").await.error_code(), "battle_not_ready");
    let mut stranger = Client::new(arena.router.clone());
    assert_eq!(
        stranger.get(&format!("/api/v1/battles/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(stranger.vote(&id, "a").await.status, StatusCode::NOT_FOUND);

    // Its two jobs are leased before the older pool jobs; progress is joint.
    let first = worker.lease(&demo_slugs()).await;
    assert_eq!(first["prompt"], "a blue boat on a lake");
    worker.heartbeat(first["id"].as_i64().unwrap(), 5, 10).await;
    let seen = voter.get(&format!("/api/v1/battles/{id}")).await;
    assert_blind("a live battle's progress", &seen.text());
    let seen = seen.json();
    assert_eq!(seen["status"], "generating");
    let progress = seen["live"]["progress"].as_f64().unwrap();
    assert!(progress > 0.2 && progress < 0.3, "{seen}");
    let page = voter.get(&format!("/battles/{id}")).await;
    assert!(page.text().contains("id=\"live-bar\""), "{}", page.text());
    assert!(
        !page.text().contains("<img"),
        "an image is on the page before both exist"
    );
    assert_blind("the waiting page", &page.text());

    let second = worker.lease(&demo_slugs()).await;
    assert_eq!(second["prompt"], "a blue boat on a lake");
    assert_ne!(first["model"], second["model"]);
    assert_eq!(
        worker
            .result(first["id"].as_i64().unwrap(), png_with_metadata(64, 64))
            .await
            .status,
        StatusCode::OK
    );
    let half = voter.get(&format!("/api/v1/battles/{id}")).await.json();
    assert_eq!(
        half["status"], "generating",
        "one image must not be shown before the other"
    );
    assert!(half["images"].is_null());
    assert_eq!(
        worker
            .result(second["id"].as_i64().unwrap(), png_with_metadata(64, 64))
            .await
            .status,
        StatusCode::OK
    );

    // Both ready: the events stream says so once and ends; the page shows both.
    let events = voter.get(&format!("/api/v1/battles/{id}/events")).await;
    assert_eq!(events.headers["content-type"], "text/event-stream");
    let text = events.text();
    assert!(text.starts_with("event: ready\n"), "{text}");
    assert_blind("the events", &text);
    let ready = voter.get(&format!("/api/v1/battles/{id}")).await.json();
    assert_eq!(ready["status"], "ready");
    for side in ["a", "b"] {
        let image = voter.get(ready["images"][side].as_str().unwrap()).await;
        assert_eq!(image.status, StatusCode::OK);
    }
    assert_eq!(
        voter
            .get(&format!("/battles/{id}"))
            .await
            .text()
            .matches("<img")
            .count(),
        2
    );
    let reveal = voter.vote(&id, "b").await;
    assert_eq!(reveal.status, StatusCode::OK, "{}", reveal.text());
    let reveal = reveal.json();
    let models = [
        first["model"].as_str().unwrap(),
        second["model"].as_str().unwrap(),
    ];
    assert!(
        models.contains(&reveal["model_a"].as_str().unwrap())
            && models.contains(&reveal["model_b"].as_str().unwrap())
    );
    // Voter prompts stay out of the pool.
    for _ in 0..5 {
        let pooled = voter
            .post_json("/api/v1/battles", serde_json::json!({}))
            .await;
        assert_ne!(pooled.json()["prompt"], "a blue boat on a lake");
    }

    // One side fails: the battle is given up, the other job cancelled, nothing voted.
    let failing = voter
        .post_json(
            "/api/v1/battles",
            serde_json::json!({ "prompt": "a castle made of glass" }),
        )
        .await
        .json();
    let failing_id = failing["id"].as_str().unwrap();
    let job = worker.lease(&demo_slugs()).await;
    assert_eq!(job["prompt"], "a castle made of glass");
    assert_eq!(
        worker
            .fail(job["id"].as_i64().unwrap(), "out of memory", false)
            .await
            .json()["state"],
        "failed"
    );
    let given_up = voter.get(&format!("/api/v1/battles/{failing_id}")).await;
    assert_blind("a failed battle", &given_up.text());
    let given_up = given_up.json();
    assert_eq!(given_up["status"], "failed");
    assert!(
        given_up["live"]["message"]
            .as_str()
            .unwrap()
            .contains("try another battle")
    );
    let jobs = store.battle_jobs(failing_id).await.unwrap();
    let states: Vec<&str> = jobs.iter().map(|j| j.state.as_str()).collect();
    assert!(
        states.contains(&"failed") && states.contains(&"cancelled"),
        "{states:?}"
    );
    assert_eq!(
        voter.vote(failing_id, "a").await.error_code(),
        "battle_not_ready"
    );
    let events = voter
        .get(&format!("/api/v1/battles/{failing_id}/events"))
        .await
        .text();
    assert!(events.starts_with("event: failed\n"), "{events}");
    let page = voter.get(&format!("/battles/{failing_id}")).await.text();
    assert!(page.contains("id=\"another\""), "{page}");
    assert_eq!(store.vote_count().await.unwrap(), 1);
    // The failure is kept against the model, on its page, in general terms (the
    // worker's own words are for /admin/queue only).
    let failed_model = job["model"].as_str().unwrap();
    let record = voter
        .get(&format!("/api/v1/models/{failed_model}"))
        .await
        .json();
    assert_eq!(record["generation"]["jobs_failed"], 1, "{record}");
    assert_eq!(
        record["generation"]["last_failure"]["reason"],
        "the model could not draw the image"
    );
    let page = voter.get(&format!("/models/{failed_model}")).await.text();
    assert!(page.contains("generation jobs failed"), "{page}");
    assert!(
        page.contains("the model could not draw the image"),
        "{page}"
    );
    assert!(!page.contains("out of memory"), "{page}");

    // The no-JavaScript form starts a battle and redirects to its page.
    let form = voter
        .send(
            Method::POST,
            "/battles",
            "application/x-www-form-urlencoded",
            "prompt=a+green+teapot",
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER);
    assert!(
        form.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/battles/")
    );

    // The admin page: 401 without the token; per-model counts and workers with it.
    let anonymous = send(
        &arena.router,
        Request::get("/admin/queue").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let request = |accept: &str| {
        Request::get("/admin/queue")
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .header("accept", accept)
            .body(Body::empty())
            .unwrap()
    };
    let json = send(&arena.router, request("application/json"))
        .await
        .json();
    let failed: i64 = json["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["failed"].as_i64().unwrap())
        .sum();
    assert_eq!(failed, 1);
    assert_eq!(json["workers"][0]["name"], "gpu-1");
    assert_eq!(json["workers"][0]["live"], true);
    assert!(
        json["recent_failures"][0]["failure_reason"]
            .as_str()
            .unwrap()
            .contains("out of memory")
    );
    let html = send(&arena.router, request("text/html")).await;
    let html = String::from_utf8_lossy(&html.body);
    assert!(
        html.contains("<table class=\"queue\"") && html.contains("gpu-1"),
        "{html}"
    );

    // A browser signs in once; the private cookie then opens the page.
    let mut operator = Client::new(arena.router.clone());
    let form = "application/x-www-form-urlencoded";
    let wrong = operator
        .send(Method::POST, "/admin/login", form, "token=guess")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let signed_in = operator
        .send(
            Method::POST,
            "/admin/login",
            form,
            &format!("token={ADMIN_TOKEN}"),
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert!(
        !signed_in.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains(ADMIN_TOKEN),
        "the cookie is encrypted"
    );
    let page = operator.get("/admin/queue").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("gpu-1"));
}

#[tokio::test]
async fn live_battle_story_on_sqlite() {
    live_battle_story(Backend::Sqlite).await;
}

#[tokio::test]
async fn live_battle_story_on_postgres() {
    live_battle_story(Backend::Postgres).await;
}

/// A live battle whose images do not come in time fails with the reason kept.
#[tokio::test]
async fn a_live_battle_past_its_deadline_is_given_up() {
    let config = QueueConfig {
        live_timeout_secs: 1,
        ..QueueConfig::default()
    };
    let Some(arena) = arena(Backend::Sqlite, config, &[]).await else {
        return;
    };
    let worker = TestWorker::add(&arena, "slow").await;
    assert!(worker.lease(&demo_slugs()).await.is_null());
    let mut voter = Client::new(arena.router.clone());
    let battle = voter
        .post_json(
            "/api/v1/battles",
            serde_json::json!({ "prompt": "a slow snail" }),
        )
        .await
        .json();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    arena.app.store.reap_jobs(3).await.unwrap();
    let id = battle["id"].as_str().unwrap();
    let seen = voter.get(&format!("/api/v1/battles/{id}")).await.json();
    assert_eq!(seen["status"], "failed");
    assert!(
        seen["live"]["message"]
            .as_str()
            .unwrap()
            .contains("took too long")
    );
    let jobs = arena.app.store.battle_jobs(id).await.unwrap();
    assert!(jobs.iter().all(|j| {
        j.state == "failed"
            && j.failure_reason
                .as_deref()
                .unwrap()
                .starts_with("timed out")
    }));
}

/// The external moderation endpoint's verdict is followed; one that cannot answer
/// refuses the prompt (unchecked prompts are not drawn).
#[tokio::test]
async fn an_external_moderation_endpoint_flags_prompts_and_its_failure_refuses_them() {
    use arena_server::voting::moderation::{ModerationConfig, Moderator};
    use axum::Json;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/moderations", listener.local_addr().unwrap());
    let service = axum::Router::new().route(
        "/v1/moderations",
        axum::routing::post(|Json(body): Json<serde_json::Value>| async move {
            let flagged = body["input"].as_str().unwrap_or("").contains("forbidden");
            Json(serde_json::json!({
                "results": [{ "flagged": flagged, "categories": { "violence": flagged, "sexual": false } }]
            }))
        }),
    );
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    let moderator = Moderator::new(&ModerationConfig {
        endpoint: Some(url),
        ..ModerationConfig::default()
    })
    .unwrap();
    assert_eq!(moderator.check("a calm meadow").await, None);
    let flagged = moderator.check("a forbidden scene").await.unwrap();
    assert_eq!(
        flagged.reason,
        "flagged by the moderation service: violence"
    );
    let down = Moderator::new(&ModerationConfig {
        endpoint: Some("http://127.0.0.1:9/v1/moderations".into()),
        ..ModerationConfig::default()
    })
    .unwrap();
    let refused = down.check("a calm meadow").await.unwrap();
    assert!(
        refused.reason.starts_with("not checked"),
        "{}",
        refused.reason
    );
}

/// Starts a live battle for `voter`; the response.
async fn start_live(voter: &mut Client, prompt: &str) -> common::Response {
    voter
        .post_json("/api/v1/battles", serde_json::json!({ "prompt": prompt }))
        .await
}

/// Leases one job and fails it for good: its battle is given up, nothing is drawing.
async fn fail_one_job(worker: &TestWorker) {
    let job = worker.lease(&demo_slugs()).await;
    let r = worker
        .fail(job["id"].as_i64().unwrap(), "out of memory", false)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

async fn a_voter_over_the_live_limits_is_refused(backend: Backend) {
    let config = QueueConfig {
        live_generating_per_voter: 2,
        live_per_voter_per_hour: 3,
        ..QueueConfig::default()
    };
    let Some(arena) = arena(backend, config, &[]).await else {
        return;
    };
    let worker = TestWorker::add(&arena, "gpu-1").await;
    assert!(worker.lease(&demo_slugs()).await.is_null());
    let mut voter = Client::new(arena.router.clone());
    let live_jobs = || async {
        let counts = arena.app.store.queue_counts().await.unwrap();
        counts.iter().map(|c| c.n).sum::<i64>()
    };

    // Two battles drawing at once, then a third is refused and stores nothing.
    for prompt in ["a red kite", "a green kite"] {
        assert_eq!(
            start_live(&mut voter, prompt).await.status,
            StatusCode::CREATED
        );
    }
    let refused = start_live(&mut voter, "a blue kite").await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_live_battles")
    );
    assert!(
        refused.text().contains("2 battles being drawn"),
        "{}",
        refused.text()
    );
    assert_eq!(refused.headers["retry-after"], "10");
    assert_eq!(live_jobs().await, 4);
    // Someone else is not held back by it.
    let mut other = Client::new(arena.router.clone());
    assert_eq!(
        start_live(&mut other, "a yellow kite").await.status,
        StatusCode::CREATED
    );

    // Once a battle is over (here: given up), the voter may start another.
    fail_one_job(&worker).await;
    assert_eq!(
        start_live(&mut voter, "a blue kite").await.status,
        StatusCode::CREATED
    );

    // Three in the past hour: the fourth is refused until the first leaves the hour,
    // in the browser too, with a readable page.
    for _ in 0..2 {
        fail_one_job(&worker).await;
    }
    let jobs_before = live_jobs().await;
    let refused = start_live(&mut voter, "a white kite").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused.text().contains("started 3 battles"),
        "{}",
        refused.text()
    );
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3500..=3600).contains(&retry), "{retry}");
    let page = voter
        .send(
            Method::POST,
            "/battles",
            "application/x-www-form-urlencoded",
            "prompt=a+white+kite",
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().contains("in the past hour"), "{}", page.text());
    assert_eq!(live_jobs().await, jobs_before);
}

#[tokio::test]
async fn a_voter_over_the_live_limits_is_refused_on_sqlite() {
    a_voter_over_the_live_limits_is_refused(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_voter_over_the_live_limits_is_refused_on_postgres() {
    a_voter_over_the_live_limits_is_refused(Backend::Postgres).await;
}

/// The embedded worker (the one `arena serve` runs) keeps counting as live past
/// `worker_seen_secs`: live battles still start and finish long after the server
/// started, and the battle page offers the prompt box only while they can.
async fn the_embedded_worker_stays_live(backend: Backend) {
    use arena_server::generation::embedded_worker;
    let config = QueueConfig {
        worker_seen_secs: 2,
        ..QueueConfig::default()
    };
    let Some(arena) = arena(backend, config, &["a pool prompt"]).await else {
        return;
    };
    embedded_worker::fill_pool(&arena.app).await.unwrap();
    // Past `worker_seen_secs` with no worker leasing: the page says so instead of
    // offering a box that can only fail.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let mut voter = Client::new(arena.router.clone());
    let page = voter.get("/").await.text();
    assert!(!page.contains("id=\"live-form\""), "{page}");
    assert!(page.contains("id=\"live-off\""), "{page}");

    embedded_worker::spawn(arena.app.clone()).unwrap();
    // Past three times `worker_seen_secs` since it started (and since any lease).
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let page = voter.get("/").await.text();
    assert!(page.contains("id=\"live-form\""), "{page}");
    let started = start_live(&mut voter, "a kite over green hills").await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.text());
    let id = started.json()["id"].as_str().unwrap().to_string();
    let mut status = String::new();
    for _ in 0..100 {
        status = voter.get(&format!("/api/v1/battles/{id}")).await.json()["status"]
            .as_str()
            .unwrap()
            .to_string();
        if status != "generating" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "ready");
}

#[tokio::test]
async fn the_embedded_worker_stays_live_on_sqlite() {
    the_embedded_worker_stays_live(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_embedded_worker_stays_live_on_postgres() {
    the_embedded_worker_stays_live(Backend::Postgres).await;
}
