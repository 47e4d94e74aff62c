//! arena-rank 0.1.1's Bradley–Terry optimiser, reproduced step for step, so that the
//! default leaderboard carries the numbers LMArena's tool publishes and not only
//! the same maximum.
//!
//! arena-rank (`BradleyTerry.fit` → `utils.math_utils.lbfgs_minimize`) minimises the
//! mean negative log-likelihood per vote, `−Σ n·(o·d − ln(1 + eᵈ)) / N` — a vote of a
//! model against itself is one of the `N` and adds `ln 2` — with optax 0.2.8's
//! `lbfgs()` from θ = 0:
//!
//! * direction: the L-BFGS two-loop recursion over the last 10 steps, the initial
//!   inverse Hessian `γ·I` with `γ = sᵀy / yᵀy` of the newest pair (`min(1, 1/‖g‖)`
//!   on the first step);
//! * step: optax's zoom line search (`scale_by_zoom_linesearch`, at most 20
//!   evaluations, first guess 1, doubling until an interval is found, then cubic,
//!   quadratic or bisection steps; sufficient decrease 1e-4 with the approximate-Wolfe
//!   relaxation 1e-6·|f|, curvature 0.9; on failure the best point with sufficient
//!   decrease);
//! * stop: before each step, unless it is the first, once the largest gradient
//!   entry is below 1e-9, or the loss changed by less than 1e-9 (relative, absolute
//!   below 1) between the points two steps apart, or after 1000 steps.
//!
//! The loss criterion can fire before the maximum is reached. On LLMFAO (59 models,
//! 8,931 votes, 39% ties) arena-rank stops after 19 steps with the gradient still
//! 4.1e-7 per vote (3.6e-3 in votes) and its ratings up to 0.0143 points from the
//! exact maximum (log-likelihood 5.7e-7 below it); FastChat's `compute_bt` (scipy's
//! L-BFGS-B, whose own relative-reduction test fires first) stops elsewhere, 0.065
//! points from it. This module follows arena-rank's arithmetic in the same order
//! of operations; only sums run in another order, so the result agrees with
//! arena-rank to rounding, whatever the order of the models: checked against
//! arena-rank 0.1.1 itself on the three reference data sets and on 30 random ones
//! (3–60 models, up to 30,000 votes, many with self-battles), ratings agree to
//! 5e-13 points and sandwich bounds to 4e-8. [`Optimizer::Exact`](crate::Optimizer::Exact) is the exact
//! maximum instead.

use std::collections::VecDeque;

use crate::bt::{Fit, sigmoid, softplus};
use crate::counts::Pair;
use crate::linalg::dot;

/// `lbfgs_minimize`'s defaults as `BradleyTerry` passes them.
const MAX_ITERATIONS: usize = 1000;
const FTOL: f64 = 1e-9;
const GTOL: f64 = 1e-9;
/// `optax.lbfgs()`'s defaults.
const MEMORY: usize = 10;
const MAX_LINESEARCH_STEPS: usize = 20;
/// `optax.zoom_linesearch`'s defaults.
const INCREASE_FACTOR: f64 = 2.0;
const SLOPE_RTOL: f64 = 1e-4;
const CURV_RTOL: f64 = 0.9;
const APPROX_DEC_RTOL: f64 = 1e-6;
const INTERVAL_THRESHOLD: f64 = 1e-5;

/// Fits the unpenalised model as arena-rank does. `self_battles` is the weight of the
/// votes of a model against itself (their number, unless reweighted), which
/// arena-rank keeps in its mean loss. The caller must have checked that a finite
/// maximum exists ([`crate::bt::separation`]); each connected group comes out centred
/// on zero, as arena-rank's does (up to rounding, which the caller's centring
/// removes).
pub(crate) fn fit(pairs: &[Pair], n: usize, self_battles: f64) -> Fit {
    let (theta, converged) = minimize(&Objective::new(pairs, n, self_battles), n);
    Fit { theta, converged }
}

/// A loss that [`minimize`] can minimise: its value at `x`, its gradient into `grad`.
pub(crate) trait Loss {
    fn value_and_grad(&self, x: &[f64], grad: &mut [f64]) -> f64;
}

/// optax's L-BFGS from `x = 0` on `loss` of `n` parameters, as arena-rank's
/// `lbfgs_minimize` runs it; returns the last point and whether a stopping test
/// (rather than the step limit) ended it.
pub(crate) fn minimize(objective: &dyn Loss, n: usize) -> (Vec<f64>, bool) {
    let mut x = vec![0.0; n];
    let mut grad = vec![0.0; n];
    let mut value = objective.value_and_grad(&x, &mut grad);
    let mut memory: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(MEMORY + 1);
    let mut prev_x = vec![0.0; n];
    let mut prev_grad = vec![0.0; n];
    let mut new_grad = vec![0.0; n];
    let mut search = LineSearch::new(n);
    let mut direction = vec![0.0; n];
    let mut alphas = Vec::with_capacity(MEMORY);
    let mut count = 0;
    let (mut prev_loss, mut grad_max, mut rel_change) =
        (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    while count == 0 || (count < MAX_ITERATIONS && grad_max >= GTOL && rel_change >= FTOL) {
        // scale_by_lbfgs: store the newest (s, y) and scale the identity by it.
        let gamma = if count > 0 {
            let s: Vec<f64> = x.iter().zip(&prev_x).map(|(a, b)| a - b).collect();
            let y: Vec<f64> = grad.iter().zip(&prev_grad).map(|(a, b)| a - b).collect();
            let sy = dot(&y, &s);
            let rho = if sy == 0.0 { 0.0 } else { 1.0 / sy };
            let yy = dot(&y, &y);
            memory.push_back((s, y, rho));
            if memory.len() > MEMORY {
                memory.pop_front();
            }
            if yy > 0.0 { sy / yy } else { 1.0 }
        } else {
            (1.0 / dot(&grad, &grad).sqrt()).min(1.0)
        };
        // The two-loop recursion, newest pair first.
        direction.copy_from_slice(&grad);
        alphas.clear();
        for (s, y, rho) in memory.iter().rev() {
            let alpha = rho * dot(s, &direction);
            axpy(-alpha, y, &mut direction);
            alphas.push(alpha);
        }
        direction.iter_mut().for_each(|d| *d *= gamma);
        for ((s, y, rho), alpha) in memory.iter().zip(alphas.iter().rev()) {
            let beta = rho * dot(y, &direction);
            axpy(alpha - beta, s, &mut direction);
        }
        direction.iter_mut().for_each(|d| *d = -*d);
        prev_x.copy_from_slice(&x);
        prev_grad.copy_from_slice(&grad);
        count += 1;
        let (step, new_value) = search.run(objective, &x, &direction, value, &grad, &mut new_grad);
        for (xm, d) in x.iter_mut().zip(&direction) {
            *xm += step * d;
        }
        grad_max = new_grad.iter().fold(0.0, |m: f64, g| m.max(g.abs()));
        rel_change = if prev_loss.is_infinite() {
            f64::INFINITY
        } else {
            (new_value - prev_loss).abs() / new_value.abs().max(prev_loss.abs()).max(1.0)
        };
        // arena-rank's loop carries the loss *before* this step as the one to
        // compare the next step's result with.
        prev_loss = value;
        value = new_value;
        std::mem::swap(&mut grad, &mut new_grad);
    }
    let converged = grad_max < GTOL || rel_change < FTOL;
    (x, converged)
}

/// The (weighted) mean negative log-likelihood per vote and its gradient.
struct Objective<'a> {
    pairs: &'a [Pair],
    n: usize,
    /// Weight of all votes, self-battles included.
    votes: f64,
    /// `ln 2` per (weighted) self-battle.
    constant: f64,
}

impl<'a> Objective<'a> {
    fn new(pairs: &'a [Pair], n: usize, self_battles: f64) -> Self {
        let votes = pairs.iter().map(|p| p.weight * p.total()).sum::<f64>() + self_battles;
        Objective {
            pairs,
            n,
            votes: if votes > 0.0 { votes } else { 1.0 },
            constant: self_battles * std::f64::consts::LN_2,
        }
    }
}

impl Loss for Objective<'_> {
    fn value_and_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        debug_assert_eq!(grad.len(), self.n);
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut ll = 0.0;
        for p in self.pairs {
            let d = x[p.i] - x[p.j];
            ll += p.weight * (p.score_i() * d - p.total() * softplus(d));
            let r = p.weight * (p.score_i() - p.total() * sigmoid(d));
            grad[p.i] -= r;
            grad[p.j] += r;
        }
        grad.iter_mut().for_each(|g| *g /= self.votes);
        (self.constant - ll) / self.votes
    }
}

/// optax's zoom line search along `u` from `x`, with its state between evaluations.
struct LineSearch {
    trial: Vec<f64>,
    grad: Vec<f64>,
    trial_grad: Vec<f64>,
    safe_grad: Vec<f64>,
}

/// A point on the line: step size, loss, slope along the direction.
#[derive(Clone, Copy)]
struct OnLine {
    step: f64,
    value: f64,
    slope: f64,
}

impl LineSearch {
    fn new(n: usize) -> Self {
        LineSearch {
            trial: vec![0.0; n],
            grad: vec![0.0; n],
            trial_grad: vec![0.0; n],
            safe_grad: vec![0.0; n],
        }
    }

    /// Evaluates the loss at `x + step·u` into `trial_grad`.
    fn evaluate(&mut self, objective: &dyn Loss, x: &[f64], u: &[f64], step: f64) -> OnLine {
        for ((t, xm), um) in self.trial.iter_mut().zip(x).zip(u) {
            *t = xm + step * um;
        }
        let value = objective.value_and_grad(&self.trial, &mut self.trial_grad);
        OnLine {
            step,
            value,
            slope: dot(&self.trial_grad, u),
        }
    }

    /// Returns the accepted step size and the loss there; its gradient goes to `grad_out`.
    fn run(
        &mut self,
        objective: &dyn Loss,
        x: &[f64],
        u: &[f64],
        value_init: f64,
        grad_init: &[f64],
        grad_out: &mut [f64],
    ) -> (f64, f64) {
        let slope_init = dot(u, grad_init);
        let init = OnLine {
            step: 0.0,
            value: value_init,
            slope: slope_init,
        };
        let decrease_error = |p: &OnLine| -> f64 {
            let plain = p.value - value_init - SLOPE_RTOL * p.step * slope_init;
            let approx = nan_max(
                p.slope - (2.0 * SLOPE_RTOL - 1.0) * slope_init,
                p.value - value_init - APPROX_DEC_RTOL * value_init.abs(),
            );
            let error = nan_max(nan_min(approx, plain), 0.0);
            if error.is_nan() { f64::INFINITY } else { error }
        };
        let curvature_error = |p: &OnLine| -> f64 {
            let error = nan_max(p.slope.abs() - CURV_RTOL * slope_init.abs(), 0.0);
            if error.is_nan() { f64::INFINITY } else { error }
        };
        self.grad.copy_from_slice(grad_init);
        self.safe_grad.copy_from_slice(grad_init);
        let mut current = init;
        let mut safe = init;
        let (mut low, mut high, mut cubic_ref) = (init, init, init);
        let mut last_decrease_error;
        let mut interval_found = false;
        let mut count = 0;
        loop {
            let (done, failed);
            if !interval_found {
                let step = if count == 0 {
                    1.0
                } else {
                    INCREASE_FACTOR * current.step
                };
                let new = self.evaluate(objective, x, u, step);
                let dec = decrease_error(&new);
                let error = nan_max(dec, curvature_error(&new));
                if dec <= 0.0 {
                    safe = new;
                    self.safe_grad.copy_from_slice(&self.trial_grad);
                }
                let set_high_to_new = dec > 0.0 || (new.value >= current.value && count > 0);
                let set_low_to_new = new.slope >= 0.0 && !set_high_to_new;
                (low, high) = if set_low_to_new {
                    (new, current)
                } else {
                    (current, new)
                };
                cubic_ref = low;
                interval_found = set_high_to_new || set_low_to_new || error <= 0.0;
                done = error <= 0.0;
                failed = count + 1 >= MAX_LINESEARCH_STEPS && !done;
                current = new;
                last_decrease_error = dec;
            } else {
                let delta = (high.step - low.step).abs();
                let left = high.step.min(low.step);
                let right = high.step.max(low.step);
                let too_small = delta <= INTERVAL_THRESHOLD;
                let cubic = cubic_min(&low, &high, &cubic_ref);
                let use_cubic = cubic > left + 0.2 * delta && cubic < right - 0.2 * delta;
                let quad = quad_min(&low, &high);
                let use_quad =
                    !use_cubic && quad > left + 0.1 * delta && quad < right - 0.1 * delta;
                let middle = if use_cubic {
                    cubic
                } else if use_quad {
                    quad
                } else {
                    (low.step + high.step) / 2.0
                };
                let mid = self.evaluate(objective, x, u, middle);
                let dec = decrease_error(&mid);
                let error = nan_max(dec, curvature_error(&mid));
                if dec <= 0.0 && mid.value < safe.value {
                    safe = mid;
                    self.safe_grad.copy_from_slice(&self.trial_grad);
                }
                done = error <= 0.0;
                let set_high_to_middle = dec > 0.0 || mid.value >= low.value;
                let set_high_to_low =
                    mid.slope * (high.step - low.step) >= 0.0 && !set_high_to_middle;
                let old_low = low;
                let old_high = high;
                if set_high_to_middle {
                    high = mid;
                }
                if set_high_to_low {
                    high = old_low;
                }
                if !set_high_to_middle {
                    low = mid;
                }
                cubic_ref = if set_high_to_middle || set_high_to_low {
                    old_high
                } else {
                    old_low
                };
                failed =
                    (count + 1 >= MAX_LINESEARCH_STEPS || (too_small && safe.step > 0.0)) && !done;
                current = mid;
                last_decrease_error = dec;
            }
            std::mem::swap(&mut self.grad, &mut self.trial_grad);
            count += 1;
            if failed {
                // _try_safe_step: fall back on the best point with sufficient decrease.
                if safe.step > 0.0 || last_decrease_error.is_infinite() {
                    current = OnLine {
                        step: safe.step,
                        value: safe.value,
                        slope: current.slope,
                    };
                    self.grad.copy_from_slice(&self.safe_grad);
                }
            }
            if done || failed {
                break;
            }
        }
        grad_out.copy_from_slice(&self.grad);
        (current.step, current.value)
    }
}

/// The minimiser of the cubic through `a` (value and slope), `b` and `c` (values):
/// optax's `_cubicmin`, NaN when it has none.
fn cubic_min(a: &OnLine, b: &OnLine, c: &OnLine) -> f64 {
    let slope = a.slope;
    let db = b.step - a.step;
    let dc = c.step - a.step;
    let denom = (db * dc).powi(2) * (db - dc);
    let rb = b.value - a.value - slope * db;
    let rc = c.value - a.value - slope * dc;
    let ca = (dc.powi(2) * rb + -(db.powi(2)) * rc) / denom;
    let cb = (-(dc.powi(3)) * rb + db.powi(3) * rc) / denom;
    let radical = cb * cb - 3.0 * ca * slope;
    a.step + (-cb + radical.sqrt()) / (3.0 * ca)
}

/// The minimiser of the quadratic through `a` (value and slope) and `b` (value):
/// optax's `_quadmin`.
fn quad_min(a: &OnLine, b: &OnLine) -> f64 {
    let db = b.step - a.step;
    let curvature = (b.value - a.value - a.slope * db) / (db * db);
    a.step - a.slope / (2.0 * curvature)
}

/// `y += a·x`.
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (ym, xm) in y.iter_mut().zip(x) {
        *ym += a * xm;
    }
}

/// `jnp.maximum` / `jnp.minimum`: NaN wins (Rust's `f64::max` would drop it).
fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counts::pair;

    #[test]
    fn the_line_search_interpolants_find_the_minimum_of_a_cubic_and_a_parabola() {
        // f(t) = (t − 2)² + 1: value 5 and slope −4 at 0, value 2 at 1.
        let at = |t: f64| OnLine {
            step: t,
            value: (t - 2.0).powi(2) + 1.0,
            slope: 2.0 * (t - 2.0),
        };
        assert!((quad_min(&at(0.0), &at(1.0)) - 2.0).abs() < 1e-12);
        // f(t) = t³ − 3t: minimum at 1.
        let cubic = |t: f64| OnLine {
            step: t,
            value: t.powi(3) - 3.0 * t,
            slope: 3.0 * t * t - 3.0,
        };
        assert!((cubic_min(&cubic(0.0), &cubic(2.0), &cubic(3.0)) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn it_stops_near_the_maximum_with_a_small_gradient() {
        let pairs = [
            pair(0, 1, 30, 10, 5),
            pair(1, 2, 12, 9, 4),
            pair(0, 2, 7, 2, 1),
        ];
        let f = fit(&pairs, 3, 0.0);
        assert!(f.converged);
        let exact = crate::bt::fit(&pairs, &[], 3, 0.0, None, crate::bt::TOLERANCE);
        for (a, b) in f.theta.iter().zip(&exact.theta) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
        // No vote, no move.
        let f = fit(&[], 2, 3.0);
        assert_eq!(f.theta, vec![0.0, 0.0]);
    }
}
