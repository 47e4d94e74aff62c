//! Pairwise views of a leaderboard: battle counts, observed and predicted win rates.

use serde::{Deserialize, Serialize};

use crate::counts::Counts;
use crate::leaderboard::Leaderboard;
use crate::options::BothBad;

/// Square matrices over the leaderboard's models, in leaderboard order; entry
/// `[i][j]` is about model `i` against model `j`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrices {
    /// Row and column labels.
    pub models: Vec<String>,
    /// Votes between the two (both-bad ones only when they count as ties).
    pub battles: Vec<Vec<u64>>,
    /// `(wins + ties / 2) / battles` of `i` against `j`; `None` when they never met
    /// and on the diagonal.
    pub observed_win_rate: Vec<Vec<Option<f64>>>,
    /// The win probability the ratings imply, `1 / (1 + base^((rⱼ − rᵢ) / scale))`;
    /// `None` on the diagonal.
    pub predicted_win_rate: Vec<Vec<Option<f64>>>,
}

/// The matrices of `leaderboard`'s models from the counts it was computed on.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{leaderboard_from_counts, matrices, Counts, LeaderboardOptions, Outcome};
/// let mut counts = Counts::new();
/// counts.add_n("x", "y", Outcome::A, 3);
/// counts.add_n("x", "y", Outcome::B, 1);
/// let board = leaderboard_from_counts(&counts, &LeaderboardOptions::default()).unwrap();
/// let m = matrices(&counts, &board);
/// assert_eq!(m.models, ["x", "y"]);
/// assert_eq!(m.battles[0][1], 4);
/// assert_eq!(m.observed_win_rate[0][1], Some(0.75));
/// // The fit reproduces the observed rate exactly when there are only two models.
/// assert!((m.predicted_win_rate[0][1].unwrap() - 0.75).abs() < 1e-9);
/// ```
pub fn matrices(counts: &Counts, leaderboard: &Leaderboard) -> Matrices {
    let models: Vec<String> = leaderboard.models.iter().map(|e| e.model.clone()).collect();
    let n = models.len();
    let mut battles = vec![vec![0u64; n]; n];
    let mut observed = vec![vec![None; n]; n];
    let mut predicted = vec![vec![None; n]; n];
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let (ri, rj) = (leaderboard.models[i].rating, leaderboard.models[j].rating);
            predicted[i][j] =
                Some(1.0 / (1.0 + leaderboard.base.powf((rj - ri) / leaderboard.scale)));
            if let Some(p) = counts.pair(&models[i], &models[j]) {
                let ties = match leaderboard.both_bad {
                    BothBad::Tie => p.ties + p.both_bad,
                    BothBad::Exclude => p.ties,
                };
                let total = p.a_wins + p.b_wins + ties;
                battles[i][j] = total;
                if total > 0 {
                    observed[i][j] = Some((p.a_wins as f64 + 0.5 * ties as f64) / total as f64);
                }
            }
        }
    }
    Matrices {
        models,
        battles,
        observed_win_rate: observed,
        predicted_win_rate: predicted,
    }
}
