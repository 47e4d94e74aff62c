//! Matchmaking strategies on simulated voters: how many voter actions, and how many
//! voter seconds, each needs before the leaderboard is right.
//!
//! Voters answer by the model the evaluator fits: a pair by Bradley–Terry on the true
//! ratings (with `tie_rate` ties), a K-wise battle by Plackett–Luce — the best drawn in
//! proportion to `10^(r/400)`, then the worst of the rest in proportion to
//! `10^(−r/400)`; a share `tie_rate` of K-wise battles the voter cannot decide and
//! skips (the action is spent, nothing is learned). After every few actions the
//! leaderboard is refitted (Bradley–Terry / Plackett–Luce, sandwich intervals) and the
//! three targets checked; active matchmaking draws from that fit, as the server draws
//! from its cached board.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::counts::Counts;
use crate::leaderboard::{Leaderboard, leaderboard_from_counts};
use crate::matchmaking::{self, ModelState, Strategy};
use crate::options::{LeaderboardOptions, Optimizer};
use crate::personal::kendall_tau;
use crate::vote::Outcome;

/// True ratings of the simulated models (scale 400, base 10).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// A short name for reports.
    pub name: String,
    /// Rating of model `i`.
    pub ratings: Vec<f64>,
}

impl Scenario {
    /// `models` models evenly spaced `gap` points apart, centred on 1000.
    pub fn evenly_spaced(models: usize, gap: f64) -> Scenario {
        let mid = (models as f64 - 1.0) / 2.0;
        Scenario {
            name: format!("{models} models, {gap} points apart"),
            ratings: (0..models)
                .map(|m| 1000.0 + gap * (m as f64 - mid))
                .collect(),
        }
    }

    /// As [`Scenario::evenly_spaced`], but the best three only `top_gap` points apart.
    pub fn close_top_three(models: usize, gap: f64, top_gap: f64) -> Scenario {
        let mut s = Scenario::evenly_spaced(models, gap);
        let third = s.ratings[models - 3];
        s.ratings[models - 2] = third + top_gap;
        s.ratings[models - 1] = third + 2.0 * top_gap;
        s.name = format!("{models} models, {gap} points apart, the top three {top_gap} apart");
        s
    }

    fn name_of(m: usize) -> String {
        format!("m{m:02}")
    }
}

/// How battles are made: the matchmaking strategy and the number of images shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Design {
    /// `uniform` or `active`.
    #[serde(serialize_with = "strategy_name")]
    pub strategy: Strategy,
    /// Images per battle: 2 for pairs, 3 or 4 for K-wise (best and worst picked).
    pub k: usize,
}

fn strategy_name<S: serde::Serializer>(s: &Strategy, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(match s {
        Strategy::Uniform => "uniform",
        Strategy::Active => "active",
    })
}

impl Design {
    /// The voter's time per battle, in seconds: 4 s to read the prompt and answer plus
    /// 2 s per image looked at, plus 2 s to pick the worst as well when K > 2 — 8 s a
    /// pair, 14 s for four images.
    pub fn seconds_per_battle(&self) -> f64 {
        4.0 + 2.0 * self.k as f64 + if self.k > 2 { 2.0 } else { 0.0 }
    }

    /// `uniform pairs`, `active K=4`, …
    pub fn label(&self) -> String {
        let strategy = match self.strategy {
            Strategy::Uniform => "uniform",
            Strategy::Active => "active",
        };
        if self.k == 2 {
            format!("{strategy} pairs")
        } else {
            format!("{strategy} K={}", self.k)
        }
    }
}

/// The simulated voters and when to stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Share of pairwise votes that are ties, and of K-wise battles skipped.
    pub tie_rate: f64,
    /// Share of active battles drawn uniformly.
    pub exploration: f64,
    /// Give up after this many actions.
    pub max_actions: u64,
    /// Seed of the voters and of matchmaking.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tie_rate: 0.1,
            exploration: 0.2,
            max_actions: 400_000,
            seed: 0,
        }
    }
}

/// The three things a leaderboard should get right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Targets<T> {
    /// Kendall τ between the fitted and the true order ≥ [`TAU_TARGET`].
    pub tau: T,
    /// The true top three have rank (UB) 1, 2 and 3: their intervals separate them.
    pub top_three: T,
    /// The mean width of the 95% intervals is under [`WIDTH_TARGET`] points.
    pub width: T,
}

/// Kendall τ the fitted order must reach.
pub const TAU_TARGET: f64 = 0.9;
/// Mean interval width (points) the fit must get under.
pub const WIDTH_TARGET: f64 = 30.0;

/// The leaderboard measured after some actions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Checkpoint {
    /// Voter actions so far (battles answered or skipped).
    pub actions: u64,
    /// Kendall τ to the true order.
    pub tau: f64,
    /// Mean 95% interval width, points (infinite while some model has none).
    pub mean_width: f64,
    /// Whether the true top three were separated by rank (UB).
    pub top_three: bool,
}

/// One simulated run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// The leaderboard after every refit.
    pub checkpoints: Vec<Checkpoint>,
    /// Actions after which each target was first met (`None`: not within the limit).
    pub reached: Targets<Option<u64>>,
    /// The last fitted rating of each model.
    pub ratings: Vec<f64>,
}

/// Runs voters on `scenario` with `design` until every target is met or
/// `settings.max_actions` actions were spent.
///
/// # Examples
///
/// ```
/// use arena_evaluator::matchmaking::Strategy;
/// use arena_evaluator::simulate::{simulate, Design, Scenario, Settings};
/// let scenario = Scenario::evenly_spaced(6, 80.0);
/// let design = Design { strategy: Strategy::Active, k: 4 };
/// let run = simulate(&scenario, design, &Settings { max_actions: 20_000, ..Settings::default() });
/// assert!(run.reached.tau.is_some() && run.reached.width.is_some());
/// ```
pub fn simulate(scenario: &Scenario, design: Design, settings: &Settings) -> Run {
    let n = scenario.ratings.len();
    assert!(n >= design.k && (2..=4).contains(&design.k));
    let names: Vec<String> = (0..n).map(Scenario::name_of).collect();
    let strength: Vec<f64> = scenario
        .ratings
        .iter()
        .map(|r| 10f64.powf(r / 400.0 - 2.5))
        .collect();
    let mut true_order: Vec<usize> = (0..n).collect();
    true_order.sort_by(|&x, &y| scenario.ratings[y].total_cmp(&scenario.ratings[x]));
    let options = LeaderboardOptions {
        optimizer: Optimizer::Exact,
        ..LeaderboardOptions::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let mut counts = Counts::new();
    let mut state: Vec<ModelState> = (0..n)
        .map(|_| ModelState {
            rating: 1000.0,
            se: f64::NAN,
            battles: 0,
            weight: 1.0,
        })
        .collect();
    let mut run = Run {
        checkpoints: Vec::new(),
        reached: Targets::default(),
        ratings: vec![1000.0; n],
    };
    let mut actions = 0u64;
    let mut next_check = 50u64;
    while actions < settings.max_actions {
        let shown = matchmaking::choose(
            &state,
            design.k,
            design.strategy,
            settings.exploration,
            &mut rng,
        )
        .expect("enough models");
        actions += 1;
        if rng.random::<f64>() >= settings.tie_rate || design.k == 2 {
            vote(
                &mut counts,
                &names,
                &strength,
                &shown,
                settings.tie_rate,
                &mut rng,
            );
        }
        if actions < next_check && actions < settings.max_actions {
            continue;
        }
        next_check = actions + (actions / 50).max(25);
        let Ok(board) = leaderboard_from_counts(&counts, &options) else {
            continue;
        };
        let point = measure(&board, &names, &scenario.ratings, &true_order, actions);
        for (reached, met) in [
            (&mut run.reached.tau, point.tau >= TAU_TARGET),
            (&mut run.reached.top_three, point.top_three),
            (&mut run.reached.width, point.mean_width < WIDTH_TARGET),
        ] {
            if met && reached.is_none() {
                *reached = Some(actions);
            }
        }
        run.checkpoints.push(point);
        for (m, r) in run.ratings.iter_mut().enumerate() {
            if let Some(e) = board.entry(&names[m]) {
                *r = e.rating;
            }
        }
        if run.reached.tau.is_some()
            && run.reached.top_three.is_some()
            && run.reached.width.is_some()
        {
            break;
        }
        for (m, s) in state.iter_mut().enumerate() {
            if let Some(e) = board.entry(&names[m]) {
                *s = ModelState::from_entry(e, board.level);
            }
        }
    }
    run
}

/// One answered battle among `shown`.
fn vote(
    counts: &mut Counts,
    names: &[String],
    strength: &[f64],
    shown: &[usize],
    tie_rate: f64,
    rng: &mut ChaCha8Rng,
) {
    if let [a, b] = *shown {
        let outcome = if rng.random::<f64>() < tie_rate {
            Outcome::Tie
        } else if rng.random::<f64>() < strength[a] / (strength[a] + strength[b]) {
            Outcome::A
        } else {
            Outcome::B
        };
        counts.add(&names[a], &names[b], outcome);
        return;
    }
    let best = matchmaking::draw(&shown.iter().map(|&m| strength[m]).collect::<Vec<_>>(), rng);
    let worst = matchmaking::draw(
        &shown
            .iter()
            .enumerate()
            .map(|(q, &m)| if q == best { 0.0 } else { 1.0 / strength[m] })
            .collect::<Vec<_>>(),
        rng,
    );
    let models: Vec<&str> = shown.iter().map(|&m| names[m].as_str()).collect();
    counts
        .add_choice(&models, best, Some(worst), 1)
        .expect("distinct models");
}

fn measure(
    board: &Leaderboard,
    names: &[String],
    truth: &[f64],
    true_order: &[usize],
    actions: u64,
) -> Checkpoint {
    let n = names.len();
    let mut points = Vec::with_capacity(n);
    let mut width = 0.0;
    for (m, name) in names.iter().enumerate() {
        match board.entry(name) {
            Some(e) => {
                points.push((truth[m], e.rating));
                width += match (e.ci_low, e.ci_high) {
                    (Some(lo), Some(hi)) => hi - lo,
                    _ => f64::INFINITY,
                };
            }
            None => {
                points.push((truth[m], f64::NAN));
                width = f64::INFINITY;
            }
        }
    }
    let tau = if points.iter().any(|p| p.1.is_nan()) {
        0.0
    } else {
        kendall_tau(&points).unwrap_or(0.0)
    };
    let top_three = true_order
        .iter()
        .take(3)
        .enumerate()
        .all(|(r, &m)| board.entry(&names[m]).is_some_and(|e| e.rank_ub == r + 1));
    Checkpoint {
        actions,
        tau,
        mean_width: width / n as f64,
        top_three,
    }
}

/// One design over many seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesignReport {
    /// The design.
    pub design: Design,
    /// `uniform pairs`, `active K=4`, …
    pub label: String,
    /// The voter time model's seconds per battle ([`Design::seconds_per_battle`]).
    pub seconds_per_battle: f64,
    /// Runs (seeds).
    pub runs: usize,
    /// Runs that met each target within the limit.
    pub reached_runs: Targets<usize>,
    /// Median actions to each target over the runs (`None`: half the runs or more did
    /// not get there).
    pub median_actions: Targets<Option<u64>>,
    /// `median_actions × seconds_per_battle`.
    pub median_seconds: Targets<Option<f64>>,
    /// Median actions over those of the first design (uniform pairs, the baseline).
    pub actions_vs_baseline: Targets<Option<f64>>,
    /// `(actions, median mean interval width, median τ)` at each refit, while at least
    /// half the runs were still going.
    pub curve: Vec<(u64, f64, f64)>,
}

/// Every design on one scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioReport {
    /// The true ratings.
    pub scenario: Scenario,
    /// One report per design, the baseline first.
    pub designs: Vec<DesignReport>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Runs every design on `scenario` with seeds `0..seeds` (on all cores) and sums up;
/// the first design is the baseline the others are compared with.
pub fn compare(
    scenario: &Scenario,
    designs: &[Design],
    settings: &Settings,
    seeds: u64,
) -> ScenarioReport {
    let jobs: Vec<(usize, u64)> = (0..designs.len())
        .flat_map(|d| (0..seeds).map(move |s| (d, s)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![None; jobs.len()]);
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(jobs.len()) {
            scope.spawn(|| {
                loop {
                    let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(d, seed)) = jobs.get(j) else {
                        break;
                    };
                    let run = simulate(scenario, designs[d], &Settings { seed, ..*settings });
                    results.lock().unwrap_or_else(|e| e.into_inner())[j] = Some(run);
                }
            });
        }
    });
    let results: Vec<Run> = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect();
    let mut reports: Vec<DesignReport> = Vec::new();
    for (d, design) in designs.iter().enumerate() {
        let runs: Vec<&Run> = jobs
            .iter()
            .zip(&results)
            .filter(|((jd, _), _)| *jd == d)
            .map(|(_, r)| r)
            .collect();
        let target = |get: fn(&Targets<Option<u64>>) -> Option<u64>| {
            let values: Vec<f64> = runs
                .iter()
                .map(|r| get(&r.reached).map_or(f64::INFINITY, |a| a as f64))
                .collect();
            let reached = values.iter().filter(|v| v.is_finite()).count();
            let m = median(values);
            (reached, m.is_finite().then_some(m as u64))
        };
        let (tau_runs, tau) = target(|t| t.tau);
        let (top_runs, top) = target(|t| t.top_three);
        let (width_runs, width) = target(|t| t.width);
        let median_actions = Targets {
            tau,
            top_three: top,
            width,
        };
        let seconds = design.seconds_per_battle();
        let mut curve = Vec::new();
        for c in 0.. {
            let at: Vec<&Checkpoint> = runs.iter().filter_map(|r| r.checkpoints.get(c)).collect();
            if at.len() * 2 < runs.len().max(1) || at.is_empty() {
                break;
            }
            curve.push((
                at[0].actions,
                median(at.iter().map(|p| p.mean_width).collect()),
                median(at.iter().map(|p| p.tau).collect()),
            ));
        }
        let baseline = reports.first().map(|b| b.median_actions);
        let ratio = |ours: Option<u64>, base: Option<Option<u64>>| match (ours, base) {
            (Some(o), Some(Some(b))) => Some(o as f64 / b as f64),
            (_, None) => Some(1.0).filter(|_| ours.is_some()),
            _ => None,
        };
        reports.push(DesignReport {
            design: *design,
            label: design.label(),
            seconds_per_battle: seconds,
            runs: runs.len(),
            reached_runs: Targets {
                tau: tau_runs,
                top_three: top_runs,
                width: width_runs,
            },
            median_actions,
            median_seconds: Targets {
                tau: tau.map(|a| a as f64 * seconds),
                top_three: top.map(|a| a as f64 * seconds),
                width: width.map(|a| a as f64 * seconds),
            },
            actions_vs_baseline: Targets {
                tau: ratio(tau, baseline.map(|b| b.tau)),
                top_three: ratio(top, baseline.map(|b| b.top_three)),
                width: ratio(width, baseline.map(|b| b.width)),
            },
            curve,
        });
    }
    ScenarioReport {
        scenario: scenario.clone(),
        designs: reports,
    }
}

/// The four designs `arena simulate` compares: {uniform, active} × {pairs, K = 4},
/// uniform pairs (today's arena) first.
pub fn standard_designs() -> Vec<Design> {
    [
        (Strategy::Uniform, 2),
        (Strategy::Active, 2),
        (Strategy::Uniform, 4),
        (Strategy::Active, 4),
    ]
    .into_iter()
    .map(|(strategy, k)| Design { strategy, k })
    .collect()
}
