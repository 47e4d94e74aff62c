//! One vocabulary for outcomes: every `Outcome` goes into the database through the
//! API and comes back out unchanged — from the database row, and from the JSONL, CSV,
//! FastChat and GenAI-Bench exports — and comes in again through the import readers;
//! an unknown spelling is refused at every edge and changes nothing.

mod common;

use std::path::Path;

use arena_evaluator::{Format, Outcome, for_each_vote};
use arena_server::App;
use arena_server::data::export::{ExportFormat, ExportOptions, export_to_file};
use arena_server::data::import::import_votes;
use arena_server::store::ExportFilter;
use axum::http::StatusCode;
use common::{Backend, TestArena};
use futures_util::TryStreamExt;

async fn export(app: &App, format: ExportFormat, out: &Path) {
    let options = ExportOptions {
        format,
        filter: ExportFilter::default(),
        judge_key: app.config.judge_key.clone(),
        image_hashes: app.config.export_image_hashes,
    };
    export_to_file(&app.store, &app.blobs, options, out, None)
        .await
        .unwrap();
}

/// The outcomes a vote file holds, in file order, through the evaluator's reader.
fn read_back(path: &Path, format: Format) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    for_each_vote(file, format, |v| {
        outcomes.push(v.outcome);
        Ok(())
    })
    .unwrap();
    outcomes
}

async fn every_outcome_round_trips(backend: Backend) {
    let Some(arena) = TestArena::start(backend).await else {
        return;
    };
    let app = &arena.app;
    let mut voter = arena.client();

    // In through the API (the arena's spelling), out through the reveal.
    let mut battles = Vec::new();
    for outcome in Outcome::ALL {
        let battle = voter.new_battle().await;
        let id = battle["id"].as_str().unwrap().to_string();
        let r = voter.vote(&id, outcome.as_str()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["winner"], outcome.as_str());
        battles.push((id, outcome));
    }

    // The database rows: the battle as stored, and the export rows.
    for (id, outcome) in &battles {
        let stored = app.store.battle(id).await.unwrap().unwrap();
        assert_eq!(stored.vote, Some(*outcome), "battle {id}");
    }
    let rows: Vec<_> = app
        .store
        .export_rows(&ExportFilter::default())
        .try_collect()
        .await
        .unwrap();
    let exported: Vec<Outcome> = rows.iter().map(|r| r.winner).collect();
    assert_eq!(exported, Outcome::ALL);

    // JSONL and CSV carry FastChat's labels in `winner`; FastChat's own format too.
    let dir = &arena.dir;
    for (format, file, read_as) in [
        (ExportFormat::Jsonl, "votes.jsonl", Format::Jsonl),
        (ExportFormat::Csv, "votes.csv", Format::Csv),
        (
            ExportFormat::Fastchat,
            "clean_battle.json",
            Format::Fastchat,
        ),
    ] {
        let path = dir.join(file);
        export(app, format, &path).await;
        assert_eq!(read_back(&path, read_as), Outcome::ALL, "{format}");
    }
    let jsonl = std::fs::read_to_string(dir.join("votes.jsonl")).unwrap();
    let labels: Vec<Outcome> = jsonl
        .lines()
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).unwrap();
            Outcome::parse_fastchat(row["winner"].as_str().unwrap()).unwrap()
        })
        .collect();
    assert_eq!(labels, Outcome::ALL);

    // GenAI-Bench's `vote_type`.
    let path = dir.join("votes.genai-bench.jsonl");
    export(app, ExportFormat::GenaiBench, &path).await;
    let vote_types: Vec<Outcome> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).unwrap();
            Outcome::parse_genai_bench(row["vote_type"].as_str().unwrap()).unwrap()
        })
        .collect();
    assert_eq!(vote_types, Outcome::ALL);

    // In again through the import readers: the exported JSONL, in a fresh arena.
    let Some(other) = TestArena::open(backend, Default::default()).await else {
        return;
    };
    let judge_key = other.app.config.judge_key.clone();
    import_votes(
        &other.app.store,
        &dir.join("votes.jsonl"),
        Format::Auto,
        &judge_key,
        &Default::default(),
    )
    .await
    .unwrap();
    let rows: Vec<_> = other
        .app
        .store
        .export_rows(&ExportFilter::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.winner).collect::<Vec<_>>(),
        Outcome::ALL
    );
}

#[tokio::test]
async fn every_outcome_round_trips_through_the_database_and_every_format_on_sqlite() {
    every_outcome_round_trips(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_outcome_round_trips_through_the_database_and_every_format_on_postgres() {
    every_outcome_round_trips(Backend::Postgres).await;
}

async fn unknown_spellings_are_refused(backend: Backend) {
    let Some(arena) = TestArena::start(backend).await else {
        return;
    };
    let mut voter = arena.client();
    let battle = voter.new_battle().await;
    let id = battle["id"].as_str().unwrap();
    // Other tools' spellings, case variants and nonsense: never a default.
    for winner in [
        "draw",
        "A",
        "Tie",
        "model_a",
        "tie (bothbad)",
        "leftvote",
        "",
    ] {
        let r = voter.vote(id, winner).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_winner"),
            "{winner:?}"
        );
    }
    assert_eq!(arena.app.store.vote_count().await.unwrap(), 0);

    // An import file with one unknown label is refused whole, naming the line.
    let path = arena.dir.join("bad.jsonl");
    std::fs::write(
        &path,
        "{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"model_a\"}\n\
         {\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"draw\"}\n",
    )
    .unwrap();
    let judge_key = arena.app.config.judge_key.clone();
    let err = import_votes(
        &arena.app.store,
        &path,
        Format::Auto,
        &judge_key,
        &Default::default(),
    )
    .await
    .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("line 2") && message.contains("draw"),
        "{message}"
    );
    assert_eq!(arena.app.store.vote_count().await.unwrap(), 0);
}

#[tokio::test]
async fn unknown_outcome_spellings_are_refused_and_change_nothing_on_sqlite() {
    unknown_spellings_are_refused(Backend::Sqlite).await;
}

#[tokio::test]
async fn unknown_outcome_spellings_are_refused_and_change_nothing_on_postgres() {
    unknown_spellings_are_refused(Backend::Postgres).await;
}
