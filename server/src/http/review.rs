//! The operator's review of what does not count, behind the admin token:
//! `/admin/voters` (the detector's flags with their figures; clearing one makes its
//! votes count again), `/admin/votes` (votes that do not count, with their reasons;
//! restore or exclude one), `/admin/audit` (every such action) and a scan on demand.
//! Each page has a JSON twin under `/api/v1/admin/…`; the actions are form posts that
//! return to the page, or JSON posts.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use super::admin::Admin;
use super::error::{AppError, Result, no_store};
use super::state::AppState;
use crate::integrity::{review, scan};
use crate::store::{AuditEntry, ExcludedVote, Flag};
use crate::voting::view::BattleId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/voters", get(voters_page))
        .route("/api/v1/admin/voters", get(voters_json))
        .route("/admin/flags/{id}/clear", post(clear_flag_form))
        .route("/api/v1/admin/flags/{id}/clear", post(clear_flag_json))
        .route("/admin/votes", get(votes_page))
        .route("/api/v1/admin/votes", get(votes_json))
        .route("/admin/votes/{battle}/restore", post(restore_form))
        .route("/admin/votes/{battle}/exclude", post(exclude_form))
        .route("/api/v1/admin/votes/{battle}/restore", post(restore_json))
        .route("/api/v1/admin/votes/{battle}/exclude", post(exclude_json))
        .route("/admin/audit", get(audit_page))
        .route("/api/v1/admin/audit", get(audit_json))
        .route("/admin/integrity/scan", post(scan_form))
        .route("/api/v1/admin/integrity/scan", post(scan_json))
}

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

#[derive(Serialize)]
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

async fn voters_json(State(state): State<AppState>, _: Admin) -> Result<Json<VotersReport>> {
    Ok(Json(VotersReport {
        flags: state.store.flags(LIMIT).await?,
    }))
}

async fn voters_page(
    State(state): State<AppState>,
    _: Admin,
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

async fn clear_flag_json(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>> {
    let restored = clear(&state, id).await?;
    Ok(Json(
        serde_json::json!({ "flag": id, "votes_restored": restored }),
    ))
}

#[derive(Serialize)]
struct VotesReport {
    /// Votes that do not count, per reason.
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

async fn votes_json(State(state): State<AppState>, _: Admin) -> Result<Json<VotesReport>> {
    Ok(Json(votes_report(&state).await?))
}

async fn votes_page(
    State(state): State<AppState>,
    _: Admin,
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

async fn restore_json(
    State(state): State<AppState>,
    _: Admin,
    Path(battle): Path<String>,
) -> Result<Json<serde_json::Value>> {
    decide(&state, &battle, false).await?;
    Ok(Json(
        serde_json::json!({ "battle_id": battle, "counts": true }),
    ))
}

async fn exclude_json(
    State(state): State<AppState>,
    _: Admin,
    Path(battle): Path<String>,
) -> Result<Json<serde_json::Value>> {
    decide(&state, &battle, true).await?;
    Ok(Json(
        serde_json::json!({ "battle_id": battle, "counts": false }),
    ))
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    entries: Vec<AuditEntry>,
}

async fn audit_json(State(state): State<AppState>, _: Admin) -> Result<Json<serde_json::Value>> {
    let entries = state.store.audit_log(LIMIT).await?;
    Ok(Json(serde_json::json!({ "entries": entries })))
}

async fn audit_page(
    State(state): State<AppState>,
    _: Admin,
    headers: HeaderMap,
) -> Result<Response> {
    let entries = state.store.audit_log(LIMIT).await?;
    if wants_json(&headers) {
        return Ok(Json(serde_json::json!({ "entries": entries })).into_response());
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

async fn scan_json(State(state): State<AppState>, _: Admin) -> Result<Json<scan::ScanReport>> {
    Ok(Json(run_scan(&state).await?))
}
