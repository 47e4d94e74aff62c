//! Online Elo in vote order, with the `skillratings` crate: FastChat 0.2.36's
//! `compute_elo` (K = 4, scale 400, base 10, initial 1000; ties and both-bad votes
//! score ½ each).
//!
//! `skillratings` has the classic constants (base 10, scale 400) built in. Any other
//! scale or base is the same update on rescaled ratings: with
//! `c = 400·log₁₀(base)/scale`, ratings `c·r` and K `c·K` give the classic formula.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use skillratings::Outcomes;
use skillratings::elo::{EloConfig, EloRating, elo};

use crate::vote::Outcome;

/// The constants of online Elo.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EloParams {
    /// The most a rating moves on one vote (FastChat: 4).
    pub k: f64,
    /// Rating points per factor of `base` in the odds (400).
    pub scale: f64,
    /// Odds base (10).
    pub base: f64,
    /// Every model's starting rating (1000).
    pub initial: f64,
}

impl Default for EloParams {
    fn default() -> Self {
        EloParams {
            k: 4.0,
            scale: 400.0,
            base: 10.0,
            initial: 1000.0,
        }
    }
}

/// Ratings updated one vote at a time, e.g. for a live view.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{EloParams, OnlineElo, Outcome};
/// let mut elo = OnlineElo::new(EloParams::default());
/// elo.update("sdxl", "lcm", Outcome::A);
/// assert_eq!(elo.rating("sdxl"), Some(1002.0));
/// assert_eq!(elo.rating("lcm"), Some(998.0));
/// ```
#[derive(Debug, Clone)]
pub struct OnlineElo {
    names: Vec<String>,
    index: FxHashMap<String, usize>,
    /// Ratings on the classic scale (see the module docs).
    classic: Vec<f64>,
    config: EloConfig,
    params: EloParams,
    to_classic: f64,
}

impl OnlineElo {
    /// No models yet; each starts at `params.initial` when first seen.
    pub fn new(params: EloParams) -> Self {
        let to_classic = 400.0 * params.base.log10() / params.scale;
        OnlineElo {
            names: Vec::new(),
            index: FxHashMap::default(),
            classic: Vec::new(),
            config: EloConfig {
                k: params.k * to_classic,
            },
            params,
            to_classic,
        }
    }

    /// Applies one vote. A both-bad vote is a tie here, as in FastChat; to exclude
    /// such votes, do not pass them in.
    pub fn update(&mut self, model_a: &str, model_b: &str, outcome: Outcome) {
        let a = self.model_index(model_a);
        let b = self.model_index(model_b);
        self.update_indices(a, b, outcome);
    }

    /// The current rating of `model`, if it has played.
    pub fn rating(&self, model: &str) -> Option<f64> {
        self.index
            .get(model)
            .map(|&m| self.classic[m] / self.to_classic)
    }

    /// Every model with its current rating, in the order first seen.
    pub fn ratings(&self) -> impl Iterator<Item = (&str, f64)> + '_ {
        self.names
            .iter()
            .zip(&self.classic)
            .map(|(n, r)| (n.as_str(), r / self.to_classic))
    }

    /// The constants in use.
    pub fn params(&self) -> EloParams {
        self.params
    }

    /// The index of `name`, adding it at the initial rating if new.
    pub(crate) fn model_index(&mut self, name: &str) -> usize {
        if let Some(&m) = self.index.get(name) {
            return m;
        }
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), self.names.len() - 1);
        self.classic.push(self.params.initial * self.to_classic);
        self.names.len() - 1
    }

    pub(crate) fn update_indices(&mut self, a: usize, b: usize, outcome: Outcome) {
        if a == b {
            // FastChat's update is exactly zero here; skip it.
            return;
        }
        let outcome = match outcome {
            Outcome::A => Outcomes::WIN,
            Outcome::B => Outcomes::LOSS,
            Outcome::Tie | Outcome::BothBad => Outcomes::DRAW,
        };
        let ra = EloRating {
            rating: self.classic[a],
        };
        let rb = EloRating {
            rating: self.classic[b],
        };
        let (na, nb) = elo(&ra, &rb, &outcome, &self.config);
        self.classic[a] = na.rating;
        self.classic[b] = nb.rating;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FastChat's update written out, for any scale and base.
    fn fastchat(ra: f64, rb: f64, sa: f64, p: &EloParams) -> (f64, f64) {
        let ea = 1.0 / (1.0 + p.base.powf((rb - ra) / p.scale));
        let eb = 1.0 / (1.0 + p.base.powf((ra - rb) / p.scale));
        (ra + p.k * (sa - ea), rb + p.k * (1.0 - sa - eb))
    }

    #[test]
    fn other_scales_and_bases_match_the_plain_formula() {
        let params = EloParams {
            k: 16.0,
            scale: 173.7,
            base: std::f64::consts::E,
            initial: 1500.0,
        };
        let mut elo = OnlineElo::new(params);
        let (mut ra, mut rb) = (1500.0, 1500.0);
        for (o, sa) in [
            (Outcome::A, 1.0),
            (Outcome::A, 1.0),
            (Outcome::Tie, 0.5),
            (Outcome::B, 0.0),
        ] {
            elo.update("x", "y", o);
            (ra, rb) = fastchat(ra, rb, sa, &params);
        }
        assert!((elo.rating("x").unwrap() - ra).abs() < 1e-9);
        assert!((elo.rating("y").unwrap() - rb).abs() < 1e-9);
    }
}
