//! What the options do: both-bad policy, filters, listing thresholds, anchoring,
//! validation, and the shapes of the JSON, CSV and table outputs.

mod common;

use arena_evaluator::{
    BothBad, CiMethod, Counts, Error, Leaderboard, LeaderboardOptions, Method, Outcome, VoteFilter,
    leaderboard_from_counts,
};
use common::{from_jsonl, vote};

#[test]
fn both_bad_votes_are_ties_by_default_and_can_be_excluded() {
    let text = format!(
        "{}{}{}",
        vote("x", "y", "model_a"),
        vote("x", "y", "model_b"),
        vote("x", "y", "tie (bothbad)")
    );
    let as_tie = from_jsonl(&text, &LeaderboardOptions::default()).unwrap();
    assert_eq!(as_tie.n_votes, 3);
    assert_eq!(as_tie.entry("x").unwrap().ties, 1);
    let options = LeaderboardOptions {
        both_bad: BothBad::Exclude,
        ..LeaderboardOptions::default()
    };
    let excluded = from_jsonl(&text, &options).unwrap();
    assert_eq!(excluded.n_votes, 2);
    assert_eq!(excluded.excluded.both_bad, 1);
    assert_eq!(excluded.entry("x").unwrap().ties, 0);
    let elo = from_jsonl(
        &text,
        &LeaderboardOptions {
            method: Method::Elo,
            ..options
        },
    )
    .unwrap();
    assert_eq!(elo.n_votes, 2);
}

#[test]
fn filters_keep_anonymous_votes_of_a_category_in_a_time_range() {
    let line = |anony: &str, category: &str, t: f64| {
        format!(
            "{{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"model_a\", \"anony\": {anony}, \"category\": {category}, \"tstamp\": {t}}}\n"
        )
    };
    let text = [
        line("true", "\"photo\"", 10.0),
        line("false", "\"photo\"", 11.0),
        line("true", "\"art\"", 12.0),
        line("true", "\"photo\"", 99.0),
        line("null", "null", 13.0),
        "{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"model_b\", \"counts_for_leaderboard\": false}\n".to_string(),
    ]
    .concat();
    let everything = VoteFilter {
        anonymous_only: false,
        ..VoteFilter::default()
    };
    let board = from_jsonl(
        &text,
        &LeaderboardOptions {
            filter: everything,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!((board.n_votes, board.excluded.not_counted), (5, 1));
    let default = from_jsonl(&text, &LeaderboardOptions::default()).unwrap();
    assert_eq!((default.n_votes, default.excluded.not_anonymous), (4, 1));
    let filter = VoteFilter {
        category: Some("photo".into()),
        since: Some(10.0),
        until: Some(50.0),
        ..VoteFilter::default()
    };
    let narrow = from_jsonl(
        &text,
        &LeaderboardOptions {
            filter,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(narrow.n_votes, 1);
    assert_eq!(
        (
            narrow.excluded.other_category,
            narrow.excluded.outside_time_range,
            narrow.excluded.not_anonymous
        ),
        (2, 1, 1)
    );
}

#[test]
fn few_battles_mean_provisional_and_below_the_minimum_not_listed() {
    let mut counts = Counts::new();
    counts.add_n("a", "b", Outcome::A, 60);
    counts.add_n("a", "b", Outcome::B, 50);
    counts.add_n("a", "rare", Outcome::A, 1);
    counts.add_n("b", "rare", Outcome::B, 1);
    let options = LeaderboardOptions {
        min_battles: 2,
        provisional_below: 100,
        ..LeaderboardOptions::default()
    };
    let board = leaderboard_from_counts(&counts, &options).unwrap();
    let listed: Vec<(&str, bool)> = board
        .models
        .iter()
        .map(|e| (e.model.as_str(), e.provisional))
        .collect();
    assert_eq!(listed, [("a", false), ("rare", true), ("b", false)]);
    let stricter = leaderboard_from_counts(
        &counts,
        &LeaderboardOptions {
            min_battles: 3,
            ..options
        },
    )
    .unwrap();
    assert!(stricter.entry("rare").is_none());
    assert!(stricter.warnings.iter().any(|w| w.contains("not listed")));
}

#[test]
fn an_anchor_shifts_every_rating_and_bound_by_the_same_amount() {
    let mut counts = Counts::new();
    counts.add_n("a", "b", Outcome::A, 20);
    counts.add_n("a", "b", Outcome::B, 10);
    counts.add_n("b", "c", Outcome::A, 15);
    counts.add_n("b", "c", Outcome::B, 10);
    let plain = leaderboard_from_counts(&counts, &LeaderboardOptions::default()).unwrap();
    let options = LeaderboardOptions {
        anchor: Some("c=800".parse().unwrap()),
        ..LeaderboardOptions::default()
    };
    let anchored = leaderboard_from_counts(&counts, &options).unwrap();
    assert_eq!(anchored.entry("c").unwrap().rating, 800.0);
    let shift = 800.0 - plain.entry("c").unwrap().rating;
    for (p, a) in plain.models.iter().zip(&anchored.models) {
        assert!((a.rating - p.rating - shift).abs() < 1e-9);
        assert!((a.ci_low.unwrap() - p.ci_low.unwrap() - shift).abs() < 1e-9);
    }
    let unknown = LeaderboardOptions {
        anchor: Some("nobody=1000".parse().unwrap()),
        ..LeaderboardOptions::default()
    };
    assert!(matches!(
        leaderboard_from_counts(&counts, &unknown),
        Err(Error::InvalidOption(_))
    ));
}

#[test]
fn online_elo_from_counts_is_an_error_because_the_order_is_gone() {
    let mut counts = Counts::new();
    counts.add("a", "b", Outcome::A);
    let options = LeaderboardOptions {
        method: Method::Elo,
        ..LeaderboardOptions::default()
    };
    assert!(matches!(
        leaderboard_from_counts(&counts, &options),
        Err(Error::EloNeedsVoteOrder)
    ));
}

#[test]
fn nonsense_options_are_refused() {
    let counts = Counts::new();
    for options in [
        LeaderboardOptions {
            level: 1.0,
            ..Default::default()
        },
        LeaderboardOptions {
            base: 1.0,
            ..Default::default()
        },
        LeaderboardOptions {
            scale: -400.0,
            ..Default::default()
        },
        LeaderboardOptions {
            ci: CiMethod::Bootstrap,
            bootstrap_rounds: 1,
            ..Default::default()
        },
        LeaderboardOptions {
            ridge: -1.0,
            ..Default::default()
        },
    ] {
        assert!(
            matches!(
                leaderboard_from_counts(&counts, &options),
                Err(Error::InvalidOption(_))
            ),
            "{options:?}"
        );
    }
    assert!("bt".parse::<Method>().is_ok() && "glicko".parse::<Method>().is_err());
}

#[test]
fn json_output_has_the_shape_of_the_design() {
    let text = format!("{}{}", vote("x", "y", "model_a"), vote("x", "y", "tie"));
    let board = from_jsonl(&text, &LeaderboardOptions::default()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&board.to_json()).unwrap();
    assert_eq!(json["method"], "bt");
    let keys: Vec<&str> = json["models"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = [
        "model",
        "rating",
        "ci_low",
        "ci_high",
        "rank_ub",
        "battles",
        "wins",
        "losses",
        "ties",
        "win_rate",
        "provisional",
        "group",
    ];
    let mut got = keys.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(json["models"][0]["model"], "x");
    assert_eq!(json["models"][0]["win_rate"], 0.75);
    let back: Leaderboard = serde_json::from_str(&board.to_json()).unwrap();
    assert_eq!(back, board);
}

#[test]
fn table_and_csv_renderings_list_every_model() {
    let text = format!(
        "{}{}",
        vote("sdxl", "lcm", "model_a"),
        vote("sdxl", "lcm", "tie")
    );
    let board = from_jsonl(&text, &LeaderboardOptions::default()).unwrap();
    let table = board.to_table();
    assert!(
        table.contains("sdxl *") && table.contains("lcm *"),
        "{table}"
    );
    assert!(
        table.lines().any(|l| l.starts_with("rank  model")),
        "{table}"
    );
    let csv = board.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "model,rating,ci_low,ci_high,rank_ub,battles,wins,losses,ties,win_rate,provisional,group"
    );
    assert!(lines[1].starts_with("sdxl,") && lines[2].starts_with("lcm,"));
    let elo = from_jsonl(
        &text,
        &LeaderboardOptions {
            method: Method::Elo,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(elo.to_csv().lines().nth(1).unwrap().contains(",,"));
}
