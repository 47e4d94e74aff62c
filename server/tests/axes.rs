//! Judgement axes: a battle asks the operator's further questions, each answer is its
//! own vote with its own tallies, leaderboard (`?axis=`), snapshot and export column,
//! and bad answers are refused without storing anything.

mod common;

use std::time::Duration;

use arena_server::config::{FileConfig, QueueConfig};
use axum::http::{Method, StatusCode};
use common::{Backend, TestArena, ratings};
use scraper::{Html, Selector};
use serde_json::json;

fn config() -> FileConfig {
    FileConfig {
        axes: Some(vec!["overall".into(), "prompt".into(), "quality".into()]),
        battle_ttl_secs: Some(Duration::from_secs(3600).as_secs()),
        queue: QueueConfig {
            pool_images: 1,
            ..QueueConfig::default()
        },
        ..FileConfig::default()
    }
}

async fn axes_on(backend: Backend) {
    let Some(arena) = TestArena::with_pool(backend, config()).await else {
        return;
    };
    let store = &arena.app.store;
    let mut voter = arena.client();

    // A battle lists its questions, the overall one first.
    let battle = voter.new_battle().await;
    let questions: Vec<&str> = battle["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(questions, ["overall", "prompt", "quality"]);
    assert_eq!(
        battle["questions"][1]["question"],
        "Which image follows the prompt better?"
    );
    let id = battle["id"].as_str().unwrap();
    let uri = format!("/api/v1/battles/{id}/vote");

    // Bad answers are refused and store nothing: the battle stays open.
    for (body, code) in [
        (
            json!({"winner": "a", "axes": {"style": "a"}}),
            "invalid_axis",
        ),
        (
            json!({"winner": "a", "axes": {"overall": "a"}}),
            "invalid_axis",
        ),
        (
            json!({"winner": "a", "axes": {"prompt": "left"}}),
            "invalid_winner",
        ),
        (
            json!({"winner": "a", "axes": {"prompt": ""}}),
            "invalid_winner",
        ),
        (
            json!({"winner": "a", "axes": {"prompt": 3}}),
            "invalid_json",
        ),
        (json!({"winner": "a", "axes": ["prompt"]}), "invalid_json"),
    ] {
        let r = voter.post_json(&uri, body.clone()).await;
        assert!(r.status.is_client_error(), "{body}: {}", r.text());
        assert_eq!(r.error_code(), code, "{body}");
    }
    assert_eq!(store.vote_count().await.unwrap(), 0);

    // One answer given, one skipped (null): two votes, and the reveal says so.
    let r = voter
        .post_json(
            &uri,
            json!({"winner": "a", "axes": {"prompt": "b", "quality": null}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let reveal = r.json();
    assert_eq!(reveal["winner"], "a");
    assert_eq!(reveal["axes"], json!({"prompt": "b"}));
    assert_eq!(store.vote_count().await.unwrap(), 2);
    let seen = voter.get(&format!("/api/v1/battles/{id}")).await.json();
    assert_eq!(seen["reveal"]["axes"], json!({"prompt": "b"}));
    // The axes cannot be answered after the reveal.
    let again = voter
        .post_json(&uri, json!({"winner": "a", "axes": {"quality": "a"}}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(store.vote_count().await.unwrap(), 2);

    // The page's form without JavaScript: `axis.NAME` fields, an empty one skipped.
    let battle = voter.new_battle().await;
    let id = battle["id"].as_str().unwrap().to_string();
    let r = voter
        .send(
            Method::POST,
            &format!("/battles/{id}/vote"),
            "application/x-www-form-urlencoded",
            "axis.prompt=tie&axis.quality=&winner=b",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = Html::parse_document(&voter.get(&format!("/battles/{id}")).await.text());
    let answers: Vec<String> = page
        .select(&Selector::parse("#reveal-axes li").unwrap())
        .map(|li| li.text().collect::<String>())
        .collect();
    assert_eq!(answers, ["Prompt: A tie", "Image quality: skipped"]);
    let bad = voter.new_battle().await;
    let r = voter
        .send(
            Method::POST,
            &format!("/battles/{}/vote", bad["id"].as_str().unwrap()),
            "application/x-www-form-urlencoded",
            "axis.colour=a&winner=b",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("axes may answer prompt, quality"),
        "{}",
        r.text()
    );

    // A crowd that prefers A overall and B on the prompt, and answers quality half
    // the time: the prompt board mirrors the overall one.
    let mut crowd = arena.client();
    let mut quality_answers = 0;
    for n in 0..40 {
        let battle = crowd.new_battle().await;
        let id = battle["id"].as_str().unwrap();
        let axes = if n % 2 == 0 {
            quality_answers += 1;
            json!({"prompt": "b", "quality": "tie"})
        } else {
            json!({"prompt": "b"})
        };
        let r = crowd
            .post_json(
                &format!("/api/v1/battles/{id}/vote"),
                json!({"winner": "a", "axes": axes}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let overall = crowd.get("/api/v1/leaderboard").await.json();
    let prompt = crowd.get("/api/v1/leaderboard?axis=prompt").await.json();
    let quality = crowd.get("/api/v1/leaderboard?axis=quality").await.json();
    assert_eq!(overall["n_votes"], 42);
    assert_eq!(prompt["n_votes"], 42);
    assert_eq!(quality["n_votes"], quality_answers);
    let (o, p) = (ratings(&overall), ratings(&prompt));
    assert_eq!(o.keys().collect::<Vec<_>>(), p.keys().collect::<Vec<_>>());
    // Two of the 42 prompt answers differ from the mirror image (a tie, and the form
    // vote's overall B), so the mirror is close, not exact: strongly anti-correlated.
    let (xs, ys): (Vec<f64>, Vec<f64>) = o.keys().map(|m| (o[m], p[m])).unzip();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(&xs), mean(&ys));
    let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sd = |v: &[f64], m: f64| v.iter().map(|x| (x - m).powi(2)).sum::<f64>().sqrt();
    let r = cov / (sd(&xs, mx) * sd(&ys, my));
    assert!(r < -0.7, "correlation {r}: {o:?} {p:?}");
    assert_eq!(
        crowd.get("/api/v1/leaderboard?axis=overall").await.json()["models"],
        overall["models"]
    );
    let unknown = crowd.get("/api/v1/leaderboard?axis=style").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.error_code(), "invalid_parameter");
    let page = crowd.get("/leaderboard?axis=prompt").await;
    assert_eq!(page.status, StatusCode::OK);
    let doc = Html::parse_document(&page.text());
    let selected: Vec<String> = doc
        .select(&Selector::parse("#axis-switch option[selected]").unwrap())
        .map(|o| o.text().collect())
        .collect();
    assert_eq!(selected, ["Prompt"]);
    assert!(
        page.text()
            .contains("Which image follows the prompt better?")
    );

    // Each axis's tallies equal its votes.
    for axis in ["overall", "prompt", "quality"] {
        let sorted = |mut rows: Vec<arena_server::store::IdPairCount>| {
            rows.sort_by_key(|r| (r.model_a_id, r.model_b_id, r.winner.as_str()));
            rows.into_iter()
                .map(|r| (r.model_a_id, r.model_b_id, r.winner, r.n))
                .collect::<Vec<_>>()
        };
        let tallied = sorted(store.pair_counts_on_axis(axis, None).await.unwrap());
        let counted = sorted(store.pair_counts_of_votes(axis, None, false).await.unwrap());
        assert_eq!(tallied, counted, "{axis}");
    }

    // An operator's exclusion of a battle's vote takes its other answers with it.
    let battle = crowd.new_battle().await;
    let bid = battle["id"].as_str().unwrap().to_string();
    crowd
        .post_json(
            &format!("/api/v1/battles/{bid}/vote"),
            json!({"winner": "a", "axes": {"prompt": "b"}}),
        )
        .await;
    arena.app.rankings.clear().await;
    let before = crowd.get("/api/v1/leaderboard?axis=prompt").await.json()["n_votes"].clone();
    assert_eq!(before, 43);
    assert!(
        store
            .set_vote_counting(&bid, Some("excluded_by_operator"), "test")
            .await
            .unwrap()
    );
    arena.app.rankings.clear().await;
    let after = crowd.get("/api/v1/leaderboard?axis=prompt").await.json();
    assert_eq!(after["n_votes"], 42);
    let tallied = store.pair_counts_on_axis("prompt", None).await.unwrap();
    assert_eq!(tallied.iter().map(|r| r.n).sum::<i64>(), 42);

    // Exports carry the answers: an `axes` object in JSONL (only where there are
    // answers), its text in the last CSV column.
    let jsonl = crowd.get("/api/v1/export/votes?format=jsonl").await.text();
    let rows: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 42);
    assert_eq!(rows[0]["axes"], json!({"prompt": "model_b"}));
    assert_eq!(rows[1]["axes"], json!({"prompt": "tie"}));
    let with_quality = rows
        .iter()
        .filter(|r| r["axes"].get("quality").is_some())
        .count();
    assert_eq!(with_quality as u64, quality_answers);
    let csv = crowd.get("/api/v1/export/votes?format=csv").await.text();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    // `axes` follows the style columns; only the columns of battles of three or four
    // images come after it.
    let axes_column = headers.iter().position(|h| h == "axes").unwrap();
    assert_eq!(headers.len() - axes_column, 6, "{headers:?}");
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(first.get(axes_column), Some(r#"{"prompt":"model_b"}"#));
    assert!(first.iter().skip(axes_column + 1).all(str::is_empty));

    let parquet = crowd
        .get("/api/v1/export/votes?format=parquet")
        .await
        .body
        .to_vec();

    // The export alone gives each axis's board (`arena leaderboard --axis`), from
    // JSONL, CSV and Parquet alike.
    for axis in ["prompt", "quality"] {
        let options = arena_evaluator::LeaderboardOptions {
            axis: Some(axis.into()),
            filter: arena_evaluator::VoteFilter {
                anonymous_only: false,
                ..Default::default()
            },
            ..Default::default()
        };
        let from_export = arena_evaluator::leaderboard_from_reader(
            jsonl.as_bytes(),
            arena_evaluator::Format::Jsonl,
            &options,
        )
        .unwrap();
        let served = crowd
            .get(&format!("/api/v1/leaderboard?axis={axis}"))
            .await
            .json();
        assert_eq!(from_export.n_votes, served["n_votes"].as_u64().unwrap());
        for (model, rating) in ratings(&served) {
            let got = from_export.entry(&model).unwrap().rating;
            assert!(
                (got - rating).abs() < 1e-6,
                "{axis} {model}: {got} vs {rating}"
            );
        }
        let from_csv = arena_evaluator::leaderboard_from_reader(
            csv.as_bytes(),
            arena_evaluator::Format::Csv,
            &options,
        )
        .unwrap();
        assert_eq!(from_csv.models, from_export.models);
        let parquet_path = arena.dir.join("votes.parquet");
        std::fs::write(&parquet_path, &parquet).unwrap();
        let from_parquet =
            arena_server::data::read_parquet::leaderboard(&parquet_path, &options).unwrap();
        assert_eq!(from_parquet.models, from_export.models);
        assert_eq!(
            from_parquet.excluded.no_answer,
            from_export.excluded.no_answer
        );
    }

    // Snapshots keep each axis's board, and verify against the export; changing one
    // answer on an axis in the export breaks the digest.
    use arena_server::rankings::{board::StyleControl, snapshot};
    let ids = snapshot::take(
        store,
        &arena.app.config.judge_key,
        StyleControl::default(),
        &arena.app.config.axes,
    )
    .await
    .unwrap();
    assert!(!ids.is_empty());
    let views = store.snapshots_of("axis=prompt").await.unwrap();
    assert_eq!(views.len(), 1, "one snapshot of the prompt board");
    let row = store.snapshot(views[0].id).await.unwrap().unwrap();
    let file = snapshot::SnapshotFile::from_row(&row).unwrap();
    assert_eq!(file.options.axis.as_deref(), Some("prompt"));
    assert_eq!(file.board.n_votes, 42);
    let snap_path = arena.dir.join("prompt-snapshot.json");
    std::fs::write(&snap_path, serde_json::to_string(&file).unwrap()).unwrap();
    let export_path = arena.dir.join("votes.jsonl");
    std::fs::write(&export_path, &jsonl).unwrap();
    let report = snapshot::verify(&snap_path, &export_path).unwrap();
    assert!(
        report.digest_matches && report.numbers_match,
        "{:?}",
        report.differences
    );
    let tampered = jsonl.replacen(
        r#""axes":{"prompt":"tie"}"#,
        r#""axes":{"prompt":"model_a"}"#,
        1,
    );
    assert_ne!(tampered, jsonl);
    std::fs::write(&export_path, &tampered).unwrap();
    let report = snapshot::verify(&snap_path, &export_path).unwrap();
    assert!(!report.digest_matches);
    assert!(!report.numbers_match, "{:?}", report.differences);
}

#[tokio::test]
async fn axes_are_asked_stored_rated_and_exported_on_sqlite() {
    axes_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn axes_are_asked_stored_rated_and_exported_on_postgres() {
    axes_on(Backend::Postgres).await;
}

#[tokio::test]
async fn an_arena_without_axes_refuses_them() {
    let file = FileConfig {
        queue: QueueConfig {
            pool_images: 1,
            ..QueueConfig::default()
        },
        ..FileConfig::default()
    };
    let Some(arena) = TestArena::with_pool(Backend::Sqlite, file).await else {
        return;
    };
    let mut voter = arena.client();
    let battle = voter.new_battle().await;
    assert_eq!(battle["questions"].as_array().unwrap().len(), 1);
    let id = battle["id"].as_str().unwrap();
    let r = voter
        .post_json(
            &format!("/api/v1/battles/{id}/vote"),
            json!({"winner": "a", "axes": {"prompt": "a"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_axis");
    let r = voter.vote(id, "a").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json().get("axes").is_none());
    let page = voter.get("/leaderboard").await.text();
    assert!(!page.contains("axis-switch"));
}
