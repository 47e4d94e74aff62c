//! `/metrics`: off by default, behind its token when one is set, and counting what the
//! server does (requests, votes, battles) beside what the database holds (the queue,
//! images per model, workers, the connection pool), in Prometheus's text format.

mod common;

use arena_server::config::{FileConfig, QueueConfig};
use arena_server::metrics::MetricsConfig;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Backend, TestArena, send};

const TOKEN: &str = "metrics-token-for-the-tests";

/// The value of the sample whose line starts with `name{labels}` (or `name `).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn scrape(arena: &TestArena, token: Option<&str>) -> common::Response {
    let mut request = Request::get("/metrics");
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(&arena.router, request.body(Body::empty()).unwrap()).await
}

async fn metrics_on(backend: Backend) {
    let file = FileConfig {
        metrics: MetricsConfig {
            enabled: true,
            token: Some(TOKEN.into()),
        },
        queue: QueueConfig {
            pool_images: 1,
            ..QueueConfig::default()
        },
        // Votes count once their images were looked at (for a millisecond).
        min_view_ms: Some(1),
        ..FileConfig::default()
    };
    let Some(arena) = TestArena::with_pool(backend, file).await else {
        return;
    };
    assert_eq!(scrape(&arena, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(&arena, Some("wrong")).await.status,
        StatusCode::UNAUTHORIZED
    );

    let mut voter = arena.client();
    for winner in ["a", "b", "tie"] {
        let battle = voter.new_battle().await;
        voter.look_at(&battle).await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let r = voter.vote(battle["id"].as_str().unwrap(), winner).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // One more, its images never fetched: stored, excluded.
    let unseen = voter.new_battle().await;
    let r = voter.vote(unseen["id"].as_str().unwrap(), "a").await;
    assert_eq!(r.status, StatusCode::OK);
    let _ = voter.get("/leaderboard").await;
    let _ = voter.get("/api/v1/battles/nonsense").await;

    let r = scrape(&arena, Some(TOKEN)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = r.text();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let counted = r#"arena_votes_total{axis="overall",result="counted",reason=""}"#;
    assert_eq!(sample(&text, counted), Some(3.0), "{text}");
    let excluded =
        r#"arena_votes_total{axis="overall",result="excluded",reason="images_not_seen"}"#;
    assert_eq!(sample(&text, excluded), Some(1.0), "{text}");
    assert_eq!(
        sample(&text, r#"arena_battles_served_total{mode="pool"}"#),
        Some(4.0)
    );
    let battles =
        r#"arena_http_requests_total{route="/api/v1/battles",method="POST",status="201"}"#;
    assert_eq!(sample(&text, battles), Some(4.0), "{text}");
    let bad_id =
        r#"arena_http_requests_total{route="/api/v1/battles/{id}",method="GET",status="400"}"#;
    assert_eq!(sample(&text, bad_id), Some(1.0), "{text}");
    assert!(text.contains(
        r#"arena_http_request_duration_seconds_count{route="/api/v1/battles/{id}/vote",method="POST"} 4"#
    ));
    // From the database: every demo model has drawn its three images.
    for slug in common::support::demo_slugs() {
        let done = format!(r#"arena_queue_jobs{{model="{slug}",state="done"}}"#);
        assert_eq!(sample(&text, &done), Some(3.0), "{slug}: {text}");
        let images = format!(r#"arena_generated_images{{model="{slug}"}}"#);
        assert_eq!(sample(&text, &images), Some(3.0));
    }
    assert_eq!(sample(&text, "arena_live_battles_drawing"), Some(0.0));
    assert!(sample(&text, "arena_leaderboard_age_seconds").is_some_and(|s| s >= 0.0));
    assert!(sample(&text, r#"arena_db_connections{state="idle"}"#).is_some());

    // The example Grafana dashboard asks only for figures the server publishes.
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/grafana-dashboard.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let name = regex::Regex::new(r"arena_[a-z_]+").unwrap();
    let mut asked = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            for m in name.find_iter(target["expr"].as_str().unwrap()) {
                let metric = m.as_str();
                let family = ["_total", "_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|suffix| metric.strip_suffix(suffix))
                    .filter(|f| families.contains(f))
                    .unwrap_or(metric);
                assert!(families.contains(&family), "{metric} is not published");
                asked += 1;
            }
        }
    }
    assert!(asked >= 14);
}

#[tokio::test]
async fn metrics_count_requests_votes_and_the_queue_on_sqlite() {
    metrics_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn metrics_count_requests_votes_and_the_queue_on_postgres() {
    metrics_on(Backend::Postgres).await;
}

#[tokio::test]
async fn metrics_are_off_unless_enabled() {
    let Some(arena) = TestArena::open(Backend::Sqlite, FileConfig::default()).await else {
        return;
    };
    assert_eq!(scrape(&arena, None).await.status, StatusCode::NOT_FOUND);
}
