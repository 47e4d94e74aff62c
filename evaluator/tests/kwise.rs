//! K-wise votes (best, and optionally worst, of three or four) in the joint
//! Bradley–Terry / Plackett–Luce fit: recovery, interval coverage, how they mix with
//! pairs, and active matchmaking that does not bias the ratings.

use arena_evaluator::matchmaking::Strategy;
use arena_evaluator::simulate::{Design, Scenario, Settings, compare, simulate};
use arena_evaluator::{
    CiMethod, Counts, Leaderboard, LeaderboardOptions, Optimizer, Outcome, leaderboard_from_counts,
};
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn name(m: usize) -> String {
    format!("m{m}")
}

fn draw(weights: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let mut x = rng.random::<f64>() * weights.iter().sum::<f64>();
    for (q, w) in weights.iter().enumerate() {
        if x < *w {
            return q;
        }
        x -= w;
    }
    weights.len() - 1
}

/// `votes` K-wise votes among models of the given true ratings: K models drawn
/// uniformly, the best by Plackett–Luce, then (when `worst`) the worst of the rest.
fn kwise_votes(truth: &[f64], k: usize, worst: bool, votes: usize, seed: u64) -> Counts {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let strength: Vec<f64> = truth
        .iter()
        .map(|r| 10f64.powf((r - 1000.0) / 400.0))
        .collect();
    let names: Vec<String> = (0..truth.len()).map(name).collect();
    let mut counts = Counts::new();
    for _ in 0..votes {
        let shown = sample(&mut rng, truth.len(), k).into_vec();
        let best = draw(
            &shown.iter().map(|&m| strength[m]).collect::<Vec<_>>(),
            &mut rng,
        );
        let worst = worst.then(|| {
            let w: Vec<f64> = shown
                .iter()
                .enumerate()
                .map(|(q, &m)| if q == best { 0.0 } else { 1.0 / strength[m] })
                .collect();
            draw(&w, &mut rng)
        });
        let models: Vec<&str> = shown.iter().map(|&m| names[m].as_str()).collect();
        counts.add_choice(&models, best, worst, 1).unwrap();
    }
    counts
}

fn truth(models: usize, spread: f64) -> Vec<f64> {
    let mid = (models as f64 - 1.0) / 2.0;
    (0..models)
        .map(|m| 1000.0 + spread * (m as f64 - mid) / mid)
        .collect()
}

fn exact() -> LeaderboardOptions {
    LeaderboardOptions {
        optimizer: Optimizer::Exact,
        ..LeaderboardOptions::default()
    }
}

fn rating(board: &Leaderboard, m: usize) -> &arena_evaluator::LeaderboardEntry {
    board.entry(&name(m)).unwrap()
}

#[test]
fn kwise_votes_recover_known_strengths() {
    let truth = truth(10, 200.0);
    for (k, worst) in [(4, true), (4, false), (3, true)] {
        let counts = kwise_votes(&truth, k, worst, 40_000, 11);
        let board = leaderboard_from_counts(&counts, &exact()).unwrap();
        assert_eq!(board.n_votes, 40_000);
        assert!(board.warnings.is_empty(), "{:?}", board.warnings);
        for (m, want) in truth.iter().enumerate() {
            let e = rating(&board, m);
            assert!(
                (e.rating - want).abs() < 12.0,
                "K={k} worst={worst} m{m}: {} vs {want}",
                e.rating
            );
            assert!(e.ci_low.unwrap() < e.rating && e.rating < e.ci_high.unwrap());
        }
        // Every vote shows k models: battles add up to k per vote.
        let battles: u64 = board.models.iter().map(|e| e.battles).sum();
        assert_eq!(battles, 40_000 * k as u64);
        let wins: u64 = board.models.iter().map(|e| e.wins).sum();
        assert_eq!(wins, 40_000);
    }
}

/// The share of 95% intervals that contain the true rating, over `seeds` data sets.
fn coverage(ci: CiMethod, seeds: u64, rounds: usize, pairs_too: bool) -> f64 {
    let truth = truth(8, 150.0);
    let (mut covered, mut total) = (0, 0);
    for seed in 0..seeds {
        let mut counts = kwise_votes(&truth, 4, seed % 2 == 0, 1500, 500 + seed);
        if pairs_too {
            let synth = kwise_votes(&truth, 2, false, 1500, 9000 + seed);
            counts.merge(&synth);
        }
        let options = LeaderboardOptions {
            ci,
            bootstrap_rounds: rounds,
            seed,
            ..exact()
        };
        let board = leaderboard_from_counts(&counts, &options).unwrap();
        // Ratings are centred on 1000, as the truth is.
        for (m, want) in truth.iter().enumerate() {
            let e = rating(&board, m);
            covered += usize::from(e.ci_low.unwrap() <= *want && *want <= e.ci_high.unwrap());
            total += 1;
        }
    }
    covered as f64 / total as f64
}

#[test]
fn sandwich_intervals_of_kwise_votes_cover_as_promised() {
    let c = coverage(CiMethod::Sandwich, 150, 0, false);
    assert!((0.92..=0.975).contains(&c), "coverage {c}");
    let mixed = coverage(CiMethod::Sandwich, 100, 0, true);
    assert!(
        (0.92..=0.975).contains(&mixed),
        "coverage with pairs {mixed}"
    );
}

#[test]
fn bootstrap_intervals_of_kwise_votes_cover_as_promised() {
    let c = coverage(CiMethod::Bootstrap, 40, 200, true);
    assert!((0.89..=0.99).contains(&c), "coverage {c}");
}

#[test]
fn a_choice_between_two_counts_as_the_pairwise_vote() {
    let mut as_pairs = Counts::new();
    let mut as_choices = Counts::new();
    for (a, b, wins_a, wins_b) in [("x", "y", 30, 12), ("y", "z", 20, 25), ("x", "z", 9, 4)] {
        as_pairs.add_n(a, b, Outcome::A, wins_a);
        as_pairs.add_n(a, b, Outcome::B, wins_b);
        as_choices.add_choice(&[a, b], 0, None, wins_a).unwrap();
        as_choices.add_choice(&[b, a], 0, None, wins_b).unwrap();
    }
    for optimizer in [Optimizer::ArenaRank, Optimizer::Exact] {
        let options = LeaderboardOptions {
            optimizer,
            ..LeaderboardOptions::default()
        };
        assert_eq!(
            leaderboard_from_counts(&as_pairs, &options).unwrap(),
            leaderboard_from_counts(&as_choices, &options).unwrap()
        );
    }
}

#[test]
fn a_model_seen_only_in_kwise_battles_is_rated_and_joins_the_group() {
    let mut counts = Counts::new();
    counts.add_n("a", "b", Outcome::A, 30);
    counts.add_n("a", "b", Outcome::B, 20);
    counts
        .add_choice(&["a", "b", "c", "d"], 2, Some(1), 10)
        .unwrap();
    counts
        .add_choice(&["a", "b", "c", "d"], 0, Some(3), 12)
        .unwrap();
    counts.add_choice(&["b", "c", "d"], 2, Some(0), 7).unwrap();
    counts.add_choice(&["b", "c", "d"], 0, Some(1), 5).unwrap();
    let board = leaderboard_from_counts(&counts, &exact()).unwrap();
    assert_eq!(board.models.len(), 4);
    assert!(board.models.iter().all(|e| e.group == 1), "{board:?}");
    assert!(board.warnings.is_empty(), "{:?}", board.warnings);
    assert_eq!(board.n_votes, 50 + 34);
    let c = board.entry("c").unwrap();
    assert_eq!((c.battles, c.wins, c.losses), (34, 10, 5));
    // Unbeaten in K-wise votes: no finite maximum, the ridge fallback says so.
    let mut unbeaten = Counts::new();
    unbeaten.add_n("a", "b", Outcome::A, 3);
    unbeaten.add_n("a", "b", Outcome::B, 3);
    unbeaten.add_choice(&["a", "b", "c"], 2, None, 4).unwrap();
    let board = leaderboard_from_counts(&unbeaten, &exact()).unwrap();
    assert!(
        board.warnings.iter().any(|w| w.contains("c never lost")),
        "{:?}",
        board.warnings
    );
}

#[test]
fn bad_choices_are_refused() {
    let mut counts = Counts::new();
    assert!(counts.add_choice(&["a"], 0, None, 1).is_err());
    assert!(
        counts
            .add_choice(&["a", "b", "c", "d", "e"], 0, None, 1)
            .is_err()
    );
    assert!(counts.add_choice(&["a", "b", "c"], 3, None, 1).is_err());
    assert!(counts.add_choice(&["a", "b", "c"], 1, Some(1), 1).is_err());
    assert!(counts.add_choice(&["a", "b", "b"], 0, None, 1).is_err());
    assert_eq!(counts.total(), 0);
}

#[test]
fn active_matchmaking_does_not_bias_the_ratings() {
    // Thirty runs of active pairs and active K = 4 on models 60 points apart, stopped
    // at a fixed number of actions: the mean error of every model is near zero. (Without
    // ties: ties that strengths do not explain pull every Bradley–Terry fit together,
    // however the battles are chosen.)
    let scenario = Scenario::evenly_spaced(8, 60.0);
    for k in [2, 4] {
        let design = Design {
            strategy: Strategy::Active,
            k,
        };
        let seeds = 30;
        let mut error = [0.0; 8];
        let mut squared = [0.0; 8];
        for seed in 0..seeds {
            let settings = Settings {
                max_actions: 1500,
                seed,
                tie_rate: 0.0,
                ..Settings::default()
            };
            let run = simulate(&scenario, design, &settings);
            assert_eq!(run.checkpoints.last().unwrap().actions, 1500);
            for m in 0..8 {
                let e = run.ratings[m] - scenario.ratings[m];
                error[m] += e / seeds as f64;
                squared[m] += e * e / seeds as f64;
            }
        }
        for m in 0..8 {
            let sd = (squared[m] - error[m] * error[m]).sqrt();
            let se_of_mean = sd / (seeds as f64).sqrt();
            assert!(
                error[m].abs() < 3.5 * se_of_mean + 1.0,
                "K={k} m{m}: mean error {} (standard error {se_of_mean})",
                error[m]
            );
        }
    }
}

#[test]
fn a_tiny_comparison_reports_every_design_against_uniform_pairs() {
    let scenario = Scenario::close_top_three(6, 80.0, 40.0);
    let designs = arena_evaluator::simulate::standard_designs();
    let settings = Settings {
        max_actions: 6000,
        ..Settings::default()
    };
    let report = compare(&scenario, &designs, &settings, 3);
    assert_eq!(report.designs.len(), 4);
    let base = &report.designs[0];
    assert_eq!(base.label, "uniform pairs");
    assert_eq!(base.runs, 3);
    assert_eq!(base.actions_vs_baseline.tau, Some(1.0));
    assert!(base.median_actions.tau.is_some());
    let active4 = &report.designs[3];
    assert_eq!(active4.label, "active K=4");
    assert_eq!(active4.seconds_per_battle, 14.0);
    let width = active4.median_actions.width.unwrap();
    assert_eq!(active4.median_seconds.width, Some(width as f64 * 14.0));
    assert!(!active4.curve.is_empty());
    // Four images with best and worst carry more per action than a pair.
    assert!(
        active4.actions_vs_baseline.width.unwrap() < 1.0,
        "{report:#?}"
    );
}

#[test]
fn kwise_rows_in_files_are_read_into_the_same_board() {
    use arena_evaluator::{Format, leaderboard_from_reader};
    let jsonl = "\
{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"model_a\"}
{\"model_a\": \"y\", \"model_b\": \"z\", \"model_c\": \"x\", \"model_d\": \"w\", \"winner\": \"model_c\", \"worst\": \"model_d\"}
{\"model_a\": \"w\", \"model_b\": \"z\", \"model_c\": \"y\", \"winner\": \"b\", \"worst\": null}
{\"model_a\": \"z\", \"model_b\": \"w\", \"model_c\": null, \"winner\": \"tie\"}
{\"model_a\": \"x\", \"model_b\": \"w\", \"model_c\": \"z\", \"model_d\": \"y\", \"winner\": \"d\", \"worst\": \"a\"}
{\"model_a\": \"w\", \"model_b\": \"x\", \"winner\": \"model_a\"}
";
    let csv = "\
model_a,model_b,model_c,model_d,winner,worst
x,y,,,model_a,
y,z,x,w,model_c,model_d
w,z,y,,b,
z,w,,,tie,
x,w,z,y,d,a
w,x,,,model_a,
";
    let mut counts = Counts::new();
    counts.add("x", "y", Outcome::A);
    counts
        .add_choice(&["y", "z", "x", "w"], 2, Some(3), 1)
        .unwrap();
    counts.add_choice(&["w", "z", "y"], 1, None, 1).unwrap();
    counts.add("z", "w", Outcome::Tie);
    counts
        .add_choice(&["x", "w", "z", "y"], 3, Some(0), 1)
        .unwrap();
    counts.add("w", "x", Outcome::A);
    let want = leaderboard_from_counts(&counts, &exact()).unwrap();
    assert_eq!(want.n_votes, 6);
    for (text, format) in [
        (jsonl, Format::Jsonl),
        (csv, Format::Csv),
        (jsonl, Format::Auto),
    ] {
        let got = leaderboard_from_reader(text.as_bytes(), format, &exact()).unwrap();
        assert_eq!(got, want, "{format:?}");
    }
    // A FastChat array of the same objects.
    let array = format!("[{}]", jsonl.trim().lines().collect::<Vec<_>>().join(",\n"));
    let got = leaderboard_from_reader(array.as_bytes(), Format::Fastchat, &exact()).unwrap();
    assert_eq!(got, want);
}

#[test]
fn bad_kwise_rows_are_refused_at_their_line() {
    use arena_evaluator::{Format, leaderboard_from_reader};
    let good = "{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"model_a\"}\n";
    for (row, expect) in [
        (
            r#"{"model_a": "x", "model_b": "y", "model_c": "z", "winner": "tie"}"#,
            "winner \"tie\" of a battle of 3 images must name one of them (model_a … model_c)",
        ),
        (
            r#"{"model_a": "x", "model_b": "y", "model_c": "z", "winner": "model_d"}"#,
            "winner \"model_d\" of a battle of 3 images",
        ),
        (
            r#"{"model_a": "x", "model_b": "y", "model_c": "z", "winner": "a", "worst": "a"}"#,
            "the worst image cannot also be the best",
        ),
        (
            r#"{"model_a": "x", "model_b": "y", "model_c": "y", "winner": "a"}"#,
            "model \"y\" is shown twice in one battle",
        ),
        (
            r#"{"model_a": "x", "model_b": "y", "model_d": "z", "winner": "a"}"#,
            "field model_d needs a model_c",
        ),
        (
            r#"{"model_a": "x", "model_b": "y", "winner": "a", "worst": "b"}"#,
            "field worst belongs to battles of three or four images",
        ),
        (
            r#"{"model_a": "x", "model_b": "y", "model_c": "", "winner": "a"}"#,
            "field model_c is empty",
        ),
    ] {
        let text = format!("{good}{good}{row}\n");
        let err = leaderboard_from_reader(text.as_bytes(), Format::Jsonl, &exact())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("line 3: ") && err.contains(expect),
            "{row}: {err}"
        );
    }
}
