//! Leaderboards as the server serves them: counts aggregated by the database, handed
//! to the evaluator, cached per query and recomputed in the background shortly after
//! new votes arrive.

use std::collections::HashMap;
use std::sync::Arc;

use arena_evaluator::{
    BothBad, CiMethod, Control, Counts, Leaderboard, LeaderboardOptions, Matrices, Method, Outcome,
    Vote, VoteFilter, leaderboard_from_counts, leaderboard_from_counts_with_progress,
    leaderboard_from_covariate_votes, leaderboard_from_ordered_votes, matrices,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, RwLock};
use utoipa::{IntoParams, ToSchema};

use super::{Error, Result};
use crate::generation::style::Style;
use crate::store::{Model, OVERALL, Store, VoteMarker, parse_style};
use crate::voting::axes::Axis;

/// Which leaderboard: the switches of `/leaderboard` and `/api/v1/leaderboard`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
pub struct BoardQuery {
    pub method: Method,
    pub ci: CiMethod,
    pub category: Option<String>,
    pub both_bad: BothBad,
    /// Weigh votes by the inverse of their pair's frequency (arena-rank's
    /// `reweighted=True`; Bradley–Terry only).
    pub reweight: bool,
    /// Control for the images' style statistics (contextual Bradley–Terry on the
    /// A-minus-B differences; Bradley–Terry only).
    pub control_style: bool,
    /// Count the votes that are excluded too (an operator's comparison; admin only).
    pub include_excluded: bool,
    /// Rate the answers on this judgement axis (`axes` in the config) instead of the
    /// overall question; `None` is the overall one.
    pub axis: Option<String>,
}

impl Default for BoardQuery {
    fn default() -> BoardQuery {
        BoardQuery {
            method: Method::Bt,
            ci: CiMethod::Sandwich,
            category: None,
            both_bad: BothBad::Tie,
            reweight: false,
            control_style: false,
            include_excluded: false,
            axis: None,
        }
    }
}

impl BoardQuery {
    /// The query string that asks for this board (the defaults left out), so that a
    /// view has one stable address: `method=elo&category=animals`.
    pub fn query_string(&self) -> String {
        let defaults = BoardQuery::default();
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if self.method != defaults.method {
            pairs.push(("method", self.method.to_string()));
        }
        if self.ci != defaults.ci && self.method == Method::Bt {
            pairs.push(("ci", self.ci.to_string()));
        }
        if let Some(a) = &self.axis {
            pairs.push(("axis", a.clone()));
        }
        if let Some(c) = &self.category {
            pairs.push(("category", c.clone()));
        }
        if self.both_bad != defaults.both_bad {
            pairs.push(("both_bad", self.both_bad.to_string()));
        }
        if self.reweight {
            pairs.push(("reweight", "true".into()));
        }
        if self.control_style {
            pairs.push(("control", "style".into()));
        }
        if self.include_excluded {
            pairs.push(("exclusions", "include".into()));
        }
        serde_urlencoded::to_string(&pairs).expect("string pairs always encode")
    }

    /// The axis whose answers are rated (`overall` unless another was asked for).
    pub fn axis(&self) -> &str {
        self.axis.as_deref().unwrap_or(OVERALL)
    }

    /// Fails with [`Error::InvalidParameter`] unless the query's axis, if any, is one
    /// of the configured axes `known`.
    pub fn check_axis(&self, known: &[Axis]) -> Result<()> {
        match &self.axis {
            Some(a) if !known.iter().any(|k| &k.name == a) => {
                let names: Vec<&str> = known.iter().map(|k| k.name.as_str()).collect();
                Err(Error::InvalidParameter(format!(
                    "axis must be one of {} (got {a:?})",
                    names.join(", ")
                )))
            }
            _ => Ok(()),
        }
    }

    /// Fails with [`Error::UnknownCategory`] unless the query's category, if any, is
    /// one of the prompt categories `known`.
    pub fn check_category(&self, known: &[String]) -> Result<()> {
        match &self.category {
            Some(c) if !known.contains(c) => Err(Error::UnknownCategory(c.clone())),
            _ => Ok(()),
        }
    }
}

/// Query-string form of [`BoardQuery`]; every field optional, validated by `parse`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardParams {
    /// How ratings are computed (default `bt`).
    #[param(value_type = Option<Method>)]
    pub method: Option<String>,
    /// How Bradley–Terry intervals are computed (default `sandwich`).
    #[param(value_type = Option<CiMethod>)]
    pub ci: Option<String>,
    /// Only the votes on prompts of this category.
    pub category: Option<String>,
    /// The judgement axis whose answers are rated (default `overall`; the others are
    /// the arena's `axes`, e.g. `prompt`, `quality`).
    pub axis: Option<String>,
    /// What both-bad votes count as (default `tie`).
    #[param(value_type = Option<BothBad>)]
    pub both_bad: Option<String>,
    /// `true` weighs each vote by 1 / max(votes of its pair, 50), as LMArena's
    /// reweighted board (Bradley–Terry only; default `false`).
    #[param(value_type = Option<bool>)]
    pub reweight: Option<String>,
    /// `style` controls for the images' style statistics (brightness, contrast, …):
    /// ratings at equal style, with what voters reward (Bradley–Terry only).
    pub control: Option<String>,
    /// The board as a snapshot taken by then (`2026-11-30`: by the end of that day, or
    /// an RFC 3339 time): `{id, taken_at, votes, digest, options, board}`; 404 when
    /// none was (JSON API only).
    pub as_of: Option<String>,
    /// `include` counts excluded votes too (admin only); `exclude` (the default) not.
    #[param(value_type = Option<Exclusions>, inline)]
    pub exclusions: Option<String>,
}

/// Whether a leaderboard leaves out the votes that do not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Exclusions {
    /// They are left out (the default).
    Exclude,
    /// They count too: an operator's comparison (admin token only).
    Include,
}

impl std::str::FromStr for Exclusions {
    type Err = ();

    fn from_str(s: &str) -> std::result::Result<Exclusions, ()> {
        match s {
            "exclude" => Ok(Exclusions::Exclude),
            "include" => Ok(Exclusions::Include),
            _ => Err(()),
        }
    }
}

impl BoardParams {
    pub fn parse(&self) -> Result<BoardQuery> {
        fn field<T: std::str::FromStr>(
            value: &Option<String>,
            name: &str,
            allowed: &str,
        ) -> Result<Option<T>> {
            match value.as_deref().filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v.parse().map(Some).map_err(|_| {
                    Error::InvalidParameter(format!("{name} must be one of {allowed} (got {v:?})"))
                }),
            }
        }
        let defaults = BoardQuery::default();
        let exclusions = field(&self.exclusions, "exclusions", "include, exclude")?;
        let method = field(&self.method, "method", "bt, elo")?.unwrap_or(defaults.method);
        let reweight: bool = field(&self.reweight, "reweight", "true, false")?.unwrap_or(false);
        if reweight && method == Method::Elo {
            return Err(Error::InvalidParameter(
                "reweight applies to Bradley–Terry ratings (method=bt), not online Elo".into(),
            ));
        }
        let control_style = match self.control.as_deref().filter(|c| !c.is_empty()) {
            None => false,
            Some("style") if method == Method::Bt => true,
            Some("style") => {
                return Err(Error::InvalidParameter(
                    "control=style applies to Bradley–Terry ratings (method=bt), not online Elo"
                        .into(),
                ));
            }
            Some(other) => {
                return Err(Error::InvalidParameter(format!(
                    "control must be style (got {other:?})"
                )));
            }
        };
        Ok(BoardQuery {
            method,
            ci: field(&self.ci, "ci", "sandwich, bootstrap")?.unwrap_or(defaults.ci),
            category: self.category.clone().filter(|c| !c.is_empty()),
            both_bad: field(&self.both_bad, "both_bad", "tie, exclude")?
                .unwrap_or(defaults.both_bad),
            reweight,
            control_style,
            include_excluded: exclusions == Some(Exclusions::Include),
            axis: self.axis.clone().filter(|a| !a.is_empty() && a != OVERALL),
        })
    }
}

/// A computed leaderboard with what the pages need beside it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Board {
    #[serde(flatten)]
    pub leaderboard: Leaderboard,
    pub category: Option<String>,
    pub computed_at: DateTime<Utc>,
    #[serde(skip)]
    pub matrices: Matrices,
    /// Slug → display name of every model.
    #[serde(skip)]
    pub names: HashMap<String, String>,
    /// The API response body, serialised once.
    #[serde(skip)]
    pub json: String,
}

impl Board {
    pub fn display_name<'a>(&'a self, slug: &'a str) -> &'a str {
        self.names.get(slug).map(String::as_str).unwrap_or(slug)
    }
}

/// Options of the evaluator for a query; bootstrap rounds and seed are fixed so that
/// the same votes always give the same numbers.
pub fn options_for(query: &BoardQuery) -> LeaderboardOptions {
    LeaderboardOptions {
        method: query.method,
        ci: query.ci,
        both_bad: query.both_bad,
        reweight: query.reweight,
        control: query
            .control_style
            .then(|| Control::Features(Style::NAMES.map(String::from).to_vec())),
        filter: VoteFilter {
            anonymous_only: false,
            ..VoteFilter::default()
        },
        axis: query.axis.clone(),
        ..LeaderboardOptions::default()
    }
}

/// Counted votes with the style differences of their images, for a style-controlled
/// board: (A's slug, B's slug, outcome, A's statistics minus B's), and how many votes
/// were left out for want of statistics (imported votes, images not backfilled).
struct StyledVotes {
    votes: Vec<(u32, u32, Outcome, [f64; 7])>,
    without_style: u64,
}

async fn gather_styled(
    store: &Store,
    id_index: &HashMap<i64, u32>,
    query: &BoardQuery,
) -> Result<StyledVotes> {
    let mut styled = StyledVotes {
        votes: Vec::new(),
        without_style: 0,
    };
    store
        .for_each_counted_vote_with_style(
            query.axis(),
            query.category.as_deref(),
            query.include_excluded,
            |a, b, winner, style_a, style_b| {
                let (Some(&a), Some(&b)) = (id_index.get(&a), id_index.get(&b)) else {
                    return;
                };
                match (
                    parse_style(style_a.as_deref()),
                    parse_style(style_b.as_deref()),
                ) {
                    (Some(sa), Some(sb)) => {
                        let (va, vb) = (sa.values(), sb.values());
                        let diff = std::array::from_fn(|k| va[k] - vb[k]);
                        styled.votes.push((a, b, winner, diff));
                    }
                    _ => styled.without_style += 1,
                }
            },
        )
        .await?;
    Ok(styled)
}

/// The style-controlled board of the gathered votes (CPU-bound).
fn fit_styled(
    styled: &StyledVotes,
    slugs: &[String],
    options: &LeaderboardOptions,
) -> arena_evaluator::Result<(Leaderboard, Counts)> {
    let mut counts = Counts::new();
    let names: Vec<String> = Style::NAMES.map(String::from).to_vec();
    let mut covariates: Vec<(String, Option<f64>)> =
        names.iter().map(|n| (n.clone(), None)).collect();
    let mut board = leaderboard_from_covariate_votes(options, |add| {
        for (line, &(a, b, outcome, diff)) in (1..).zip(&styled.votes) {
            let (slug_a, slug_b) = (&slugs[a as usize], &slugs[b as usize]);
            counts.add(slug_a, slug_b, outcome);
            for (c, d) in covariates.iter_mut().zip(diff) {
                c.1 = Some(d);
            }
            let vote = Vote {
                model_a: slug_a,
                model_b: slug_b,
                outcome,
                anony: None,
                tstamp: None,
                category: None,
                counts_for_leaderboard: None,
                judge: None,
                line,
                kwise: None,
            };
            add(&vote, &covariates)?;
        }
        Ok::<(), arena_evaluator::Error>(())
    })?;
    if styled.without_style > 0 {
        board.warnings.push(format!(
            "{} votes have no image statistics (imported votes, or images stored before \
             them: `arena features backfill`) and are left out of the style-controlled board",
            styled.without_style
        ));
    }
    Ok((board, counts))
}

/// Counted votes gathered from the database, ready for the evaluator.
pub struct Gathered {
    pub counts: Counts,
    /// The votes in the order they were cast, as indices into `models` (only
    /// gathered for online Elo; 12 bytes a vote).
    pub ordered: Vec<(u32, u32, Outcome)>,
    /// Slugs of the models `ordered` refers to.
    pub models: Vec<String>,
    /// K-wise votes that online Elo leaves out (it rates pairs only).
    pub kwise_left_out: u64,
}

/// Reads the counted votes on `axis` of `category`: per-pair counts aggregated by
/// the database, plus the votes in order when `method` is online Elo.
pub async fn gather(
    store: &Store,
    axis: &str,
    category: Option<&str>,
    method: Method,
) -> Result<Gathered> {
    gather_for(
        store,
        &store.list_models().await?,
        axis,
        category,
        method,
        false,
    )
    .await
}

/// [`gather`] with the model list already read.
async fn gather_for(
    store: &Store,
    models: &[Model],
    axis: &str,
    category: Option<&str>,
    method: Method,
    include_excluded: bool,
) -> Result<Gathered> {
    let mut slugs: Vec<String> = models.iter().map(|m| m.slug.clone()).collect();
    let mut index_of: HashMap<i64, u32> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id, i as u32))
        .collect();
    let mut index = |id: i64| {
        *index_of.entry(id).or_insert_with(|| {
            slugs.push(format!("model-{id}"));
            slugs.len() as u32 - 1
        })
    };
    let mut counts = Counts::new();
    let mut ordered = Vec::new();
    let mut pairs = Vec::new();
    if method == Method::Elo {
        store
            .for_each_counted_vote(axis, category, include_excluded, |a, b, winner| {
                ordered.push((index(a), index(b), winner));
            })
            .await?;
    } else {
        // The tallies hold the votes that count; every vote is read from the votes.
        let rows = match include_excluded {
            false => store.pair_counts_on_axis(axis, category).await?,
            true => store.pair_counts_of_votes(axis, category, true).await?,
        };
        for row in rows {
            pairs.push((
                index(row.model_a_id),
                index(row.model_b_id),
                row.winner,
                row.n as u64,
            ));
        }
    }
    // K-wise battles answer the overall question only.
    let mut choices: Vec<(Vec<u32>, usize, Option<usize>, u64)> = Vec::new();
    if axis == OVERALL {
        for c in store.choice_counts(category, include_excluded).await? {
            let models = c.models.iter().map(|&id| index(id)).collect();
            choices.push((models, c.best, c.worst, c.n as u64));
        }
    }
    for &(a, b, o) in &ordered {
        counts.add(&slugs[a as usize], &slugs[b as usize], o);
    }
    for (a, b, o, n) in pairs {
        counts.add_n(&slugs[a as usize], &slugs[b as usize], o, n);
    }
    let mut kwise_left_out = 0;
    for (models, best, worst, n) in choices {
        if method == Method::Elo {
            kwise_left_out += n;
            continue;
        }
        let names: Vec<&str> = models.iter().map(|&m| slugs[m as usize].as_str()).collect();
        counts
            .add_choice(&names, best, worst, n)
            .map_err(|e| Error::Internal(e.to_string()))?;
    }
    Ok(Gathered {
        counts,
        ordered,
        models: slugs,
        kwise_left_out,
    })
}

/// The warning of a board that leaves `n` K-wise votes out, and why.
fn kwise_left_out_warning(n: u64, why: &str) -> String {
    format!("{n} votes on battles of three or four images are left out: {why}")
}

/// Fits the gathered votes (CPU-bound: call off the async runtime).
pub fn fit(
    gathered: &Gathered,
    options: &LeaderboardOptions,
    progress: Option<arena_evaluator::Progress<'_>>,
) -> arena_evaluator::Result<Leaderboard> {
    match (options.method, progress) {
        (Method::Elo, _) => {
            let slug = |i: u32| gathered.models[i as usize].as_str();
            let votes = gathered
                .ordered
                .iter()
                .map(|&(a, b, o)| (slug(a), slug(b), o));
            let mut board = leaderboard_from_ordered_votes(votes, options)?;
            if gathered.kwise_left_out > 0 {
                board.warnings.push(kwise_left_out_warning(
                    gathered.kwise_left_out,
                    "online Elo rates pairs only",
                ));
            }
            Ok(board)
        }
        (Method::Bt, Some(p)) => {
            leaderboard_from_counts_with_progress(&gathered.counts, options, p)
        }
        (Method::Bt, None) => leaderboard_from_counts(&gathered.counts, options),
    }
}

/// Computes a leaderboard from the database.
pub async fn compute(store: &Store, query: &BoardQuery) -> Result<Board> {
    compute_with(store, query, StyleControl::default()).await
}

/// How the style-controlled board weighs its coefficients: arena-rank's penalty by
/// default (`style_control_reg` in the config).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StyleControl {
    /// L2 penalty on the coefficients (arena-rank's `reg`).
    pub reg: f64,
}

impl Default for StyleControl {
    fn default() -> Self {
        StyleControl {
            reg: LeaderboardOptions::default().control_reg,
        }
    }
}

/// [`compute`] with the style control's settings.
pub async fn compute_with(store: &Store, query: &BoardQuery, style: StyleControl) -> Result<Board> {
    // One read of the models serves both the vote gathering and the display names.
    let models = store.list_models().await?;
    let options = LeaderboardOptions {
        control_reg: style.reg,
        ..options_for(query)
    };
    let (leaderboard, matrices) = if query.control_style {
        let slugs: Vec<String> = models.iter().map(|m| m.slug.clone()).collect();
        let id_index: HashMap<i64, u32> = models
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id, i as u32))
            .collect();
        let styled = gather_styled(store, &id_index, query).await?;
        let kwise: i64 = match query.axis() {
            OVERALL => store
                .choice_counts(query.category.as_deref(), query.include_excluded)
                .await?
                .iter()
                .map(|c| c.n)
                .sum(),
            _ => 0,
        };
        tokio::task::spawn_blocking(move || {
            let (mut board, counts) = fit_styled(&styled, &slugs, &options)?;
            if kwise > 0 {
                board.warnings.push(kwise_left_out_warning(
                    kwise as u64,
                    "style control compares the two images of a pair",
                ));
            }
            let m = matrices(&counts, &board);
            Ok::<_, arena_evaluator::Error>((board, m))
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))??
    } else {
        let gathered = gather_for(
            store,
            &models,
            query.axis(),
            query.category.as_deref(),
            query.method,
            query.include_excluded,
        )
        .await?;
        tokio::task::spawn_blocking(move || {
            let board = fit(&gathered, &options, None)?;
            let m = matrices(&gathered.counts, &board);
            Ok::<_, arena_evaluator::Error>((board, m))
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))??
    };
    let names = models
        .into_iter()
        .map(|m| (m.slug, m.display_name))
        .collect();
    let mut board = Board {
        leaderboard,
        category: query.category.clone(),
        computed_at: Utc::now(),
        matrices,
        names,
        json: String::new(),
    };
    board.json = serde_json::to_string(&board).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(board)
}

/// Ratings of every model over time: one Bradley–Terry fit on the votes up to the
/// end of each day (at most [`MAX_HISTORY_POINTS`] days, evenly spread).
#[derive(Debug, Default)]
pub struct History {
    /// Slug → (day, rating) in time order, for the periods with votes on the model.
    pub series: HashMap<String, Vec<(String, f64)>>,
    /// Days with votes between two points (more when the history is long).
    pub step: usize,
}

pub const MAX_HISTORY_POINTS: usize = 60;

pub async fn compute_history(store: &Store) -> Result<History> {
    let models = store.list_models().await?;
    let slug_of: HashMap<i64, String> = models.iter().map(|m| (m.id, m.slug.clone())).collect();
    let rows = store.daily_pair_counts().await?;
    let choice_rows = store.daily_choice_counts().await?;
    tokio::task::spawn_blocking(move || {
        let mut days: Vec<String> = rows.iter().map(|r| r.day.clone()).collect();
        days.extend(choice_rows.iter().map(|r| r.day.clone()));
        days.sort();
        days.dedup();
        let step = days.len().div_ceil(MAX_HISTORY_POINTS).max(1);
        let options = LeaderboardOptions {
            ci: CiMethod::Sandwich,
            ..LeaderboardOptions::default()
        };
        let mut history = History {
            step,
            ..History::default()
        };
        let mut counts = Counts::new();
        let mut rows = rows.iter().peekable();
        let mut choice_rows = choice_rows.iter().peekable();
        // Models with votes since their last point: a model gets a point only for a
        // period in which it was voted on, so a quiet stretch shows as a gap.
        let mut voted: std::collections::HashSet<&str> = Default::default();
        for (i, day) in days.iter().enumerate() {
            while let Some(row) = rows.next_if(|r| &r.day == day) {
                let (Some(a), Some(b)) =
                    (slug_of.get(&row.model_a_id), slug_of.get(&row.model_b_id))
                else {
                    continue;
                };
                counts.add_n(a, b, row.winner, row.n as u64);
                voted.extend([a.as_str(), b.as_str()]);
            }
            while let Some(row) = choice_rows.next_if(|r| &r.day == day) {
                let c = &row.count;
                let Some(names) = c
                    .models
                    .iter()
                    .map(|id| slug_of.get(id).map(String::as_str))
                    .collect::<Option<Vec<&str>>>()
                else {
                    continue;
                };
                counts.add_choice(&names, c.best, c.worst, c.n as u64)?;
                voted.extend(names);
            }
            if i % step != 0 && i + 1 != days.len() {
                continue;
            }
            let board = leaderboard_from_counts(&counts, &options)?;
            for entry in board.models {
                if !voted.remove(entry.model.as_str()) {
                    continue;
                }
                history
                    .series
                    .entry(entry.model)
                    .or_default()
                    .push((day.clone(), entry.rating));
            }
        }
        Ok(history)
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// Most distinct queries kept; switches and categories are few, so this is plenty.
const MAX_CACHED: usize = 64;

/// Cached leaderboards, shared by the handlers of one server process.
#[derive(Default)]
pub struct Rankings {
    boards: RwLock<HashMap<BoardQuery, Arc<Board>>>,
    /// Ratings over time, computed on first use.
    history: RwLock<Option<Arc<History>>>,
    /// The vote table as of the last (re)computation.
    marker: Mutex<Option<VoteMarker>>,
    /// Settings of the style-controlled boards.
    style: StyleControl,
}

impl Rankings {
    /// Boards whose style control uses `style`.
    pub fn new(style: StyleControl) -> Rankings {
        Rankings {
            style,
            ..Rankings::default()
        }
    }

    /// The cached board for `query`, computed now if it is not cached yet.
    pub async fn get(&self, store: &Store, query: &BoardQuery) -> Result<Arc<Board>> {
        if let Some(board) = self.boards.read().await.get(query) {
            return Ok(board.clone());
        }
        {
            let mut marker = self.marker.lock().await;
            if marker.is_none() {
                *marker = Some(store.vote_marker().await?);
            }
        }
        let board = Arc::new(compute_with(store, query, self.style).await?);
        let mut boards = self.boards.write().await;
        if boards.len() >= MAX_CACHED {
            boards.clear();
        }
        boards.insert(query.clone(), board.clone());
        Ok(board)
    }

    /// When the cached default board was computed (`None` before anyone asked).
    pub async fn default_computed_at(&self) -> Option<DateTime<Utc>> {
        self.boards
            .read()
            .await
            .get(&BoardQuery::default())
            .map(|b| b.computed_at)
    }

    /// Ratings over time, cached like the boards.
    pub async fn history(&self, store: &Store) -> Result<Arc<History>> {
        if let Some(history) = self.history.read().await.as_ref() {
            return Ok(history.clone());
        }
        let history = Arc::new(compute_history(store).await?);
        *self.history.write().await = Some(history.clone());
        Ok(history)
    }

    /// Recomputes every cached board when votes were added since the last check.
    pub async fn refresh_if_stale(&self, store: &Store) -> Result<bool> {
        let now = store.vote_marker().await?;
        let mut marker = self.marker.lock().await;
        if *marker == Some(now) {
            return Ok(false);
        }
        let queries: Vec<BoardQuery> = self.boards.read().await.keys().cloned().collect();
        let mut fresh = HashMap::new();
        // Style-controlled boards fit every vote one by one: they are dropped and
        // recomputed when next asked for, not on every new vote.
        let (styled, counted): (Vec<_>, Vec<_>) =
            queries.into_iter().partition(|q| q.control_style);
        for query in counted {
            fresh.insert(
                query.clone(),
                Arc::new(compute_with(store, &query, self.style).await?),
            );
        }
        let mut boards = self.boards.write().await;
        for query in &styled {
            boards.remove(query);
        }
        boards.extend(fresh);
        drop(boards);
        *self.history.write().await = None;
        *marker = Some(now);
        Ok(true)
    }

    /// Forgets every cached board (e.g. after a bulk import by this process).
    pub async fn clear(&self) {
        self.boards.write().await.clear();
        *self.history.write().await = None;
        *self.marker.lock().await = None;
    }
}
