//! Synthetic votes from known strengths: the fit finds them, and the intervals
//! cover them as often as their level promises.

use arena_evaluator::{
    CiMethod, Counts, Leaderboard, LeaderboardOptions, Outcome, Synthetic, leaderboard_from_counts,
};

fn fit(counts: &Counts, options: &LeaderboardOptions) -> Leaderboard {
    leaderboard_from_counts(counts, options).unwrap()
}

fn rating_of(board: &Leaderboard, model: usize) -> &arena_evaluator::LeaderboardEntry {
    board.entry(&Synthetic::model_name(model)).unwrap()
}

#[test]
fn fit_recovers_known_strengths_from_many_synthetic_votes() {
    let synth = Synthetic {
        models: 12,
        votes: 400_000,
        seed: 3,
        spread: 150.0,
        tie_rate: 0.0,
    };
    let truth = synth.strengths();
    let board = fit(&synth.counts(), &LeaderboardOptions::default());
    for (m, want) in truth.iter().enumerate() {
        let got = rating_of(&board, m);
        // ~67k votes per model: a standard error of about 2.5 points.
        assert!(
            (got.rating - want).abs() < 10.0,
            "model {m}: {} vs {want}",
            got.rating
        );
        assert!(got.ci_high.unwrap() - got.ci_low.unwrap() < 15.0);
    }
    assert!(board.warnings.is_empty(), "{:?}", board.warnings);
}

/// Over many seeds, the share of intervals that contain the true rating.
fn coverage(ci: CiMethod, seeds: u64, rounds: usize) -> f64 {
    let mut covered = 0;
    let mut total = 0;
    for seed in 0..seeds {
        let synth = Synthetic {
            models: 8,
            votes: 3000,
            seed: 1000 + seed,
            spread: 120.0,
            tie_rate: 0.0,
        };
        let options = LeaderboardOptions {
            ci,
            bootstrap_rounds: rounds,
            seed,
            ..LeaderboardOptions::default()
        };
        let board = fit(&synth.counts(), &options);
        for (m, truth) in synth.strengths().iter().enumerate() {
            let e = rating_of(&board, m);
            total += 1;
            if e.ci_low.unwrap() <= *truth && *truth <= e.ci_high.unwrap() {
                covered += 1;
            }
        }
    }
    eprintln!("{ci:?} coverage {covered}/{total}");
    covered as f64 / total as f64
}

#[test]
fn sandwich_intervals_cover_the_truth_about_95_percent_of_the_time() {
    let share = coverage(CiMethod::Sandwich, 250, 0);
    assert!((0.92..=0.98).contains(&share), "coverage {share}");
}

#[test]
fn bootstrap_intervals_cover_the_truth_about_95_percent_of_the_time() {
    let share = coverage(CiMethod::Bootstrap, 120, 200);
    assert!((0.90..=0.985).contains(&share), "coverage {share}");
}

#[test]
fn a_lower_level_gives_narrower_intervals() {
    let counts = Synthetic {
        models: 5,
        votes: 2000,
        seed: 9,
        ..Synthetic::default()
    }
    .counts();
    let width = |level: f64| {
        let board = fit(
            &counts,
            &LeaderboardOptions {
                level,
                ..LeaderboardOptions::default()
            },
        );
        board.models[0].ci_high.unwrap() - board.models[0].ci_low.unwrap()
    };
    // Normal intervals: the width scales with the z value (1.645 vs 1.960).
    assert!(
        (width(0.90) / width(0.95) - 1.644_853_626_951_472 / 1.959_963_984_540_054).abs() < 1e-9
    );
}

#[test]
fn bootstrap_is_reproducible_for_a_seed_and_changes_with_it() {
    let counts = Synthetic {
        models: 6,
        votes: 5000,
        seed: 4,
        tie_rate: 0.2,
        ..Synthetic::default()
    }
    .counts();
    let options = LeaderboardOptions {
        ci: CiMethod::Bootstrap,
        bootstrap_rounds: 100,
        seed: 11,
        ..LeaderboardOptions::default()
    };
    let first = fit(&counts, &options);
    assert_eq!(first, fit(&counts, &options));
    assert_eq!(first.seed, Some(11));
    assert_eq!(first.bootstrap_rounds, Some(100));
    let other = fit(
        &counts,
        &LeaderboardOptions {
            seed: 12,
            ..options
        },
    );
    assert_ne!(first.models[0].ci_low, other.models[0].ci_low);
    assert_eq!(first.models[0].rating, other.models[0].rating);
}

#[test]
fn leaderboards_do_not_depend_on_the_order_votes_were_counted_in() {
    let synth = Synthetic {
        models: 7,
        votes: 4000,
        seed: 5,
        tie_rate: 0.1,
        ..Synthetic::default()
    };
    let names: Vec<String> = (0..7).map(Synthetic::model_name).collect();
    let mut votes = Vec::new();
    synth.for_each_vote(|a, b, o| votes.push((a, b, o)));
    let mut forward = Counts::new();
    for &(a, b, o) in &votes {
        forward.add(&names[a], &names[b], o);
    }
    // Reversed, and from the other side.
    let mut backward = Counts::new();
    for &(a, b, o) in votes.iter().rev() {
        backward.add(&names[b], &names[a], o.swapped());
    }
    for ci in [CiMethod::Sandwich, CiMethod::Bootstrap] {
        let options = LeaderboardOptions {
            ci,
            bootstrap_rounds: 50,
            ..LeaderboardOptions::default()
        };
        assert_eq!(fit(&forward, &options), fit(&backward, &options));
    }
    assert!(votes.iter().any(|v| v.2 == Outcome::Tie));
}

#[test]
fn bootstrap_progress_is_reported_for_every_round() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let counts = Synthetic {
        models: 4,
        votes: 1000,
        seed: 6,
        ..Synthetic::default()
    }
    .counts();
    let calls = AtomicUsize::new(0);
    let last_total = AtomicUsize::new(0);
    let options = LeaderboardOptions {
        ci: CiMethod::Bootstrap,
        bootstrap_rounds: 64,
        ..LeaderboardOptions::default()
    };
    arena_evaluator::leaderboard_from_counts_with_progress(&counts, &options, &|_done, total| {
        calls.fetch_add(1, Ordering::Relaxed);
        last_total.store(total, Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), 64);
    assert_eq!(last_total.load(Ordering::Relaxed), 64);
}
