//! The two ways of turning a table of counts into ratings: Bradley–Terry with
//! intervals, and online Elo replayed in vote order. Both return rating points
//! before anchoring; the leaderboard adds the per-model rows.

use crate::bootstrap::{self, Progress};
use crate::bt::{self, FALLBACK_RIDGE, Separation};
use crate::counts::Table;
use crate::elo::{EloParams, OnlineElo};
use crate::lbfgs;
use crate::options::{BothBad, CiMethod, LeaderboardOptions, Optimizer};
use crate::read::OrderedVote;
use crate::sandwich;
use crate::stats::{normal_quantile, quantile_sorted};
use crate::vote::Outcome;

/// Ratings and bounds in rating points, before anchoring.
pub(crate) struct Rated {
    pub rating: Vec<f64>,
    pub bounds: Option<Vec<(f64, f64)>>,
    pub n_votes: u64,
}

/// Bradley–Terry ratings with sandwich or bootstrap bounds. Falls back to a weak
/// ridge (with a warning) when no finite maximum exists; each group of models that
/// never met is centred on its own. `self_battles` (the weight of the votes of a model
/// against itself, not in the table: their number unless reweighted) count in
/// arena-rank's mean loss and in its sandwich's ridge.
pub(crate) fn rate_bt(
    table: &Table,
    self_battles: f64,
    options: &LeaderboardOptions,
    progress: Option<Progress<'_>>,
    warnings: &mut Vec<String>,
) -> Rated {
    let n = table.n_models();
    let pairs = &table.pairs;
    let choices = &table.choices;
    let graph = table.graph_pairs();
    let separation = bt::separation(&graph, n);
    let ridge = match (&separation, options.ridge) {
        (_, r) if r > 0.0 => r,
        (Some(_), _) => FALLBACK_RIDGE,
        (None, _) => 0.0,
    };
    if let (Some(s), 0.0) = (&separation, options.ridge) {
        warnings.push(separation_warning(s, &table.names));
    }
    let component = bt::components(&graph, n);
    // arena-rank's optimiser knows pairs only; with K-wise votes the fit is exact.
    let fit = if ridge == 0.0 && options.optimizer == Optimizer::ArenaRank && choices.is_empty() {
        let mut fit = lbfgs::fit(pairs, n, self_battles);
        bt::centre(&mut fit.theta, &component);
        fit
    } else {
        bt::fit(pairs, choices, n, ridge, None, bt::TOLERANCE)
    };
    if !fit.converged {
        warnings.push("the Bradley–Terry fit did not fully converge".into());
    }
    let points = options.points_per_logit();
    let to_points = |theta: f64| options.initial_rating + theta * points;
    let tail = (1.0 - options.level) / 2.0;
    let n_votes = table.n_votes();
    let bounds = match options.ci {
        CiMethod::Sandwich => {
            let bread_ridge = sandwich::bread_ridge(n_votes + self_battles, options.reweight);
            let se = sandwich::standard_errors(pairs, choices, &fit.theta, ridge, bread_ridge);
            let z = normal_quantile(1.0 - tail);
            fit.theta
                .iter()
                .zip(&se)
                .map(|(t, s)| (to_points(t - z * s), to_points(t + z * s)))
                .collect::<Vec<_>>()
        }
        CiMethod::Bootstrap => {
            let samples = bootstrap::bootstrap(
                pairs,
                choices,
                &fit.theta,
                options.bootstrap_rounds,
                options.seed,
                options.ridge,
                progress,
            );
            samples
                .iter()
                .map(|s| {
                    (
                        to_points(quantile_sorted(s, tail)),
                        to_points(quantile_sorted(s, 1.0 - tail)),
                    )
                })
                .collect()
        }
    };
    let bounds = if bounds
        .iter()
        .all(|(lo, hi)| lo.is_finite() && hi.is_finite())
    {
        Some(bounds)
    } else {
        warnings.push("confidence intervals could not be computed".into());
        None
    };
    Rated {
        rating: fit.theta.iter().map(|&t| to_points(t)).collect(),
        bounds,
        n_votes: n_votes as u64,
    }
}

fn separation_warning(s: &Separation, names: &[String]) -> String {
    let describe = |groups: &[Vec<usize>], verb: &str| -> Vec<String> {
        groups
            .iter()
            .map(|g| {
                let list: Vec<&str> = g.iter().map(|&m| names[m].as_str()).collect();
                if list.len() == 1 {
                    format!("{} never {verb}", list[0])
                } else {
                    format!(
                        "[{}] never {verb} against the other models",
                        list.join(", ")
                    )
                }
            })
            .collect()
    };
    let mut parts = describe(&s.unbeaten, "lost or tied");
    parts.extend(describe(&s.winless, "won or tied"));
    format!(
        "no finite maximum-likelihood ratings exist ({}); the fit uses a weak ridge prior (λ = {FALLBACK_RIDGE} on the logit scale), which understates the gaps next to these models (the votes put no upper limit on them)",
        parts.join("; ")
    )
}

/// Online Elo over the votes in `tstamp` order (file order when some lack a time),
/// skipping both-bad votes when they are excluded.
pub(crate) fn rate_elo(
    table: &Table,
    mut order: Vec<OrderedVote>,
    options: &LeaderboardOptions,
    warnings: &mut Vec<String>,
) -> Rated {
    let with_time = order.iter().filter(|v| !v.tstamp.is_nan()).count();
    if with_time == order.len() {
        // FastChat sorts battles by tstamp before replaying them; sort_by is stable.
        order.sort_by(|x, y| x.tstamp.total_cmp(&y.tstamp));
    } else if with_time > 0 {
        warnings.push(format!(
            "{} of {} votes have no tstamp; online Elo replays them in file order",
            order.len() - with_time,
            order.len()
        ));
    }
    let mut elo = OnlineElo::new(EloParams {
        k: options.elo_k,
        scale: options.scale,
        base: options.base,
        initial: options.initial_rating,
    });
    for name in &table.names {
        elo.model_index(name);
    }
    let mut used = 0;
    for v in &order {
        if v.outcome == Outcome::BothBad && options.both_bad == BothBad::Exclude {
            continue;
        }
        let (Some(a), Some(b)) = (
            table.from_counts[v.a as usize],
            table.from_counts[v.b as usize],
        ) else {
            continue;
        };
        elo.update_indices(a, b, v.outcome);
        used += 1;
    }
    Rated {
        rating: elo.ratings().map(|(_, r)| r).collect(),
        bounds: None,
        n_votes: used,
    }
}
