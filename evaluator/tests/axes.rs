//! Judgement axes in vote files: `axis` rates each vote's answer in its `axes` object
//! (JSONL) or `axes` column (CSV) instead of its `winner`, leaving out the votes
//! without one; the board equals the one of a file whose winners are those answers.

use arena_evaluator::{
    CiMethod, Format, LeaderboardOptions, Method, VoteFilter, leaderboard_from_path,
    leaderboard_from_reader,
};

/// (model a, model b, overall winner, answer on `prompt` if any).
const VOTES: &[(&str, &str, &str, Option<&str>)] = &[
    ("x", "y", "model_a", Some("model_b")),
    ("x", "y", "model_a", Some("model_b")),
    ("y", "z", "model_a", Some("tie")),
    ("z", "x", "model_b", None),
    ("x", "z", "tie (bothbad)", Some("model_b")),
    ("y", "x", "model_b", Some("model_a")),
    ("z", "y", "model_a", Some("tie (bothbad)")),
    ("x", "y", "tie", None),
];

fn options(axis: Option<&str>, method: Method) -> LeaderboardOptions {
    LeaderboardOptions {
        method,
        ci: CiMethod::Sandwich,
        axis: axis.map(String::from),
        filter: VoteFilter {
            anonymous_only: false,
            ..VoteFilter::default()
        },
        ..LeaderboardOptions::default()
    }
}

fn jsonl_with_axes() -> String {
    VOTES
        .iter()
        .enumerate()
        .map(|(i, (a, b, w, p))| {
            let axes = match p {
                Some(p) => format!(r#", "axes": {{"quality": "tie", "prompt": "{p}"}}"#),
                None => String::new(),
            };
            format!(
                r#"{{"model_a": "{a}", "model_b": "{b}", "winner": "{w}", "tstamp": {i}{axes}}}"#
            ) + "\n"
        })
        .collect()
}

/// The votes that answered `prompt`, with that answer as their winner.
fn jsonl_of_prompt_answers() -> String {
    VOTES
        .iter()
        .enumerate()
        .filter_map(|(i, (a, b, _, p))| {
            let p = p.as_ref()?;
            Some(
                format!(
                    r#"{{"model_a": "{a}", "model_b": "{b}", "winner": "{p}", "tstamp": {i}}}"#
                ) + "\n",
            )
        })
        .collect()
}

#[test]
fn an_axis_board_equals_the_board_of_its_answers() {
    for method in [Method::Bt, Method::Elo] {
        let with_axes = jsonl_with_axes();
        let on_axis = leaderboard_from_reader(
            with_axes.as_bytes(),
            Format::Jsonl,
            &options(Some("prompt"), method),
        )
        .unwrap();
        let answers = jsonl_of_prompt_answers();
        let expected =
            leaderboard_from_reader(answers.as_bytes(), Format::Jsonl, &options(None, method))
                .unwrap();
        assert_eq!(on_axis.n_votes, 6);
        assert_eq!(on_axis.excluded.no_answer, 2);
        assert_eq!(on_axis.models.len(), expected.models.len());
        for e in &expected.models {
            let got = on_axis.entry(&e.model).unwrap();
            assert_eq!(got.rating, e.rating, "{method:?} {}", e.model);
            assert_eq!(got.ci_low, e.ci_low);
            assert_eq!((got.wins, got.losses, got.ties), (e.wins, e.losses, e.ties));
        }
        // `overall` is the winner itself, as without an axis.
        let overall = leaderboard_from_reader(
            with_axes.as_bytes(),
            Format::Jsonl,
            &options(Some("overall"), method),
        )
        .unwrap();
        let plain =
            leaderboard_from_reader(with_axes.as_bytes(), Format::Jsonl, &options(None, method))
                .unwrap();
        assert_eq!(overall.models, plain.models);
        assert_eq!(overall.n_votes, 8);
    }
}

#[test]
fn csv_files_carry_the_axes_in_one_column() {
    let mut csv = String::from("model_a,model_b,winner,axes\n");
    for (a, b, w, p) in VOTES {
        let axes = match p {
            Some(p) => format!("\"{{\"\"prompt\"\": \"\"{p}\"\"}}\""),
            None => String::new(),
        };
        csv.push_str(&format!("{a},{b},{w},{axes}\n"));
    }
    let from_csv = leaderboard_from_reader(
        csv.as_bytes(),
        Format::Csv,
        &options(Some("prompt"), Method::Bt),
    )
    .unwrap();
    let answers = jsonl_of_prompt_answers();
    let expected = leaderboard_from_reader(
        answers.as_bytes(),
        Format::Jsonl,
        &options(None, Method::Bt),
    )
    .unwrap();
    assert_eq!(from_csv.models, expected.models);
    assert_eq!(from_csv.excluded.no_answer, 2);
    // A file on disk reads the same (the path reader).
    let dir = std::env::temp_dir().join(format!("arena-axes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("votes.csv");
    std::fs::write(&path, &csv).unwrap();
    let from_path =
        leaderboard_from_path(&path, Format::Auto, &options(Some("prompt"), Method::Bt)).unwrap();
    assert_eq!(from_path.models, expected.models);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_axes_are_refused_with_their_line() {
    let cases = [
        (
            r#"{"model_a": "x", "model_b": "y", "winner": "tie", "axes": ["prompt"]}"#,
            "axes must be an object",
        ),
        (
            r#"{"model_a": "x", "model_b": "y", "winner": "tie", "axes": {"prompt": 1}}"#,
            "axes.prompt must be a winner label",
        ),
        (
            r#"{"model_a": "x", "model_b": "y", "winner": "tie", "axes": {"prompt": "sideways"}}"#,
            "sideways",
        ),
    ];
    for (line, message) in cases {
        let file = format!(
            "{}\n{line}\n",
            r#"{"model_a": "x", "model_b": "y", "winner": "tie"}"#
        );
        let err = leaderboard_from_reader(
            file.as_bytes(),
            Format::Jsonl,
            &options(Some("prompt"), Method::Bt),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains(message), "{err}");
    }
    let bad_name = LeaderboardOptions {
        axis: Some(" ".into()),
        ..LeaderboardOptions::default()
    };
    assert!(bad_name.validate().is_err());
}
