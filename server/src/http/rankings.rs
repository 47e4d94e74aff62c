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
use crate::data::import::IMPORTED_BACKEND;
use crate::rankings::board::{self, Board, BoardParams, BoardQuery};
use crate::rankings::charts::{Heatmap, LineChart, RatingRow, RatingsChart, diverging, sequential};
use crate::rankings::png;
use crate::store::{GenerationRecord, Model, ModelStatus};
use crate::voting::axes::Axis;
use crate::voting::view::image_url;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/leaderboard", get(leaderboard_page))
        .route("/leaderboard.csv", get(leaderboard_csv))
        .route("/leaderboard.png", get(leaderboard_png))
        .route("/leaderboard/methodology", get(methodology_page))
        .route("/models/{slug}", get(model_page))
        .route("/me", get(me_page))
        .route("/leaderboard/history", get(history_page))
        .routes(routes!(leaderboard_json))
        .routes(routes!(snapshot_list))
        .routes(routes!(snapshot_file))
        .routes(routes!(model_json))
}

/// `?as_of=`: the end of a day (`2026-11-30`) or an RFC 3339 time.
fn parse_as_of(text: &str) -> Result<DateTime<Utc>> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let next = day
            .succ_opt()
            .unwrap_or(day)
            .and_hms_opt(0, 0, 0)
            .expect("midnight");
        return Ok(next.and_utc() - chrono::Duration::microseconds(1));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            AppError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_parameter",
                format!("as_of must be a date (2026-11-30) or an RFC 3339 time, not {text:?}"),
            )
        })
}

/// The snapshot response: the stored board with its digest, as `arena leaderboard
/// --verify` reads it.
fn snapshot_response(row: &crate::store::Snapshot) -> Result<Response> {
    let file = crate::rankings::snapshot::SnapshotFile::from_row(row)
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(Json(file).into_response())
}

/// The snapshots of one board (the view's switches as for `/api/v1/leaderboard`),
/// oldest first: when each was taken, of how many counted votes, and their digest.
#[utoipa::path(get, path = "/api/v1/leaderboard/snapshots", tag = "rankings",
    params(BoardParams),
    responses((status = 200, body = [crate::store::SnapshotInfo]), Unprocessable))]
async fn snapshot_list(
    State(state): State<AppState>,
    Query(params): Query<BoardParams>,
) -> Result<Json<Vec<crate::store::SnapshotInfo>>> {
    let query = params.parse()?;
    Ok(Json(state.store.snapshots_of(&query.query_string()).await?))
}

/// One snapshot, as it was taken: `{id, taken_at, view, votes, digest, options,
/// board}`. `arena leaderboard --verify FILE --input EXPORT.jsonl` checks it.
#[utoipa::path(get, path = "/api/v1/leaderboard/snapshots/{id}", tag = "rankings",
    params(("id" = i64, Path, description = "the snapshot's id")),
    responses((status = 200, description = "the snapshot file", content_type = "application/json"), NotFound))]
async fn snapshot_file(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response> {
    match state.store.snapshot(id).await? {
        Some(row) => snapshot_response(&row),
        None => Err(AppError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            format!("there is no snapshot {id}"),
        )),
    }
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
    if let Some(as_of) = params.as_of.as_deref().filter(|a| !a.is_empty()) {
        let at = parse_as_of(as_of)?;
        return match state
            .store
            .snapshot_as_of(&query.query_string(), at)
            .await?
        {
            Some(row) => snapshot_response(&row),
            None => Err(AppError::new(
                axum::http::StatusCode::NOT_FOUND,
                "no_snapshot",
                format!("no snapshot of this board was taken by {as_of}"),
            )),
        };
    }
    // The categories are read only to check one that was asked for: the cached board
    // is served without touching the database.
    if query.category.is_some() {
        query.check_category(&state.store.prompt_categories().await?)?;
    }
    query.check_axis(&state.config.axes)?;
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
    /// "deprecated", "imported": what a team should know about the model.
    mark: Option<&'static str>,
    /// On a style-controlled board, the model's rating without the control.
    raw: Option<String>,
}

/// One covariate of a style-controlled board, in words.
struct EffectRow {
    name: String,
    /// What it means: "brighter images win more often", or "no clear effect".
    words: String,
    /// The coefficient in logits and rating points per standard deviation.
    effect: String,
    ci: String,
}

/// The comparative a statistic takes in "… images win more often".
fn comparative(name: &str) -> &str {
    match name {
        "brightness" => "brighter",
        "contrast" => "higher-contrast",
        "saturation" => "more saturated",
        "colourfulness" => "more colourful",
        "sharpness" => "sharper, more detailed",
        "complexity" => "busier (less compressible)",
        "near_blank" => "nearly blank",
        other => other,
    }
}

fn effect_rows(lb: &arena_evaluator::Leaderboard) -> Vec<EffectRow> {
    let points = lb.scale / lb.base.ln();
    lb.coefficients
        .iter()
        .map(|c| {
            let words = match (c.ci_low, c.ci_high) {
                _ if c.sd == 0.0 => "never varies here".to_string(),
                (Some(lo), _) if lo > 0.0 => {
                    format!("{} images win more often", comparative(&c.name))
                }
                (_, Some(hi)) if hi < 0.0 => {
                    format!("{} images win less often", comparative(&c.name))
                }
                _ => "no clear effect".to_string(),
            };
            EffectRow {
                name: c.name.clone(),
                words,
                effect: format!(
                    "{:+.3} ({:+.0} points)",
                    c.coefficient,
                    c.coefficient * points
                ),
                ci: match (c.ci_low, c.ci_high) {
                    (Some(lo), Some(hi)) => format!("{lo:+.3} to {hi:+.3}"),
                    _ => "unknown".into(),
                },
            }
        })
        .collect()
}

/// The words beside a model's name for its status, if it is not simply active.
fn mark(model: Option<&Model>) -> Option<&'static str> {
    let model = model?;
    if model.status == ModelStatus::Deprecated {
        Some("deprecated")
    } else if model.backend == IMPORTED_BACKEND {
        Some("imported")
    } else {
        None
    }
}

fn row(board: &Board, e: &LeaderboardEntry, model: Option<&Model>) -> Row {
    let ci = match (e.ci_low, e.ci_high, board.leaderboard.ci) {
        (Some(lo), Some(hi), _) => format!("+{:.1} / −{:.1}", hi - e.rating, e.rating - lo),
        // Bradley–Terry without an interval for this model: too few votes to say.
        (_, _, Some(_)) => "unknown".to_string(),
        _ => "–".to_string(),
    };
    Row {
        rank: e.rank_ub,
        slug: e.model.clone(),
        name: display_name(board, model, &e.model),
        rating: format!("{:.1}", e.rating),
        ci,
        battles: e.battles,
        win_rate: format!("{:.1}%", e.win_rate * 100.0),
        provisional: e.provisional,
        mark: mark(model),
        raw: None,
    }
}

/// Models that met each other (directly or through others): ranked and charted on
/// their own.
struct GroupSection {
    number: usize,
    rows: Vec<Row>,
    /// The ratings chart, and the same for a phone.
    charts: [RatingsChart; 2],
    win_rates: Heatmap,
    battle_counts: Heatmap,
}

#[derive(Template, WebTemplate)]
#[template(path = "leaderboard.html")]
struct LeaderboardPage {
    query: BoardQuery,
    categories: Vec<String>,
    groups: Vec<GroupSection>,
    n_votes: u64,
    computed: String,
    level_pct: String,
    /// What a reader should know, besides the groups (shown as sections).
    notes: Vec<String>,
    provisional_below: u64,
    /// Bradley–Terry: the ratings have intervals (online Elo has none).
    has_intervals: bool,
    /// The view's query string: its address, its downloads and its image.
    query_string: String,
    /// The absolute address of the view's image, for link previews.
    og_image: String,
    og_url: String,
    /// A style-controlled board: what voters reward (empty otherwise).
    effects: Vec<EffectRow>,
    /// The questions battles ask (a switch when there is more than one).
    axes: Vec<Axis>,
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

    fn is_axis(&self, axis: &str) -> bool {
        self.query.axis() == axis
    }

    /// The question this board rates, when it is not the overall one.
    fn axis_question(&self) -> Option<&str> {
        self.query.axis.as_ref()?;
        self.axes
            .iter()
            .find(|a| a.name == self.query.axis())
            .map(|a| a.question.as_str())
    }

    fn method_label(&self) -> String {
        let label = match (self.query.method, self.query.ci) {
            (Method::Elo, _) => "Online Elo (K = 4), in vote order",
            (Method::Bt, CiMethod::Sandwich) => "Bradley–Terry, sandwich (robust) intervals",
            (Method::Bt, CiMethod::Bootstrap) => "Bradley–Terry, bootstrap intervals",
        };
        match (self.query.control_style, self.query.reweight) {
            (true, _) => format!("{label}, controlled for image style (votes reweighted)"),
            (false, true) => format!("{label}, votes reweighted by pair frequency"),
            (false, false) => label.to_string(),
        }
    }

    /// `?query` for links to this view (empty for the default one).
    fn suffix(&self) -> String {
        if self.query_string.is_empty() {
            String::new()
        } else {
            format!("?{}", self.query_string)
        }
    }

    fn title(&self) -> String {
        let mut title = "Leaderboard".to_string();
        if self.query.axis.is_some()
            && let Some(axis) = self.axes.iter().find(|a| a.name == self.query.axis())
        {
            title.push_str(" · ");
            title.push_str(&axis.label);
        }
        if let Some(c) = &self.query.category {
            title.push_str(" · ");
            title.push_str(c);
        }
        title
    }

    fn chart_title(&self) -> String {
        if self.has_intervals {
            format!("Ratings and their {} intervals", self.level_pct)
        } else {
            "Ratings".into()
        }
    }
}

/// The scheme and host this request came to, for absolute links (Open Graph needs
/// them): the `Host` header, `https` when cookies are marked secure.
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if state.config.cookie_secure {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// Reads and checks a board query as the pages and their downloads do.
async fn page_board(
    state: &AppState,
    headers: &HeaderMap,
    params: &BoardParams,
) -> Result<(BoardQuery, Vec<String>, Arc<Board>, Vec<Model>)> {
    let query = params.parse()?;
    if query.include_excluded {
        super::admin::authorize(headers, state)?;
    }
    // The page lists the categories anyway: one read serves the list and the check.
    let categories = state.store.prompt_categories().await?;
    query.check_category(&categories)?;
    query.check_axis(&state.config.axes)?;
    let board = state.rankings.get(&state.store, &query).await?;
    // Read each time: a rename or deprecation shows at once, votes or not.
    let models = state.store.list_models().await?;
    Ok((query, categories, board, models))
}

fn find<'m>(models: &'m [Model], slug: &str) -> Option<&'m Model> {
    models.iter().find(|m| m.slug == slug)
}

/// The name people see for `slug`: its model's as read now (`model`, if found),
/// else the one the board was computed with.
fn display_name(board: &Board, model: Option<&Model>, slug: &str) -> String {
    model.map_or_else(
        || board.display_name(slug).to_string(),
        |m| m.display_name.clone(),
    )
}

fn chart_rows(rows: &[&LeaderboardEntry], names: &[String]) -> Vec<RatingRow> {
    rows.iter()
        .zip(names)
        .map(|(e, name)| RatingRow {
            label: name.clone(),
            rating: e.rating,
            interval: e.ci_low.zip(e.ci_high),
        })
        .collect()
}

async fn leaderboard_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<BoardParams>,
) -> std::result::Result<Response, PageError> {
    let (query, categories, board, models) = page_board(&state, &headers, &params).await?;
    let lb = &board.leaderboard;
    // Beside a style-controlled rating, the rating without the control.
    let raw = match query.control_style {
        true => {
            let plain = BoardQuery {
                control_style: false,
                ..query.clone()
            };
            Some(state.rankings.get(&state.store, &plain).await?)
        }
        false => None,
    };
    let level_pct = format!("{:.0}%", lb.level * 100.0);
    let interval_name = format!("{level_pct} CI");
    let has_intervals = lb.ci.is_some();
    let m = &board.matrices;
    let max_battles = m.battles.iter().flatten().copied().max().unwrap_or(0);
    let count_stops: Vec<(f64, String)> = [0, max_battles / 4, max_battles / 2, max_battles]
        .into_iter()
        .map(|n| (n as f64, n.to_string()))
        .collect();
    let mut groups: Vec<GroupSection> = Vec::new();
    for number in 1..=lb.models.iter().map(|e| e.group).max().unwrap_or(0) {
        let entries: Vec<&LeaderboardEntry> =
            lb.models.iter().filter(|e| e.group == number).collect();
        if entries.is_empty() {
            continue;
        }
        let rows: Vec<Row> = entries
            .iter()
            .map(|e| {
                let mut r = row(&board, e, find(&models, &e.model));
                r.raw = raw.as_ref().map(|b| {
                    b.leaderboard
                        .entry(&e.model)
                        .map_or_else(|| "–".to_string(), |p| format!("{:.1}", p.rating))
                });
                r
            })
            .collect();
        let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
        let bars = chart_rows(&entries, &names);
        let name = has_intervals.then_some(interval_name.as_str());
        let (chart, phone_chart) = (
            RatingsChart::new(&bars, name),
            RatingsChart::stacked(&bars, name),
        );
        // The group's models in the matrices, in the table's order.
        let index: Vec<usize> = entries
            .iter()
            .filter_map(|e| m.models.iter().position(|s| *s == e.model))
            .collect();
        let labels: Vec<String> = index
            .iter()
            .map(|&i| {
                rows.iter()
                    .find(|r| r.slug == m.models[i])
                    .map_or_else(|| m.models[i].clone(), |r| r.name.clone())
            })
            .collect();
        let sub = |cell: &dyn Fn(usize, usize) -> Option<f64>| -> Vec<Vec<Option<f64>>> {
            index
                .iter()
                .map(|&i| index.iter().map(|&j| cell(i, j)).collect())
                .collect()
        };
        let rates = sub(&|i, j| m.observed_win_rate[i][j]);
        let counts = sub(&|i, j| (m.battles[i][j] > 0).then_some(m.battles[i][j] as f64));
        groups.push(GroupSection {
            number,
            rows,
            charts: [chart, phone_chart],
            win_rates: Heatmap::new(
                &labels,
                &rates,
                diverging,
                |v| format!("{:.0}%", v * 100.0),
                &[0.0, 0.25, 0.5, 0.75, 1.0].map(|v| (v, format!("{:.0}%", v * 100.0))),
            ),
            battle_counts: Heatmap::new(
                &labels,
                &counts,
                |n| sequential(n, max_battles as f64),
                |n| format!("{n:.0}"),
                &count_stops,
            ),
        });
    }
    let query_string = query.query_string();
    let origin = origin(&state, &headers);
    let suffix = if query_string.is_empty() {
        String::new()
    } else {
        format!("?{query_string}")
    };
    let page = LeaderboardPage {
        categories,
        groups,
        n_votes: lb.n_votes,
        computed: age(board.computed_at),
        level_pct,
        // The groups are the page's sections, not a warning.
        notes: lb
            .warnings
            .iter()
            .filter(|w| !w.contains("groups that never met"))
            .cloned()
            .collect(),
        provisional_below: board::options_for(&query).provisional_below,
        has_intervals,
        og_image: format!("{origin}/leaderboard.png{suffix}"),
        og_url: format!("{origin}/leaderboard{suffix}"),
        effects: effect_rows(lb),
        axes: state.config.axes.clone(),
        query_string,
        query,
    };
    Ok(page.into_response())
}

/// `/leaderboard.csv`: the rows of a view, as shown (names, ranks, intervals).
async fn leaderboard_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<BoardParams>,
) -> std::result::Result<Response, PageError> {
    let (query, _, board, models) = page_board(&state, &headers, &params).await?;
    let lb = &board.leaderboard;
    let mut out = csv::Writer::from_writer(Vec::new());
    let opt = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_default();
    let mut write = || -> std::result::Result<(), csv::Error> {
        out.write_record([
            "group",
            "rank_ub",
            "model",
            "name",
            "status",
            "rating",
            "ci_low",
            "ci_high",
            "battles",
            "wins",
            "losses",
            "ties",
            "win_rate",
            "provisional",
        ])?;
        for e in &lb.models {
            let model = find(&models, &e.model);
            out.write_record([
                e.group.to_string(),
                e.rank_ub.to_string(),
                e.model.clone(),
                display_name(&board, model, &e.model),
                mark(model).unwrap_or("active").to_string(),
                format!("{:.4}", e.rating),
                opt(e.ci_low),
                opt(e.ci_high),
                e.battles.to_string(),
                e.wins.to_string(),
                e.losses.to_string(),
                e.ties.to_string(),
                format!("{:.6}", e.win_rate),
                e.provisional.to_string(),
            ])?;
        }
        Ok(())
    };
    write().map_err(AppError::internal)?;
    let body = out.into_inner().map_err(AppError::internal)?;
    let name = match &query.category {
        Some(c) => format!("leaderboard-{}.csv", crate::data::import::model_slug(c)),
        None => "leaderboard.csv".into(),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// `/leaderboard.png`: a view's ratings as an image (link previews in chats).
async fn leaderboard_png(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<BoardParams>,
) -> std::result::Result<Response, PageError> {
    let (query, _, board, models) = page_board(&state, &headers, &params).await?;
    let lb = &board.leaderboard;
    // The largest group: ratings of different groups do not compare.
    let entries: Vec<&LeaderboardEntry> = lb.models.iter().filter(|e| e.group == 1).collect();
    let names: Vec<String> = entries
        .iter()
        .map(|e| display_name(&board, find(&models, &e.model), &e.model))
        .collect();
    let rows = chart_rows(&entries, &names);
    let title = match &query.category {
        Some(c) => format!("Arena leaderboard · {c}"),
        None => "Arena leaderboard".to_string(),
    };
    let method = match (query.method, lb.ci) {
        (Method::Elo, _) => "online Elo".to_string(),
        (_, Some(ci)) => format!("Bradley–Terry with {:.0}% {ci} intervals", lb.level * 100.0),
        (_, None) => "Bradley–Terry".to_string(),
    };
    let subtitle = format!("{} votes · {method}", lb.n_votes);
    let png = tokio::task::spawn_blocking(move || png::ratings_png(&title, &subtitle, &rows))
        .await
        .map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        png,
    )
        .into_response())
}

/// One model on the history page.
struct ModelHistoryRow {
    slug: String,
    name: String,
    /// "1 (2026-11-28 – 2026-11-30), 2 (2026-12-01)".
    ranks: String,
    chart: Option<LineChart>,
}

/// `/leaderboard/history`: every snapshot of the default board, and each model's
/// rating and ranks over them.
#[derive(Template, WebTemplate)]
#[template(path = "history.html")]
struct HistoryPage {
    snapshots: Vec<crate::store::SnapshotInfo>,
    models: Vec<ModelHistoryRow>,
}

fn describe_runs(runs: &[(usize, String, String)]) -> String {
    runs.iter()
        .map(|(rank, from, to)| {
            if from == to {
                format!("{rank} ({from})")
            } else {
                format!("{rank} ({from} – {to})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The default board's snapshots, parsed.
async fn default_snapshots(
    state: &AppState,
) -> Result<Vec<crate::rankings::snapshot::SnapshotFile>> {
    state
        .store
        .snapshot_boards("")
        .await?
        .iter()
        .map(|row| {
            crate::rankings::snapshot::SnapshotFile::from_row(row)
                .map_err(|e| AppError::internal(e.to_string()))
        })
        .collect()
}

async fn history_page(
    State(state): State<AppState>,
) -> std::result::Result<HistoryPage, PageError> {
    use crate::rankings::snapshot::{daily_ratings, rank_runs, standings};
    let snapshots = default_snapshots(&state).await?;
    let models = state.store.list_models().await?;
    let mut rows: Vec<(usize, ModelHistoryRow)> = standings(&snapshots)
        .into_iter()
        .map(|(slug, standing)| {
            let series = daily_ratings(&standing);
            let latest = standing.last().map_or(usize::MAX, |s| s.rank);
            let name =
                find(&models, &slug).map_or_else(|| slug.clone(), |m| m.display_name.clone());
            let row = ModelHistoryRow {
                ranks: describe_runs(&rank_runs(&standing)),
                chart: (series.len() >= 2).then(|| LineChart::new(&series, 1)),
                slug,
                name,
            };
            (latest, row)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.name.cmp(&b.1.name)));
    Ok(HistoryPage {
        snapshots: state.store.snapshots_of("").await?,
        models: rows.into_iter().map(|(_, r)| r).collect(),
    })
}

/// One model on a voter's own board.
struct PersonalRow {
    slug: String,
    name: String,
    rating: String,
    public_rating: String,
    difference: String,
    record: String,
}

/// `/me`: the voter's own leaderboard, once they have voted enough.
#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    min_votes: u64,
    votes: u64,
    rows: Vec<PersonalRow>,
    /// Kendall's τ with the public board, and what it means.
    agreement: Option<(String, &'static str)>,
    /// Models the voter rates well above / below the crowd: (name, points).
    above: Vec<(String, String)>,
    below: Vec<(String, String)>,
}

impl MePage {
    fn votes_to_go(&self) -> u64 {
        self.min_votes.saturating_sub(self.votes)
    }
}

/// How far from the public rating a model must be to be named as one the voter rates
/// differently (points).
const FAR_FROM_THE_CROWD: f64 = 30.0;

async fn me_page(
    State(state): State<AppState>,
    jar: axum_extra::extract::PrivateCookieJar,
) -> std::result::Result<Response, PageError> {
    let min_votes = state.config.personal_min_votes;
    // Read from the cookie alone: this page never issues one.
    let (votes, choices) = match super::voter::voter_id(&jar) {
        Some(id) => (
            state.store.votes_of_voter(&id).await?,
            state.store.choices_of_voter(&id).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let mut page = MePage {
        min_votes,
        votes: (votes.len() + choices.len()) as u64,
        rows: Vec::new(),
        agreement: None,
        above: Vec::new(),
        below: Vec::new(),
    };
    if page.votes >= min_votes {
        let public = state
            .rankings
            .get(&state.store, &BoardQuery::default())
            .await?;
        let models = state.store.list_models().await?;
        let public_board = public.clone();
        let board = tokio::task::spawn_blocking(move || {
            let mut counts = arena_evaluator::Counts::new();
            for (a, b, outcome) in &votes {
                counts.add(a, b, *outcome);
            }
            for c in &choices {
                let models: Vec<&str> = c.models.iter().map(String::as_str).collect();
                counts
                    .add_choice(&models, c.best, c.worst, 1)
                    .map_err(|e| crate::rankings::Error::Internal(e.to_string()))?;
            }
            Ok::<_, crate::rankings::Error>(arena_evaluator::personal_board(
                &counts,
                &public_board.leaderboard,
            ))
        })
        .await
        .map_err(|e| AppError::from(crate::rankings::Error::Internal(e.to_string())))?
        .map_err(AppError::from)?;
        let name = |slug: &str| display_name(&public, find(&models, slug), slug);
        page.rows = board
            .models
            .iter()
            .map(|e| PersonalRow {
                slug: e.model.clone(),
                name: name(&e.model),
                rating: format!("{:.0}", e.rating),
                public_rating: e
                    .public_rating
                    .map_or_else(|| "–".into(), |r| format!("{r:.0}")),
                difference: e
                    .difference()
                    .map_or_else(|| "–".into(), |d| format!("{d:+.0}")),
                record: format!("{}–{}–{}", e.wins, e.losses, e.ties),
            })
            .collect();
        page.agreement = board.kendall_tau.map(|tau| {
            let words = match tau {
                t if t >= 0.6 => "you rank much as the crowd does",
                t if t >= 0.2 => "you rank somewhat like the crowd",
                t if t > -0.2 => "your order has little to do with the crowd's",
                _ => "you rank nearly the opposite way to the crowd",
            };
            (format!("{tau:.2}"), words)
        });
        let mut far: Vec<(f64, String)> = board
            .models
            .iter()
            .filter_map(|e| Some((e.difference()?, name(&e.model))))
            .filter(|(d, _)| d.abs() >= FAR_FROM_THE_CROWD)
            .collect();
        far.sort_by(|a, b| b.0.total_cmp(&a.0));
        page.above = far
            .iter()
            .filter(|(d, _)| *d > 0.0)
            .take(3)
            .map(|(d, n)| (n.clone(), format!("{d:+.0}")))
            .collect();
        page.below = far
            .iter()
            .rev()
            .filter(|(d, _)| *d < 0.0)
            .take(3)
            .map(|(d, n)| (n.clone(), format!("{d:+.0}")))
            .collect();
    }
    Ok(super::error::no_store(page.render()))
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
    /// What voters reward, from the style-controlled board (empty without votes
    /// whose images have statistics).
    effects: Vec<EffectRow>,
    style_control_reg: f64,
    /// `matchmaking = "active"` in this arena's config, with its uniform share.
    active_matchmaking: bool,
    exploration_percent: f64,
    /// `kwise_share` as a percentage (0: pairs only) and `battle_size`.
    kwise_percent: f64,
    battle_size: usize,
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
    let styled = BoardQuery {
        control_style: true,
        ..BoardQuery::default()
    };
    let effects = effect_rows(&state.rankings.get(&state.store, &styled).await?.leaderboard);
    Ok(MethodologyPage {
        active_matchmaking: state.config.matchmaking == crate::config::Matchmaking::Active,
        exploration_percent: (state.config.exploration * 100.0).round(),
        kwise_percent: (state.config.kwise_share * 100.0).round(),
        battle_size: state.config.battle_size,
        effects,
        style_control_reg: state.config.style_control_reg,
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
    /// Days with votes between two history points.
    history_step: usize,
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
    let all_history = state.rankings.history(&state.store).await?;
    let history = all_history.series.get(slug).cloned().unwrap_or_default();
    let history_step = all_history.step;
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
        history_step,
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
    /// Every rank it held in the published snapshots, as runs.
    ranks_held: String,
}

impl ModelPage {
    /// Its status in words: an imported model has votes and no generator.
    fn status(&self) -> &'static str {
        match mark(Some(&self.d.model)) {
            Some("imported") => "imported (votes only)",
            Some(other) => other,
            None => self.d.model.status.as_str(),
        }
    }

    fn imported(&self) -> bool {
        self.d.model.backend == IMPORTED_BACKEND
    }
}

async fn model_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> std::result::Result<Response, PageError> {
    let d = model_details(&state, &slug).await?;
    let rating = d.entry.as_ref().map(|e| row(&d.board, e, Some(&d.model)));
    let history = (d.history.len() >= 2).then(|| LineChart::new(&d.history, d.history_step as i64));
    let snapshots = default_snapshots(&state).await?;
    let ranks_held = crate::rankings::snapshot::standings(&snapshots)
        .remove(&d.model.slug)
        .map(|s| describe_runs(&crate::rankings::snapshot::rank_runs(&s)))
        .unwrap_or_default();
    Ok(ModelPage {
        d,
        rating,
        history,
        ranks_held,
    }
    .into_response())
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
