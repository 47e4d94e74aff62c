//! The `arena` command line against a fresh data dir.

use crate::arena::run;
use crate::support;

#[test]
fn models_list_shows_the_demo_models_of_a_fresh_database() {
    let dir = support::temp_dir("arena-cli");
    let (code, out, err) = run(&["models", "list"], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines().filter(|l| l.contains(" demo ")).count() >= 4,
        "{out}"
    );
}

#[test]
fn models_can_be_added_disabled_and_deprecated() {
    let dir = support::temp_dir("arena-cli");
    let (code, _, err) = run(
        &[
            "models",
            "add",
            "my-model",
            "--name",
            "My Model",
            "--backend",
            "openai",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &[
            "models",
            "add",
            "my-model",
            "--name",
            "Again",
            "--backend",
            "openai",
        ],
        &dir,
    );
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(run(&["models", "disable", "my-model"], &dir).0, 0);
    assert_eq!(run(&["models", "deprecate", "demo-lowfi"], &dir).0, 0);
    let (_, out, _) = run(&["models", "list"], &dir);
    assert!(
        out.lines()
            .any(|l| l.starts_with("my-model") && l.contains("disabled")),
        "{out}"
    );
    let (code, _, err) = run(&["models", "disable", "no-such-model"], &dir);
    assert_eq!(code, 1);
    assert!(err.contains("no model"), "{err}");
}

#[test]
fn prompts_import_reads_csv_and_jsonl_and_reports_bad_lines() {
    let dir = support::temp_dir("arena-cli");
    let csv = dir.join("extra.csv");
    std::fs::write(
        &csv,
        "text,category\na violet kite over wheat fields,landscapes\nan owl reading,animals\n",
    )
    .unwrap();
    let (code, out, err) = run(&["prompts", "import", csv.to_str().unwrap()], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 2 new prompts"), "{out}");
    let (_, out, _) = run(&["prompts", "import", csv.to_str().unwrap()], &dir);
    assert!(out.contains("imported 0 new prompts"), "{out}");

    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{\"text\": \"fine\"}\n{\"txt\": \"oops\"}\n").unwrap();
    let (code, _, err) = run(&["prompts", "import", bad.to_str().unwrap()], &dir);
    assert_eq!(code, 1);
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn an_unreachable_database_is_a_one_line_error_not_a_panic() {
    let dir = support::temp_dir("arena-cli");
    let (code, _, err) = run(
        &[
            "migrate",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
        ],
        &dir,
    );
    assert_eq!(code, 1);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: cannot open the database postgres://nobody@127.0.0.1:1/none"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn a_data_dir_that_cannot_be_written_is_a_one_line_error() {
    let dir = support::temp_dir("arena-cli");
    let file = dir.join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let (code, _, err) = run(&["migrate"], &file.join("data"));
    assert_eq!(code, 1);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("data directory"), "{err}");
}
