//! Bradley–Terry by maximum likelihood, fitted with Newton's method on the pair table
//! to the exact maximum ([`Optimizer::Exact`](crate::Optimizer::Exact), the ridge
//! fallback and the bootstrap); arena-rank's own L-BFGS, which can stop short of it,
//! is in [`crate::lbfgs`].
//!
//! Ratings are natural-scale strengths θ (P(i beats j) = σ(θᵢ − θⱼ)); ties count half
//! a win for each side, as in arena-rank. Without a penalty the likelihood fixes θ
//! only up to a shift per connected group of models, so each group is centred on
//! zero, which is where arena-rank's L-BFGS (started at zero) ends too.
//!
//! When a finite maximum does not exist (a model, or a group, never lost or never
//! won against the others), the caller fits with a ridge penalty instead; see
//! [`separation`].

use crate::choice::{self, Choice};
use crate::counts::Pair;
use crate::linalg;

/// Penalty used when the unpenalised maximum does not exist: a Gaussian prior with
/// standard deviation √(1/0.1) ≈ 3.2 logits (≈ 550 Elo points) on every strength.
/// Weak enough to leave well-measured models where the data put them, strong enough
/// to keep an unbeaten model finite.
pub(crate) const FALLBACK_RIDGE: f64 = 0.1;

const MAX_ITERATIONS: usize = 200;

/// The fitted strengths.
#[derive(Debug, Clone)]
pub(crate) struct Fit {
    pub theta: Vec<f64>,
    pub converged: bool,
}

/// How far (in logits) the last Newton step may move a strength for the fit to
/// count as converged: 1e-10 logits is 2e-8 rating points.
pub(crate) const TOLERANCE: f64 = 1e-10;

/// Maximises the (optionally ridge-penalised) log-likelihood of the pairwise votes and
/// the K-wise `choices`, starting from `start` (or zeros), until no strength moves
/// more than `tolerance` logits. With `ridge == 0` the caller must have checked
/// [`separation`].
pub(crate) fn fit(
    pairs: &[Pair],
    choices: &[Choice],
    n: usize,
    ridge: f64,
    start: Option<&[f64]>,
    tolerance: f64,
) -> Fit {
    let mut theta = start.map_or_else(|| vec![0.0; n], <[f64]>::to_vec);
    let component = components(&choice::graph_pairs(pairs, choices), n);
    let mut hess = vec![0.0; n * n];
    let mut grad = vec![0.0; n];
    let mut candidate = vec![0.0; n];
    let mut converged = false;
    let mut ll = log_likelihood(pairs, choices, &theta, ridge);
    for _ in 0..MAX_ITERATIONS {
        gradient_and_hessian(pairs, choices, &theta, ridge, &mut grad, &mut hess);
        if grad.iter().all(|g| g.abs() < 1e-12) {
            converged = true;
            break;
        }
        if ridge == 0.0 {
            pin_gauge(&mut hess, n, &component);
        }
        if !linalg::cholesky(&mut hess, n) {
            break;
        }
        let mut step = grad.clone();
        linalg::solve(&hess, n, &mut step);
        // Newton's step is the right one near the optimum; far from it (a warm start
        // from another sample, say) halve it until the likelihood does not drop.
        let mut t = 1.0;
        loop {
            for m in 0..n {
                candidate[m] = theta[m] + t * step[m];
            }
            let new_ll = log_likelihood(pairs, choices, &candidate, ridge);
            if new_ll >= ll - 1e-12 * ll.abs() || t < 1e-12 {
                ll = new_ll;
                break;
            }
            t *= 0.5;
        }
        std::mem::swap(&mut theta, &mut candidate);
        let moved = step.iter().fold(0.0f64, |m, s| m.max((t * s).abs()));
        if moved < tolerance {
            converged = true;
            break;
        }
    }
    if ridge == 0.0 {
        centre(&mut theta, &component);
    }
    Fit { theta, converged }
}

/// Fills the gradient and the Hessian of the log-likelihood (negated, so that it is
/// positive semi-definite).
pub(crate) fn gradient_and_hessian(
    pairs: &[Pair],
    choices: &[Choice],
    theta: &[f64],
    ridge: f64,
    grad: &mut [f64],
    hess: &mut [f64],
) {
    let n = theta.len();
    grad.iter_mut().for_each(|g| *g = 0.0);
    hess.iter_mut().for_each(|h| *h = 0.0);
    for p in pairs {
        let total = p.total();
        if total == 0.0 {
            continue;
        }
        let prob = sigmoid(theta[p.i] - theta[p.j]);
        let g = p.weight * (p.score_i() - total * prob);
        grad[p.i] += g;
        grad[p.j] -= g;
        linalg::add_pair_term(hess, n, p.i, p.j, p.weight * total * prob * (1.0 - prob));
    }
    choice::add_gradient_and_hessian(choices, theta, grad, hess);
    if ridge > 0.0 {
        for m in 0..n {
            grad[m] -= ridge * theta[m];
            hess[m * n + m] += ridge;
        }
    }
}

/// `Σ w·(sᵢ·ln σ(d) + sⱼ·ln σ(−d))` with `d = θᵢ − θⱼ` and `w` the pair's vote
/// weight, written as `w·(sᵢ·d − n·ln(1 + eᵈ))` (one logarithm per pair), minus the
/// ridge penalty; plus the K-wise choices' log-probabilities.
pub(crate) fn log_likelihood(pairs: &[Pair], choices: &[Choice], theta: &[f64], ridge: f64) -> f64 {
    let mut ll = 0.0;
    for p in pairs {
        let d = theta[p.i] - theta[p.j];
        ll += p.weight * (p.score_i() * d - p.total() * softplus(d));
    }
    if !choices.is_empty() {
        ll += choice::log_likelihood(choices, theta);
    }
    ll - 0.5 * ridge * theta.iter().map(|t| t * t).sum::<f64>()
}

/// Adds `s·1꜀1꜀ᵀ` for every connected group `c`: the Hessian is singular along each
/// group's common shift, the gradient has no component there, so the solve then
/// moves nothing along it and each group keeps its mean.
fn pin_gauge(hess: &mut [f64], n: usize, component: &[usize]) {
    let s = (0..n).map(|m| hess[m * n + m]).sum::<f64>() / n.max(1) as f64;
    let s = if s > 0.0 { s } else { 1.0 };
    for a in 0..n {
        for b in 0..n {
            if component[a] == component[b] {
                hess[a * n + b] += s;
            }
        }
    }
}

pub(crate) fn centre(theta: &mut [f64], component: &[usize]) {
    let groups = component.iter().copied().max().map_or(0, |m| m + 1);
    let mut sum = vec![0.0; groups];
    let mut size = vec![0usize; groups];
    for (m, &c) in component.iter().enumerate() {
        sum[c] += theta[m];
        size[c] += 1;
    }
    for (m, &c) in component.iter().enumerate() {
        theta[m] -= sum[c] / size[c] as f64;
    }
}

/// The connected group of every model (models linked by at least one vote), numbered
/// in order of their smallest member.
pub(crate) fn components(pairs: &[Pair], n: usize) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for p in pairs.iter().filter(|p| p.total() > 0.0) {
        let (a, b) = (root(&mut parent, p.i), root(&mut parent, p.j));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut label = vec![usize::MAX; n];
    let mut next = 0;
    (0..n)
        .map(|m| {
            let r = root(&mut parent, m);
            if label[r] == usize::MAX {
                label[r] = next;
                next += 1;
            }
            label[r]
        })
        .collect()
}

/// Groups of models that make a finite maximum-likelihood fit impossible.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Separation {
    /// Groups that never lost or tied against any model outside the group.
    pub unbeaten: Vec<Vec<usize>>,
    /// Groups that never won or tied against any model outside the group.
    pub winless: Vec<Vec<usize>>,
}

/// `None` when the maximum-likelihood fit exists, else the offending groups.
///
/// The maximum exists exactly when, inside every connected group, the "scored
/// against" graph (an edge i → j when i won or tied against j at least once) is
/// strongly connected. Otherwise its condensation has a source (a group nobody
/// outside ever beat or tied, whose strength runs off to +∞) and a sink.
pub(crate) fn separation(pairs: &[Pair], n: usize) -> Option<Separation> {
    let mut out_edges = vec![Vec::new(); n];
    let mut in_edges = vec![Vec::new(); n];
    for p in pairs {
        if p.score_i() > 0.0 {
            out_edges[p.i].push(p.j);
            in_edges[p.j].push(p.i);
        }
        if p.score_j() > 0.0 {
            out_edges[p.j].push(p.i);
            in_edges[p.i].push(p.j);
        }
    }
    let scc = strongly_connected(&out_edges, &in_edges);
    let n_scc = scc.iter().copied().max().map_or(0, |m| m + 1);
    let component = components(pairs, n);
    let n_components = component.iter().copied().max().map_or(0, |m| m + 1);
    if n_scc == n_components {
        return None;
    }
    let mut has_in = vec![false; n_scc];
    let mut has_out = vec![false; n_scc];
    for (a, targets) in out_edges.iter().enumerate() {
        for &b in targets {
            if scc[a] != scc[b] {
                has_out[scc[a]] = true;
                has_in[scc[b]] = true;
            }
        }
    }
    let mut members = vec![Vec::new(); n_scc];
    for (m, &s) in scc.iter().enumerate() {
        members[s].push(m);
    }
    let mut separation = Separation::default();
    for (s, group) in members.into_iter().enumerate() {
        // A group alone in its connected component is fine (it is just disconnected).
        let alone = group
            .iter()
            .all(|&m| component.iter().filter(|&&c| c == component[m]).count() == group.len());
        if alone {
            continue;
        }
        if !has_in[s] {
            separation.unbeaten.push(group);
        } else if !has_out[s] {
            separation.winless.push(group);
        }
    }
    Some(separation)
}

/// Kosaraju's algorithm, iteratively; returns each node's strongly connected component.
fn strongly_connected(out_edges: &[Vec<usize>], in_edges: &[Vec<usize>]) -> Vec<usize> {
    let n = out_edges.len();
    let mut visited = vec![false; n];
    let mut finish = Vec::with_capacity(n);
    for start in 0..n {
        if visited[start] {
            continue;
        }
        visited[start] = true;
        let mut stack = vec![(start, 0usize)];
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&child) = out_edges[node].get(*next) {
                *next += 1;
                if !visited[child] {
                    visited[child] = true;
                    stack.push((child, 0));
                }
            } else {
                finish.push(node);
                stack.pop();
            }
        }
    }
    let mut scc = vec![usize::MAX; n];
    let mut count = 0;
    for &start in finish.iter().rev() {
        if scc[start] != usize::MAX {
            continue;
        }
        scc[start] = count;
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            for &child in &in_edges[node] {
                if scc[child] == usize::MAX {
                    scc[child] = count;
                    stack.push(child);
                }
            }
        }
        count += 1;
    }
    scc
}

pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + eˣ), without overflow.
pub(crate) fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counts::pair;

    #[test]
    fn two_models_fit_the_log_odds_of_their_record() {
        let f = fit(&[pair(0, 1, 3, 1, 0)], &[], 2, 0.0, None, TOLERANCE);
        assert!(f.converged);
        assert!((f.theta[0] - f.theta[1] - 3f64.ln()).abs() < 1e-10);
        assert!((f.theta[0] + f.theta[1]).abs() < 1e-12);
    }

    #[test]
    fn separation_finds_unbeaten_and_winless_groups() {
        // 0 beats 1 and 2; 1 and 2 trade wins; 3 only ever loses to 2.
        let pairs = [
            pair(0, 1, 2, 0, 0),
            pair(0, 2, 1, 0, 0),
            pair(1, 2, 1, 1, 0),
            pair(2, 3, 2, 0, 0),
        ];
        let s = separation(&pairs, 4).unwrap();
        assert_eq!(s.unbeaten, vec![vec![0]]);
        assert_eq!(s.winless, vec![vec![3]]);
        // Ties connect both ways.
        assert_eq!(separation(&[pair(0, 1, 0, 0, 1)], 2), None);
        // Two separate but internally fine groups are not a separation.
        assert_eq!(
            separation(&[pair(0, 1, 1, 1, 0), pair(2, 3, 1, 1, 0)], 4),
            None
        );
    }

    #[test]
    fn disconnected_groups_are_each_centred() {
        let f = fit(
            &[pair(0, 1, 3, 1, 0), pair(2, 3, 1, 1, 0)],
            &[],
            4,
            0.0,
            Some(&[5.0, 1.0, 7.0, 7.0]),
            TOLERANCE,
        );
        assert!((f.theta[0] + f.theta[1]).abs() < 1e-12);
        assert!(f.theta[2].abs() < 1e-12 && f.theta[3].abs() < 1e-12);
    }
}
