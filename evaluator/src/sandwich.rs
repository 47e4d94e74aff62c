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

use crate::bt::sigmoid;
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
            pairs
                .iter()
                .zip(&meat)
                .map(|(p, v)| v * (row[p.i] - row[p.j]).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect()
}
