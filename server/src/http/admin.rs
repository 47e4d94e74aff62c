//! Operator pages behind the admin token (`admin_token` in the config file):
//! `/admin/queue` shows the generation queue per model and the workers, as HTML or,
//! with `Accept: application/json` (or at `/api/v1/admin/queue`), as JSON. Scripts send
//! the token as a bearer header; a browser signs in once at `/admin/login`, which keeps
//! it in a private (encrypted) cookie.

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::PrivateCookieJar;
use axum_extra::extract::cookie::{Cookie, Key, SameSite};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::client::Client;
use super::error::{AppError, PageError, Result, no_store};
use super::openapi::{NotFound, Unauthorized};
use super::state::AppState;
use super::worker_api::bearer;
use crate::integrity::Requester;
use crate::integrity::limits::{self, Action};
use crate::store::{FailedJob, RejectedPrompt};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/admin/queue", get(queue_page))
        .route("/admin/login", get(login_form).post(login))
        .routes(routes!(queue_json))
}

/// The cookie that carries the admin token for a signed-in browser.
const ADMIN_COOKIE: &str = "arena_admin";

/// A request that carried the admin token (bearer header or the sign-in cookie).
pub struct Admin;

/// Compares hashes: equal length, so the time taken says nothing about the token.
pub fn same_token(given: &str, expected: &str) -> bool {
    crate::generation::blob::sha256_hex(given.as_bytes())
        == crate::generation::blob::sha256_hex(expected.as_bytes())
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin> {
        authorize(&parts.headers, state)
    }
}

/// Lets a request through when it carries the admin token (a bearer header or the
/// sign-in cookie): for handlers that only sometimes need it.
pub fn authorize(headers: &HeaderMap, state: &AppState) -> Result<Admin> {
    let Some(expected) = state.config.admin_token.as_deref() else {
        return Err(admin_off());
    };
    let cookie = PrivateCookieJar::<Key>::from_headers(headers, state.cookie_key.clone())
        .get(ADMIN_COOKIE)
        .map(|c| c.value().to_string());
    let given = bearer(headers)
        .map(str::to_string)
        .or(cookie)
        .unwrap_or_default();
    if same_token(&given, expected) {
        Ok(Admin)
    } else {
        Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_admin_token",
            "This page needs the admin token (Authorization: Bearer …).",
        ))
    }
}

/// Jobs of one model by state.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ModelQueue {
    pub model: String,
    pub queued: i64,
    pub leased: i64,
    pub done: i64,
    pub failed: i64,
    pub cancelled: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WorkerSeen {
    pub name: String,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Seen within `queue.worker_seen_secs`.
    pub live: bool,
    /// Its token was revoked (`arena workers revoke`).
    pub revoked: bool,
    pub models: Vec<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
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
    let seen = state.config.queue.live_workers_since(Utc::now());
    let workers = state
        .store
        .list_workers()
        .await?
        .into_iter()
        .map(|w| WorkerSeen {
            live: w.revoked_at.is_none() && w.last_seen_at.is_some_and(|t| t >= seen),
            revoked: w.revoked_at.is_some(),
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

/// The generation queue per model, the workers, recent failures with their full
/// reasons, and the prompts moderation refused.
#[utoipa::path(get, path = "/api/v1/admin/queue", tag = "admin",
    responses((status = 200, body = QueueReport), Unauthorized, NotFound),
    security(("admin_token" = [])))]
async fn queue_json(State(state): State<AppState>, _: Admin) -> Result<Json<QueueReport>> {
    Ok(Json(report(&state).await?))
}

async fn queue_page(
    State(state): State<AppState>,
    _: AdminPage,
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

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

#[derive(Template)]
#[template(path = "admin_login.html")]
struct LoginPage {
    error: Option<String>,
}

/// Admin is off when no `admin_token` is configured: a page that says so.
fn admin_off() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "admin_disabled",
        "The operator pages are off because no admin_token is set in the config file.",
    )
}

fn login_page(status: StatusCode, error: Option<String>) -> Response {
    let mut response = no_store(LoginPage { error }.render());
    *response.status_mut() = status;
    response
}

async fn login_form(State(state): State<AppState>) -> std::result::Result<Response, PageError> {
    if state.config.admin_token.is_none() {
        return Err(admin_off().into());
    }
    Ok(login_page(StatusCode::OK, None))
}

/// An operator page's guard: with the admin token it lets the request through;
/// without it a browser gets a page that says why (with a link to sign in), and a
/// client asking for JSON the API's error.
pub struct AdminPage;

impl FromRequestParts<AppState> for AdminPage {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<AdminPage, Response> {
        let wants_json = parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/json"));
        match authorize(&parts.headers, state) {
            Ok(Admin) => Ok(AdminPage),
            Err(e) if wants_json => Err(e.into_response()),
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// Keeps a correct token in a private cookie for the admin pages; a wrong one is a 401.
/// Attempts are limited per client address (`[limits] admin_logins` an hour).
async fn login(
    State(state): State<AppState>,
    Client(address): Client,
    jar: PrivateCookieJar,
    Form(form): Form<LoginForm>,
) -> std::result::Result<Response, PageError> {
    let Some(expected) = state.config.admin_token.as_deref() else {
        return Err(admin_off().into());
    };
    let who = Requester {
        voter: None,
        address,
    };
    limits::hit(&state, &who, Action::AdminLogin).await?;
    let token = form.token.trim().to_string();
    if !same_token(&token, expected) {
        return Ok(login_page(
            StatusCode::UNAUTHORIZED,
            Some("That is not the admin token.".into()),
        ));
    }
    let cookie = Cookie::build((ADMIN_COOKIE, token))
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.cookie_secure)
        .build();
    Ok((jar.add(cookie), Redirect::to("/admin/queue")).into_response())
}
