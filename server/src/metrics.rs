//! `/metrics`: what the server is doing, in Prometheus's text format (OpenMetrics).
//!
//! Two kinds of figures. What happens in this process — requests by route and status
//! with their latency, votes recorded (counted or excluded, by reason), battles
//! served — are counters kept as it happens; Prometheus sums them over the servers.
//! What the database holds — the queue per model, live battles drawing, workers' last
//! contact, images drawn per model with their drawing time, the cached leaderboard's
//! age, the connection pool — is read when scraped, and is the same on every server.
//!
//! Off unless `[metrics] enabled = true`; with `[metrics] token` it asks for
//! `Authorization: Bearer <token>`, as public deployments should.

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::Deserialize;

use crate::http::AppState;
use crate::store::Store;

/// `[metrics]` of the config.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `/metrics` (default: off).
    pub enabled: bool,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VoteLabels {
    axis: String,
    /// `counted` or `excluded`.
    result: String,
    /// Why it does not count (empty when it counts).
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModeLabels {
    mode: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelStateLabels {
    model: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WorkerLabels {
    worker: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The figures of one server process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    request_seconds: Family<LatencyLabels, Histogram, fn() -> Histogram>,
    votes: Family<VoteLabels, Counter>,
    battles_served: Family<ModeLabels, Counter>,
    // Read from the database when scraped.
    jobs: Family<ModelStateLabels, Gauge>,
    queue_oldest_seconds: Family<ModelLabels, FloatGauge>,
    live_battles: Gauge,
    images: Family<ModelLabels, Gauge>,
    generation_seconds: Family<ModelLabels, FloatGauge>,
    worker_last_seen_seconds: Family<WorkerLabels, FloatGauge>,
    leaderboard_age_seconds: FloatGauge,
    db_connections: Family<PoolLabels, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("arena");
        let m = Metrics {
            requests: Family::default(),
            request_seconds: Family::new_with_constructor(latency_histogram),
            votes: Family::default(),
            battles_served: Family::default(),
            jobs: Family::default(),
            queue_oldest_seconds: Family::default(),
            live_battles: Gauge::default(),
            images: Family::default(),
            generation_seconds: Family::default(),
            worker_last_seen_seconds: Family::default(),
            leaderboard_age_seconds: FloatGauge::default(),
            db_connections: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests answered by this server, by route, method and status",
            m.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (until its response starts), by route and method",
            m.request_seconds.clone(),
        );
        registry.register(
            "votes",
            "Votes recorded by this server, by axis; counted or excluded, with the reason",
            m.votes.clone(),
        );
        registry.register(
            "battles_served",
            "Battles served by this server: pool (pre-drawn) or live (the voter's prompt)",
            m.battles_served.clone(),
        );
        registry.register(
            "queue_jobs",
            "Generation jobs per model and state (queued, leased, done, failed, cancelled)",
            m.jobs.clone(),
        );
        registry.register(
            "queue_oldest_seconds",
            "Age of the longest-waiting queued job per model",
            m.queue_oldest_seconds.clone(),
        );
        registry.register(
            "live_battles_drawing",
            "Live battles whose images are being drawn now",
            m.live_battles.clone(),
        );
        registry.register(
            "generated_images",
            "Images stored per model (rate() of it: images drawn per second)",
            m.images.clone(),
        );
        registry.register(
            "generated_images_latency_seconds",
            "Total drawing time of the stored images per model (divided by \
             arena_generated_images: the mean generation latency)",
            m.generation_seconds.clone(),
        );
        registry.register(
            "worker_last_seen_seconds",
            "Seconds since each worker last reached the server",
            m.worker_last_seen_seconds.clone(),
        );
        registry.register(
            "leaderboard_age_seconds",
            "Age of this server's cached default leaderboard (absent before the first view)",
            m.leaderboard_age_seconds.clone(),
        );
        registry.register(
            "db_connections",
            "This server's database connections, in use or idle",
            m.db_connections.clone(),
        );
        Metrics { registry, ..m }
    }

    /// One vote recorded on `axis`, excluded for `reason` when it does not count.
    pub fn vote(&self, axis: &str, excluded: Option<&str>) {
        self.votes
            .get_or_create(&VoteLabels {
                axis: axis.to_string(),
                result: if excluded.is_some() {
                    "excluded"
                } else {
                    "counted"
                }
                .into(),
                reason: excluded.unwrap_or_default().to_string(),
            })
            .inc();
    }

    /// One battle served, `pool` or `live`.
    pub fn battle_served(&self, mode: &str) {
        self.battles_served
            .get_or_create(&ModeLabels { mode: mode.into() })
            .inc();
    }

    /// Reads what the database holds and encodes every figure.
    async fn render(&self, state: &AppState) -> crate::store::Result<String> {
        let store: &Store = &state.store;
        self.jobs.clear();
        for row in store.queue_counts().await? {
            self.jobs
                .get_or_create(&ModelStateLabels {
                    model: row.model,
                    state: row.state,
                })
                .set(row.n);
        }
        let now = Utc::now();
        let seconds_since = |at: chrono::DateTime<Utc>| (now - at).num_milliseconds() as f64 / 1e3;
        self.queue_oldest_seconds.clear();
        for row in store.queue_stats().await? {
            if let Some(oldest) = row.oldest_queued {
                self.queue_oldest_seconds
                    .get_or_create(&ModelLabels { model: row.model })
                    .set(seconds_since(oldest));
            }
        }
        self.live_battles.set(store.live_battles_drawing().await?);
        self.images.clear();
        self.generation_seconds.clear();
        for row in store.generation_stats().await? {
            let labels = ModelLabels { model: row.model };
            self.images.get_or_create(&labels).set(row.images);
            self.generation_seconds
                .get_or_create(&labels)
                .set(row.latency_ms.unwrap_or(0) as f64 / 1e3);
        }
        self.worker_last_seen_seconds.clear();
        for w in store.list_workers().await? {
            if let (Some(seen), None) = (w.last_seen_at, w.revoked_at) {
                self.worker_last_seen_seconds
                    .get_or_create(&WorkerLabels { worker: w.name })
                    .set(seconds_since(seen));
            }
        }
        if let Some(at) = state.rankings.default_computed_at().await {
            self.leaderboard_age_seconds.set(seconds_since(at));
        }
        let (size, idle) = store.pool_connections();
        let idle = idle as i64;
        self.db_connections
            .get_or_create(&PoolLabels {
                state: "idle".into(),
            })
            .set(idle);
        self.db_connections
            .get_or_create(&PoolLabels {
                state: "in_use".into(),
            })
            .set(i64::from(size) - idle);
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        Ok(text)
    }
}

/// Counts every request that reached a route, with its latency (a `route_layer`, so
/// that the route is known: the label is the route's pattern, never a raw path).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().as_str().to_string();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .request_seconds
        .get_or_create(&LatencyLabels {
            route: route.clone(),
            method: method.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RouteLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// `GET /metrics`.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let config = &state.config.metrics;
    if !config.enabled {
        return crate::http::error::not_found(axum::http::Uri::from_static("/metrics")).await;
    }
    if let Some(token) = config.token.as_deref().filter(|t| !t.is_empty()) {
        let given = crate::http::worker_api::bearer(&headers);
        if !given.is_some_and(|g| crate::http::admin::same_token(g, token)) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "/metrics needs `Authorization: Bearer <[metrics] token>`\n",
            )
                .into_response();
        }
    }
    match state.metrics.render(&state).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the database cannot be read: {e}\n"),
        )
            .into_response(),
    }
}
