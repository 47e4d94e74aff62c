//! A voter's own leaderboard: Bradley–Terry on their votes alone, drawn toward the
//! public ratings so that twenty votes already give a sensible order.
//!
//! The fit maximises the voter's log-likelihood plus a Gaussian prior on each
//! strength, centred on the model's public rating with a standard deviation of
//! [`PRIOR_SD_POINTS`]: a model the voter never preferred stays near where the crowd
//! put it, and every vote moves it as far as the evidence allows. A model the public
//! board does not rate is centred on the public mean.

use serde::{Deserialize, Serialize};

use crate::bt;
use crate::counts::{Counts, Table};
use crate::leaderboard::Leaderboard;
use crate::linalg;
use crate::options::BothBad;

/// How far a voter's rating may stray from the public one before the prior weighs as
/// much as a vote or two: one standard deviation, in rating points (scale 400).
pub const PRIOR_SD_POINTS: f64 = 75.0;

/// One model the voter has voted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonalEntry {
    pub model: String,
    /// The voter's rating of it (same scale and centre as the public board).
    pub rating: f64,
    /// The public rating, if the public board rates it.
    pub public_rating: Option<f64>,
    /// The voter's battles with it, and how they went.
    pub battles: u64,
    pub wins: u64,
    pub losses: u64,
    pub ties: u64,
}

impl PersonalEntry {
    /// How much higher the voter rates it than the crowd (points).
    pub fn difference(&self) -> Option<f64> {
        self.public_rating.map(|p| self.rating - p)
    }
}

/// A voter's leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonalBoard {
    /// The models the voter has voted on, best first by the voter's ratings.
    pub models: Vec<PersonalEntry>,
    /// Kendall's τ-a between the voter's order and the public order of these models
    /// (`None` with fewer than two publicly rated models).
    pub kendall_tau: Option<f64>,
    /// The votes the board is made of.
    pub votes: u64,
}

/// The personal board of the votes in `counts`, drawn toward `public`'s ratings.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{leaderboard_from_counts, personal_board, Counts, LeaderboardOptions, Outcome};
/// let mut crowd = Counts::new();
/// crowd.add_n("x", "y", Outcome::A, 70);
/// crowd.add_n("x", "y", Outcome::B, 30);
/// let public = leaderboard_from_counts(&crowd, &LeaderboardOptions::default()).unwrap();
/// let mut mine = Counts::new();
/// mine.add_n("x", "y", Outcome::B, 5); // this voter prefers y
/// let board = personal_board(&mine, &public);
/// assert_eq!(board.models[0].model, "y");
/// assert_eq!(board.kendall_tau, Some(-1.0));
/// ```
pub fn personal_board(counts: &Counts, public: &Leaderboard) -> PersonalBoard {
    let table = Table::new(counts, BothBad::Tie);
    let n = table.n_models();
    let points = public.scale / public.base.ln();
    let public_rating = |name: &str| public.entry(name).map(|e| e.rating);
    let centre = if public.models.is_empty() {
        1000.0
    } else {
        public.models.iter().map(|e| e.rating).sum::<f64>() / public.models.len() as f64
    };
    let mu: Vec<f64> = table
        .names
        .iter()
        .map(|name| (public_rating(name).unwrap_or(centre) - centre) / points)
        .collect();
    let lambda = (points / PRIOR_SD_POINTS).powi(2);
    let theta = fit_toward(&table, &mu, lambda);
    let (mut wins, mut losses, mut ties, mut battles) =
        (vec![0u64; n], vec![0u64; n], vec![0u64; n], vec![0u64; n]);
    for p in &table.pairs {
        wins[p.i] += p.wins_i;
        wins[p.j] += p.wins_j;
        losses[p.i] += p.wins_j;
        losses[p.j] += p.wins_i;
        ties[p.i] += p.ties;
        ties[p.j] += p.ties;
        battles[p.i] += p.wins_i + p.wins_j + p.ties;
        battles[p.j] += p.wins_i + p.wins_j + p.ties;
    }
    // A battle of several images: a win for the best, a loss for the worst.
    for c in &table.choices {
        for &m in c.members() {
            battles[m] += c.count;
        }
        wins[c.members[c.best]] += c.count;
        if let Some(worst) = c.worst {
            losses[c.members[worst]] += c.count;
        }
    }
    let mut models: Vec<PersonalEntry> = (0..n)
        .map(|m| PersonalEntry {
            model: table.names[m].clone(),
            rating: centre + theta[m] * points,
            public_rating: public_rating(&table.names[m]),
            battles: battles[m],
            wins: wins[m],
            losses: losses[m],
            ties: ties[m],
        })
        .collect();
    models.sort_by(|a, b| b.rating.total_cmp(&a.rating).then(a.model.cmp(&b.model)));
    let rated: Vec<(f64, f64)> = models
        .iter()
        .filter_map(|e| e.public_rating.map(|p| (e.rating, p)))
        .collect();
    PersonalBoard {
        kendall_tau: kendall_tau(&rated),
        votes: table.n_votes() as u64,
        models,
    }
}

/// Newton's method on `Σ w·(sᵢ·d − n·ln(1 + eᵈ)) − λ/2·Σ (θ − μ)²`, from `μ`; the prior
/// makes the Hessian positive definite, so it always has one maximum.
fn fit_toward(table: &Table, mu: &[f64], lambda: f64) -> Vec<f64> {
    let n = mu.len();
    let mut theta = mu.to_vec();
    let mut grad = vec![0.0; n];
    let mut hess = vec![0.0; n * n];
    for _ in 0..100 {
        bt::gradient_and_hessian(
            &table.pairs,
            &table.choices,
            &theta,
            0.0,
            &mut grad,
            &mut hess,
        );
        for m in 0..n {
            grad[m] -= lambda * (theta[m] - mu[m]);
            hess[m * n + m] += lambda;
        }
        if !linalg::cholesky(&mut hess, n) {
            break;
        }
        linalg::solve(&hess, n, &mut grad);
        let moved = grad.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        for (t, s) in theta.iter_mut().zip(&grad) {
            *t += s;
        }
        if moved < 1e-10 {
            break;
        }
    }
    theta
}

/// Kendall's τ-a of the pairs `(x, y)`: concordant minus discordant pairs over all
/// pairs (a tie in either counts as neither).
pub(crate) fn kendall_tau(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len();
    if n < 2 {
        return None;
    }
    let mut score = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            let dx = points[i].0 - points[j].0;
            let dy = points[i].1 - points[j].1;
            score += (dx * dy).signum() * f64::from(dx != 0.0 && dy != 0.0);
        }
    }
    Some(score / (n * (n - 1) / 2) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LeaderboardOptions, Outcome, leaderboard_from_counts};

    #[test]
    fn kendall_tau_counts_concordant_and_discordant_pairs() {
        assert_eq!(
            kendall_tau(&[(1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]),
            Some(1.0)
        );
        assert_eq!(
            kendall_tau(&[(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)]),
            Some(-1.0)
        );
        assert_eq!(
            kendall_tau(&[(1.0, 1.0), (2.0, 3.0), (3.0, 2.0)]),
            Some(1.0 / 3.0)
        );
        assert_eq!(kendall_tau(&[(1.0, 1.0)]), None);
    }

    #[test]
    fn a_few_votes_move_a_model_part_of_the_way_and_unseen_models_stay_put() {
        let mut crowd = Counts::new();
        for (a, b, n) in [("x", "y", 60), ("y", "z", 60), ("x", "z", 80)] {
            crowd.add_n(a, b, Outcome::A, n);
            crowd.add_n(a, b, Outcome::B, 100 - n);
        }
        let public = leaderboard_from_counts(&crowd, &LeaderboardOptions::default()).unwrap();
        let mut mine = Counts::new();
        mine.add_n("z", "x", Outcome::A, 3);
        let board = personal_board(&mine, &public);
        let z = board.models.iter().find(|e| e.model == "z").unwrap();
        let x = board.models.iter().find(|e| e.model == "x").unwrap();
        // z rises and x falls, but three votes do not undo a public gap of ~240 points.
        assert!(z.difference().unwrap() > 20.0 && x.difference().unwrap() < -20.0);
        assert!(x.rating > z.rating, "{board:?}");
        assert_eq!((z.wins, z.losses, x.losses), (3, 0, 3));
        // y was never voted on: it is not on the board.
        assert!(board.models.iter().all(|e| e.model != "y"));
        assert_eq!(board.votes, 3);
        // Many votes the other way win.
        mine.add_n("z", "x", Outcome::A, 60);
        let board = personal_board(&mine, &public);
        assert_eq!(board.models[0].model, "z");
        assert_eq!(board.kendall_tau, Some(-1.0));
    }

    #[test]
    fn votes_on_several_images_move_the_personal_board() {
        let mut crowd = Counts::new();
        for (a, b) in [("x", "y"), ("y", "z"), ("x", "z")] {
            crowd.add_n(a, b, Outcome::A, 36);
            crowd.add_n(a, b, Outcome::B, 24);
        }
        let public = leaderboard_from_counts(&crowd, &LeaderboardOptions::default()).unwrap();
        // This voter sees all three at once and always finds z best and x worst.
        let mut mine = Counts::new();
        mine.add_choice(&["x", "y", "z"], 2, Some(0), 12).unwrap();
        let board = personal_board(&mine, &public);
        assert_eq!(board.votes, 12);
        let order: Vec<&str> = board.models.iter().map(|e| e.model.as_str()).collect();
        assert_eq!(order, ["z", "y", "x"]);
        let z = &board.models[0];
        assert_eq!((z.battles, z.wins, z.losses), (12, 12, 0));
        let x = &board.models[2];
        assert_eq!((x.battles, x.wins, x.losses), (12, 0, 12));
        assert_eq!(board.kendall_tau, Some(-1.0));
    }
}
