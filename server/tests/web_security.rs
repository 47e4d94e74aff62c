//! The web layer's defences, on SQLite and on the real Postgres: every page carries a
//! strict Content-Security-Policy and has no inline script, style or event handler;
//! HSTS over HTTPS; a cap on requests in flight and on concurrent exports, so that
//! slow clients cannot starve voters; timeouts.

mod common;
mod queue_support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use arena_evaluator::Outcome;
use arena_server::config::{FileConfig, HttpConfig};
use arena_server::generation::embedded_worker;
use arena_server::store::{ImportedVote, NewPrompt};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::support::demo_slugs;
use common::{Backend, Client, PROMPTS, Response, TestArena, send};
use queue_support::{ADMIN_TOKEN, TestWorker};
use tower::ServiceExt;

/// An arena with `http`, an admin token, the test prompts but no images yet.
async fn bare_arena(backend: Backend, http: HttpConfig, https: bool) -> Option<TestArena> {
    let file = FileConfig {
        admin_token: Some(ADMIN_TOKEN.into()),
        cookie_secure: Some(https),
        http,
        ..FileConfig::default()
    };
    let arena = TestArena::open(backend, file).await?;
    let prompts: Vec<NewPrompt> = PROMPTS
        .iter()
        .map(|(t, c)| NewPrompt {
            text: t.to_string(),
            category: c.to_string(),
            source: "test".into(),
        })
        .collect();
    arena.app.store.import_prompts(&prompts).await.unwrap();
    Some(arena)
}

/// Directive name → sources of a Content-Security-Policy header.
fn directives(csp: &str) -> HashMap<String, Vec<String>> {
    csp.split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(str::to_string).collect()))
        })
        .collect()
}

/// What is weak or missing in a response's security headers.
fn header_problems(r: &Response) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(csp) = r
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
    else {
        return vec!["no Content-Security-Policy".into()];
    };
    let d = directives(csp);
    let only = |name: &str, allowed: &[&str]| -> Option<String> {
        match d.get(name) {
            None => Some(format!("CSP has no {name}")),
            Some(sources) if sources.is_empty() => Some(format!("CSP {name} is empty")),
            Some(sources) => sources
                .iter()
                .find(|s| !allowed.contains(&s.as_str()))
                .map(|s| format!("CSP {name} allows {s}")),
        }
    };
    let checks = [
        only("default-src", &["'self'", "'none'"]),
        only("script-src", &["'self'", "'none'"]),
        only("style-src", &["'self'", "'none'"]),
        only("object-src", &["'none'"]),
        only("frame-ancestors", &["'none'"]),
        only("base-uri", &["'none'", "'self'"]),
        only("form-action", &["'self'", "'none'"]),
        only("img-src", &["'self'", "data:", "'none'"]),
        only("connect-src", &["'self'", "'none'"]),
    ];
    problems.extend(checks.into_iter().flatten());
    if r.headers.get(header::X_FRAME_OPTIONS).map(|v| v.as_bytes()) != Some(b"DENY") {
        problems.push("X-Frame-Options is not DENY".into());
    }
    if r.headers
        .get(header::X_CONTENT_TYPE_OPTIONS)
        .map(|v| v.as_bytes())
        != Some(b"nosniff")
    {
        problems.push("X-Content-Type-Options is not nosniff".into());
    }
    problems
}

/// Inline script or style, or event-handler attributes, in an HTML page.
fn inline_code(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let mut found = Vec::new();
    for element in doc.root_element().descendent_elements() {
        let e = element.value();
        let name = e.name();
        if name == "script" && (e.attr("src").is_none() || !element.inner_html().trim().is_empty())
        {
            found.push(format!("an inline <script>: {}", element.html()));
        }
        if name == "style" {
            found.push(format!("a <style> element: {}", element.html()));
        }
        for (attr, value) in e.attrs() {
            let attr = attr.to_ascii_lowercase();
            if attr == "style" {
                found.push(format!("style=\"{value}\" on <{name}>"));
            }
            if attr.starts_with("on") {
                found.push(format!("{attr}=\"{value}\" on <{name}>"));
            }
            if value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("javascript:")
            {
                found.push(format!("a javascript: URL in {attr} on <{name}>"));
            }
        }
    }
    found
}

/// Fetches `path` and reports what is wrong with it as a page under the CSP.
async fn check_page(
    client: &mut Client,
    what: &str,
    path: &str,
    status: StatusCode,
    failures: &mut Vec<String>,
) -> Response {
    let r = client.get(path).await;
    check_response(what, &r, status, failures);
    r
}

fn check_response(what: &str, r: &Response, status: StatusCode, failures: &mut Vec<String>) {
    if r.status != status {
        failures.push(format!("{what}: status {} instead of {status}", r.status));
    }
    let html = r
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"));
    if !html {
        failures.push(format!("{what}: not a page"));
    }
    failures.extend(
        header_problems(r)
            .into_iter()
            .map(|p| format!("{what}: {p}")),
    );
    failures.extend(
        inline_code(&r.text())
            .into_iter()
            .map(|p| format!("{what}: {p}")),
    );
}

async fn every_page_has_a_strict_csp_and_no_inline_code(backend: Backend) {
    let Some(arena) = bare_arena(backend, HttpConfig::default(), false).await else {
        return;
    };
    let mut failures = Vec::new();
    let mut voter = arena.client();
    check_page(
        &mut voter,
        "the preparing page",
        "/",
        StatusCode::SERVICE_UNAVAILABLE,
        &mut failures,
    )
    .await;
    embedded_worker::fill_pool(&arena.app).await.unwrap();

    let arena_page = check_page(&mut voter, "the arena", "/", StatusCode::OK, &mut failures).await;
    let id = arena_page.text().split("data-battle=\"").nth(1).unwrap()[..32].to_string();
    let path = format!("/battles/{id}");
    check_page(&mut voter, "a battle", &path, StatusCode::OK, &mut failures).await;
    // Votes, so that the leaderboard draws its charts and model pages their bars.
    for _ in 0..6 {
        let battle = voter.new_battle().await;
        let r = voter.vote(battle["id"].as_str().unwrap(), "a").await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(voter.vote(&id, "b").await.status, StatusCode::OK);
    check_page(
        &mut voter,
        "a revealed battle",
        &path,
        StatusCode::OK,
        &mut failures,
    )
    .await;
    arena
        .app
        .rankings
        .refresh_if_stale(&arena.app.store)
        .await
        .unwrap();
    let board = check_page(
        &mut voter,
        "the leaderboard",
        "/leaderboard",
        StatusCode::OK,
        &mut failures,
    )
    .await;
    assert!(
        board.text().contains("<svg"),
        "the leaderboard has its charts"
    );
    check_page(
        &mut voter,
        "the Elo leaderboard",
        "/leaderboard?method=elo&ci=bootstrap",
        StatusCode::OK,
        &mut failures,
    )
    .await;
    check_page(
        &mut voter,
        "the methodology",
        "/leaderboard/methodology",
        StatusCode::OK,
        &mut failures,
    )
    .await;
    let slug = board
        .text()
        .split("href=\"/models/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let model = check_page(
        &mut voter,
        "a model page",
        &format!("/models/{slug}"),
        StatusCode::OK,
        &mut failures,
    )
    .await;
    assert!(
        model.text().contains("<meter"),
        "the model page draws its win-rate bars"
    );
    check_page(
        &mut voter,
        "the data page",
        "/data",
        StatusCode::OK,
        &mut failures,
    )
    .await;

    // A live battle's waiting page, once a worker is live.
    let worker = TestWorker::add(&arena, "gpu-1").await;
    worker.lease(&demo_slugs()).await;
    let live = voter
        .post_json(
            "/api/v1/battles",
            serde_json::json!({ "prompt": "a green teapot" }),
        )
        .await;
    assert_eq!(live.status, StatusCode::CREATED, "{}", live.text());
    let live_id = live.json()["id"].as_str().unwrap().to_string();
    let waiting = check_page(
        &mut voter,
        "the live waiting page",
        &format!("/battles/{live_id}"),
        StatusCode::OK,
        &mut failures,
    )
    .await;
    assert!(waiting.text().contains("live-bar"), "{}", waiting.text());

    // The operator's pages.
    let mut operator = arena.client();
    check_page(
        &mut operator,
        "the admin sign-in",
        "/admin/login",
        StatusCode::OK,
        &mut failures,
    )
    .await;
    let queue = send(
        &arena.router,
        Request::get("/admin/queue")
            .header(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    check_response("the admin queue", &queue, StatusCode::OK, &mut failures);
    for (what, uri) in [
        ("the flagged voters", "/admin/voters"),
        ("the excluded votes", "/admin/votes"),
        ("the audit log", "/admin/audit"),
        (
            "the board with exclusions",
            "/leaderboard?exclusions=include",
        ),
    ] {
        let page = send(
            &arena.router,
            Request::get(uri)
                .header(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        check_response(what, &page, StatusCode::OK, &mut failures);
    }

    // Error pages.
    check_page(
        &mut voter,
        "a missing page",
        "/no/such/page",
        StatusCode::NOT_FOUND,
        &mut failures,
    )
    .await;
    check_page(
        &mut voter,
        "a bad battle id",
        "/battles/xyz",
        StatusCode::BAD_REQUEST,
        &mut failures,
    )
    .await;
    let mut stranger = arena.client();
    check_page(
        &mut stranger,
        "a stranger's battle",
        &path,
        StatusCode::NOT_FOUND,
        &mut failures,
    )
    .await;
    let refused = send(
        &arena.router,
        Request::post(format!("/battles/{id}/vote"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site")
            .body(Body::from("winner=a"))
            .unwrap(),
    )
    .await;
    check_response(
        "the cross-site refusal page",
        &refused,
        StatusCode::FORBIDDEN,
        &mut failures,
    );
    let nonsense = voter
        .send(
            axum::http::Method::POST,
            &format!("/battles/{id}/vote"),
            "application/x-www-form-urlencoded",
            "winner=both-good",
        )
        .await;
    check_response(
        "the page of a vote that is not one",
        &nonsense,
        StatusCode::UNPROCESSABLE_ENTITY,
        &mut failures,
    );

    // Not pages, but the headers are on every response.
    for (what, path) in [
        ("the JSON API", "/api/v1/models"),
        ("the stylesheet", "/static/arena.css"),
        ("an API error", "/api/v1/nope"),
    ] {
        let r = voter.get(path).await;
        failures.extend(
            header_problems(&r)
                .into_iter()
                .map(|p| format!("{what}: {p}")),
        );
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_page_has_a_strict_csp_and_no_inline_code_on_sqlite() {
    every_page_has_a_strict_csp_and_no_inline_code(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_page_has_a_strict_csp_and_no_inline_code_on_postgres() {
    every_page_has_a_strict_csp_and_no_inline_code(Backend::Postgres).await;
}

#[test]
fn the_page_checker_finds_inline_code() {
    let bad = r#"<html><head><style>p{}</style><script>alert(1)</script></head>
        <body><p style="color:red" onclick="x()">a</p><a href="javascript:x()">b</a>
        <svg><rect onload="x()"/></svg><script src="/static/arena.js"></script></body></html>"#;
    assert_eq!(inline_code(bad).len(), 6, "{:?}", inline_code(bad));
    let good = r#"<html><head><script src="/static/arena.js" defer></script></head>
        <body><meter value="0.5"></meter><svg><rect fill="white"/></svg></body></html>"#;
    assert!(inline_code(good).is_empty());
    let weak = directives("default-src 'self'; script-src 'self' 'unsafe-inline'");
    assert_eq!(weak["script-src"], ["'self'", "'unsafe-inline'"]);
}

async fn hsts_is_sent_only_when_the_arena_is_served_over_https(backend: Backend) {
    for https in [true, false] {
        let Some(arena) = bare_arena(backend, HttpConfig::default(), https).await else {
            return;
        };
        let r = arena.client().get("/leaderboard").await;
        let hsts = r.headers.get(header::STRICT_TRANSPORT_SECURITY);
        assert_eq!(hsts.is_some(), https, "cookie_secure = {https}: {hsts:?}");
        if let Some(hsts) = hsts {
            let max_age: u64 = hsts
                .to_str()
                .unwrap()
                .strip_prefix("max-age=")
                .unwrap()
                .parse()
                .unwrap();
            assert!(max_age >= 180 * 24 * 3600, "{max_age}");
        }
    }
}

#[tokio::test]
async fn hsts_is_sent_only_when_the_arena_is_served_over_https_on_sqlite() {
    hsts_is_sent_only_when_the_arena_is_served_over_https(Backend::Sqlite).await;
}

#[tokio::test]
async fn hsts_is_sent_only_when_the_arena_is_served_over_https_on_postgres() {
    hsts_is_sent_only_when_the_arena_is_served_over_https(Backend::Postgres).await;
}

/// Imports `n` votes between the demo models, so that an export is megabytes long
/// and a reader that does not read holds it (and its database connection) open.
async fn import_votes(arena: &TestArena, n: usize) {
    let models = arena.app.store.list_models().await.unwrap();
    let votes: Vec<ImportedVote> = (0..n)
        .map(|i| ImportedVote {
            battle_id: format!("{:032x}", 0xbeef_0000_u64 + i as u64),
            voter_id: format!("{:032x}", i % 97),
            model_a_id: models[i % models.len()].id,
            model_b_id: models[(i + 1) % models.len()].id,
            winner: Outcome::A,
            anony: true,
            cast_at: chrono::Utc::now(),
            counts_for_leaderboard: true,
            exclusion_reason: None,
        })
        .collect();
    assert_eq!(
        arena.app.store.import_votes(&votes, "test").await.unwrap(),
        n as u64
    );
}

async fn slow_export_readers_cannot_starve_votes_and_battles(backend: Backend) {
    let Some(arena) = bare_arena(backend, HttpConfig::default(), false).await else {
        return;
    };
    embedded_worker::fill_pool(&arena.app).await.unwrap();
    import_votes(&arena, 4000).await;
    let slots = arena.app.config.http.max_concurrent_exports;
    assert_eq!(slots, 2, "the default");

    // N + 2 readers ask at once and then read nothing.
    let asks = (0..slots + 2).map(|_| {
        let router = arena.router.clone();
        tokio::spawn(async move {
            router
                .oneshot(
                    Request::get("/api/v1/export/votes?format=jsonl")
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap()
        })
    });
    let mut held = Vec::new();
    let mut refused = 0;
    for ask in asks {
        let response = ask.await.unwrap();
        match response.status() {
            StatusCode::OK => held.push(response),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(response.headers().get(header::RETRY_AFTER).is_some());
                let body = http_body_util::BodyExt::collect(response.into_body())
                    .await
                    .unwrap()
                    .to_bytes();
                let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(body["error"]["code"], "exports_busy");
                refused += 1;
            }
            other => panic!("an export answered {other}"),
        }
    }
    assert_eq!(
        (held.len(), refused),
        (slots, 2),
        "N exports stream, the others are refused"
    );

    // Meanwhile voters are served promptly.
    let mut voter = arena.client();
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let battle = tokio::time::timeout(Duration::from_secs(5), voter.new_battle())
            .await
            .expect("a battle while exports are held open");
        let vote = tokio::time::timeout(
            Duration::from_secs(5),
            voter.vote(battle["id"].as_str().unwrap(), "b"),
        )
        .await
        .expect("a vote while exports are held open");
        assert_eq!(vote.status, StatusCode::OK);
        let page = tokio::time::timeout(Duration::from_secs(5), voter.get("/"))
            .await
            .unwrap();
        assert_eq!(page.status, StatusCode::OK);
        slowest = slowest.max(started.elapsed());
    }
    assert!(
        slowest < Duration::from_secs(2),
        "a battle, a vote and a page took {slowest:?}"
    );

    // The readers go away: their slots are free again, and an export reads whole.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = arena
            .client()
            .get("/api/v1/export/votes?format=jsonl")
            .await;
        if r.status == StatusCode::OK {
            assert_eq!(r.text().lines().count(), 4000 + 10);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slots were never freed: {}",
            r.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_export_readers_cannot_starve_votes_and_battles_on_sqlite() {
    slow_export_readers_cannot_starve_votes_and_battles(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_export_readers_cannot_starve_votes_and_battles_on_postgres() {
    slow_export_readers_cannot_starve_votes_and_battles(Backend::Postgres).await;
}

/// A worker's lease that waits `wait_secs` for a job that never comes.
async fn long_poll(worker: &TestWorker, wait_secs: u64) -> Response {
    worker
        .post(
            "/api/v1/worker/lease",
            serde_json::json!({ "models": demo_slugs(), "wait_secs": wait_secs }),
        )
        .await
}

async fn over_the_concurrency_cap_requests_get_503_with_retry_after(backend: Backend) {
    let http = HttpConfig {
        max_concurrent_requests: 2,
        ..HttpConfig::default()
    };
    let Some(arena) = bare_arena(backend, http, false).await else {
        return;
    };
    embedded_worker::fill_pool(&arena.app).await.unwrap();
    let worker = std::sync::Arc::new(TestWorker::add(&arena, "gpu-1").await);
    let polls: Vec<_> = (0..2)
        .map(|_| {
            let worker = worker.clone();
            tokio::spawn(async move { long_poll(&worker, 3).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = arena.client().get("/api/v1/models").await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.text()
    );
    assert_eq!(refused.error_code(), "overloaded");
    assert_eq!(refused.headers[header::RETRY_AFTER], "1");
    let page = arena.client().get("/leaderboard").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.text().contains("<main class=\"message error\">"));
    for poll in polls {
        assert_eq!(poll.await.unwrap().status, StatusCode::OK);
    }
    assert_eq!(
        arena.client().get("/api/v1/models").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_concurrency_cap_requests_get_503_with_retry_after_on_sqlite() {
    over_the_concurrency_cap_requests_get_503_with_retry_after(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_concurrency_cap_requests_get_503_with_retry_after_on_postgres() {
    over_the_concurrency_cap_requests_get_503_with_retry_after(Backend::Postgres).await;
}

async fn a_request_past_its_timeout_gets_503_and_others_go_on(backend: Backend) {
    let http = HttpConfig {
        worker_request_timeout_secs: 1,
        ..HttpConfig::default()
    };
    let Some(arena) = bare_arena(backend, http, false).await else {
        return;
    };
    embedded_worker::fill_pool(&arena.app).await.unwrap();
    let worker = TestWorker::add(&arena, "gpu-1").await;
    let started = Instant::now();
    let r = long_poll(&worker, 5).await;
    assert_eq!(
        r.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.error_code(), "timeout");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(long_poll(&worker, 0).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_request_past_its_timeout_gets_503_and_others_go_on_on_sqlite() {
    a_request_past_its_timeout_gets_503_and_others_go_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_request_past_its_timeout_gets_503_and_others_go_on_on_postgres() {
    a_request_past_its_timeout_gets_503_and_others_go_on(Backend::Postgres).await;
}
