//! Voting over HTTP: the battle page (`/`, `/battles/{id}`) and its no-JavaScript vote
//! form (`POST /battles/{id}/vote`), and the same in the JSON API (`POST
//! /api/v1/battles`, `GET /api/v1/battles/{id}`, `POST /api/v1/battles/{id}/vote`,
//! `GET /api/v1/models`). The page is `templates/battle.html` through [`BattlePage`];
//! `static/arena.js` only adds keyboard voting and an in-place reveal.

use std::collections::BTreeMap;

use arena_evaluator::{Outcome, Position};
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{AppError, PageError, Result, no_store};
use super::guard::payload_too_large;
use super::openapi::{
    BadRequest, BattlePath, Conflict, Gone, NotFound, TooManyRequests, Unavailable, Unprocessable,
    UnsupportedMediaType,
};
use super::state::AppState;
use super::voter::Voter;
use crate::app::DEMO_BACKEND;
use crate::integrity::Requester;
use crate::store::ModelStatus;
use crate::voting::axes::Axis;
use crate::voting::view::{BattleId, BattleView, Reveal, ServedBattle};
use crate::voting::{self, battles, live};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/", get(arena_page))
        .route("/battles/{id}", get(battle_page))
        .route("/battles/{id}/vote", post(vote_form))
        .routes(routes!(create_battle))
        .routes(routes!(get_battle))
        .routes(routes!(vote))
        .routes(routes!(models))
        .route("/api/v1/{*rest}", axum::routing::any(unknown_endpoint))
}

#[derive(Template, WebTemplate)]
#[template(path = "battle.html")]
struct BattlePage {
    battle: ServedBattle,
    reveal: Option<Reveal>,
    categories: Vec<String>,
    category: Option<String>,
    /// Two models are served by live workers, so the prompt box can start a battle.
    live_available: bool,
}

/// One image of the battle page, in display order.
struct Side<'a> {
    /// `a` to `d`: element ids and form values.
    letter: &'static str,
    /// `A` to `D`: what the page shows.
    label: String,
    url: &'a str,
    /// The model's name, once revealed (empty before the vote).
    name: &'a str,
    /// A K-wise battle's image chosen best, or worst (once revealed).
    best: bool,
    worst: bool,
}

impl BattlePage {
    /// A battle of three or four images.
    fn is_kwise(&self) -> bool {
        self.battle.size() > 2
    }

    /// The images in display order; the page is only rendered once all exist.
    fn sides(&self) -> Vec<Side<'_>> {
        let Some(images) = &self.battle.images else {
            return Vec::new();
        };
        let names = self.reveal.as_ref().map(Reveal::names).unwrap_or_default();
        let marked = |field: Option<&String>, letter: &str| field.is_some_and(|l| l == letter);
        images
            .urls()
            .enumerate()
            .filter_map(|(i, url)| {
                let letter = Position::new(i)?.letter();
                Some(Side {
                    letter,
                    label: letter.to_uppercase(),
                    url,
                    name: names.get(i).copied().unwrap_or_default(),
                    best: marked(self.reveal.as_ref().and_then(|r| r.best.as_ref()), letter),
                    worst: marked(self.reveal.as_ref().and_then(|r| r.worst.as_ref()), letter),
                })
            })
            .collect()
    }

    /// Live battles' prompts are the voter's own, not a category of the prompt set.
    fn category_label(&self) -> &str {
        match self.battle.category.as_str() {
            "voter" => "your prompt",
            other => other,
        }
    }

    fn winner_label(&self) -> String {
        let Some(reveal) = &self.reveal else {
            return String::new();
        };
        match (reveal.winner, &reveal.best, &reveal.worst) {
            (Some(winner), _, _) => answer_label(winner).to_string(),
            (None, Some(best), worst) => choice_label(best, worst.as_deref()),
            (None, None, _) => String::new(),
        }
    }

    /// The questions after the overall one (the page asks them before the reveal).
    fn extra_questions(&self) -> &[Axis] {
        self.battle.questions.get(1..).unwrap_or_default()
    }

    /// The revealed answers on the other axes, as (axis label, answer), in the
    /// order the questions were asked.
    fn axis_answers(&self) -> Vec<(&str, &'static str)> {
        let Some(reveal) = &self.reveal else {
            return Vec::new();
        };
        self.extra_questions()
            .iter()
            .map(|q| {
                let answer = reveal
                    .axes
                    .get(&q.name)
                    .map_or("skipped", |w| answer_label(*w));
                (q.label.as_str(), answer)
            })
            .collect()
    }
}

/// A K-wise answer as the reveal words it: "C is best, A is worst".
fn choice_label(best: &str, worst: Option<&str>) -> String {
    let best = format!("{} is best", best.to_uppercase());
    match worst {
        Some(worst) => format!("{best}, {} is worst", worst.to_uppercase()),
        None => best,
    }
}

/// An answer as the reveal words it.
fn answer_label(winner: Outcome) -> &'static str {
    match winner {
        Outcome::A => "A is better",
        Outcome::B => "B is better",
        Outcome::Tie => "A tie",
        Outcome::BothBad => "Both are bad",
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

/// `/`: a new pool battle (in one category with `?category=`), or a page that says
/// the first images are still being drawn.
async fn arena_page(
    State(state): State<AppState>,
    who: Requester,
    Query(query): Query<ArenaQuery>,
) -> Result<Response, PageError> {
    let category = query.category.filter(|c| !c.is_empty());
    let served = match battles::serve(&state, &who, category.as_deref()).await {
        Err(voting::Error::UnknownCategory(c)) => {
            return Err(AppError::not_found(format!("There is no prompt category “{c}”.")).into());
        }
        other => other?,
    };
    match served {
        Some(battle) => Ok(no_store(
            BattlePage {
                battle,
                reveal: None,
                categories: state.store.prompt_categories().await?,
                category,
                live_available: live::available(&state).await?,
            }
            .render(),
        )),
        None => {
            let (present, wanted) = state.store.pool_progress(DEMO_BACKEND).await?;
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

/// `/battles/{id}`: the battle (revealed once voted), or a live battle's waiting page.
async fn battle_page(
    State(state): State<AppState>,
    voter: Voter,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = BattleId::parse(&id)?;
    let view = battles::view(&state, &voter.0, &id).await?;
    if view.battle.images.is_none() {
        return Ok(super::live::waiting_page(view.battle));
    }
    let page = BattlePage {
        battle: view.battle,
        reveal: view.reveal,
        categories: Vec::new(),
        category: None,
        live_available: live::available(&state).await?,
    };
    Ok(no_store(page.render()))
}

/// How the vote form names its answer on another axis: `axis.prompt=a`.
const AXIS_FIELD: &str = "axis.";

/// The no-JavaScript vote: a plain form post, then a redirect to the reveal.
async fn vote_form(
    State(state): State<AppState>,
    who: Requester,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Result<Response, PageError> {
    let id = BattleId::parse(&id)?;
    // The fields: `winner`, the proof of work when the battle asks for one (the page's
    // script adds it), and `axis.NAME` for each other question (empty when skipped).
    let fields = match form {
        Ok(Form(fields)) => fields,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(payload_too_large().into());
        }
        Err(_) => {
            return Err(
                AppError::unprocessable("invalid_winner", "Choose A, B, tie or both bad.").into(),
            );
        }
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // A K-wise battle's form has `best` buttons and a row of optional `worst` choices
    // (empty: none chosen).
    let answer = battles::parse_answer(
        &state.config.axes,
        field("winner"),
        field("best"),
        field("worst").filter(|w| !w.is_empty()),
        fields
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(AXIS_FIELD)?, v.as_str()))),
    )?;
    let Some(answer) = answer else {
        return Err(
            AppError::unprocessable("invalid_winner", "Choose A, B, tie or both bad.").into(),
        );
    };
    match battles::vote(&state, &who, &id, answer, field("pow_nonce")).await {
        // A form sent twice (the back button, a double click): the battle's page shows
        // the reveal of the vote that counts.
        Ok(_) | Err(voting::Error::AlreadyVoted) => {
            Ok(Redirect::to(&format!("/battles/{id}")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// What battle to serve; an empty body is a pool battle of any category.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateBattle {
    /// The voter's own prompt: a live battle, drawn now.
    prompt: Option<String>,
    /// A pool battle on a prompt of this category.
    category: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct VoteBody {
    /// A pair's answer to the overall question ("Which image is better?").
    #[schema(value_type = Option<Outcome>)]
    winner: Option<String>,
    /// A battle of three or four images: the best one, `a` to `d` (instead of
    /// `winner`).
    best: Option<String>,
    /// With `best`: the worst image, if the voter chose one.
    worst: Option<String>,
    /// Answers on the battle's other `questions`, by axis (`{"prompt": "b"}`); each
    /// optional (absent or `null`: not answered).
    #[schema(value_type = Option<BTreeMap<String, Outcome>>)]
    axes: Option<BTreeMap<String, Option<String>>>,
    /// The proof of work, when the battle asks for one (`pow` of the battle).
    pow_nonce: Option<String>,
}

/// The JSON API takes JSON only: a form or a text body is what another site's page
/// can send without asking (415 otherwise).
fn require_json(headers: &HeaderMap) -> Result<()> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the request body as JSON, with `Content-Type: application/json`.",
        ))
    }
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

/// Serve a battle.
///
/// A pool battle, or with a `prompt` a live battle whose images are drawn now (follow
/// it with the events stream). A request without a voter cookie is given one.
#[utoipa::path(post, path = "/api/v1/battles", tag = "voting",
    request_body = Option<CreateBattle>,
    responses(
        (status = 201, body = ServedBattle, description = "`ready`, or `generating` (live)",
            headers(("set-cookie" = String, description = "The voter cookie, if it had none"))),
        BadRequest, UnsupportedMediaType, Unprocessable, TooManyRequests, Unavailable),
    security((), ("voter_cookie" = [])))]
async fn create_battle(
    State(state): State<AppState>,
    who: Requester,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    require_json(&headers)?;
    let request: CreateBattle = if body.iter().all(u8::is_ascii_whitespace) {
        CreateBattle::default()
    } else {
        parse_body(&body)?
    };
    if let Some(prompt) = &request.prompt {
        let battle = live::start(&state, &who, prompt).await?;
        return Ok((StatusCode::CREATED, Json(battle)).into_response());
    }
    match battles::serve(&state, &who, request.category.as_deref()).await? {
        Some(battle) => Ok((StatusCode::CREATED, Json(battle)).into_response()),
        None => Err(voting::Error::NoBattleReady.into()),
    }
}

/// A battle as its voter sees it now, with the reveal once voted.
#[utoipa::path(get, path = "/api/v1/battles/{id}", tag = "voting", params(BattlePath),
    responses((status = 200, body = BattleView), BadRequest, NotFound),
    security(("voter_cookie" = [])))]
async fn get_battle(
    State(state): State<AppState>,
    voter: Voter,
    Path(id): Path<String>,
) -> Result<Json<BattleView>> {
    let id = BattleId::parse(&id)?;
    Ok(Json(battles::view(&state, &voter.0, &id).await?))
}

/// Vote on a battle the voter was served; the answer reveals the models.
#[utoipa::path(post, path = "/api/v1/battles/{id}/vote", tag = "voting",
    params(BattlePath), request_body = VoteBody,
    responses((status = 200, description = "The vote is stored", body = Reveal),
        BadRequest, NotFound, Conflict, Gone, UnsupportedMediaType, Unprocessable, TooManyRequests),
    security(("voter_cookie" = [])))]
async fn vote(
    State(state): State<AppState>,
    who: Requester,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Reveal>> {
    let id = BattleId::parse(&id)?;
    require_json(&headers)?;
    let body: VoteBody = parse_body(&body)?;
    // A JSON `""` is not a skipped question, as a form's empty field is: refuse it.
    if body
        .axes
        .iter()
        .flatten()
        .any(|(_, w)| w.as_deref() == Some(""))
    {
        return Err(voting::Error::InvalidWinner(String::new()).into());
    }
    let answers = body
        .axes
        .iter()
        .flatten()
        .filter_map(|(axis, winner)| winner.as_deref().map(|w| (axis.as_str(), w)));
    let answer = battles::parse_answer(
        &state.config.axes,
        body.winner.as_deref(),
        body.best.as_deref(),
        body.worst.as_deref(),
        answers,
    )?
    .ok_or_else(|| {
        AppError::bad_request(
            "invalid_json",
            "The request body is not valid: send `winner` (a battle of two images) or `best` \
             (three or four).",
        )
    })?;
    let reveal = battles::vote(&state, &who, &id, answer, body.pow_nonce.as_deref()).await?;
    Ok(Json(reveal))
}

/// The models taking part.
#[derive(Serialize, ToSchema)]
struct ModelList {
    models: Vec<ModelEntry>,
}

#[derive(Serialize, ToSchema)]
struct ModelEntry {
    slug: String,
    display_name: String,
    backend: String,
    version: String,
    description: String,
    status: ModelStatus,
}

/// The models that take part (all but disabled ones).
#[utoipa::path(get, path = "/api/v1/models", tag = "voting",
    responses((status = 200, body = ModelList)))]
async fn models(State(state): State<AppState>) -> Result<Json<ModelList>> {
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
    Ok(Json(ModelList { models }))
}

async fn unknown_endpoint() -> AppError {
    AppError::not_found("No such API endpoint.")
}
