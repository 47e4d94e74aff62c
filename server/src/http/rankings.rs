//! Rankings for teams: `/leaderboard`, its methodology, a page per model, and their
//! JSON twins under `/api/v1`.

use std::sync::Arc;

use arena_evaluator::{CiMethod, LeaderboardEntry, Method, Outcome};
use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{AppError, PageError, Result};
use super::openapi::{NotFound, Unauthorized, Unprocessable};
use super::state::AppState;
use crate::rankings::board::{self, Board, BoardParams, BoardQuery};
use crate::rankings::charts::{Heatmap, LineChart, RatingsChart, diverging, sequential};
use crate::store::{GenerationRecord, Model};
use crate::voting::view::image_url;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/leaderboard", get(leaderboard_page))
        .route("/leaderboard/methodology", get(methodology_page))
        .route("/models/{slug}", get(model_page))
        .routes(routes!(leaderboard_json))
        .routes(routes!(model_json))
}

/// The leaderboard: ratings with intervals, best first.
///
/// Computed from the votes that count (`exclusions=include` counts the excluded ones
/// too, with the admin token) and cached; `computed_at` says when.
#[utoipa::path(get, path = "/api/v1/leaderboard", tag = "rankings", params(BoardParams),
    responses((status = 200, body = Board), Unauthorized, NotFound, Unprocessable),
    security((), ("admin_token" = [])))]
async fn leaderboard_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<BoardParams>,
) -> Result<Response> {
    let query = params.parse()?;
    if query.include_excluded {
        super::admin::authorize(&headers, &state)?;
    }
    // The categories are read only to check one that was asked for: the cached board
    // is served without touching the database.
    if query.category.is_some() {
        query.check_category(&state.store.prompt_categories().await?)?;
    }
    let board = state.rankings.get(&state.store, &query).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        board.json.clone(),
    )
        .into_response())
}

/// "12 s ago", "5 min ago": how fresh a computation is.
fn age(at: DateTime<Utc>) -> String {
    let secs = (Utc::now() - at).num_seconds().max(0);
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        _ => format!("{} h ago", secs / 3600),
    }
}

/// One row of the leaderboard table, formatted.
struct Row {
    rank: usize,
    slug: String,
    name: String,
    rating: String,
    ci: String,
    battles: u64,
    win_rate: String,
    provisional: bool,
}

fn row(board: &Board, e: &LeaderboardEntry) -> Row {
    let ci = match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => format!("+{:.1} / −{:.1}", hi - e.rating, e.rating - lo),
        _ => "–".to_string(),
    };
    Row {
        rank: e.rank_ub,
        slug: e.model.clone(),
        name: board.display_name(&e.model).to_string(),
        rating: format!("{:.1}", e.rating),
        ci,
        battles: e.battles,
        win_rate: format!("{:.1}%", e.win_rate * 100.0),
        provisional: e.provisional,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "leaderboard.html")]
struct LeaderboardPage {
    query: BoardQuery,
    categories: Vec<String>,
    rows: Vec<Row>,
    n_votes: u64,
    computed: String,
    level_pct: String,
    warnings: Vec<String>,
    provisional_below: u64,
    ratings: RatingsChart,
    win_rates: Heatmap,
    battle_counts: Heatmap,
}

impl LeaderboardPage {
    fn method(&self) -> String {
        self.query.method.to_string()
    }

    fn ci(&self) -> String {
        self.query.ci.to_string()
    }

    fn both_bad(&self) -> String {
        self.query.both_bad.to_string()
    }

    fn is_category(&self, category: &str) -> bool {
        self.query.category.as_deref() == Some(category)
    }

    fn method_label(&self) -> &'static str {
        match (self.query.method, self.query.ci) {
            (Method::Elo, _) => "Online Elo (K = 4), in vote order",
            (Method::Bt, CiMethod::Sandwich) => "Bradley–Terry, sandwich (robust) intervals",
            (Method::Bt, CiMethod::Bootstrap) => "Bradley–Terry, bootstrap intervals",
        }
    }
}

async fn leaderboard_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<BoardParams>,
) -> std::result::Result<Response, PageError> {
    let query = params.parse()?;
    if query.include_excluded {
        super::admin::authorize(&headers, &state)?;
    }
    // The page lists the categories anyway: one read serves the list and the check.
    let categories = state.store.prompt_categories().await?;
    query.check_category(&categories)?;
    let board = state.rankings.get(&state.store, &query).await?;
    let lb = &board.leaderboard;
    let rows: Vec<Row> = lb.models.iter().map(|e| row(&board, e)).collect();
    let chart_rows: Vec<_> = lb
        .models
        .iter()
        .map(|e| {
            (
                board.display_name(&e.model).to_string(),
                e.rating,
                e.ci_low,
                e.ci_high,
            )
        })
        .collect();
    let m = &board.matrices;
    let labels: Vec<String> = m
        .models
        .iter()
        .map(|s| board.display_name(s).to_string())
        .collect();
    let max_battles = m.battles.iter().flatten().copied().max().unwrap_or(0) as f64;
    let counts: Vec<Vec<Option<u64>>> = m
        .battles
        .iter()
        .map(|r| r.iter().map(|n| (*n > 0).then_some(*n)).collect())
        .collect();
    let page = LeaderboardPage {
        categories,
        rows,
        n_votes: lb.n_votes,
        computed: age(board.computed_at),
        level_pct: format!("{:.0}%", lb.level * 100.0),
        warnings: lb.warnings.clone(),
        provisional_below: board::options_for(&query).provisional_below,
        ratings: RatingsChart::new(&chart_rows),
        win_rates: Heatmap::new(&labels, &m.observed_win_rate, diverging, |v| {
            format!("{:.0}%", v * 100.0)
        }),
        battle_counts: Heatmap::new(
            &labels,
            &counts,
            |n| sequential(n as f64, max_battles),
            |n| n.to_string(),
        ),
        query,
    };
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "methodology.html")]
struct MethodologyPage {
    bootstrap_rounds: usize,
    seed: u64,
    provisional_below: u64,
    /// Votes that do not count, per reason, and in all.
    exclusions: Vec<(String, i64)>,
    excluded: i64,
    min_view_ms: u128,
    limits_enabled: bool,
    votes_per_address: u32,
    votes_per_voter: u32,
    standing_flags: usize,
}

impl MethodologyPage {
    /// A person's words for a stored exclusion reason.
    fn reason(&self, stored: &str) -> String {
        use crate::store::exclusion;
        match stored {
            exclusion::IMAGES_NOT_SEEN => "its images were not both loaded by the voter".into(),
            exclusion::TOO_FAST => format!(
                "cast less than {} ms after the images were loaded",
                self.min_view_ms
            ),
            exclusion::FLAGGED => "its voter or address was flagged by the rigging detector".into(),
            exclusion::OPERATOR => "excluded by the operator".into(),
            "not anonymous" => "imported from a battle whose models were visible".into(),
            other => other.to_string(),
        }
    }
}

async fn methodology_page(
    State(state): State<AppState>,
) -> std::result::Result<MethodologyPage, PageError> {
    let options = board::options_for(&BoardQuery::default());
    let exclusions = state.store.exclusion_counts().await?;
    let limits = &state.config.limits;
    Ok(MethodologyPage {
        bootstrap_rounds: options.bootstrap_rounds,
        seed: options.seed,
        provisional_below: options.provisional_below,
        excluded: exclusions.iter().map(|(_, n)| n).sum(),
        exclusions,
        min_view_ms: state.config.min_view.as_millis(),
        limits_enabled: limits.enabled,
        votes_per_address: limits.per_address.votes,
        votes_per_voter: limits.per_voter.votes,
        standing_flags: state.store.standing_flags().await?.len(),
    })
}

struct Opponent {
    slug: String,
    name: String,
    battles: u64,
    win_rate: Option<f64>,
}

struct BattleCard {
    prompt: String,
    a_name: String,
    b_name: String,
    a_slug: String,
    b_slug: String,
    /// Only when both images have left the battle pool (see `recent_battles_of`).
    a_url: Option<String>,
    b_url: Option<String>,
    winner: Outcome,
    voted_at_utc: DateTime<Utc>,
    verdict: &'static str,
    voted_at: String,
}

/// What a model page and its JSON show.
struct ModelDetails {
    model: Model,
    /// The default board the entry and opponents come from.
    board: Arc<Board>,
    entry: Option<LeaderboardEntry>,
    opponents: Vec<Opponent>,
    history: Vec<(String, f64)>,
    battles: Vec<BattleCard>,
    generation: GenerationRecord,
}

async fn model_details(state: &AppState, slug: &str) -> Result<ModelDetails> {
    let Some(model) = state.store.model_by_slug(slug).await? else {
        return Err(AppError::not_found(format!(
            "There is no model called {slug:?}."
        )));
    };
    let board = state
        .rankings
        .get(&state.store, &BoardQuery::default())
        .await?;
    let entry = board.leaderboard.entry(slug).cloned();
    let m = &board.matrices;
    let mut opponents = Vec::new();
    if let Some(i) = m.models.iter().position(|s| s == slug) {
        for (j, other) in m.models.iter().enumerate() {
            if i != j && m.battles[i][j] > 0 {
                opponents.push(Opponent {
                    slug: other.clone(),
                    name: board.display_name(other).to_string(),
                    battles: m.battles[i][j],
                    win_rate: m.observed_win_rate[i][j],
                });
            }
        }
    }
    opponents.sort_by_key(|o| std::cmp::Reverse(o.battles));
    let history = state
        .rankings
        .history(&state.store)
        .await?
        .series
        .get(slug)
        .cloned()
        .unwrap_or_default();
    let models = state.store.list_models().await?;
    let name_of = |id: i64| {
        models
            .iter()
            .find(|m| m.id == id)
            .map_or("?".to_string(), |m| m.display_name.clone())
    };
    let slug_of = |id: i64| {
        models
            .iter()
            .find(|m| m.id == id)
            .map_or("?".to_string(), |m| m.slug.clone())
    };
    let battles = state
        .store
        .recent_battles_of(model.id, 12)
        .await?
        .into_iter()
        .map(|b| BattleCard {
            prompt: b.prompt.unwrap_or_default(),
            a_name: name_of(b.model_a_id),
            b_name: name_of(b.model_b_id),
            a_slug: slug_of(b.model_a_id),
            b_slug: slug_of(b.model_b_id),
            a_url: b.token_a.as_deref().map(image_url),
            b_url: b.token_b.as_deref().map(image_url),
            winner: b.winner,
            voted_at_utc: b.voted_at,
            verdict: match b.winner {
                Outcome::A => "A won",
                Outcome::B => "B won",
                Outcome::Tie => "tie",
                Outcome::BothBad => "both bad",
            },
            voted_at: b.voted_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect();
    let generation = state.store.generation_record(model.id).await?;
    Ok(ModelDetails {
        model,
        board,
        entry,
        opponents,
        history,
        battles,
        generation,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "model.html")]
struct ModelPage {
    d: ModelDetails,
    rating: Option<Row>,
    history: Option<LineChart>,
}

async fn model_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> std::result::Result<Response, PageError> {
    let d = model_details(&state, &slug).await?;
    let rating = d.entry.as_ref().map(|e| row(&d.board, e));
    let history = (d.history.len() >= 2).then(|| LineChart::new(&d.history));
    Ok(ModelPage { d, rating, history }.into_response())
}

/// What `GET /api/v1/models/{slug}` returns.
#[derive(Serialize, ToSchema)]
struct ModelJson {
    model: Model,
    /// Its row of the default leaderboard, once it has votes.
    rating: Option<LeaderboardEntry>,
    /// The models it met, most battles first.
    opponents: Vec<OpponentJson>,
    /// Its latest voted battles.
    battles: Vec<BattleJson>,
    /// Its rating at the end of each day.
    history: Vec<HistoryPoint>,
    generation: GenerationRecord,
}

#[derive(Serialize, ToSchema)]
struct OpponentJson {
    model: String,
    battles: u64,
    /// This model's observed win rate against it.
    win_rate: Option<f64>,
}

/// A voted battle. Image URLs only of battles whose images have all left the pool
/// (see `recent_battles_of`): never one a battle can still serve.
#[derive(Serialize, ToSchema)]
struct BattleJson {
    prompt: String,
    model_a: String,
    model_b: String,
    image_a: Option<String>,
    image_b: Option<String>,
    winner: Outcome,
    voted_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
struct HistoryPoint {
    day: String,
    rating: f64,
}

/// A model: its details, rating, opponents, latest battles and rating history.
#[utoipa::path(get, path = "/api/v1/models/{slug}", tag = "rankings",
    params(("slug" = String, Path, description = "The model's slug")),
    responses((status = 200, body = ModelJson), NotFound))]
async fn model_json(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<ModelJson>> {
    let d = model_details(&state, &slug).await?;
    Ok(Json(ModelJson {
        opponents: d
            .opponents
            .iter()
            .map(|o| OpponentJson {
                model: o.slug.clone(),
                battles: o.battles,
                win_rate: o.win_rate,
            })
            .collect(),
        battles: d
            .battles
            .iter()
            .map(|b| BattleJson {
                prompt: b.prompt.clone(),
                model_a: b.a_slug.clone(),
                model_b: b.b_slug.clone(),
                image_a: b.a_url.clone(),
                image_b: b.b_url.clone(),
                winner: b.winner,
                voted_at: b.voted_at_utc,
            })
            .collect(),
        history: d
            .history
            .iter()
            .map(|(day, rating)| HistoryPoint {
                day: day.clone(),
                rating: *rating,
            })
            .collect(),
        model: d.model,
        rating: d.entry,
        generation: d.generation,
    }))
}
