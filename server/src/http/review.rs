//! The operator's review of what does not count, behind the admin token:
//! `/admin/voters` (the detector's flags with their figures; clearing one makes its
//! votes count again), `/admin/votes` (votes that do not count, with their reasons;
//! restore or exclude one), `/admin/audit` (every such action) and a scan on demand.
//! Each page has a JSON twin under `/api/v1/admin/…`; the actions are form posts that
//! return to the page, or JSON posts.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::admin::{Admin, AdminPage};
use super::error::{AppError, Result, no_store};
use super::openapi::{BadRequest, NotFound, Unauthorized};
use super::state::AppState;
use crate::integrity::{review, scan};
use crate::store::{AuditEntry, ExcludedVote, Flag};
use crate::voting::view::BattleId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/admin/voters", get(voters_page))
        .routes(routes!(voters_json))
        .route("/admin/flags/{id}/clear", post(clear_flag_form))
        .routes(routes!(clear_flag_json))
        .route("/admin/votes", get(votes_page))
        .routes(routes!(votes_json))
        .route("/admin/votes/{battle}/restore", post(restore_form))
        .route("/admin/votes/{battle}/exclude", post(exclude_form))
        .routes(routes!(restore_json))
        .routes(routes!(exclude_json))
        .route("/admin/audit", get(audit_page))
        .routes(routes!(audit_json))
        .route("/admin/integrity/scan", post(scan_form))
        .routes(routes!(scan_json))
}

/// The battle whose vote an operator restores or excludes.
#[derive(IntoParams)]
#[into_params(names("battle"), parameter_in = Path)]
struct VotePath(
    /// The battle's id: 32 lowercase hex digits.
    #[allow(dead_code)] // only described, the handlers take the text as it came
    String,
);

/// Who the audit log names for actions taken with the admin token.
const ADMIN: &str = "admin";

/// Rows shown per page.
const LIMIT: i64 = 200;

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The detector's flags, newest first.
#[derive(Serialize, ToSchema)]
struct VotersReport {
    flags: Vec<Flag>,
}

#[derive(Template)]
#[template(path = "admin_voters.html")]
struct VotersPage {
    flags: Vec<Flag>,
}

impl VotersPage {
    /// The evidence as `name: value` pairs, for the table.
    fn figures(&self, flag: &Flag) -> Vec<(String, String)> {
        fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
            match v {
                serde_json::Value::Object(map) => {
                    for (k, v) in map {
                        let name = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        flatten(&name, v, out);
                    }
                }
                serde_json::Value::String(s) => out.push((prefix.replace('_', " "), s.clone())),
                other => out.push((prefix.replace('_', " "), other.to_string())),
            }
        }
        let mut out = Vec::new();
        flatten("", &flag.evidence, &mut out);
        out
    }
}

/// The rigging detector's flags with their figures.
#[utoipa::path(get, path = "/api/v1/admin/voters", tag = "admin",
    responses((status = 200, body = VotersReport), Unauthorized, NotFound),
    security(("admin_token" = [])))]
async fn voters_json(State(state): State<AppState>, _: Admin) -> Result<Json<VotersReport>> {
    Ok(Json(VotersReport {
        flags: state.store.flags(LIMIT).await?,
    }))
}

async fn voters_page(
    State(state): State<AppState>,
    _: AdminPage,
    headers: HeaderMap,
) -> Result<Response> {
    let flags = state.store.flags(LIMIT).await?;
    if wants_json(&headers) {
        return Ok(Json(VotersReport { flags }).into_response());
    }
    Ok(no_store(VotersPage { flags }.render()))
}

async fn clear(state: &AppState, id: i64) -> Result<u64> {
    review::clear_flag(state, id, ADMIN)
        .await?
        .ok_or_else(|| AppError::not_found("There is no standing flag with this id."))
}

async fn clear_flag_form(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<i64>,
) -> Result<Redirect> {
    clear(&state, id).await?;
    Ok(Redirect::to("/admin/voters"))
}

/// What clearing a flag did.
#[derive(Serialize, ToSchema)]
struct FlagCleared {
    flag: i64,
    /// Votes that count again.
    votes_restored: u64,
}

/// Clear a standing flag: its votes count again (in the audit log).
#[utoipa::path(post, path = "/api/v1/admin/flags/{id}/clear", tag = "admin",
    params(("id" = i64, Path, description = "The flag's id")),
    responses((status = 200, body = FlagCleared), Unauthorized, NotFound),
    security(("admin_token" = [])))]
async fn clear_flag_json(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<i64>,
) -> Result<Json<FlagCleared>> {
    let votes_restored = clear(&state, id).await?;
    Ok(Json(FlagCleared {
        flag: id,
        votes_restored,
    }))
}

#[derive(Serialize, ToSchema)]
struct VotesReport {
    /// Votes that do not count, per reason: `[reason, count]` pairs.
    exclusions: Vec<(String, i64)>,
    /// The latest of them.
    votes: Vec<ExcludedVote>,
}

#[derive(Template)]
#[template(path = "admin_votes.html")]
struct VotesPage {
    report: VotesReport,
}

async fn votes_report(state: &AppState) -> Result<VotesReport> {
    Ok(VotesReport {
        exclusions: state.store.exclusion_counts().await?,
        votes: state.store.excluded_votes(LIMIT).await?,
    })
}

/// Votes that do not count, with their reasons.
#[utoipa::path(get, path = "/api/v1/admin/votes", tag = "admin",
    responses((status = 200, body = VotesReport), Unauthorized, NotFound),
    security(("admin_token" = [])))]
async fn votes_json(State(state): State<AppState>, _: Admin) -> Result<Json<VotesReport>> {
    Ok(Json(votes_report(&state).await?))
}

async fn votes_page(
    State(state): State<AppState>,
    _: AdminPage,
    headers: HeaderMap,
) -> Result<Response> {
    let report = votes_report(&state).await?;
    if wants_json(&headers) {
        return Ok(Json(report).into_response());
    }
    Ok(no_store(VotesPage { report }.render()))
}

/// Restores (`exclude` false) or excludes a battle's vote.
async fn decide(state: &AppState, battle: &str, exclude: bool) -> Result<()> {
    let id = BattleId::parse(battle)?;
    let changed = match exclude {
        false => review::restore_vote(state, id.as_str(), ADMIN).await?,
        true => review::exclude_vote(state, id.as_str(), ADMIN).await?,
    };
    if !changed {
        return Err(AppError::not_found(match exclude {
            false => "This battle has no excluded vote.",
            true => "This battle has no vote that counts.",
        }));
    }
    Ok(())
}

async fn restore_form(
    State(state): State<AppState>,
    _: Admin,
    Path(battle): Path<String>,
) -> Result<Redirect> {
    decide(&state, &battle, false).await?;
    Ok(Redirect::to("/admin/votes"))
}

async fn exclude_form(
    State(state): State<AppState>,
    _: Admin,
    Path(battle): Path<String>,
) -> Result<Redirect> {
    decide(&state, &battle, true).await?;
    Ok(Redirect::to("/admin/votes"))
}

/// A vote's standing after an operator's decision.
#[derive(Serialize, ToSchema)]
struct VoteDecision {
    battle_id: String,
    /// Whether the vote counts now.
    counts: bool,
}

/// Restore an excluded vote: it counts again (in the audit log).
#[utoipa::path(post, path = "/api/v1/admin/votes/{battle}/restore", tag = "admin",
    params(VotePath),
    responses((status = 200, body = VoteDecision), BadRequest, Unauthorized, NotFound),
    security(("admin_token" = [])))]
async fn restore_json(
    State(state): State<AppState>,
    _: Admin,
    Path(battle): Path<String>,
) -> Result<Json<VoteDecision>> {
    decide(&state, &battle, false).await?;
    Ok(Json(VoteDecision {
        battle_id: battle,
        counts: true,
    }))
}

/// Exclude a vote that counts (reason `operator`, in the audit log).
#[utoipa::path(post, path = "/api/v1/admin/votes/{battle}/exclude", tag = "admin",
    params(VotePath),
    responses((status = 200, body = VoteDecision), BadRequest, Unauthorized, NotFound),
    security(("admin_token" = [])))]
async fn exclude_json(
    State(state): State<AppState>,
    _: Admin,
    Path(battle): Path<String>,
) -> Result<Json<VoteDecision>> {
    decide(&state, &battle, true).await?;
    Ok(Json(VoteDecision {
        battle_id: battle,
        counts: false,
    }))
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    entries: Vec<AuditEntry>,
}

/// The latest lines of the audit log.
#[derive(Serialize, ToSchema)]
struct AuditLog {
    entries: Vec<AuditEntry>,
}

/// Every operator action and every flag the detector raised, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin",
    responses((status = 200, body = AuditLog), Unauthorized, NotFound),
    security(("admin_token" = [])))]
async fn audit_json(State(state): State<AppState>, _: Admin) -> Result<Json<AuditLog>> {
    let entries = state.store.audit_log(LIMIT).await?;
    Ok(Json(AuditLog { entries }))
}

async fn audit_page(
    State(state): State<AppState>,
    _: AdminPage,
    headers: HeaderMap,
) -> Result<Response> {
    let entries = state.store.audit_log(LIMIT).await?;
    if wants_json(&headers) {
        return Ok(Json(AuditLog { entries }).into_response());
    }
    Ok(no_store(AuditPage { entries }.render()))
}

async fn run_scan(state: &AppState) -> Result<scan::ScanReport> {
    let report = scan::scan(&state.store, ADMIN)
        .await
        .map_err(AppError::internal)?;
    if !report.flags.is_empty() {
        state.rankings.clear().await;
    }
    Ok(report)
}

async fn scan_form(State(state): State<AppState>, _: Admin) -> Result<Redirect> {
    run_scan(&state).await?;
    Ok(Redirect::to("/admin/voters"))
}

/// Run the rigging detector now; new flags exclude their votes.
#[utoipa::path(post, path = "/api/v1/admin/integrity/scan", tag = "admin",
    responses((status = 200, body = scan::ScanReport), Unauthorized, NotFound),
    security(("admin_token" = [])))]
async fn scan_json(State(state): State<AppState>, _: Admin) -> Result<Json<scan::ScanReport>> {
    Ok(Json(run_scan(&state).await?))
}
