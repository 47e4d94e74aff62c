//! Inputs at the edges of what can be rated: nothing, one model, two, a model
//! that never lost or never won, groups that never met. Each has a defined result:
//! finite numbers and a warning, never NaN or a hang.

mod common;

use arena_evaluator::{
    CiMethod, Counts, Format, Leaderboard, LeaderboardOptions, Method, Optimizer, Outcome,
    leaderboard_from_counts, leaderboard_from_reader,
};
use common::{from_jsonl, vote};

fn all_finite(board: &Leaderboard) -> bool {
    board.models.iter().all(|e| {
        e.rating.is_finite()
            && e.ci_low.is_none_or(f64::is_finite)
            && e.ci_high.is_none_or(f64::is_finite)
            && e.win_rate.is_finite()
    })
}

fn both_ci_methods() -> [LeaderboardOptions; 2] {
    [
        LeaderboardOptions::default(),
        LeaderboardOptions {
            ci: CiMethod::Bootstrap,
            bootstrap_rounds: 200,
            ..LeaderboardOptions::default()
        },
    ]
}

#[test]
fn an_empty_file_gives_an_empty_leaderboard_with_a_warning() {
    for format in [Format::Auto, Format::Jsonl, Format::Csv, Format::Fastchat] {
        for method in [Method::Bt, Method::Elo] {
            let options = LeaderboardOptions {
                method,
                ..LeaderboardOptions::default()
            };
            let board = leaderboard_from_reader(&b""[..], format, &options).unwrap();
            assert!(board.models.is_empty());
            assert_eq!(board.n_votes, 0);
            assert!(
                board.warnings.iter().any(|w| w.contains("no votes")),
                "{:?}",
                board.warnings
            );
        }
    }
    let board =
        leaderboard_from_reader(&b"[]"[..], Format::Auto, &LeaderboardOptions::default()).unwrap();
    assert!(board.models.is_empty());
    let board = leaderboard_from_reader(
        &b"model_a,model_b,winner\n"[..],
        Format::Auto,
        &LeaderboardOptions::default(),
    )
    .unwrap();
    assert!(board.models.is_empty());
}

#[test]
fn a_single_model_that_only_met_itself_is_not_rated() {
    let text = vote("solo", "solo", "model_a").repeat(3);
    let board = from_jsonl(&text, &LeaderboardOptions::default()).unwrap();
    assert!(board.models.is_empty());
    assert_eq!(board.excluded.self_battles, 3);
    assert!(board.warnings.iter().any(|w| w.contains("itself")));
    assert!(board.warnings.iter().any(|w| w.contains("solo")));
}

#[test]
fn two_models_get_the_closed_form_ratings_and_sandwich_interval() {
    let mut counts = Counts::new();
    counts.add_n("a", "b", Outcome::A, 30);
    counts.add_n("a", "b", Outcome::B, 10);
    // The closed form is that of the exact maximum; arena-rank's L-BFGS (the
    // default) stops 1.4e-9 points from it here, as arena-rank itself does.
    let exact = LeaderboardOptions {
        optimizer: Optimizer::Exact,
        ..LeaderboardOptions::default()
    };
    let board = leaderboard_from_counts(&counts, &exact).unwrap();
    let default = leaderboard_from_counts(&counts, &LeaderboardOptions::default()).unwrap();
    for (e, d) in board.models.iter().zip(&default.models) {
        assert!((e.rating - d.rating).abs() < 1e-6, "{e:?} vs {d:?}");
    }
    let points = 400.0 / 10f64.ln();
    // Odds 3:1 → θa − θb = ln 3, centred on 1000.
    let half_gap = 3f64.ln() / 2.0 * points;
    let (a, b) = (board.entry("a").unwrap(), board.entry("b").unwrap());
    assert!((a.rating - (1000.0 + half_gap)).abs() < 1e-9);
    assert!((b.rating - (1000.0 - half_gap)).abs() < 1e-9);
    // Bread h = n·p(1−p) along (1, −1), meat v = Σ(o − p)² = n·p(1−p) too at the
    // optimum, plus arena-rank's 1e-5·n ridge: var θa = v / (2h + ε)².
    let (n, p): (f64, f64) = (40.0, 0.75);
    let h = n * p * (1.0 - p);
    let se = (h / (2.0 * h + 1e-5 * n).powi(2)).sqrt() * points;
    let z = 1.959_963_984_540_054;
    assert!((a.ci_high.unwrap() - a.rating - z * se).abs() < 1e-6);
    assert!((a.rating - a.ci_low.unwrap() - z * se).abs() < 1e-6);
    assert_eq!((a.battles, a.wins, a.losses, a.ties), (40, 30, 10, 0));
    assert_eq!(a.win_rate, 0.75);
    assert_eq!((a.rank_ub, b.rank_ub), (1, 2));
    assert!(board.warnings.is_empty());
}

#[test]
fn a_model_with_only_wins_gets_a_finite_rating_at_the_top_and_a_warning() {
    let mut counts = Counts::new();
    counts.add_n("champ", "b", Outcome::A, 5);
    counts.add_n("champ", "c", Outcome::A, 4);
    counts.add_n("b", "c", Outcome::A, 6);
    counts.add_n("b", "c", Outcome::B, 4);
    for options in both_ci_methods() {
        let board = leaderboard_from_counts(&counts, &options).unwrap();
        assert!(all_finite(&board), "{board:?}");
        assert_eq!(board.models[0].model, "champ");
        assert!(board.models[0].rating > board.models[1].rating + 100.0);
        let warning = board
            .warnings
            .iter()
            .find(|w| w.contains("never lost"))
            .expect("a warning");
        assert!(warning.contains("champ"), "{warning}");
    }
    // The same for online Elo, which has no such problem and no warning.
    let text = vote("champ", "b", "model_a").repeat(3);
    let elo = from_jsonl(
        &text,
        &LeaderboardOptions {
            method: Method::Elo,
            ..LeaderboardOptions::default()
        },
    )
    .unwrap();
    assert!(all_finite(&elo));
}

#[test]
fn a_model_that_never_won_gets_a_finite_rating_at_the_bottom_and_a_warning() {
    let mut counts = Counts::new();
    counts.add_n("a", "b", Outcome::A, 5);
    counts.add_n("a", "b", Outcome::B, 5);
    counts.add_n("a", "loser", Outcome::A, 3);
    counts.add_n("loser", "b", Outcome::B, 2);
    let board = leaderboard_from_counts(&counts, &LeaderboardOptions::default()).unwrap();
    assert!(all_finite(&board));
    assert_eq!(board.models.last().unwrap().model, "loser");
    assert!(
        board.warnings.iter().any(|w| w.contains("loser never won")),
        "{:?}",
        board.warnings
    );
}

#[test]
fn two_disconnected_groups_are_each_centred_on_the_mean_with_a_warning() {
    let mut counts = Counts::new();
    counts.add_n("a1", "a2", Outcome::A, 8);
    counts.add_n("a1", "a2", Outcome::B, 2);
    counts.add_n("b1", "b2", Outcome::A, 5);
    counts.add_n("b1", "b2", Outcome::B, 5);
    for options in both_ci_methods() {
        let board = leaderboard_from_counts(&counts, &options).unwrap();
        assert!(all_finite(&board));
        let r = |m: &str| board.entry(m).unwrap().rating;
        assert!((r("a1") + r("a2") - 2000.0).abs() < 1e-9);
        assert!((r("b1") - 1000.0).abs() < 1e-9 && (r("b2") - 1000.0).abs() < 1e-9);
        assert!(board.warnings.iter().any(|w| w.contains("2 groups")));
        // Equal sizes and votes: the alphabetically first group is the first.
        let g = |m: &str| board.entry(m).unwrap().group;
        assert_eq!((g("a1"), g("a2"), g("b1"), g("b2")), (1, 1, 2, 2));
    }
}

/// Rank (UB) counts only models of the same group: adding models that never met a
/// group changes none of its ranks, and the largest group comes first.
#[test]
fn ranks_are_computed_within_each_connected_group() {
    let mut counts = Counts::new();
    // Group of three, clearly ordered: x > y > z.
    counts.add_n("x", "y", Outcome::A, 80);
    counts.add_n("x", "y", Outcome::B, 20);
    counts.add_n("y", "z", Outcome::A, 80);
    counts.add_n("y", "z", Outcome::B, 20);
    counts.add_n("x", "z", Outcome::A, 90);
    counts.add_n("x", "z", Outcome::B, 10);
    let options = LeaderboardOptions::default();
    let alone = leaderboard_from_counts(&counts, &options).unwrap();
    let ranks = |board: &arena_evaluator::Leaderboard| -> Vec<(String, usize, usize)> {
        board
            .models
            .iter()
            .map(|e| (e.model.clone(), e.group, e.rank_ub))
            .collect()
    };
    // Two pairs that never met the three, nor each other; p rates far above x.
    counts.add_n("p", "q", Outcome::A, 99);
    counts.add_n("p", "q", Outcome::B, 1);
    counts.add_n("r", "s", Outcome::A, 30);
    counts.add_n("r", "s", Outcome::B, 30);
    for options in both_ci_methods() {
        let board = leaderboard_from_counts(&counts, &options).unwrap();
        let got = ranks(&board);
        // The group of three first, with the ranks it has alone; then the pairs, the
        // one with more votes first.
        assert_eq!(&got[..3], &ranks(&alone)[..], "{got:?}");
        assert_eq!(
            got[..3].iter().map(|g| g.2).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(
            got[3..],
            [
                ("p".to_string(), 2, 1),
                ("q".to_string(), 2, 2),
                ("r".to_string(), 3, 1),
                ("s".to_string(), 3, 1),
            ]
        );
        assert!(board.warnings.iter().any(|w| w.contains("3 groups")));
        // The table shows each group under its own heading.
        let table = board.to_table();
        assert!(table.contains("group 1 of 3 (3 models)"), "{table}");
        assert!(table.contains("group 3 of 3 (2 models)"), "{table}");
    }
}

/// An interval from one vote would claim certainty (bootstrap resamples of one vote
/// are all the same); below the minimum the interval is unknown, never zero.
#[test]
fn intervals_below_the_minimum_battles_are_unknown() {
    let mut counts = Counts::new();
    counts.add_n("u", "v", Outcome::A, 1);
    for options in both_ci_methods() {
        let board = leaderboard_from_counts(&counts, &options).unwrap();
        for e in &board.models {
            assert_eq!((e.ci_low, e.ci_high), (None, None), "{e:?}");
            assert_eq!(e.rank_ub, 1, "an unknown interval could be first");
        }
        assert!(board.to_table().contains("unknown"));
        assert!(board.warnings.iter().any(|w| w.contains("unknown")));
    }
}
