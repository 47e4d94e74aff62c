//! Input that is wrong is an error naming the line, never a silent tie; input that
//! is right reads the same whichever way it is read.

mod common;

use arena_evaluator::{
    Counts, Error, Format, LeaderboardOptions, Outcome, VoteFilter, leaderboard_from_reader,
};
use common::{from_jsonl, vote};

#[test]
fn malformed_lines_are_errors_that_name_the_line() {
    let good = vote("x", "y", "model_a");
    let cases: [(&str, String, Format, u64); 9] = [
        (
            "truncated JSON",
            format!("{good}{{\"model_a\": \"x\"\n"),
            Format::Jsonl,
            2,
        ),
        (
            "not JSON at all",
            format!("{good}{good}hello\n"),
            Format::Jsonl,
            3,
        ),
        (
            "missing winner",
            format!("{good}\n{{\"model_a\": \"x\", \"model_b\": \"y\"}}\n"),
            Format::Jsonl,
            3,
        ),
        (
            "text after the object",
            "{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"tie\"} x\n".to_string(),
            Format::Jsonl,
            1,
        ),
        (
            "a number as model name",
            format!("{good}{{\"model_a\": 1, \"model_b\": \"y\", \"winner\": \"tie\"}}\n"),
            Format::Jsonl,
            2,
        ),
        (
            "empty model name",
            format!("{good}{{\"model_a\": \"\", \"model_b\": \"y\", \"winner\": \"tie\"}}\n"),
            Format::Jsonl,
            2,
        ),
        (
            "CSV row with a missing column",
            "model_a,model_b,winner\nx,y,tie\nx,y\n".to_string(),
            Format::Csv,
            3,
        ),
        (
            "CSV with a bad tstamp",
            "model_a,model_b,winner,tstamp\nx,y,tie,noon\n".to_string(),
            Format::Csv,
            2,
        ),
        (
            "FastChat element that is not an object",
            "[\n  {\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"tie\"},\n  42\n]"
                .to_string(),
            Format::Fastchat,
            3,
        ),
    ];
    for (what, text, format, want_line) in cases {
        match leaderboard_from_reader(text.as_bytes(), format, &LeaderboardOptions::default()) {
            Err(Error::Parse { line, message }) => assert_eq!(line, want_line, "{what}: {message}"),
            other => panic!("{what}: expected a parse error, got {other:?}"),
        }
    }
}

#[test]
fn unknown_winner_labels_are_errors_not_ties() {
    let cases = [
        (format!("{}{}", vote("x", "y", "tie"), vote("x", "y", "draw")), Format::Jsonl, 2),
        ("model_a,model_b,winner\nx,y,model_c\n".to_string(), Format::Csv, 2),
        (
            "[{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"tie\"},\n{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"Tie\"}]".to_string(),
            Format::Fastchat,
            2,
        ),
    ];
    for (text, format, want_line) in cases {
        let err = leaderboard_from_reader(text.as_bytes(), format, &LeaderboardOptions::default())
            .unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, Error::Parse { line, .. } if line == want_line),
            "{message}"
        );
        assert!(message.contains("unknown winner label"), "{message}");
    }
    assert!(
        matches!("draw".parse::<Outcome>(), Err(Error::UnknownOutcome(label)) if label == "draw")
    );
}

#[test]
fn every_accepted_label_spelling_means_the_same_outcome() {
    for (labels, outcome) in [
        (&["model_a", "a", "left"][..], Outcome::A),
        (&["model_b", "b", "right"][..], Outcome::B),
        (&["tie"][..], Outcome::Tie),
        (
            &["tie (bothbad)", "both_bad", "bothbad", "both bad"][..],
            Outcome::BothBad,
        ),
    ] {
        for label in labels {
            assert_eq!(label.parse::<Outcome>().unwrap(), outcome, "{label}");
        }
    }
}

#[test]
fn an_error_deep_in_a_large_file_names_its_line() {
    // Larger than one read block (4 MiB), so the line count crosses blocks and the
    // parts parsed in parallel.
    let good = vote("model-one", "model-two", "model_a");
    let mut text = good.repeat(120_000);
    text.push_str("{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"draw\"}\n");
    text.push_str(&good.repeat(10));
    let err = from_jsonl(&text, &LeaderboardOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 120_001, .. }), "{err}");
}

#[test]
fn a_large_file_gives_the_same_counts_read_in_parallel_or_in_order() {
    use arena_evaluator::{Synthetic, read_counts};
    let synth = Synthetic {
        models: 9,
        votes: 150_000,
        seed: 8,
        tie_rate: 0.1,
        ..Synthetic::default()
    };
    let mut jsonl = Vec::new();
    synth.write_jsonl(&mut jsonl).unwrap();
    // read_counts on JSONL parses blocks in parallel; for_each_vote goes in order.
    let parallel = read_counts(&jsonl[..], Format::Jsonl, &VoteFilter::default())
        .unwrap()
        .counts;
    let mut ordered = Counts::new();
    arena_evaluator::for_each_vote(&jsonl[..], Format::Jsonl, |v| {
        ordered.add(v.model_a, v.model_b, v.outcome);
        Ok(())
    })
    .unwrap();
    let direct = synth.counts();
    for counts in [&parallel, &ordered] {
        assert_eq!(counts.total(), 150_000);
        for pair in direct.pairs() {
            assert_eq!(counts.pair(pair.model_a, pair.model_b), Some(pair));
        }
    }
}

#[test]
fn a_byte_order_mark_is_ignored_in_every_format() {
    let bom = "\u{feff}";
    for text in [
        format!("{bom}{}", vote("x", "y", "model_a")),
        format!("{bom}model_a,model_b,winner\nx,y,model_a\n"),
        format!("{bom}[{{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"model_a\"}}]"),
    ] {
        let board = from_jsonl(&text, &LeaderboardOptions::default()).unwrap();
        assert_eq!(board.n_votes, 1, "{text}");
        assert_eq!(board.models[0].model, "x");
    }
}
