//! Synthetic votes from known strengths, for benchmarks and recovery tests.

use std::io::{self, Write};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::counts::Counts;
use crate::vote::Outcome;

/// A seeded generator of votes under the Bradley–Terry model (scale 400, base 10).
/// Each vote picks two different models uniformly; with probability `tie_rate` it is
/// a tie, otherwise the winner is drawn from the models' true win probability.
///
/// # Examples
///
/// ```
/// use arena_evaluator::Synthetic;
/// let synth = Synthetic { models: 4, votes: 1000, seed: 1, ..Synthetic::default() };
/// let truth = synth.strengths();
/// assert!((truth.iter().sum::<f64>() / 4.0 - 1000.0).abs() < 1e-9);
/// assert_eq!(synth.counts().total(), 1000);
/// let mut jsonl = Vec::new();
/// synth.write_jsonl(&mut jsonl).unwrap();
/// assert_eq!(jsonl.iter().filter(|&&b| b == b'\n').count(), 1000);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Synthetic {
    /// Number of models (at least 2).
    pub models: usize,
    /// Number of votes.
    pub votes: u64,
    /// Seed of both the strengths and the votes.
    pub seed: u64,
    /// Standard deviation of the true ratings, in rating points.
    pub spread: f64,
    /// Probability that a vote is a tie regardless of strengths (0 keeps the data
    /// exactly Bradley–Terry).
    pub tie_rate: f64,
}

impl Default for Synthetic {
    fn default() -> Self {
        Synthetic {
            models: 20,
            votes: 1_000_000,
            seed: 0,
            spread: 100.0,
            tie_rate: 0.0,
        }
    }
}

impl Synthetic {
    /// The name of model `i`: `model-000`, `model-001`, …
    pub fn model_name(i: usize) -> String {
        format!("model-{i:03}")
    }

    /// The true ratings (scale 400, base 10), centred exactly on 1000.
    pub fn strengths(&self) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let normal = Normal::new(0.0, self.spread.max(0.0)).expect("a non-negative spread");
        let mut r: Vec<f64> = (0..self.models).map(|_| normal.sample(&mut rng)).collect();
        let mean = r.iter().sum::<f64>() / self.models.max(1) as f64;
        r.iter_mut().for_each(|x| *x += 1000.0 - mean);
        r
    }

    /// Calls `f(model_a, model_b, outcome)` for every vote, in order.
    pub fn for_each_vote(&self, mut f: impl FnMut(usize, usize, Outcome)) {
        assert!(self.models >= 2, "a battle needs two models");
        let strengths = self.strengths();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(1);
        for _ in 0..self.votes {
            let a = rng.random_range(0..self.models);
            let mut b = rng.random_range(0..self.models - 1);
            if b >= a {
                b += 1;
            }
            let outcome = if rng.random::<f64>() < self.tie_rate {
                Outcome::Tie
            } else {
                let p_a = 1.0 / (1.0 + 10f64.powf((strengths[b] - strengths[a]) / 400.0));
                if rng.random::<f64>() < p_a {
                    Outcome::A
                } else {
                    Outcome::B
                }
            };
            f(a, b, outcome);
        }
    }

    /// The votes aggregated.
    pub fn counts(&self) -> Counts {
        let m = self.models;
        let mut dense = vec![[0u64; 3]; m * m];
        self.for_each_vote(|a, b, o| {
            let k = match o {
                Outcome::A => 0,
                Outcome::B => 1,
                _ => 2,
            };
            dense[a * m + b][k] += 1;
        });
        let names: Vec<String> = (0..m).map(Self::model_name).collect();
        let mut counts = Counts::new();
        for a in 0..m {
            for b in 0..m {
                for (k, outcome) in [Outcome::A, Outcome::B, Outcome::Tie]
                    .into_iter()
                    .enumerate()
                {
                    let n = dense[a * m + b][k];
                    if n > 0 {
                        counts.add_n(&names[a], &names[b], outcome, n);
                    }
                }
            }
        }
        counts
    }

    /// Writes the votes as JSONL in the arena's export shape (`model_a`, `model_b`,
    /// `winner`, `anony`, `tstamp`), one second apart.
    pub fn write_jsonl<W: Write>(&self, writer: W) -> io::Result<()> {
        let mut out = io::BufWriter::with_capacity(1 << 20, writer);
        let names: Vec<String> = (0..self.models).map(Self::model_name).collect();
        let mut result = Ok(());
        let mut t = 1_700_000_000u64;
        self.for_each_vote(|a, b, o| {
            if result.is_ok() {
                result = writeln!(
                    out,
                    r#"{{"model_a":"{}","model_b":"{}","winner":"{}","anony":true,"tstamp":{t}}}"#,
                    names[a],
                    names[b],
                    o.fastchat_label()
                );
                t += 1;
            }
        });
        result?;
        out.flush()
    }
}
