//! Bootstrap confidence intervals by multinomial resampling of the (pair, outcome)
//! cells.
//!
//! Resampling N votes with replacement is the same as drawing the N votes' cell
//! counts from a multinomial with the observed cell frequencies, so a round costs
//! O(cells), not O(votes). Rounds run on all cores; round `r` always draws from
//! ChaCha8 stream `r` of the seed, so results do not depend on the thread count.
//! A resample in which some model never lost or never won (likely when it has few
//! votes) has no finite maximum either, and is fitted with the same weak ridge as
//! the full data would be ([`FALLBACK_RIDGE`]).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};

use crate::bt::{self, FALLBACK_RIDGE};
use crate::choice::{self, Choice};
use crate::counts::Pair;

/// Convergence of each resample's fit, in logits: 2e-5 rating points, far below the
/// spread of the resampled ratings, and one Newton step fewer than the point fit.
const BOOTSTRAP_TOLERANCE: f64 = 1e-7;

/// Progress reports: `(rounds done, rounds in total)`, from any thread.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Draws `rounds` resamples, refits each (warm-started at `theta_hat`) and returns,
/// per model, the sorted bootstrap strengths in natural units.
pub(crate) fn bootstrap(
    pairs: &[Pair],
    choices: &[Choice],
    theta_hat: &[f64],
    rounds: usize,
    seed: u64,
    ridge: f64,
    progress: Option<Progress<'_>>,
) -> Vec<Vec<f64>> {
    let n = theta_hat.len();
    let cells = Cells::new(pairs, choices);
    run_rounds(
        rounds,
        seed,
        n,
        progress,
        || (pairs.to_vec(), choices.to_vec()),
        |(sample, sample_choices), rng| {
            cells.resample(rng, sample, sample_choices);
            let separated =
                bt::separation(&choice::graph_pairs(sample, sample_choices), n).is_some();
            let ridge = if ridge > 0.0 {
                ridge
            } else if separated {
                FALLBACK_RIDGE
            } else {
                0.0
            };
            bt::fit(
                sample,
                sample_choices,
                n,
                ridge,
                Some(theta_hat),
                BOOTSTRAP_TOLERANCE,
            )
            .theta
        },
    )
}

/// Runs `rounds` bootstrap rounds on all cores and returns, per parameter, the `dim`
/// values the rounds gave, sorted. Round `r` gets ChaCha8 stream `r` of `seed` (so the
/// result does not depend on the thread count) and a per-thread scratch value made by
/// `scratch`; `round` returns the round's `dim` parameters.
pub(crate) fn run_rounds<S>(
    rounds: usize,
    seed: u64,
    dim: usize,
    progress: Option<Progress<'_>>,
    scratch: impl Fn() -> S + Sync,
    round: impl Fn(&mut S, &mut ChaCha8Rng) -> Vec<f64> + Sync,
) -> Vec<Vec<f64>> {
    let results = Mutex::new(vec![Vec::new(); rounds]);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(rounds.max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut state = scratch();
                loop {
                    let r = next.fetch_add(1, Ordering::Relaxed);
                    if r >= rounds {
                        break;
                    }
                    let mut rng = ChaCha8Rng::seed_from_u64(seed);
                    rng.set_stream(r as u64);
                    let params = round(&mut state, &mut rng);
                    results.lock().unwrap_or_else(|e| e.into_inner())[r] = params;
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if let Some(report) = progress {
                        report(finished, rounds);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut per_param = vec![Vec::with_capacity(rounds); dim];
    for params in &results {
        for (d, &v) in params.iter().enumerate() {
            per_param[d].push(v);
        }
    }
    for samples in &mut per_param {
        samples.sort_by(f64::total_cmp);
    }
    per_param
}

/// The non-empty cells: (pair index, outcome slot 0 = i wins, 1 = j wins, 2 = tie,
/// count), then (K-wise cell index, slot 3, count).
struct Cells {
    cells: Vec<(usize, u8, u64)>,
    total: u64,
}

impl Cells {
    fn new(pairs: &[Pair], choices: &[Choice]) -> Cells {
        let mut cells = Vec::new();
        for (k, p) in pairs.iter().enumerate() {
            for (slot, count) in [(0u8, p.wins_i), (1, p.wins_j), (2, p.ties)] {
                if count > 0 {
                    cells.push((k, slot, count));
                }
            }
        }
        for (k, c) in choices.iter().enumerate() {
            if c.count > 0 {
                cells.push((k, 3, c.count));
            }
        }
        let total = cells.iter().map(|c| c.2).sum();
        Cells { cells, total }
    }

    /// Draws one multinomial sample of `total` votes into `sample`, cell by cell as
    /// conditional binomials.
    fn resample(&self, rng: &mut ChaCha8Rng, sample: &mut [Pair], choices: &mut [Choice]) {
        for p in sample.iter_mut() {
            (p.wins_i, p.wins_j, p.ties) = (0, 0, 0);
        }
        for c in choices.iter_mut() {
            c.count = 0;
        }
        let mut votes_left = self.total;
        let mut weight_left = self.total;
        for &(k, slot, count) in &self.cells {
            if votes_left == 0 {
                break;
            }
            let drawn = if count >= weight_left {
                votes_left
            } else {
                let p = count as f64 / weight_left as f64;
                Binomial::new(votes_left, p).map_or(0, |b| b.sample(rng))
            };
            weight_left -= count;
            votes_left -= drawn;
            match slot {
                0 => sample[k].wins_i = drawn,
                1 => sample[k].wins_j = drawn,
                2 => sample[k].ties = drawn,
                _ => choices[k].count = drawn,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counts::pair;

    #[test]
    fn resampling_keeps_the_number_of_votes_and_only_observed_cells() {
        let pairs = [pair(0, 1, 50, 30, 0), pair(1, 2, 5, 0, 15)];
        let cells = Cells::new(&pairs, &[]);
        let mut sample = pairs.to_vec();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..100 {
            cells.resample(&mut rng, &mut sample, &mut []);
            let total: u64 = sample.iter().map(|p| p.wins_i + p.wins_j + p.ties).sum();
            assert_eq!(total, 100);
            assert_eq!(sample[0].ties, 0);
            assert_eq!(sample[1].wins_j, 0);
        }
    }
}
