//! Sandwich (robust) standard errors of Bradley–Terry strengths, formed exactly as
//! arena-rank 0.1.1 forms them (`BradleyTerry.compute_hessian_and_covariance`):
//!
//! * bread `H = Σ n·p(1−p)·(eᵢ−eⱼ)(eᵢ−eⱼ)ᵀ + 1e-5·N·I` — the Fisher information, with
//!   a small ridge proportional to the number of votes `N` that makes it invertible
//!   along each group's free shift;
//! * meat `G = Σ_votes (o − p)²·(eᵢ−eⱼ)(eᵢ−eⱼ)ᵀ` — the empirical variance of the
//!   per-vote scores, `o` ∈ {1, ½, 0};
//! * covariance `H⁻¹ G H⁻¹`, of which only the diagonal is needed.
//!
//! Reweighted votes (weight `w` per vote of a pair) enter the bread as `w·n·p(1−p)` and
//! the meat as `w²·(o − p)²`, and the bread's ridge is then `1e-5` alone, as arena-rank
//! scales it by `N` only for unweighted votes.
//!
//! K-wise votes add their Fisher information to the bread and `w²·ggᵀ` per vote to the
//! meat, `g` the vote's score ([`Choice::score_and_information`]).

use crate::bt::sigmoid;
use crate::choice::{Choice, MAX_K};
use crate::counts::Pair;
use crate::linalg;

/// arena-rank's `hessian_reg`, multiplied there by the number of votes when the
/// votes are unweighted.
pub(crate) const HESSIAN_REG: f64 = 1e-5;

/// The ridge arena-rank adds to the bread: `1e-5·N` for unweighted votes (`n_votes`
/// counts every vote arena-rank counts, self-battles included), `1e-5` for reweighted.
pub(crate) fn bread_ridge(n_votes: f64, reweighted: bool) -> f64 {
    if reweighted {
        HESSIAN_REG
    } else {
        HESSIAN_REG * n_votes
    }
}

/// Standard errors of each strength, in natural (logit) units. `ridge` is the
/// penalty the fit used, which is part of its Hessian; `bread_ridge` is
/// [`bread_ridge`]'s.
pub(crate) fn standard_errors(
    pairs: &[Pair],
    choices: &[Choice],
    theta: &[f64],
    ridge: f64,
    bread_ridge: f64,
) -> Vec<f64> {
    let n = theta.len();
    let mut h = vec![0.0; n * n];
    let mut meat = Vec::with_capacity(pairs.len());
    for p in pairs {
        let prob = sigmoid(theta[p.i] - theta[p.j]);
        linalg::add_pair_term(
            &mut h,
            n,
            p.i,
            p.j,
            p.weight * p.total() * prob * (1.0 - prob),
        );
        let v = p.wins_i as f64 * (1.0 - prob).powi(2)
            + p.wins_j as f64 * prob.powi(2)
            + p.ties as f64 * (0.5 - prob).powi(2);
        meat.push(p.weight * p.weight * v);
    }
    // Each K-wise cell's votes share one score vector: (members, score, count·w²).
    let mut choice_meat: Vec<(&Choice, [f64; MAX_K], f64)> = Vec::with_capacity(choices.len());
    for c in choices.iter().filter(|c| c.count > 0) {
        let (score, info) = c.score_and_information(theta);
        let w = c.weight * c.count as f64;
        let m = c.members();
        for q in 0..c.k {
            for r in 0..c.k {
                h[m[q] * n + m[r]] += w * info[q][r];
            }
        }
        choice_meat.push((c, score, c.weight * c.weight * c.count as f64));
    }
    let reg = bread_ridge + ridge;
    for m in 0..n {
        h[m * n + m] += reg;
    }
    if !linalg::cholesky(&mut h, n) {
        return vec![f64::NAN; n];
    }
    let inv = linalg::inverse(&h, n);
    // diag(H⁻¹ G H⁻¹)ₘ = Σₖ vₖ (H⁻¹ₘᵢ − H⁻¹ₘⱼ)² since G = Σₖ vₖ uₖuₖᵀ, uₖ = eᵢ − eⱼ.
    (0..n)
        .map(|m| {
            let row = &inv[m * n..(m + 1) * n];
            let pairs_part = pairs
                .iter()
                .zip(&meat)
                .map(|(p, v)| v * (row[p.i] - row[p.j]).powi(2))
                .sum::<f64>();
            let choices_part = choice_meat
                .iter()
                .map(|(c, score, v)| {
                    let u: f64 = c
                        .members()
                        .iter()
                        .zip(score)
                        .map(|(&j, g)| row[j] * g)
                        .sum();
                    v * u * u
                })
                .sum::<f64>();
            (pairs_part + choices_part).sqrt()
        })
        .collect()
}
