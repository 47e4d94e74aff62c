//! Operator pages behind the admin token (`admin_token` in the config file):
//! `/admin/queue` shows the generation queue per model and the workers, as HTML or,
//! with `Accept: application/json` (or at `/api/v1/admin/queue`), as JSON.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::AppState;
use super::worker_api::bearer;
use crate::error::{AppError, Result};
use crate::store::{FailedJob, RejectedPrompt};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/queue", get(queue_page))
        .route("/api/v1/admin/queue", get(queue_json))
}

/// A request that carried the admin token.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin> {
        let Some(expected) = state.config.admin_token.as_deref() else {
            return Err(AppError::not_found(
                "Admin pages are off: set `admin_token` in the config file.",
            ));
        };
        let given = bearer(&parts.headers).unwrap_or("");
        // Compare hashes: equal length, so the time taken says nothing about the token.
        if crate::blob::sha256_hex(given.as_bytes()) == crate::blob::sha256_hex(expected.as_bytes())
        {
            Ok(Admin)
        } else {
            Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_admin_token",
                "This page needs the admin token (Authorization: Bearer …).",
            ))
        }
    }
}

/// Jobs of one model by state.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ModelQueue {
    pub model: String,
    pub queued: i64,
    pub leased: i64,
    pub done: i64,
    pub failed: i64,
    pub cancelled: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct WorkerSeen {
    pub name: String,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Seen within `queue.worker_seen_secs`.
    pub live: bool,
    pub models: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct QueueReport {
    pub models: Vec<ModelQueue>,
    pub workers: Vec<WorkerSeen>,
    pub recent_failures: Vec<FailedJob>,
    /// Prompts moderation refused, with the reason.
    pub rejected_prompts: Vec<RejectedPrompt>,
}

#[derive(Template)]
#[template(path = "admin_queue.html")]
struct QueuePage {
    report: QueueReport,
}

async fn report(state: &AppState) -> Result<QueueReport> {
    let mut models: BTreeMap<String, ModelQueue> = BTreeMap::new();
    for c in state.store.queue_counts().await? {
        let entry = models.entry(c.model.clone()).or_insert_with(|| ModelQueue {
            model: c.model.clone(),
            ..ModelQueue::default()
        });
        match c.state.as_str() {
            "queued" => entry.queued = c.n,
            "leased" => entry.leased = c.n,
            "done" => entry.done = c.n,
            "failed" => entry.failed = c.n,
            _ => entry.cancelled += c.n,
        }
    }
    let seen = Utc::now() - chrono::Duration::seconds(state.config.queue.worker_seen_secs as i64);
    let workers = state
        .store
        .list_workers()
        .await?
        .into_iter()
        .map(|w| WorkerSeen {
            live: w.last_seen_at.is_some_and(|t| t >= seen),
            models: w.model_slugs(),
            name: w.name,
            last_seen_at: w.last_seen_at,
        })
        .collect();
    Ok(QueueReport {
        models: models.into_values().collect(),
        workers,
        recent_failures: state.store.failed_jobs(20).await?,
        rejected_prompts: state.store.rejected_prompts(20).await?,
    })
}

async fn queue_json(State(state): State<AppState>, _: Admin) -> Result<Json<QueueReport>> {
    Ok(Json(report(&state).await?))
}

async fn queue_page(
    State(state): State<AppState>,
    _: Admin,
    headers: HeaderMap,
) -> Result<Response> {
    let report = report(&state).await?;
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return Ok(Json(report).into_response());
    }
    let body = QueuePage { report }.render().map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}
