//! Live battles on the web: the prompt form (`POST /battles`, works without
//! JavaScript), the page that waits for the two images, and its server-sent events
//! (`GET /api/v1/battles/{id}/events`; `GET /api/v1/battles/{id}` is the polling
//! fallback).

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{AppError, PageError, Result, no_store};
use super::guard::payload_too_large;
use super::openapi::{BadRequest, BattlePath, NotFound};
use super::state::AppState;
use super::voter::{Voter, no_voter_cookie};
use crate::integrity::Requester;
use crate::voting::view::{BattleId, BattleStatus, ServedBattle};
use crate::voting::{battles, live};

const LIVE_JS: &str = include_str!("../../../static/live.js");

/// How often the event stream looks at the jobs (they may be finished by another
/// server, so it reads the database rather than waiting for an in-process signal).
const POLL: Duration = Duration::from_millis(400);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/battles", post(create))
        .routes(routes!(events))
        .route(
            "/static/live.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=300"),
                    ],
                    LIVE_JS,
                )
            }),
        )
}

#[derive(Debug, Deserialize)]
struct PromptForm {
    prompt: String,
}

/// The no-JavaScript start of a live battle: a form post, then the waiting page. It
/// needs the voter cookie of an earlier page view (it never issues one).
async fn create(
    State(state): State<AppState>,
    who: Requester,
    form: std::result::Result<Form<PromptForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, PageError> {
    if who.voter.is_none() {
        return Err(no_voter_cookie().into());
    }
    let form = match form {
        Ok(Form(form)) => form,
        Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(payload_too_large().into());
        }
        Err(_) => {
            return Err(AppError::unprocessable("invalid_prompt", "Type a prompt first.").into());
        }
    };
    let battle = live::start(&state, &who, &form.prompt).await?;
    Ok(Redirect::to(&format!("/battles/{}", battle.id)).into_response())
}

#[derive(Template)]
#[template(path = "live.html")]
struct WaitingPage {
    battle: ServedBattle,
    percent: u32,
    message: String,
}

/// The page of a live battle whose images are not both ready (or never will be).
pub fn waiting_page(battle: ServedBattle) -> Response {
    let (percent, message) = match &battle.live {
        Some(p) => ((p.progress * 100.0).round() as u32, p.message.clone()),
        None => (0, String::new()),
    };
    let page = WaitingPage {
        battle,
        percent,
        message,
    };
    no_store(page.render())
}

/// A battle's progress as server-sent events.
///
/// Events: `progress` while drawing, then one `ready` (with the image URLs) or
/// `failed`, and the stream ends. Each carries the battle as `GET /battles/{id}`
/// shows it (a `ServedBattle`), so it names no model and keeps both sides' progress
/// together; an `error` event carries the error body and ends the stream.
#[utoipa::path(get, path = "/api/v1/battles/{id}/events", tag = "voting", params(BattlePath),
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "`progress`, then `ready` or `failed` (data: the battle as JSON)"),
        BadRequest, NotFound),
    security(("voter_cookie" = [])))]
async fn events(
    State(state): State<AppState>,
    voter: Voter,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = std::result::Result<Event, Infallible>>>> {
    // Refuse unknown or foreign battles before the stream starts.
    let id = BattleId::parse(&id)?;
    battles::view(&state, &voter.0, &id).await?;
    let stream = futures_util::stream::unfold(
        (state, voter.0, id, None::<String>, false),
        |(state, voter, id, last, finished)| async move {
            if finished {
                return None;
            }
            let mut last = last;
            loop {
                let (name, data, end) = match battles::view(&state, &voter, &id).await {
                    Ok(view) => {
                        let name = match view.battle.status {
                            BattleStatus::Generating => "progress",
                            BattleStatus::Failed => "failed",
                            BattleStatus::Ready | BattleStatus::Voted => "ready",
                        };
                        let data = serde_json::to_string(&view.battle).unwrap_or_default();
                        (name, data, name != "progress")
                    }
                    Err(e) => {
                        let body = AppError::from(e).body();
                        let data = serde_json::to_string(&body).unwrap_or_default();
                        ("error", data, true)
                    }
                };
                if last.as_deref() != Some(data.as_str()) {
                    let event = Event::default().event(name).data(data.clone());
                    return Some((Ok(event), (state, voter, id, Some(data), end)));
                }
                last = Some(data);
                tokio::time::sleep(POLL).await;
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
