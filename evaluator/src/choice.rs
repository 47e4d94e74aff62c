//! K-wise votes: one prompt, three or four images, the voter picks the best and
//! optionally the worst. They enter the same likelihood as pairwise votes through
//! Plackett–Luce choice probabilities on the same strengths θ:
//!
//! * best `b` of the shown set `S`: `P = exp(θ_b) / Σ_{j∈S} exp(θ_j)`;
//! * then worst `w` of the rest `S∖{b}`: `P = exp(−θ_w) / Σ_{j∈S∖{b}} exp(−θ_j)`.
//!
//! For two models the first is exactly the Bradley–Terry probability σ(θ_b − θ_other),
//! and there is no worst to choose, so a pairwise vote and a K = 2 choice are the same
//! term of the likelihood ([`tests`] checks the fits agree to the last bit of
//! convergence). A K-wise vote has no tie: a voter who cannot choose skips.
//!
//! Each term is concave in θ with gradient `e_b − π` (π the choice probabilities) and
//! negated Hessian `diag(π) − ππᵀ`, the worst stage likewise with the probabilities of
//! `−θ`; Newton's method, the sandwich and the bootstrap use them beside the pairs'.

use std::borrow::Cow;

use crate::counts::Pair;

/// Most images a battle shows.
pub const MAX_K: usize = 4;

/// One kind of K-wise vote in the table: the same models shown, the same one chosen
/// best, the same one chosen worst (if any); `count` such votes, each weighing
/// `weight` in the likelihood.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Choice {
    /// Table indices of the models shown, in ascending order; the first `k` are used.
    pub members: [usize; MAX_K],
    pub k: usize,
    /// Position in `members` of the model chosen best.
    pub best: usize,
    /// Position in `members` of the model chosen worst, never `best`.
    pub worst: Option<usize>,
    pub count: u64,
    pub weight: f64,
}

/// The probabilities of each member being chosen, softmax of `sign·θ` over the members
/// `include` keeps.
fn probabilities(
    c: &Choice,
    theta: &[f64],
    sign: f64,
    include: impl Fn(usize) -> bool,
) -> [f64; MAX_K] {
    let mut p = [0.0; MAX_K];
    let max = (0..c.k)
        .filter(|&q| include(q))
        .map(|q| sign * theta[c.members[q]])
        .fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for (q, slot) in p.iter_mut().enumerate().take(c.k) {
        if include(q) {
            *slot = (sign * theta[c.members[q]] - max).exp();
            sum += *slot;
        }
    }
    p.iter_mut().for_each(|x| *x /= sum);
    p
}

impl Choice {
    pub fn members(&self) -> &[usize] {
        &self.members[..self.k]
    }

    /// The log-probability of one such vote.
    pub fn log_prob(&self, theta: &[f64]) -> f64 {
        let lse = |sign: f64, skip: Option<usize>| {
            let values = (0..self.k)
                .filter(|&q| Some(q) != skip)
                .map(|q| sign * theta[self.members[q]]);
            let max = values.clone().fold(f64::NEG_INFINITY, f64::max);
            max + values.map(|v| (v - max).exp()).sum::<f64>().ln()
        };
        let mut lp = theta[self.members[self.best]] - lse(1.0, None);
        if let Some(w) = self.worst {
            lp += -theta[self.members[w]] - lse(-1.0, Some(self.best));
        }
        lp
    }

    /// The gradient of one vote's log-probability by member (`score[q]` for
    /// `members[q]`) and its negated Hessian (the Fisher information of the vote).
    pub fn score_and_information(&self, theta: &[f64]) -> ([f64; MAX_K], [[f64; MAX_K]; MAX_K]) {
        let mut score = [0.0; MAX_K];
        let mut info = [[0.0; MAX_K]; MAX_K];
        let mut stage = |p: [f64; MAX_K], chosen: usize, sign: f64| {
            for q in 0..self.k {
                let hit = if q == chosen { 1.0 } else { 0.0 };
                score[q] += sign * (hit - p[q]);
                for r in 0..self.k {
                    let diag = if q == r { p[q] } else { 0.0 };
                    info[q][r] += diag - p[q] * p[r];
                }
            }
        };
        stage(probabilities(self, theta, 1.0, |_| true), self.best, 1.0);
        if let Some(w) = self.worst {
            let best = self.best;
            stage(probabilities(self, theta, -1.0, |q| q != best), w, -1.0);
        }
        (score, info)
    }

    /// The pairwise comparisons the vote implies, as one-vote pairs: the best over every
    /// other member, every remaining member over the worst. Only for the graph of who
    /// beat whom ([`crate::bt::separation`], [`crate::bt::components`]).
    pub fn implied_pairs(&self) -> impl Iterator<Item = Pair> + '_ {
        let beats = |winner: usize, loser: usize| {
            let (i, j) = (self.members[winner], self.members[loser]);
            let (wins_i, wins_j) = if i < j { (1, 0) } else { (0, 1) };
            Pair {
                i: i.min(j),
                j: i.max(j),
                wins_i,
                wins_j,
                ties: 0,
                weight: 1.0,
            }
        };
        let over_rest = (0..self.k)
            .filter(move |&q| q != self.best)
            .map(move |q| beats(self.best, q));
        let under_rest = self.worst.into_iter().flat_map(move |w| {
            (0..self.k)
                .filter(move |&q| q != self.best && q != w)
                .map(move |q| beats(q, w))
        });
        over_rest.chain(under_rest)
    }
}

/// What makes a choice among `models` impossible, if anything: the same model shown
/// twice, or the worst also the best (positions already known to be in range). The
/// readers and [`crate::Counts::add_choice`] both refuse through this.
pub(crate) fn check(models: &[&str], best: usize, worst: Option<usize>) -> Result<(), String> {
    if worst == Some(best) {
        return Err("the worst image cannot also be the best".into());
    }
    match (1..models.len()).find(|&x| models[..x].contains(&models[x])) {
        Some(x) => Err(format!(
            "model {:?} is shown twice in one battle",
            models[x]
        )),
        None => Ok(()),
    }
}

/// `pairs` and the comparisons `choices` imply, for the graph algorithms (`pairs`
/// themselves when there are no choices).
pub(crate) fn graph_pairs<'p>(pairs: &'p [Pair], choices: &[Choice]) -> Cow<'p, [Pair]> {
    if choices.is_empty() {
        return Cow::Borrowed(pairs);
    }
    let mut all = pairs.to_vec();
    for c in choices.iter().filter(|c| c.count > 0) {
        all.extend(c.implied_pairs());
    }
    Cow::Owned(all)
}

/// Adds the weighted log-likelihood of `choices` at `theta`.
pub(crate) fn log_likelihood(choices: &[Choice], theta: &[f64]) -> f64 {
    choices
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| c.weight * c.count as f64 * c.log_prob(theta))
        .sum()
}

/// Adds the gradient and the negated Hessian of `choices`' log-likelihood.
pub(crate) fn add_gradient_and_hessian(
    choices: &[Choice],
    theta: &[f64],
    grad: &mut [f64],
    hess: &mut [f64],
) {
    let n = theta.len();
    for c in choices.iter().filter(|c| c.count > 0) {
        let (score, info) = c.score_and_information(theta);
        let w = c.weight * c.count as f64;
        let m = c.members();
        for q in 0..c.k {
            grad[m[q]] += w * score[q];
            for r in 0..c.k {
                hess[m[q] * n + m[r]] += w * info[q][r];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bt;
    use crate::counts::pair;

    fn choice(members: &[usize], best: usize, worst: Option<usize>, count: u64) -> Choice {
        let mut m = [0; MAX_K];
        m[..members.len()].copy_from_slice(members);
        Choice {
            members: m,
            k: members.len(),
            best,
            worst,
            count,
            weight: 1.0,
        }
    }

    #[test]
    fn a_choice_between_two_is_a_bradley_terry_vote() {
        let theta = [0.3, -0.4];
        let c = choice(&[0, 1], 0, None, 1);
        let bt_ll = bt::log_likelihood(&[pair(0, 1, 1, 0, 0)], &[], &theta, 0.0);
        assert!((c.log_prob(&theta) - bt_ll).abs() < 1e-15);
        // The fit of pairwise counts and of the same votes as K = 2 choices.
        let pairs = [
            pair(0, 1, 30, 12, 0),
            pair(1, 2, 20, 25, 0),
            pair(0, 2, 9, 4, 0),
        ];
        let choices: Vec<Choice> = pairs
            .iter()
            .flat_map(|p| {
                [
                    choice(&[p.i, p.j], 0, None, p.wins_i),
                    choice(&[p.i, p.j], 1, None, p.wins_j),
                ]
            })
            .collect();
        let as_pairs = bt::fit(&pairs, &[], 3, 0.0, None, bt::TOLERANCE);
        let as_choices = bt::fit(&[], &choices, 3, 0.0, None, bt::TOLERANCE);
        assert!(as_pairs.converged && as_choices.converged);
        for m in 0..3 {
            assert!(
                (as_pairs.theta[m] - as_choices.theta[m]).abs() < 1e-9,
                "{:?} {:?}",
                as_pairs.theta,
                as_choices.theta
            );
        }
    }

    #[test]
    fn score_and_information_are_the_derivatives_of_the_log_probability() {
        let theta = [0.2, -0.5, 0.9, 0.1];
        for c in [
            choice(&[0, 1, 2, 3], 2, Some(1), 1),
            choice(&[0, 1, 2, 3], 0, None, 1),
            choice(&[0, 2, 3], 1, Some(0), 1),
        ] {
            let (score, info) = c.score_and_information(&theta);
            let h = 1e-6;
            for q in 0..c.k {
                let bump = |d: f64| {
                    let mut t = theta;
                    t[c.members[q]] += d;
                    t
                };
                let numeric = (c.log_prob(&bump(h)) - c.log_prob(&bump(-h))) / (2.0 * h);
                assert!((numeric - score[q]).abs() < 1e-7, "{c:?} {q}");
                // The information is minus the derivative of the score.
                let (up, _) = c.score_and_information(&bump(h));
                let (down, _) = c.score_and_information(&bump(-h));
                for r in 0..c.k {
                    let numeric = -(up[r] - down[r]) / (2.0 * h);
                    assert!((numeric - info[r][q]).abs() < 1e-6, "{c:?} {q} {r}");
                }
            }
            // Probabilities of all outcomes sum to one.
            let best_total: f64 = (0..c.k)
                .map(|b| choice(c.members(), b, None, 1).log_prob(&theta).exp())
                .sum();
            assert!((best_total - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn implied_pairs_are_the_comparisons_a_choice_makes() {
        let c = choice(&[1, 3, 5, 7], 2, Some(0), 1);
        let got: Vec<(usize, usize, u64, u64)> = c
            .implied_pairs()
            .map(|p| (p.i, p.j, p.wins_i, p.wins_j))
            .collect();
        // 5 over 1, 3 and 7; then 3 and 7 over 1.
        assert_eq!(
            got,
            vec![
                (1, 5, 0, 1),
                (3, 5, 0, 1),
                (5, 7, 1, 0),
                (1, 3, 0, 1),
                (1, 7, 0, 1)
            ]
        );
    }
}
