//! The dataset card's promise, on SQLite and on the real Postgres: every format
//! `arena export` writes, read back by the real `arena leaderboard --input`, gives the
//! leaderboard the arena computes from its own database — the same models, ratings
//! and intervals to 1e-6, the same counts.

mod common;

use std::path::Path;
use std::process::Command;

use arena_evaluator::Format;
use arena_server::data::export::{ExportFormat, ExportOptions, export_to_file};
use arena_server::data::import::import_votes;
use arena_server::store::ExportFilter;
use axum::http::StatusCode;
use common::{Backend, TestArena};
use serde_json::Value;

/// Casts `n` votes from three voters, with every kind of winner.
async fn cast_votes(arena: &TestArena, n: usize) {
    let mut voters = [arena.client(), arena.client(), arena.client()];
    for i in 0..n {
        let voter = &mut voters[i % 3];
        let battle = voter.new_battle().await;
        let winner = ["a", "b", "tie", "both_bad", "a", "b", "a"][i % 7];
        let r = voter.vote(battle["id"].as_str().unwrap(), winner).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
}

/// `arena leaderboard ARGS --output json`, run as a user would.
fn leaderboard(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_arena"))
        .arg("leaderboard")
        .args(args)
        .args(["--output", "json"])
        .env_remove("DATABASE_URL")
        .env_remove("ARENA_CONFIG")
        .env_remove("ARENA_DATA_DIR")
        .output()
        .expect("the arena binary runs");
    assert!(
        out.status.success(),
        "arena leaderboard {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn assert_same_board(what: &str, got: &Value, want: &Value) {
    assert_eq!(got["n_votes"], want["n_votes"], "{what}: votes");
    let (got, want) = (
        got["models"].as_array().unwrap(),
        want["models"].as_array().unwrap(),
    );
    assert_eq!(got.len(), want.len(), "{what}: models");
    assert!(!want.is_empty(), "{what}: an empty board proves nothing");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g["model"], w["model"], "{what}");
        for count in ["battles", "wins", "losses", "ties", "rank_ub"] {
            assert_eq!(g[count], w[count], "{what}: {count} of {}", w["model"]);
        }
        // An interval from too few battles is null (unknown) on both sides.
        for number in ["rating", "ci_low", "ci_high", "win_rate"] {
            let (x, y) = (g[number].as_f64(), w[number].as_f64());
            assert!(
                match (x, y) {
                    (Some(x), Some(y)) => (x - y).abs() < 1e-6,
                    (None, None) => !matches!(number, "rating" | "win_rate"),
                    _ => false,
                },
                "{what}: {number} of {}: {x:?} vs {y:?}",
                w["model"]
            );
        }
    }
}

async fn every_export_reads_back_as_the_databases_leaderboard(backend: Backend) {
    let Some(arena) = TestArena::start(backend).await else {
        return;
    };
    cast_votes(&arena, 42).await;
    // Imported votes count too; a named battle and an excluded vote do not.
    let extra = arena.dir.join("extra.jsonl");
    std::fs::write(
        &extra,
        "{\"model_a\":\"demo-lowfi\",\"model_b\":\"outsider \\u00e9\",\"winner\":\"model_b\",\"tstamp\":1700000000}\n\
         {\"model_a\":\"outsider \\u00e9\",\"model_b\":\"demo-lowfi\",\"winner\":\"tie\",\"tstamp\":1700000001}\n\
         {\"model_a\":\"outsider \\u00e9\",\"model_b\":\"demo-lowfi\",\"winner\":\"model_b\",\"tstamp\":1700000002}\n\
         {\"model_a\":\"outsider \\u00e9\",\"model_b\":\"demo-lowfi\",\"winner\":\"model_a\",\"counts_for_leaderboard\":false}\n\
         {\"model_a\":\"outsider \\u00e9\",\"model_b\":\"demo-lowfi\",\"winner\":\"model_a\",\"anony\":false}\n",
    )
    .unwrap();
    let (app, store) = (&arena.app, &arena.app.store);
    import_votes(
        store,
        &extra,
        Format::Auto,
        &app.config.judge_key,
        &Default::default(),
    )
    .await
    .unwrap();

    let url = app.config.storage.database_url.clone();
    let data_dir = arena.dir.display().to_string();
    let from_database = leaderboard(&["--database-url", &url, "--data-dir", &data_dir]);

    for format in ExportFormat::ALL {
        let out = arena.dir.join(format.file_name());
        let options = ExportOptions {
            format,
            filter: ExportFilter::default(),
            judge_key: app.config.judge_key.clone(),
            image_hashes: app.config.export_image_hashes,
        };
        export_to_file(store, &app.blobs, options, &out, None)
            .await
            .unwrap();
        let path = out.display().to_string();
        // As the dataset card says: the format found from the file alone.
        let from_file = leaderboard(&["--input", &path]);
        assert_same_board(&format!("{format}, found"), &from_file, &from_database);
        // And named outright.
        let forced = leaderboard(&["--input", &path, "--format", format.as_str()]);
        assert_same_board(&format!("{format}, named"), &forced, &from_database);
        // Parquet is known by its first bytes too, whatever the file is called.
        if format == ExportFormat::Parquet {
            let renamed = arena.dir.join("votes.bin");
            std::fs::copy(&out, &renamed).unwrap();
            let from_bytes = leaderboard(&["--input", &renamed.display().to_string()]);
            assert_same_board("parquet, by content", &from_bytes, &from_database);
        }
    }
    assert!(Path::new(&arena.dir.join("votes.parquet")).exists());
}

#[tokio::test]
async fn every_export_reads_back_as_the_databases_leaderboard_on_sqlite() {
    every_export_reads_back_as_the_databases_leaderboard(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_export_reads_back_as_the_databases_leaderboard_on_postgres() {
    every_export_reads_back_as_the_databases_leaderboard(Backend::Postgres).await;
}
