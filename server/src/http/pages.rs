//! Server-rendered pages. Each works without JavaScript; `static/arena.js` only adds
//! keyboard voting and an in-place reveal.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{AppState, Voter};
use crate::battles::{self, Reveal, ServedBattle};
use crate::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(arena))
        .route("/battles/{id}", get(battle))
        .route("/battles/{id}/vote", post(vote))
}

/// An error shown as a page rather than as JSON.
pub struct PageError(AppError);

impl From<AppError> for PageError {
    fn from(err: AppError) -> PageError {
        PageError(err)
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(err: crate::store::StoreError) -> PageError {
        PageError(err.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.0.status.canonical_reason().unwrap_or("Error");
        let headers = self.0.headers();
        let page = ErrorPage {
            title,
            message: self.0.message,
        };
        let mut response = (self.0.status, no_store(page.render())).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, html());
        response.headers_mut().extend(headers);
        response
    }
}

fn html() -> HeaderValue {
    HeaderValue::from_static("text/html; charset=utf-8")
}

/// Battle pages differ per voter and per visit: never cache them.
fn no_store(rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, html()),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        Err(e) => AppError::internal(e).into_response(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "arena.html")]
struct ArenaPage {
    battle: ServedBattle,
    reveal: Option<Reveal>,
    categories: Vec<String>,
    category: Option<String>,
}

impl ArenaPage {
    /// The URL of image A (0) or B (1); the page is only rendered once both exist.
    fn image(&self, slot: usize) -> &str {
        match (&self.battle.images, slot) {
            (Some(i), 0) => &i.a,
            (Some(i), _) => &i.b,
            (None, _) => "",
        }
    }

    /// Live battles' prompts are the voter's own, not a category of the prompt set.
    fn category_label(&self) -> &str {
        match self.battle.category.as_str() {
            "voter" => "your prompt",
            other => other,
        }
    }

    fn winner_label(&self) -> &'static str {
        match self.reveal.as_ref().map(|r| r.winner.as_str()) {
            Some("a") => "A is better",
            Some("b") => "B is better",
            Some("tie") => "A tie",
            Some("both_bad") => "Both are bad",
            _ => "",
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "preparing.html")]
struct PreparingPage {
    present: i64,
    wanted: i64,
}

#[derive(Debug, Deserialize)]
struct ArenaQuery {
    category: Option<String>,
}

async fn arena(
    State(state): State<AppState>,
    voter: Voter,
    Query(query): Query<ArenaQuery>,
) -> Result<Response, PageError> {
    let categories = state.store.prompt_categories().await?;
    let category = query.category.filter(|c| !c.is_empty());
    if let Some(c) = category.as_ref().filter(|c| !categories.contains(c)) {
        return Err(AppError::not_found(format!("There is no prompt category “{c}”.")).into());
    }
    match battles::serve(&state, &voter.0, category.as_deref()).await? {
        Some(battle) => Ok(no_store(
            ArenaPage {
                battle,
                reveal: None,
                categories,
                category,
            }
            .render(),
        )),
        None => {
            let (present, wanted) = state.store.pool_progress("demo").await?;
            let page = PreparingPage { present, wanted };
            Ok((
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "2")],
                no_store(page.render()),
            )
                .into_response())
        }
    }
}

async fn battle(
    State(state): State<AppState>,
    voter: Voter,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = battles::view(&state, &voter.0, &id).await?;
    if view.battle.images.is_none() {
        return Ok(super::live::waiting_page(view.battle));
    }
    let page = ArenaPage {
        battle: view.battle,
        reveal: view.reveal,
        categories: Vec::new(),
        category: None,
    };
    Ok(no_store(page.render()))
}

#[derive(Debug, Deserialize)]
struct VoteForm {
    winner: String,
}

/// The no-JavaScript vote: a plain form post, then a redirect to the reveal.
async fn vote(
    State(state): State<AppState>,
    voter: Voter,
    Path(id): Path<String>,
    form: Result<Form<VoteForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, PageError> {
    battles::check_battle_id(&id)?;
    let Ok(Form(form)) = form else {
        return Err(
            AppError::unprocessable("invalid_winner", "Choose A, B, tie or both bad.").into(),
        );
    };
    battles::vote(&state, &voter.0, &id, &form.winner).await?;
    Ok(Redirect::to(&format!("/battles/{id}")).into_response())
}

pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        AppError::not_found("No such API endpoint.").into_response()
    } else {
        PageError(AppError::not_found("There is no page at this address.")).into_response()
    }
}
