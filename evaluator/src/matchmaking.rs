//! Which models the next battle shows.
//!
//! Uniform matchmaking draws them in proportion to their weights. Active matchmaking
//! spends votes where the leaderboard is least sure of an order that is close: a
//! battle between `i` and `j` informs the difference `θᵢ − θⱼ` with Fisher information
//! `I = p(1 − p)` per vote (`p` the current win probability), largest for models of
//! similar strength; with `V` the current variance of that difference, one vote is
//! expected to shrink it by `V²·I / (1 + V·I)`. Pairs are drawn in proportion to that
//! gain (times the models' weights), so a pair whose order is settled — far apart, or
//! measured to a narrow interval — is rarely shown again, while models near a rank
//! boundary with wide intervals are shown most. A model with few votes is given the
//! variance of a model nobody has measured ([`PRIOR_SD`]) until it has
//! [`NEW_MODEL_BATTLES`], which shows a new model often until its interval narrows.
//! A share `exploration` of battles is drawn uniformly all the same, so every model
//! keeps being shown.
//!
//! K-wise battles start from such a pair and add, one at a time, the model with the
//! largest summed gain against those already chosen (drawn in proportion to it).
//!
//! The choice costs O(models²) arithmetic on the cached fit (microseconds for tens of
//! models); it never refits. Sampling by the fit does not bias the fit: the
//! likelihood conditions on which models were shown, and the choice of what to show
//! depends only on earlier votes, so the maximum-likelihood estimate stays
//! consistent (the "ignorability" of adaptive designs); only the share of votes per
//! pair changes, which is what shrinks the intervals that matter.

use rand::Rng;

use crate::leaderboard::LeaderboardEntry;
use crate::stats::normal_quantile;

/// What matchmaking knows about a model from the last fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelState {
    /// Rating on the Elo scale (scale 400, base 10).
    pub rating: f64,
    /// Standard error of the rating in rating points (`NaN` when unknown).
    pub se: f64,
    /// Battles the model has taken part in.
    pub battles: u64,
    /// The operator's weight (0 never shows the model).
    pub weight: f64,
}

impl ModelState {
    /// What a leaderboard row says of its model (weight 1): the standard error is
    /// read off the interval, whose confidence level the board gives.
    pub fn from_entry(entry: &LeaderboardEntry, level: f64) -> ModelState {
        let z = normal_quantile(0.5 + level / 2.0);
        let se = match (entry.ci_low, entry.ci_high) {
            (Some(lo), Some(hi)) => (hi - lo) / (2.0 * z),
            _ => f64::NAN,
        };
        ModelState {
            rating: entry.rating,
            se,
            battles: entry.battles,
            weight: 1.0,
        }
    }
}

/// How the next battle's models are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// In proportion to the models' weights.
    #[default]
    Uniform,
    /// By expected reduction of uncertainty, with a uniform floor.
    Active,
}

/// The standard deviation, in rating points, assumed for a model that has not been
/// measured yet (or has fewer than [`NEW_MODEL_BATTLES`] battles).
pub const PRIOR_SD: f64 = 200.0;

/// Battles after which a model's own interval is trusted by active matchmaking.
pub const NEW_MODEL_BATTLES: u64 = 20;

/// Draws `k` different models (indices into `models`, in the order drawn) for the next
/// battle; `None` when fewer than `k` models have a positive weight. With
/// [`Strategy::Active`], a share `exploration` of draws is uniform.
///
/// # Examples
///
/// ```
/// use arena_evaluator::matchmaking::{choose, ModelState, Strategy};
/// use rand::SeedableRng;
/// let model = |rating: f64, se: f64| ModelState { rating, se, battles: 500, weight: 1.0 };
/// // Two close, uncertain models and one far below, measured well.
/// let models = [model(1100.0, 20.0), model(1105.0, 20.0), model(700.0, 5.0)];
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let close = (0..1000)
///     .filter(|_| {
///         let mut pick = choose(&models, 2, Strategy::Active, 0.2, &mut rng).unwrap();
///         pick.sort();
///         pick == [0, 1]
///     })
///     .count();
/// // A fifth of draws are uniform (a third of those the close pair); most of the rest
/// // are the close pair.
/// assert!(close > 650, "{close}");
/// ```
pub fn choose(
    models: &[ModelState],
    k: usize,
    strategy: Strategy,
    exploration: f64,
    rng: &mut impl Rng,
) -> Option<Vec<usize>> {
    let eligible: Vec<usize> = (0..models.len())
        .filter(|&m| models[m].weight > 0.0 && models[m].weight.is_finite())
        .collect();
    if k < 2 || eligible.len() < k {
        return None;
    }
    if strategy == Strategy::Uniform || rng.random::<f64>() < exploration {
        return Some(uniform(models, &eligible, k, rng));
    }
    let logit = std::f64::consts::LN_10 / 400.0;
    let variance = |m: &ModelState| {
        let se = if m.battles < NEW_MODEL_BATTLES || !m.se.is_finite() {
            PRIOR_SD.max(if m.se.is_finite() { m.se } else { 0.0 })
        } else {
            m.se
        };
        (se * logit).powi(2)
    };
    let e = eligible.len();
    let var: Vec<f64> = eligible.iter().map(|&m| variance(&models[m])).collect();
    // Strengths exp(θ) once per model (centred, so none overflows): a pair's win
    // probability is then sᵢ / (sᵢ + sⱼ), without an exponential per pair.
    let mean = eligible.iter().map(|&m| models[m].rating).sum::<f64>() / e as f64;
    let strength: Vec<f64> = eligible
        .iter()
        .map(|&m| {
            ((models[m].rating - mean) * logit)
                .clamp(-300.0, 300.0)
                .exp()
        })
        .collect();
    let weight: Vec<f64> = eligible.iter().map(|&m| models[m].weight).collect();
    let pair_gain = |x: usize, y: usize| {
        let (sx, sy) = (strength[x], strength[y]);
        let info = sx * sy / ((sx + sy) * (sx + sy));
        let v = var[x] + var[y];
        weight[x] * weight[y] * v * v * info / (1.0 + v * info)
    };
    let mut pairs = Vec::with_capacity(e * (e - 1) / 2);
    let mut pair_weights = Vec::with_capacity(e * (e - 1) / 2);
    for x in 0..e {
        for y in x + 1..e {
            pairs.push((x, y));
            pair_weights.push(pair_gain(x, y));
        }
    }
    let first = pairs[draw(&pair_weights, rng)];
    let mut chosen = vec![first.0, first.1];
    while chosen.len() < k {
        let weights: Vec<f64> = (0..e)
            .map(|x| {
                if chosen.contains(&x) {
                    0.0
                } else {
                    chosen.iter().map(|&c| pair_gain(x, c)).sum()
                }
            })
            .collect();
        chosen.push(draw(&weights, rng));
    }
    Some(chosen.into_iter().map(|x| eligible[x]).collect())
}

/// `k` different models drawn one after another in proportion to their weights.
fn uniform(models: &[ModelState], eligible: &[usize], k: usize, rng: &mut impl Rng) -> Vec<usize> {
    let mut left: Vec<usize> = eligible.to_vec();
    let mut chosen = Vec::with_capacity(k);
    while chosen.len() < k {
        let weights: Vec<f64> = left.iter().map(|&m| models[m].weight).collect();
        chosen.push(left.swap_remove(draw(&weights, rng)));
    }
    chosen
}

/// An index drawn in proportion to `weights` (uniformly when they are all zero).
pub(crate) fn draw(weights: &[f64], rng: &mut impl Rng) -> usize {
    let total: f64 = weights.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        let open: Vec<usize> = (0..weights.len()).filter(|&i| weights[i] >= 0.0).collect();
        return open[rng.random_range(0..open.len())];
    }
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn state(rating: f64, se: f64, battles: u64) -> ModelState {
        ModelState {
            rating,
            se,
            battles,
            weight: 1.0,
        }
    }

    fn shares(models: &[ModelState], k: usize, strategy: Strategy, draws: usize) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut shown = vec![0usize; models.len()];
        for _ in 0..draws {
            let pick = choose(models, k, strategy, 0.2, &mut rng).unwrap();
            let mut sorted = pick.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), k, "{pick:?}");
            for m in pick {
                shown[m] += 1;
            }
        }
        shown.iter().map(|&s| s as f64 / draws as f64).collect()
    }

    #[test]
    fn every_model_keeps_being_shown() {
        // A settled model far from the rest still gets the uniform floor.
        let mut models: Vec<ModelState> = (0..10)
            .map(|m| state(1000.0 + 10.0 * m as f64, 15.0, 2000))
            .collect();
        models.push(state(400.0, 3.0, 50_000));
        for k in [2, 4] {
            let share = shares(&models, k, Strategy::Active, 20_000);
            let floor = 0.2 * k as f64 / models.len() as f64;
            for (m, s) in share.iter().enumerate() {
                assert!(*s >= 0.9 * floor, "k {k}, model {m}: {s} < {floor}");
            }
        }
    }

    #[test]
    fn a_new_model_is_shown_more_until_its_interval_narrows() {
        let mut models: Vec<ModelState> = (0..10)
            .map(|m| state(1000.0 + 15.0 * m as f64, 12.0, 3000))
            .collect();
        models.push(state(1000.0, f64::NAN, 3));
        let uniform = 2.0 / models.len() as f64;
        let new = shares(&models, 2, Strategy::Active, 20_000)[10];
        assert!(
            new > 2.5 * uniform,
            "new model shown {new}, uniform {uniform}"
        );
        // Once measured as well as the others, it is shown about as often as they are.
        models[10] = state(1070.0, 12.0, 3000);
        let measured = shares(&models, 2, Strategy::Active, 20_000);
        assert!(measured[10] < 1.5 * uniform, "{measured:?}");
    }

    #[test]
    fn weights_are_kept_and_zero_excludes() {
        let mut models: Vec<ModelState> = (0..6).map(|m| state(1000.0, 30.0, 100 + m)).collect();
        models[0].weight = 0.0;
        models[1].weight = 3.0;
        for strategy in [Strategy::Uniform, Strategy::Active] {
            let share = shares(&models, 2, strategy, 20_000);
            assert_eq!(share[0], 0.0);
            assert!(share[1] > 1.5 * share[2], "{strategy:?} {share:?}");
        }
        models.iter_mut().skip(2).for_each(|m| m.weight = 0.0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(choose(&models, 3, Strategy::Active, 0.2, &mut rng), None);
    }
}
