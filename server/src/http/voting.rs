//! The JSON API under `/api/v1` (DESIGN.md "HTTP JSON API").

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{AppState, Voter};
use crate::battles::{self, BattleView, Reveal};
use crate::error::{AppError, Result};
use crate::store::ModelStatus;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/battles", post(create_battle))
        .route("/api/v1/battles/{id}", get(get_battle))
        .route("/api/v1/battles/{id}/vote", post(vote))
        .route("/api/v1/models", get(models))
        .route("/api/v1/{*rest}", axum::routing::any(unknown_endpoint))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBattle {
    prompt: Option<String>,
    category: Option<String>,
}

#[derive(Debug, Deserialize)]
struct VoteBody {
    winner: String,
}

/// Parses a JSON body into `T`, with the API's error shape for bad input.
fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        AppError::bad_request(
            "invalid_json",
            format!("The request body is not valid: {e}"),
        )
    })
}

async fn create_battle(
    State(state): State<AppState>,
    voter: Voter,
    body: Bytes,
) -> Result<Response> {
    let request: CreateBattle = if body.iter().all(u8::is_ascii_whitespace) {
        CreateBattle::default()
    } else {
        parse_body(&body)?
    };
    if let Some(prompt) = &request.prompt {
        let battle = crate::live::start(&state, &voter.0, prompt).await?;
        return Ok((StatusCode::CREATED, Json(battle)).into_response());
    }
    if let Some(category) = &request.category {
        super::check_category(&state.store.prompt_categories().await?, category)?;
    }
    match battles::serve(&state, &voter.0, request.category.as_deref()).await? {
        Some(battle) => Ok((StatusCode::CREATED, Json(battle)).into_response()),
        None => Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_battle_ready",
            "No images are ready yet; the first ones are being generated. Try again in a few seconds.",
        )),
    }
}

async fn get_battle(
    State(state): State<AppState>,
    voter: Voter,
    Path(id): Path<String>,
) -> Result<Json<BattleView>> {
    Ok(Json(battles::view(&state, &voter.0, &id).await?))
}

async fn vote(
    State(state): State<AppState>,
    voter: Voter,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Reveal>> {
    battles::check_battle_id(&id)?;
    let body: VoteBody = parse_body(&body)?;
    Ok(Json(
        battles::vote(&state, &voter.0, &id, &body.winner).await?,
    ))
}

#[derive(Serialize)]
struct ModelEntry {
    slug: String,
    display_name: String,
    backend: String,
    version: String,
    description: String,
    status: ModelStatus,
}

async fn models(State(state): State<AppState>) -> Result<Json<serde_json::Value>> {
    let models: Vec<ModelEntry> = state
        .store
        .list_models()
        .await?
        .into_iter()
        .filter(|m| m.status != ModelStatus::Disabled)
        .map(|m| ModelEntry {
            slug: m.slug,
            display_name: m.display_name,
            backend: m.backend,
            version: m.version,
            description: m.description,
            status: m.status,
        })
        .collect();
    Ok(Json(serde_json::json!({ "models": models })))
}

async fn unknown_endpoint() -> AppError {
    AppError::not_found("No such API endpoint.")
}
