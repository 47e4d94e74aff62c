//! The leaderboard: what every method returns, and the entry points that compute it.

use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::bootstrap::Progress;
use crate::contextual::{Coefficient, Rows, rate_contextual};
use crate::counts::{Counts, Table, self_battle_weight};
use crate::error::{Error, Result};
use crate::filter::Excluded;
use crate::options::{Anchor, BothBad, CiMethod, LeaderboardOptions, Method};
use crate::rate::{Rated, rate_bt, rate_elo};
use crate::read::{self, Format, OrderedVote, Tally};
use crate::vote::{Outcome, Vote};

/// One row of a leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaderboardEntry {
    /// Model name as in the votes.
    pub model: String,
    /// Rating on the Elo scale.
    pub rating: f64,
    /// Lower bound of the confidence interval (`null` for online Elo, and when unknown:
    /// fewer than [`MIN_INTERVAL_BATTLES`] battles, or an interval of no width, which
    /// a handful of votes can give but no data justifies).
    pub ci_low: Option<f64>,
    /// Upper bound of the confidence interval (`null` as for `ci_low`).
    pub ci_high: Option<f64>,
    /// LMArena's "rank (UB)": 1 + the number of listed models of the same group whose
    /// lower bound is above this model's upper bound (without intervals: whose rating
    /// is higher). A model whose interval is unknown could be first.
    pub rank_ub: usize,
    /// The connected group of models this one belongs to (models linked by votes,
    /// directly or through others), 1 for the largest. Ratings and ranks compare only
    /// within a group: models of different groups never met, even indirectly.
    #[serde(default = "first_group")]
    pub group: usize,
    /// Votes this model took part in (both-bad ones included when they count as ties).
    pub battles: u64,
    /// Votes it won.
    pub wins: u64,
    /// Votes it lost.
    pub losses: u64,
    /// Ties (both-bad votes included when they count as ties).
    pub ties: u64,
    /// `(wins + ties / 2) / battles`: the score the Bradley–Terry fit matches.
    pub win_rate: f64,
    /// Fewer battles than [`LeaderboardOptions::provisional_below`].
    pub provisional: bool,
}

/// Battles a model needs before its confidence interval is reported: below that the
/// resampled or asymptotic interval says more about the method than about the model
/// (one vote bootstraps to an interval of no width).
pub const MIN_INTERVAL_BATTLES: u64 = 5;

fn first_group() -> usize {
    1
}

/// Ratings of every listed model, best first, with how they were computed.
/// Serialises to the JSON that `arena leaderboard --output json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Leaderboard {
    /// `bt` or `elo`.
    pub method: Method,
    /// How the intervals were computed (`null` for online Elo).
    pub ci: Option<CiMethod>,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Bootstrap rounds, when the intervals are bootstrapped.
    pub bootstrap_rounds: Option<usize>,
    /// Bootstrap seed, when the intervals are bootstrapped.
    pub seed: Option<u64>,
    /// What both-bad votes counted as.
    pub both_bad: BothBad,
    /// The pinned model, if any (otherwise the mean rating is `initial_rating`).
    pub anchor: Option<Anchor>,
    /// Rating points per factor of `base` in the odds.
    pub scale: f64,
    /// Odds base.
    pub base: f64,
    /// Votes the ratings are computed from.
    pub n_votes: u64,
    /// Votes left out, by reason.
    pub excluded: Excluded,
    /// The listed models by group (the largest first), then by rating, best first.
    pub models: Vec<LeaderboardEntry>,
    /// Anything a reader of the numbers should know (disconnected groups, a model
    /// that never lost, …).
    pub warnings: Vec<String>,
    /// Whether votes were weighed by the inverse of their pair's frequency
    /// ([`LeaderboardOptions::reweight`], or a contextual fit).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reweighted: bool,
    /// The covariates a contextual fit controlled for, with their effects (empty for
    /// a plain fit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coefficients: Vec<Coefficient>,
}

impl Leaderboard {
    /// The row of `model`, if listed.
    pub fn entry(&self, model: &str) -> Option<&LeaderboardEntry> {
        self.models.iter().find(|e| e.model == model)
    }
}

/// Bradley–Terry leaderboard from aggregated counts (e.g. built by the server from a
/// SQL `group by`). Filters in `options.filter` do not apply: the counts are taken as
/// already filtered. Online Elo needs the votes in order, so `Method::Elo` is an
/// error here ([`Error::EloNeedsVoteOrder`]).
///
/// # Examples
///
/// ```
/// use arena_evaluator::{leaderboard_from_counts, Counts, LeaderboardOptions, Outcome};
/// let mut counts = Counts::new();
/// counts.add_n("sdxl", "lcm", Outcome::A, 60);
/// counts.add_n("sdxl", "lcm", Outcome::B, 40);
/// let board = leaderboard_from_counts(&counts, &LeaderboardOptions::default()).unwrap();
/// assert_eq!(board.models[0].model, "sdxl");
/// // 60:40 odds are 1.5:1, i.e. 400·log10(1.5) ≈ 70.4 points apart, centred on 1000.
/// assert!((board.models[0].rating - 1035.22).abs() < 0.01);
/// ```
pub fn leaderboard_from_counts(
    counts: &Counts,
    options: &LeaderboardOptions,
) -> Result<Leaderboard> {
    compute(counts, None, None, Excluded::default(), options, None)
}

/// [`leaderboard_from_counts`], reporting bootstrap progress as `(done, total)` rounds.
pub fn leaderboard_from_counts_with_progress(
    counts: &Counts,
    options: &LeaderboardOptions,
    progress: Progress<'_>,
) -> Result<Leaderboard> {
    compute(
        counts,
        None,
        None,
        Excluded::default(),
        options,
        Some(progress),
    )
}

/// Leaderboard from a vote file (JSONL, CSV or FastChat JSON), applying
/// `options.filter`. For Bradley–Terry the votes are folded into counts as they are
/// read, so memory does not grow with the file; online Elo keeps the admitted votes
/// (24 bytes each) to replay them in `tstamp` order.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{leaderboard_from_reader, Format, LeaderboardOptions, Method};
/// let votes = "\
/// {\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"model_a\", \"tstamp\": 2}
/// {\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"model_b\", \"tstamp\": 1}
/// ";
/// let options = LeaderboardOptions { method: Method::Elo, ..Default::default() };
/// let board = leaderboard_from_reader(votes.as_bytes(), Format::Jsonl, &options).unwrap();
/// // In time order y won first, then x won against a stronger y.
/// assert!(board.entry("x").unwrap().rating > 1000.0);
/// ```
pub fn leaderboard_from_reader<R: BufRead>(
    reader: R,
    format: Format,
    options: &LeaderboardOptions,
) -> Result<Leaderboard> {
    from_reader(reader, format, options, None)
}

/// [`leaderboard_from_reader`], reporting bootstrap progress as `(done, total)` rounds.
pub fn leaderboard_from_reader_with_progress<R: BufRead>(
    reader: R,
    format: Format,
    options: &LeaderboardOptions,
    progress: Progress<'_>,
) -> Result<Leaderboard> {
    from_reader(reader, format, options, Some(progress))
}

/// [`leaderboard_from_reader`] on a file; `Format::Auto` looks at the extension
/// first, then at the first byte.
///
/// # Examples
///
/// ```no_run
/// use arena_evaluator::{leaderboard_from_path, Format, LeaderboardOptions};
/// let board = leaderboard_from_path("clean_battle_20240220.json", Format::Auto, &LeaderboardOptions::default())?;
/// print!("{}", board.to_table());
/// # Ok::<(), arena_evaluator::Error>(())
/// ```
pub fn leaderboard_from_path(
    path: impl AsRef<Path>,
    format: Format,
    options: &LeaderboardOptions,
) -> Result<Leaderboard> {
    options.validate()?;
    if let Some(axis) = options.other_axis() {
        let keep_order = options.method == Method::Elo;
        let (tally, order, rows) = read::read_axis_from_path(
            path.as_ref(),
            format,
            &options.filter,
            axis,
            options.control.as_ref(),
            keep_order,
        )?;
        return compute(
            &tally.counts,
            keep_order.then_some(order),
            rows.as_ref(),
            tally.excluded,
            options,
            None,
        );
    }
    if let Some(control) = &options.control {
        let (tally, rows) =
            read::read_rows_from_path(path.as_ref(), format, &options.filter, control)?;
        return compute(
            &tally.counts,
            None,
            Some(&rows),
            tally.excluded,
            options,
            None,
        );
    }
    let keep_order = options.method == Method::Elo;
    let (tally, order) =
        read::read_tally_from_path(path.as_ref(), format, &options.filter, keep_order, None)?;
    compute(
        &tally.counts,
        keep_order.then_some(order),
        None,
        tally.excluded,
        options,
        None,
    )
}

/// Leaderboard from votes that a reader outside this crate hands out in file order
/// (the server's Parquet reader): `read` is called once, with a function to call for
/// each vote. `options.filter` applies and online Elo replays the votes, as for a file.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{leaderboard_from_votes, LeaderboardOptions, Outcome, Vote};
/// let rows = [("x", "y", Outcome::A), ("x", "y", Outcome::B), ("x", "y", Outcome::A)];
/// let board = leaderboard_from_votes(&LeaderboardOptions::default(), |add| {
///     for (line, (a, b, outcome)) in (1..).zip(rows) {
///         add(&Vote {
///             model_a: a, model_b: b, outcome, anony: None, tstamp: None, category: None,
///             counts_for_leaderboard: None, judge: None, line,
///             kwise: None,
///         });
///     }
///     Ok::<(), arena_evaluator::Error>(())
/// })
/// .unwrap();
/// assert_eq!(board.models[0].model, "x");
/// ```
pub fn leaderboard_from_votes<E: From<Error>>(
    options: &LeaderboardOptions,
    read: impl FnOnce(&mut dyn FnMut(&Vote<'_>)) -> std::result::Result<(), E>,
) -> std::result::Result<Leaderboard, E> {
    options.validate()?;
    let keep_order = options.method == Method::Elo;
    let (tally, order) = read::tally_votes(&options.filter, keep_order, read)?;
    Ok(compute(
        &tally.counts,
        keep_order.then_some(order),
        None,
        tally.excluded,
        options,
        None,
    )?)
}

/// Contextual (style-controlled) leaderboard from votes with covariates that a reader
/// outside this crate hands out (the server's database): `read` is called once, with
/// a function to call for each vote and its covariates as `(name, value)`;
/// `options.control` says which covariates count and `options.filter` applies.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{leaderboard_from_covariate_votes, Control, LeaderboardOptions, Outcome, Vote};
/// let options = LeaderboardOptions { control: Some(Control::All), ..Default::default() };
/// let board = leaderboard_from_covariate_votes(&options, |add| {
///     for (line, (outcome, x)) in (1..).zip([(Outcome::A, 1.0), (Outcome::B, -1.0), (Outcome::A, 0.5)]) {
///         let vote = Vote {
///             model_a: "x", model_b: "y", outcome, anony: Some(true), tstamp: None, category: None,
///             counts_for_leaderboard: None, judge: None, line,
///             kwise: None,
///         };
///         add(&vote, &[("brightness".to_string(), Some(x))])?;
///     }
///     Ok::<(), arena_evaluator::Error>(())
/// })
/// .unwrap();
/// assert_eq!(board.coefficients[0].name, "brightness");
/// ```
pub fn leaderboard_from_covariate_votes<E: From<Error>>(
    options: &LeaderboardOptions,
    read: impl FnOnce(
        &mut dyn FnMut(&Vote<'_>, &[(String, Option<f64>)]) -> Result<()>,
    ) -> std::result::Result<(), E>,
) -> std::result::Result<Leaderboard, E> {
    options.validate()?;
    let control = options.control.clone().ok_or_else(|| {
        Error::InvalidOption("covariate votes need a control (which covariates to fit)".into())
    })?;
    let mut collector = read::RowCollector::new(&options.filter, &control);
    read(&mut |vote, covariates| collector.take(vote, covariates))?;
    let (tally, rows) = collector.finish();
    Ok(compute(
        &tally.counts,
        None,
        Some(&rows),
        tally.excluded,
        options,
        None,
    )?)
}

/// Bradley–Terry leaderboard from a [`Tally`] that a reader outside this crate
/// filled with [`Tally::add`] (the filter in `options` is the caller's to apply; its
/// exclusions are reported as the tally counted them). Online Elo needs the votes in
/// order: use [`leaderboard_from_ordered_votes`].
///
/// # Examples
///
/// ```
/// use arena_evaluator::{leaderboard_from_tally, LeaderboardOptions, Outcome, Tally, Vote};
/// let options = LeaderboardOptions::default();
/// let mut tally = Tally::default();
/// for (a, b, outcome) in [("x", "y", Outcome::A), ("x", "y", Outcome::B), ("x", "y", Outcome::A)] {
///     let vote = Vote {
///         model_a: a, model_b: b, outcome, anony: None, tstamp: None, category: None,
///         counts_for_leaderboard: None, judge: None, line: 0,
///         kwise: None,
///     };
///     tally.add(&options.filter, &vote);
/// }
/// let board = leaderboard_from_tally(&tally, &options).unwrap();
/// assert_eq!(board.models[0].model, "x");
/// ```
pub fn leaderboard_from_tally(tally: &Tally, options: &LeaderboardOptions) -> Result<Leaderboard> {
    if options.method == Method::Elo {
        return Err(Error::EloNeedsVoteOrder);
    }
    compute(&tally.counts, None, None, tally.excluded, options, None)
}

fn from_reader<R: BufRead>(
    reader: R,
    format: Format,
    options: &LeaderboardOptions,
    progress: Option<Progress<'_>>,
) -> Result<Leaderboard> {
    options.validate()?;
    if let Some(axis) = options.other_axis() {
        let keep_order = options.method == Method::Elo;
        let (tally, order, rows) = read::read_axis(
            reader,
            format,
            &options.filter,
            axis,
            options.control.as_ref(),
            keep_order,
        )?;
        return compute(
            &tally.counts,
            keep_order.then_some(order),
            rows.as_ref(),
            tally.excluded,
            options,
            progress,
        );
    }
    if let Some(control) = &options.control {
        let (tally, rows) = read::read_rows(reader, format, &options.filter, control)?;
        return compute(
            &tally.counts,
            None,
            Some(&rows),
            tally.excluded,
            options,
            progress,
        );
    }
    let keep_order = options.method == Method::Elo;
    let (tally, order) = read::read_tally(reader, format, &options.filter, keep_order)?;
    compute(
        &tally.counts,
        keep_order.then_some(order),
        None,
        tally.excluded,
        options,
        progress,
    )
}

/// The leaderboard of `counts`; `rows` are the votes with their covariates when
/// `options.control` asks for a contextual fit.
fn compute(
    counts: &Counts,
    order: Option<Vec<OrderedVote>>,
    rows: Option<&Rows>,
    mut excluded: Excluded,
    options: &LeaderboardOptions,
    progress: Option<Progress<'_>>,
) -> Result<Leaderboard> {
    options.validate()?;
    let rows = match (&options.control, rows) {
        (None, _) => None,
        (Some(_), Some(rows)) => Some(rows),
        (Some(_), None) => {
            return Err(Error::InvalidOption(
                "style control needs each vote's covariates: read the votes from a file \
                 whose votes carry features"
                    .into(),
            ));
        }
    };
    // Online Elo replays pairs, and the covariates of a contextual fit are per pair:
    // both leave K-wise votes out, and say so.
    let kwise_left_out = (counts.kwise_total() > 0
        && (options.method == Method::Elo || rows.is_some()))
    .then(|| (counts.kwise_total(), counts.without_kwise()));
    let counts = kwise_left_out.as_ref().map_or(counts, |(_, c)| c);
    let mut table = Table::new(counts, options.both_bad);
    if options.reweight {
        table.reweight();
    }
    // Self-battles and dropped both-bad votes are read off the counts; `excluded`
    // brings only what the filter left out.
    excluded.self_battles = counts.self_battles();
    excluded.both_bad = table.both_bad_dropped;
    let mut warnings = Vec::new();
    if let Some((n, _)) = &kwise_left_out {
        let method = if rows.is_some() {
            "style control"
        } else {
            "online Elo"
        };
        warnings.push(format!(
            "{n} K-wise votes (three or four images) were left out: {method} uses pairwise votes only"
        ));
    }
    if excluded.self_battles > 0 {
        warnings.push(format!(
            "{} votes compared a model with itself and were left out",
            excluded.self_battles
        ));
    }
    if !table.unrated.is_empty() {
        warnings.push(format!(
            "not rated, no counted votes: {}",
            table.unrated.join(", ")
        ));
    }
    if table.n_models() == 0 {
        warnings.push("no votes to rate".into());
    }
    let mut coefficients = Vec::new();
    let mut rated = match (options.method, rows) {
        (Method::Bt, Some(rows)) => {
            let (rated, effects) = rate_contextual(&table, rows, options, progress, &mut warnings);
            coefficients = effects;
            rated
        }
        (Method::Bt, None) => rate_bt(
            &table,
            self_battle_weight(counts, options.reweight),
            options,
            progress,
            &mut warnings,
        ),
        (Method::Elo, _) => rate_elo(
            &table,
            order.ok_or(Error::EloNeedsVoteOrder)?,
            options,
            &mut warnings,
        ),
    };
    if let Some(anchor) = &options.anchor {
        let m = table
            .names
            .iter()
            .position(|n| *n == anchor.model)
            .ok_or_else(|| {
                Error::InvalidOption(format!(
                    "anchor model {:?} has no counted votes",
                    anchor.model
                ))
            })?;
        let shift = anchor.rating - rated.rating[m];
        rated.rating.iter_mut().for_each(|r| *r += shift);
        if let Some(bounds) = &mut rated.bounds {
            bounds
                .iter_mut()
                .for_each(|(lo, hi)| (*lo, *hi) = (*lo + shift, *hi + shift));
        }
    }
    let groups = groups(&table);
    let n_groups = groups.iter().copied().max().unwrap_or(0);
    if n_groups > 1 {
        warnings.push(format!(
            "the models form {n_groups} groups that never met each other, not even through \
             other models; ratings and ranks compare only within a group"
        ));
    }
    let models = entries(&table, &rated, &groups, options, &mut warnings);
    let bootstrap = options.method == Method::Bt && options.ci == CiMethod::Bootstrap;
    Ok(Leaderboard {
        method: options.method,
        ci: (options.method == Method::Bt).then_some(options.ci),
        level: options.level,
        bootstrap_rounds: bootstrap.then_some(options.bootstrap_rounds),
        seed: bootstrap.then_some(options.seed),
        both_bad: options.both_bad,
        anchor: options.anchor.clone(),
        scale: options.scale,
        base: options.base,
        n_votes: rated.n_votes,
        excluded,
        models,
        warnings,
        reweighted: options.reweight || rows.is_some(),
        coefficients,
    })
}

/// The group of every model of `table`, numbered from 1 by size: most models first,
/// then most votes, then the alphabetically first member.
fn groups(table: &Table) -> Vec<usize> {
    let n = table.n_models();
    let component = crate::bt::components(&table.graph_pairs(), n);
    let count = component.iter().copied().max().map_or(0, |m| m + 1);
    // (models, votes, first name) of each component.
    let mut size: Vec<(usize, f64, &str)> = vec![(0, 0.0, ""); count];
    for (m, &c) in component.iter().enumerate() {
        size[c].0 += 1;
        if size[c].2.is_empty() || table.names[m].as_str() < size[c].2 {
            size[c].2 = &table.names[m];
        }
    }
    for p in &table.pairs {
        size[component[p.i]].1 += p.total();
    }
    for c in &table.choices {
        size[component[c.members[0]]].1 += c.count as f64;
    }
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|&x, &y| {
        size[y]
            .0
            .cmp(&size[x].0)
            .then(size[y].1.total_cmp(&size[x].1))
            .then(size[x].2.cmp(size[y].2))
    });
    let mut number = vec![0; count];
    for (k, &c) in order.iter().enumerate() {
        number[c] = k + 1;
    }
    component.iter().map(|&c| number[c]).collect()
}

fn entries(
    table: &Table,
    rated: &Rated,
    groups: &[usize],
    options: &LeaderboardOptions,
    warnings: &mut Vec<String>,
) -> Vec<LeaderboardEntry> {
    let n = table.n_models();
    let (mut battles, mut wins, mut losses, mut ties) =
        (vec![0u64; n], vec![0u64; n], vec![0u64; n], vec![0u64; n]);
    for p in &table.pairs {
        for (me, won, lost) in [(p.i, p.wins_i, p.wins_j), (p.j, p.wins_j, p.wins_i)] {
            battles[me] += won + lost + p.ties;
            wins[me] += won;
            losses[me] += lost;
            ties[me] += p.ties;
        }
    }
    // A K-wise vote is a battle for each model shown, a win for the best, a loss for
    // the worst.
    for c in &table.choices {
        for (q, &m) in c.members().iter().enumerate() {
            battles[m] += c.count;
            if q == c.best {
                wins[m] += c.count;
            } else if Some(q) == c.worst {
                losses[m] += c.count;
            }
        }
    }
    let mut models: Vec<LeaderboardEntry> = (0..n)
        .filter(|&m| battles[m] >= options.min_battles)
        .map(|m| {
            let known = |(lo, hi): (f64, f64)| {
                (battles[m] >= MIN_INTERVAL_BATTLES && hi - lo > 1e-9).then_some((lo, hi))
            };
            let bounds = rated.bounds.as_ref().and_then(|b| known(b[m]));
            (m, bounds)
        })
        .map(|(m, bounds)| LeaderboardEntry {
            model: table.names[m].clone(),
            rating: rated.rating[m],
            ci_low: bounds.map(|b| b.0),
            ci_high: bounds.map(|b| b.1),
            rank_ub: 0,
            group: groups[m],
            battles: battles[m],
            wins: wins[m],
            losses: losses[m],
            ties: ties[m],
            win_rate: (wins[m] as f64 + 0.5 * ties[m] as f64) / battles[m].max(1) as f64,
            provisional: battles[m] < options.provisional_below,
        })
        .collect();
    let hidden = n - models.len();
    if hidden > 0 {
        warnings.push(format!(
            "{hidden} models with fewer than {} battles are rated but not listed",
            options.min_battles
        ));
    }
    let unknown = models
        .iter()
        .filter(|e| rated.bounds.is_some() && e.ci_low.is_none())
        .count();
    if unknown > 0 {
        warnings.push(format!(
            "{unknown} models have too few battles (under {MIN_INTERVAL_BATTLES}) or votes for \
             a confidence interval; it is shown as unknown"
        ));
    }
    // (group, rating, lower, upper): an unknown interval spans everything.
    let keys: Vec<(usize, f64, f64, f64)> = models
        .iter()
        .map(|e| match (rated.bounds.is_some(), e.ci_low, e.ci_high) {
            (true, Some(lo), Some(hi)) => (e.group, e.rating, lo, hi),
            (true, _, _) => (e.group, e.rating, f64::NEG_INFINITY, f64::INFINITY),
            (false, _, _) => (e.group, e.rating, e.rating, e.rating),
        })
        .collect();
    for (entry, &(group, rating, _, high)) in models.iter_mut().zip(&keys) {
        let peers = keys.iter().filter(|k| k.0 == group);
        entry.rank_ub = 1 + if rated.bounds.is_some() {
            peers.filter(|k| k.2 > high).count()
        } else {
            peers.filter(|k| k.1 > rating).count()
        };
    }
    models.sort_by(|x, y| {
        x.group
            .cmp(&y.group)
            .then(y.rating.total_cmp(&x.rating))
            .then_with(|| x.model.cmp(&y.model))
    });
    models
}

/// Leaderboard from votes the caller already has in time order (e.g. streamed from a
/// database sorted by creation time), for every method including online Elo.
/// `options.filter` does not apply: the caller filters. Online Elo keeps 12 bytes a
/// vote to replay them; Bradley–Terry uses the counts only.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{leaderboard_from_ordered_votes, LeaderboardOptions, Method, Outcome};
/// let votes = [("x", "y", Outcome::B), ("x", "y", Outcome::A)];
/// let options = LeaderboardOptions { method: Method::Elo, ..Default::default() };
/// let board = leaderboard_from_ordered_votes(votes, &options).unwrap();
/// // y won first, then x won against a stronger y.
/// assert!(board.entry("x").unwrap().rating > 1000.0);
/// ```
pub fn leaderboard_from_ordered_votes<S: AsRef<str>>(
    votes: impl IntoIterator<Item = (S, S, Outcome)>,
    options: &LeaderboardOptions,
) -> Result<Leaderboard> {
    let mut counts = Counts::new();
    let keep_order = options.method == Method::Elo;
    let mut order = Vec::new();
    for (i, (model_a, model_b, outcome)) in votes.into_iter().enumerate() {
        let a = counts.intern(model_a.as_ref());
        let b = counts.intern(model_b.as_ref());
        counts.add_indices(a, b, outcome, 1);
        if keep_order && a != b {
            order.push(OrderedVote {
                tstamp: i as f64,
                a,
                b,
                outcome,
            });
        }
    }
    compute(
        &counts,
        keep_order.then_some(order),
        None,
        Excluded::default(),
        options,
        None,
    )
}
