//! The worker protocol under `/api/v1/worker` (see `arena_protocol`): lease,
//! heartbeat, result, fail. Workers authenticate with the bearer token that
//! `arena workers add` printed (the database keeps only its hash); a job's heartbeat,
//! result and failure also name its lease (the `arena-lease` header).

use std::time::Duration;

use arena_protocol::{
    FailRequest, Heartbeat, HeartbeatResponse, JobSpec, JobStateResponse, LEASE_HEADER, LEASE_LOST,
    LeaseRequest, LeaseResponse, MAX_WAIT_SECS, MISSING_LEASE, PARAMS_HEADER,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::Utc;
use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, Required};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::error::{AppError, Result};
use super::openapi::{
    BadRequest, Conflict, Forbidden, PayloadTooLarge, Unauthorized, Unprocessable,
};
use super::state::AppState;
use crate::generation::{queue, workers};
use crate::store::{FailKind, JobLease, Worker};

/// Uploaded images may be large (a 2048² PNG); the server re-encodes them anyway.
const MAX_RESULT_BYTES: usize = 64 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(lease))
        .routes(routes!(heartbeat))
        .routes(routes!(result).layer(DefaultBodyLimit::max(MAX_RESULT_BYTES)))
        .routes(routes!(fail))
}

/// A job request's parameters: the job's id in the path and its lease's nonce in the
/// [`LEASE_HEADER`] header.
struct JobParams;

impl IntoParams for JobParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("id")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(i64::schema()))
                .description(Some("The job's `id`, as the lease returned it."))
                .build(),
            ParameterBuilder::new()
                .name(LEASE_HEADER)
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .schema(Some(String::schema()))
                .description(Some("The job's `lease` nonce, as the lease returned it."))
                .build(),
        ]
    }
}

/// An uploaded image: the PNG file itself is the request body.
struct Png;

impl PartialSchema for Png {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type("image/png")
            .into()
    }
}

impl ToSchema for Png {}

/// The result upload's generation parameters, in the [`PARAMS_HEADER`] header.
struct ResultParams;

impl IntoParams for ResultParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name(PARAMS_HEADER)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .schema(Some(String::schema()))
                .description(Some(
                    "The generation parameters (seed, steps, …) as a JSON object in ASCII.",
                ))
                .build(),
        ]
    }
}

/// The worker behind a request's bearer token.
pub struct AuthWorker(pub Worker);

impl FromRequestParts<AppState> for AuthWorker {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<AuthWorker> {
        let unauthorized = || {
            AppError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_worker_token",
                "This request needs a valid worker token (Authorization: Bearer …); create one with `arena workers add NAME`.",
            )
        };
        let token = bearer(&parts.headers).ok_or_else(unauthorized)?;
        let worker = state
            .store
            .worker_by_token_hash(&workers::hash_token(token))
            .await?
            .ok_or_else(unauthorized)?;
        Ok(AuthWorker(worker))
    }
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

/// Parses a JSON body with the API's error shape (an empty body is the default).
fn parse<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        AppError::bad_request(
            "invalid_json",
            format!("The request body is not valid: {e}"),
        )
    })
}

fn lease_lost(job_id: i64) -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        LEASE_LOST,
        format!(
            "This worker does not hold job {job_id} under this lease (its lease expired, the \
             job ended or went to another worker)."
        ),
    )
}

/// The lease nonce a job request names in its [`LEASE_HEADER`].
fn lease_nonce(headers: &HeaderMap) -> Result<&str> {
    headers
        .get(LEASE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            AppError::bad_request(
                MISSING_LEASE,
                format!(
                    "Name the job's lease in the {LEASE_HEADER} header: the `lease` of the job \
                     the lease request returned."
                ),
            )
        })
}

/// Lease a job of one of the `models`, waiting up to `wait_secs` for one.
#[utoipa::path(post, path = "/api/v1/worker/lease", tag = "worker", request_body = LeaseRequest,
    responses((status = 200, body = LeaseResponse, description = "A job, or none in time"),
        BadRequest, Unauthorized, Forbidden, Unprocessable),
    security(("worker_token" = [])))]
async fn lease(
    State(state): State<AppState>,
    AuthWorker(mut worker): AuthWorker,
    body: Bytes,
) -> Result<Json<LeaseResponse>> {
    let request: LeaseRequest = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad_request(
            "invalid_json",
            format!("The request body is not valid: {e}"),
        )
    })?;
    if request.models.is_empty() {
        return Err(AppError::unprocessable(
            "no_models",
            "Name at least one model slug in `models`.",
        ));
    }
    let known = state.store.list_models().await?;
    let unknown: Vec<&String> = request
        .models
        .iter()
        .filter(|slug| !known.iter().any(|m| &m.slug == *slug))
        .collect();
    if !unknown.is_empty() {
        return Err(AppError::unprocessable(
            "unknown_model",
            format!(
                "This arena has no model {unknown:?}; register it with `arena models add` first."
            ),
        ));
    }
    let wait = Duration::from_secs(request.wait_secs.min(MAX_WAIT_SECS));
    let job = queue::lease(&state, &mut worker, &request.models, wait).await?;
    Ok(Json(LeaseResponse {
        job: job.map(|j| JobSpec {
            id: j.id,
            model: j.model,
            prompt: j.prompt,
            seed: j.seed,
            width: j.width as u32,
            height: j.height as u32,
            attempt: j.attempts as u32,
            lease: j.lease,
        }),
        lease_secs: state.config.queue.lease_secs,
        heartbeat_secs: state.config.queue.heartbeat_secs(),
    }))
}

/// Keep a leased job's lease, reporting progress.
#[utoipa::path(post, path = "/api/v1/worker/jobs/{id}/heartbeat", tag = "worker",
    params(JobParams), request_body = Option<Heartbeat>,
    responses((status = 200, body = HeartbeatResponse), BadRequest, Unauthorized, Conflict),
    security(("worker_token" = [])))]
async fn heartbeat(
    State(state): State<AppState>,
    AuthWorker(worker): AuthWorker,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<HeartbeatResponse>> {
    let lease = JobLease {
        job_id: id,
        worker_id: worker.id,
        nonce: lease_nonce(&headers)?,
    };
    let beat: Heartbeat = parse(&body)?;
    let progress = match (beat.step, beat.steps) {
        (Some(k), Some(n)) if n > 0 => Some((k.min(n) as i32, n as i32)),
        _ => None,
    };
    let expires = Utc::now() + chrono::Duration::seconds(state.config.queue.lease_secs as i64);
    if !state.store.heartbeat_job(lease, progress, expires).await? {
        return Err(lease_lost(id));
    }
    state
        .store
        .touch_worker(worker.id, &worker.model_slugs())
        .await?;
    Ok(Json(HeartbeatResponse {
        lease_secs: state.config.queue.lease_secs,
    }))
}

/// Upload a leased job's image; the server re-encodes it.
#[utoipa::path(put, path = "/api/v1/worker/jobs/{id}/result", tag = "worker",
    params(JobParams, ResultParams),
    request_body(content = inline(Png), content_type = "image/png"),
    responses((status = 200, description = "`done`", body = JobStateResponse),
        BadRequest, Unauthorized, Conflict, PayloadTooLarge, Unprocessable),
    security(("worker_token" = [])))]
async fn result(
    State(state): State<AppState>,
    AuthWorker(worker): AuthWorker,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<JobStateResponse>> {
    let lease = JobLease {
        job_id: id,
        worker_id: worker.id,
        nonce: lease_nonce(&headers)?,
    };
    let params = match headers.get(PARAMS_HEADER) {
        Some(v) => serde_json::from_slice::<serde_json::Value>(v.as_bytes())
            .ok()
            .filter(serde_json::Value::is_object)
            .ok_or_else(|| {
                AppError::bad_request(
                    "invalid_params",
                    format!("The {PARAMS_HEADER} header must be a JSON object."),
                )
            })?,
        None => serde_json::json!({}),
    };
    // Cheap check first: decoding a large image for a job that is gone is wasted work
    // (and a worker must not make the server decode for jobs it does not hold).
    if !state.store.holds_job(lease).await? {
        return Err(lease_lost(id));
    }
    if !queue::complete_bytes(&state, lease, body.to_vec(), params).await? {
        return Err(lease_lost(id));
    }
    tracing::info!(job.id = id, worker.name = %worker.name, "job done");
    Ok(Json(JobStateResponse {
        state: "done".into(),
    }))
}

/// Report that a leased job failed, or give it back unfinished.
#[utoipa::path(post, path = "/api/v1/worker/jobs/{id}/fail", tag = "worker",
    params(JobParams), request_body = FailRequest,
    responses((status = 200, description = "`queued` again or `failed`", body = JobStateResponse),
        BadRequest, Unauthorized, Conflict),
    security(("worker_token" = [])))]
async fn fail(
    State(state): State<AppState>,
    AuthWorker(worker): AuthWorker,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<JobStateResponse>> {
    let lease = JobLease {
        job_id: id,
        worker_id: worker.id,
        nonce: lease_nonce(&headers)?,
    };
    let request: FailRequest = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad_request(
            "invalid_json",
            format!("The request body is not valid: {e}"),
        )
    })?;
    let kind = match (request.release, request.retryable) {
        (true, _) => FailKind::Release,
        (false, true) => FailKind::Transient,
        (false, false) => FailKind::Permanent,
    };
    // The job keeps its worker; the reason is the worker's words alone. Only
    // `/admin/queue` shows them: public pages say why in general terms.
    let reason = match request.reason.trim() {
        "" => "no reason given",
        reason => reason,
    };
    match queue::fail(&state, lease, reason, kind).await? {
        Some(new_state) => Ok(Json(JobStateResponse {
            state: new_state.into(),
        })),
        None => Err(lease_lost(id)),
    }
}
