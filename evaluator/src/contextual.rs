//! Contextual Bradley–Terry ("style control"): ratings plus a coefficient for each
//! per-battle covariate, fitted as arena-rank 0.1.1's `ContextualBradleyTerry` with its
//! defaults, so that a style-controlled board carries LMArena's numbers.
//!
//! A vote of A against B with covariates `x` (for style, A's statistic minus B's) has
//! `P(A wins) = σ(θ_A − θ_B + β·x)`; a tie is half a win, as everywhere. arena-rank's
//! `ContextualPairDataset` and model, which this follows step for step:
//!
//! * each covariate is z-normalised over the rows (population standard deviation; a
//!   constant column is left unscaled), so `β` is in logits per standard deviation;
//! * rows are reweighted by the inverse of how often their pair was shown,
//!   `1 / max(pair votes, 50)`, then scaled to a mean weight of 1;
//! * loss `−mean(w · (o·z − ln(1 + eᶻ))) + ½·reg·‖β‖²` with `reg = 1`
//!   ([`LeaderboardOptions::control_reg`]), minimised from zero by the same L-BFGS as
//!   the plain fit ([`crate::lbfgs::minimize`]);
//! * sandwich covariance `H⁻¹ G H⁻¹ / N` over ratings and coefficients together, with
//!   `H` the Hessian of the mean log-likelihood plus `1e-5·I` (the coefficients'
//!   penalty is left out of `H`, as arena-rank leaves it) and `G` the mean squared
//!   score less `reg²·ββᵀ/N`;
//! * bootstrap: rows resampled with replacement (keeping their normalised covariates
//!   and weights), each resample refitted from zero; percentile bounds.
//!
//! The penalty is strong: on standardised covariates it holds each coefficient to a
//! fraction of its unpenalised value (about a fifth when the covariate's effect is
//! small), so the ratings keep part of what the covariate explains; `control_reg = 0`
//! fits the plain maximum likelihood.
//!
//! Rows are not aggregated (covariates differ per vote), so a fit costs
//! O(rows × covariates) per step.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::bootstrap::{self, Progress};
use crate::bt::{self, sigmoid, softplus};
use crate::counts::{Table, propensity_weight};
use crate::lbfgs::{self, Loss};
use crate::linalg;
use crate::options::{BothBad, CiMethod, LeaderboardOptions};
use crate::rate::Rated;
use crate::sandwich::HESSIAN_REG;
use crate::stats::{normal_quantile, quantile_sorted};
use crate::vote::Outcome;

/// One covariate's effect, in logits per standard deviation of the covariate: how much
/// a standard deviation more of it moves the odds that model A wins, whoever A is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coefficient {
    /// The covariate's name (the key in the votes' `features`).
    pub name: String,
    /// The fitted coefficient (logits per standard deviation).
    pub coefficient: f64,
    /// Lower bound of its interval (`null` when intervals could not be computed).
    pub ci_low: Option<f64>,
    /// Upper bound of its interval.
    pub ci_high: Option<f64>,
    /// The covariate's mean over the rows, before normalising.
    pub mean: f64,
    /// Its standard deviation over the rows (the unit of the coefficient).
    pub sd: f64,
}

/// The rows of a contextual fit, as the readers collect them: models as interned
/// indices of the [`Counts`](crate::Counts) filled alongside, covariates row-major.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rows {
    pub names: Vec<String>,
    pub a: Vec<u32>,
    pub b: Vec<u32>,
    pub outcome: Vec<Outcome>,
    pub x: Vec<f64>,
}

impl Rows {
    pub fn push(&mut self, a: u32, b: u32, outcome: Outcome, x: &[f64]) {
        debug_assert_eq!(x.len(), self.names.len());
        self.a.push(a);
        self.b.push(b);
        self.outcome.push(outcome);
        self.x.extend_from_slice(x);
    }
}

/// The rows ready to fit: table indices, outcomes as scores, normalised covariates,
/// weights of mean 1.
struct Data {
    a: Vec<usize>,
    b: Vec<usize>,
    o: Vec<f64>,
    x: Vec<f64>,
    w: Vec<f64>,
    k: usize,
    n_models: usize,
    /// Extra penalty on the ratings (mean-loss scale) when no finite maximum exists.
    rating_reg: f64,
    /// L2 penalty on the coefficients ([`LeaderboardOptions::control_reg`]).
    reg: f64,
}

impl Data {
    fn rows(&self) -> usize {
        self.o.len()
    }

    fn x(&self, r: usize) -> &[f64] {
        &self.x[r * self.k..(r + 1) * self.k]
    }

    /// `θ_a − θ_b + β·x` of row `r`.
    fn logit(&self, r: usize, params: &[f64]) -> f64 {
        let (ratings, coeffs) = params.split_at(self.n_models);
        let context: f64 = self.x(r).iter().zip(coeffs).map(|(x, c)| x * c).sum();
        ratings[self.a[r]] - ratings[self.b[r]] + context
    }

    /// The rows `picks` of this data (a bootstrap resample).
    fn resampled(&self, picks: &[usize]) -> Data {
        let mut x = Vec::with_capacity(picks.len() * self.k);
        for &r in picks {
            x.extend_from_slice(self.x(r));
        }
        Data {
            a: picks.iter().map(|&r| self.a[r]).collect(),
            b: picks.iter().map(|&r| self.b[r]).collect(),
            o: picks.iter().map(|&r| self.o[r]).collect(),
            x,
            w: picks.iter().map(|&r| self.w[r]).collect(),
            k: self.k,
            n_models: self.n_models,
            rating_reg: self.rating_reg,
            reg: self.reg,
        }
    }
}

impl Loss for Data {
    fn value_and_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        grad.iter_mut().for_each(|g| *g = 0.0);
        let n = self.rows() as f64;
        let (ratings, coeffs) = params.split_at(self.n_models);
        let mut ll = 0.0;
        for r in 0..self.rows() {
            let z = self.logit(r, params);
            ll += self.w[r] * (z * self.o[r] - softplus(z));
            let residual = self.w[r] * (self.o[r] - sigmoid(z)) / n;
            grad[self.a[r]] -= residual;
            grad[self.b[r]] += residual;
            for (g, x) in grad[self.n_models..].iter_mut().zip(self.x(r)) {
                *g -= residual * x;
            }
        }
        let mut penalty = 0.5 * self.reg * coeffs.iter().map(|c| c * c).sum::<f64>();
        for (g, c) in grad[self.n_models..].iter_mut().zip(coeffs) {
            *g += self.reg * c;
        }
        if self.rating_reg > 0.0 {
            penalty += 0.5 * self.rating_reg * ratings.iter().map(|t| t * t).sum::<f64>();
            for (g, t) in grad.iter_mut().zip(ratings) {
                *g += self.rating_reg * t;
            }
        }
        -(ll / n) + penalty
    }
}

/// The contextual fit: ratings (in points, before anchoring) with bounds, and the
/// coefficients. Rows whose outcome the options drop (both-bad, when excluded) are
/// left out, as they are from `table`.
pub(crate) fn rate_contextual(
    table: &Table,
    rows: &Rows,
    options: &LeaderboardOptions,
    progress: Option<Progress<'_>>,
    warnings: &mut Vec<String>,
) -> (Rated, Vec<Coefficient>) {
    let n_models = table.n_models();
    let k = rows.names.len();
    let mut data = Data {
        a: Vec::new(),
        b: Vec::new(),
        o: Vec::new(),
        x: Vec::new(),
        w: Vec::new(),
        k,
        n_models,
        rating_reg: 0.0,
        reg: options.control_reg,
    };
    for r in 0..rows.outcome.len() {
        let outcome = rows.outcome[r];
        if outcome == Outcome::BothBad && options.both_bad == BothBad::Exclude {
            continue;
        }
        let (Some(a), Some(b)) = (
            table.from_counts[rows.a[r] as usize],
            table.from_counts[rows.b[r] as usize],
        ) else {
            continue;
        };
        data.a.push(a);
        data.b.push(b);
        data.o.push(match outcome {
            Outcome::A => 1.0,
            Outcome::B => 0.0,
            Outcome::Tie | Outcome::BothBad => 0.5,
        });
        data.x.extend_from_slice(&rows.x[r * k..(r + 1) * k]);
    }
    let n_rows = data.rows();
    if n_rows == 0 {
        let rated = Rated {
            rating: vec![options.initial_rating; n_models],
            bounds: None,
            n_votes: 0,
        };
        return (rated, Vec::new());
    }
    let (means, sds) = normalise(&mut data.x, k);
    data.w = row_weights(&data.a, &data.b);
    if bt::separation(&table.pairs, n_models).is_some() && n_rows > 0 {
        data.rating_reg = bt::FALLBACK_RIDGE / n_rows as f64;
        warnings.push(format!(
            "no finite maximum-likelihood ratings exist (a model never lost or never won); \
             the contextual fit uses a weak ridge prior on the ratings (λ = {})",
            bt::FALLBACK_RIDGE
        ));
    }
    let dim = n_models + k;
    let (mut params, converged) = lbfgs::minimize(&data, dim);
    if !converged {
        warnings.push("the contextual Bradley–Terry fit did not fully converge".into());
    }
    let component = bt::components(&table.pairs, n_models);
    bt::centre(&mut params[..n_models], &component);

    let points = options.points_per_logit();
    let to_points = |theta: f64| options.initial_rating + theta * points;
    let tail = (1.0 - options.level) / 2.0;
    let bounds: Option<Vec<(f64, f64)>> = match options.ci {
        CiMethod::Sandwich => {
            let se = standard_errors(&data, &params);
            let z = normal_quantile(1.0 - tail);
            Some(
                params
                    .iter()
                    .zip(&se)
                    .map(|(p, s)| (p - z * s, p + z * s))
                    .collect::<Vec<_>>(),
            )
        }
        CiMethod::Bootstrap if n_rows == 0 => None,
        CiMethod::Bootstrap => {
            let samples = bootstrap(
                &data,
                options.bootstrap_rounds,
                options.seed,
                &component,
                progress,
            );
            Some(
                samples
                    .iter()
                    .map(|s| (quantile_sorted(s, tail), quantile_sorted(s, 1.0 - tail)))
                    .collect::<Vec<_>>(),
            )
        }
    }
    .filter(|b| b.iter().all(|(lo, hi)| lo.is_finite() && hi.is_finite()));
    if bounds.is_none() {
        warnings.push("confidence intervals could not be computed".into());
    }
    let coefficients = (0..k)
        .map(|c| Coefficient {
            name: rows.names[c].clone(),
            coefficient: params[n_models + c],
            ci_low: bounds.as_ref().map(|b| b[n_models + c].0),
            ci_high: bounds.as_ref().map(|b| b[n_models + c].1),
            mean: means[c],
            sd: sds[c],
        })
        .collect();
    let rated = Rated {
        rating: params[..n_models].iter().map(|&t| to_points(t)).collect(),
        bounds: bounds.map(|b| {
            b[..n_models]
                .iter()
                .map(|&(lo, hi)| (to_points(lo), to_points(hi)))
                .collect()
        }),
        // Votes of a model against itself inform only the coefficients; like the
        // plain fit, the count is of the votes between two models.
        n_votes: (0..n_rows).filter(|&r| data.a[r] != data.b[r]).count() as u64,
    };
    (rated, coefficients)
}

/// z-normalises each column in place (population standard deviation; a constant column
/// keeps a divisor of 1); returns the columns' means and standard deviations.
fn normalise(x: &mut [f64], k: usize) -> (Vec<f64>, Vec<f64>) {
    let n = x.len().checked_div(k).unwrap_or(0);
    let mut means = vec![0.0; k];
    let mut sds = vec![0.0; k];
    if n == 0 {
        return (means, sds);
    }
    for c in 0..k {
        let mean = (0..n).map(|r| x[r * k + c]).sum::<f64>() / n as f64;
        let var = (0..n).map(|r| (x[r * k + c] - mean).powi(2)).sum::<f64>() / n as f64;
        let sd = var.sqrt();
        let divisor = if sd == 0.0 { 1.0 } else { sd };
        for r in 0..n {
            x[r * k + c] = (x[r * k + c] - mean) / divisor;
        }
        means[c] = mean;
        sds[c] = sd;
    }
    (means, sds)
}

/// arena-rank's row weights: the propensity weight of each row's (unordered) pair,
/// scaled to a mean of 1.
fn row_weights(a: &[usize], b: &[usize]) -> Vec<f64> {
    let mut pair_votes = rustc_hash::FxHashMap::default();
    for (&x, &y) in a.iter().zip(b) {
        *pair_votes.entry((x.min(y), x.max(y))).or_insert(0u64) += 1;
    }
    let mut w: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| propensity_weight(pair_votes[&(x.min(y), x.max(y))] as f64))
        .collect();
    let mean = w.iter().sum::<f64>() / w.len().max(1) as f64;
    if mean > 0.0 {
        w.iter_mut().for_each(|v| *v /= mean);
    }
    w
}

/// Standard errors of every parameter (ratings, then coefficients) in logits, from
/// arena-rank's sandwich.
fn standard_errors(data: &Data, params: &[f64]) -> Vec<f64> {
    let (m, k) = (data.n_models, data.k);
    let dim = m + k;
    let n = data.rows() as f64;
    let mut h = vec![0.0; dim * dim];
    let mut g = vec![0.0; dim * dim];
    for r in 0..data.rows() {
        let p = sigmoid(data.logit(r, params));
        let hv = p * (1.0 - p) * data.w[r] / n;
        let gv = ((data.o[r] - p) * data.w[r]).powi(2) / n;
        for (mat, v) in [(&mut h, hv), (&mut g, gv)] {
            outer_row(mat, dim, m, data.a[r], data.b[r], data.x(r), v);
        }
    }
    for d in 0..dim {
        h[d * dim + d] += HESSIAN_REG;
    }
    for d in 0..m {
        h[d * dim + d] += data.rating_reg;
    }
    let coeffs = &params[m..];
    for (i, ci) in coeffs.iter().enumerate() {
        for (j, cj) in coeffs.iter().enumerate() {
            g[(m + i) * dim + m + j] -= data.reg * data.reg / n * ci * cj;
        }
    }
    if !linalg::cholesky(&mut h, dim) {
        return vec![f64::NAN; dim];
    }
    let inv = linalg::inverse(&h, dim);
    // diag(H⁻¹ G H⁻¹)_d = rowᵈ(H⁻¹) · G · rowᵈ(H⁻¹)ᵀ.
    (0..dim)
        .map(|d| {
            let row = &inv[d * dim..(d + 1) * dim];
            let mut total = 0.0;
            for (i, ri) in row.iter().enumerate() {
                if *ri == 0.0 {
                    continue;
                }
                total += ri * linalg::dot(&g[i * dim..(i + 1) * dim], row);
            }
            (total / n).sqrt()
        })
        .collect()
}

/// Adds `v·uuᵀ` to `mat` for `u = e_a − e_b ⊕ x` (ratings then covariates).
fn outer_row(mat: &mut [f64], dim: usize, m: usize, a: usize, b: usize, x: &[f64], v: f64) {
    linalg::add_pair_term(mat, dim, a, b, v);
    for (i, xi) in x.iter().enumerate() {
        let fi = m + i;
        for (j, xj) in x.iter().enumerate() {
            mat[fi * dim + m + j] += v * xi * xj;
        }
        for (r, sign) in [(a, 1.0), (b, -1.0)] {
            mat[r * dim + fi] += sign * v * xi;
            mat[fi * dim + r] += sign * v * xi;
        }
    }
}

/// Percentile-bootstrap samples of every parameter (sorted), rows resampled with
/// replacement, each resample refitted from zero ([`bootstrap::run_rounds`]).
fn bootstrap(
    data: &Data,
    rounds: usize,
    seed: u64,
    component: &[usize],
    progress: Option<Progress<'_>>,
) -> Vec<Vec<f64>> {
    let dim = data.n_models + data.k;
    let n_rows = data.rows();
    bootstrap::run_rounds(
        rounds,
        seed,
        dim,
        progress,
        || vec![0usize; n_rows],
        |picks, rng| {
            picks
                .iter_mut()
                .for_each(|p| *p = rng.random_range(0..n_rows));
            let sample = data.resampled(picks);
            let (mut params, _) = lbfgs::minimize(&sample, dim);
            bt::centre(&mut params[..data.n_models], component);
            params
        },
    )
}
