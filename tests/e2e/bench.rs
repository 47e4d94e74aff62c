//! `arena bench` as an operator runs it: the real binary against the real `arena serve`
//! (SQLite, the demo models, `[limits] enabled = false`) over real HTTP. Its report
//! has every field, adds up, and its claim that each acknowledged vote is stored
//! exactly once is checked again here against the server's own export. Nothing here
//! asserts how fast anything is.

use std::collections::HashMap;
use std::process::{Command, Output};

use serde_json::Value;

use crate::arena::{ArenaProcess, BIN};
use crate::support;

const ADMIN_TOKEN: &str = "bench-test-admin-token-0123456789abcdef";

/// `arena serve` on SQLite in a fresh data dir whose config is `config` (TOML).
async fn serve(config: &str) -> ArenaProcess {
    let dir = support::temp_dir("arena-bench");
    std::fs::write(dir.join("arena.toml"), config).unwrap();
    let url = format!("sqlite:{}", dir.join("arena.db").display());
    ArenaProcess::spawn(&url, &dir, &[]).await
}

/// Runs `arena bench ARGS` to completion, with none of the environment's arena
/// settings.
fn bench(args: &[&str]) -> Output {
    Command::new(&*BIN)
        .arg("bench")
        .args(args)
        .env_remove("ARENA_ADMIN_TOKEN")
        .env_remove("ARENA_CONFIG")
        .env_remove("DATABASE_URL")
        .env_remove("ARENA_DATA_DIR")
        .output()
        .expect("the arena binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn u64_at(v: &Value, pointer: &str) -> u64 {
    v.pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{pointer} is not a count in {v:#}"))
}

/// Runs `arena bench ARGS`, which must succeed, and returns its JSON report.
fn bench_report(args: &[&str]) -> Value {
    let out = bench(args);
    assert!(
        out.status.success(),
        "arena bench failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// Every row of the arena's own JSONL export, excluded votes too.
async fn exported_rows(base: &str) -> Vec<Value> {
    let export = reqwest::Client::new()
        .get(format!(
            "{base}/api/v1/export/votes?format=jsonl&include_excluded=true"
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    export
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn every_vote_the_bench_saw_acknowledged_is_stored_exactly_once() {
    let arena = serve(&format!(
        "image_size = 128\nadmin_token = \"{ADMIN_TOKEN}\"\n\
         trusted_proxies = [\"127.0.0.1\", \"::1\"]\n[limits]\nenabled = false\n"
    ))
    .await;
    arena.wait_for_battles().await;

    let report = bench_report(&[
        "--target",
        &arena.base,
        "--voters",
        "4",
        "--duration",
        "3",
        "--readers",
        "1",
        "--live-share",
        "0.2",
        "--forwarded-for",
        "--admin-token",
        ADMIN_TOKEN,
        "--output",
        "json",
    ]);

    for field in [
        "votes_per_s",
        "battles_per_s",
        "p50_ms",
        "p99_ms",
        "errors",
        "errors_by_kind",
        "acknowledged_votes",
        "per_endpoint",
        "duration_s",
        "voters",
        "check",
    ] {
        assert!(report.get(field).is_some(), "no {field} in {report:#}");
    }
    assert_eq!(report["voters"], 4);
    let acknowledged = u64_at(&report, "/acknowledged_votes");
    assert!(acknowledged > 0, "no vote was acknowledged: {report:#}");
    assert!(report["votes_per_s"].as_f64().unwrap() > 0.0);
    assert!(report["p50_ms"].as_f64().unwrap() <= report["p99_ms"].as_f64().unwrap());

    // Every request and every error is in exactly one endpoint's figures, and every
    // error has a kind.
    let endpoints = report["per_endpoint"].as_object().unwrap();
    for name in [
        "battle",
        "image",
        "vote",
        "leaderboard",
        "leaderboard_api",
        "model_page",
        "live_battle",
        "live_events",
    ] {
        let e = &endpoints[name];
        for field in ["requests", "errors", "p50_ms", "p99_ms", "max_ms"] {
            assert!(e.get(field).is_some(), "no {field} for {name}: {e}");
        }
    }
    let sum = |field: &str| -> u64 { endpoints.values().map(|e| e[field].as_u64().unwrap()).sum() };
    assert_eq!(sum("requests"), u64_at(&report, "/requests"));
    let errors = u64_at(&report, "/errors");
    assert_eq!(sum("errors"), errors);
    let by_kind: u64 = report["errors_by_kind"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(by_kind, errors);
    // A vote is acknowledged by a 200 of the vote endpoint, after both images.
    assert!(u64_at(&report, "/per_endpoint/vote/requests") >= acknowledged);
    assert!(u64_at(&report, "/per_endpoint/image/requests") >= 2 * acknowledged);
    assert!(u64_at(&report, "/per_endpoint/leaderboard/requests") > 0);

    let check = &report["check"];
    assert_eq!(check["stored_exactly_once"], true, "{check:#}");
    assert_eq!(check["scope"], "all_stored");
    assert_eq!(u64_at(check, "/acknowledged"), acknowledged);
    assert_eq!(u64_at(check, "/found"), acknowledged);
    assert_eq!(u64_at(check, "/missing"), 0);
    assert_eq!(u64_at(check, "/duplicated"), 0);

    // The server's own export, read here: the arena was new, so its votes are the
    // bench's, each battle once (excluded ones too: the bench voted without waiting
    // min_view_ms).
    let mut rows_per_battle: HashMap<String, u64> = HashMap::new();
    for row in exported_rows(&arena.base).await {
        *rows_per_battle
            .entry(row["battle_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(rows_per_battle.values().sum::<u64>(), acknowledged);
    assert_eq!(rows_per_battle.len() as u64, acknowledged);
}

/// Against an arena that shows four images in half its battles, the bench answers
/// those with a best (and a worst) and finds every acknowledged vote stored once.
#[tokio::test]
async fn the_bench_votes_on_battles_of_four_images_too() {
    let arena = serve(&format!(
        "image_size = 128\nadmin_token = \"{ADMIN_TOKEN}\"\nbattle_size = 4\nkwise_share = 0.5\n\
         trusted_proxies = [\"127.0.0.1\", \"::1\"]\n[limits]\nenabled = false\n"
    ))
    .await;
    arena.wait_for_battles().await;
    crate::kwise::wait_for_four(&arena.base).await;
    let report = bench_report(&[
        "--target",
        &arena.base,
        "--voters",
        "4",
        "--duration",
        "3",
        "--forwarded-for",
        "--admin-token",
        ADMIN_TOKEN,
        "--output",
        "json",
    ]);
    let acknowledged = u64_at(&report, "/acknowledged_votes");
    assert!(acknowledged > 0, "{report:#}");
    assert_eq!(u64_at(&report, "/errors"), 0, "{report:#}");
    assert_eq!(report["check"]["stored_exactly_once"], true, "{report:#}");
    assert_eq!(u64_at(&report, "/check/found"), acknowledged);
    // Both kinds were voted on.
    let rows = exported_rows(&arena.base).await;
    let four = rows.iter().filter(|r| r["model_d"].is_string()).count();
    assert!(
        four > 0 && four < rows.len(),
        "{four} of {} rows",
        rows.len()
    );
    assert_eq!(rows.len() as u64, acknowledged);
}

#[tokio::test]
async fn a_private_export_without_the_admin_token_fails_the_run_and_says_what_to_pass() {
    // No battle needs to be ready: the check runs whatever the voters managed.
    let arena = serve(&format!(
        "image_size = 128\nadmin_token = \"{ADMIN_TOKEN}\"\nexport_public = false\n\
         [limits]\nenabled = false\n"
    ))
    .await;
    let out = bench(&[
        "--target",
        &arena.base,
        "--voters",
        "1",
        "--duration",
        "1",
        "--readers",
        "0",
        "--output",
        "json",
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--admin-token"), "{stderr}");
    // The measurements are printed all the same, without a check.
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert!(report["check"].is_null(), "{report:#}");
}

#[test]
fn bad_arguments_are_refused_with_a_message_that_names_them() {
    // A port nothing listens on: bound, then let go.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let closed = format!("http://{closed}");
    let cases: [(&[&str], &str); 7] = [
        (&["--voters", "0", "--duration", "3"], "--voters"),
        (&["--voters", "2", "--duration", "0"], "--duration"),
        (
            &["--voters", "2", "--duration", "3", "--live-share", "2"],
            "a fraction from 0 to 1",
        ),
        (
            &["--voters", "2", "--duration", "3", "--output", "xml"],
            "--output",
        ),
        (&["--duration", "3"], "--voters"),
        (&["--voters", "2"], "--duration"),
        (
            &["--voters", "2", "--duration", "1"],
            "cannot reach the arena",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["--target", closed.as_str()];
        all.extend_from_slice(args);
        let out = bench(&all);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed a report");
    }
    for target in [
        "not a url",
        "ftp://127.0.0.1",
        "http://127.0.0.1:8080/arena",
    ] {
        let out = bench(&["--target", target, "--voters", "1", "--duration", "1"]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{target} was accepted");
        assert!(stderr.contains("--target"), "{target}: {stderr}");
    }
}
