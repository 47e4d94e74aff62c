//! Research data through the real binary: `arena import votes`, `arena export`,
//! `arena gallery import`, and the streamed HTTP export of a running arena.

use std::path::{Path, PathBuf};

use crate::arena::{ArenaProcess, Voter, run};
use crate::support;

/// GenAI-Arena's published clean-battle file (2,061 votes).
pub fn genai_arena_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/genai-arena/clean_battle_20240220.json")
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs the binary on `database` (a URL, or `None` for SQLite in the data dir).
fn arena(args: &[&str], dir: &Path, database: Option<&str>) -> (i32, String, String) {
    let mut all: Vec<&str> = args.to_vec();
    if let Some(url) = database {
        all.extend(["--database-url", url]);
    }
    run(&all, dir)
}

fn import_then_export_round_trips_the_genai_arena_file(dir: &Path, database: Option<&str>) {
    let file = genai_arena_file();
    let (code, out, err) = arena(&["import", "votes", path(&file)], dir, database);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 2061 new votes"), "{out}");
    // New models are listed by their slugs: the file's names, lowercased.
    assert!(
        out.contains("imagenhub_sdxl_generation"),
        "new models are listed: {out}"
    );
    let (code, out, err) = arena(&["import", "votes", path(&file)], dir, database);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("imported 0 new votes") && out.contains("2061 already present"),
        "{out}"
    );

    let exported = dir.join("clean_battle.json");
    let (code, out, err) = arena(
        &[
            "export",
            "--format",
            "fastchat",
            "--out",
            path(&exported),
            "--include-excluded",
        ],
        dir,
        database,
    );
    assert_eq!(code, 0, "{err}");
    // 545 named battles and one self-battle are kept but do not count.
    assert!(out.contains("exported 2061 votes (1515 count"), "{out}");
    let battles: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&exported).unwrap()).unwrap();
    assert_eq!(battles.len(), 2061);
    let card = std::fs::read_to_string(dir.join("clean_battle.json.card.md")).unwrap();
    assert!(card.contains("| votes | 2061 |"), "{card}");
    assert!(card.contains("import:clean_battle_20240220.json"), "{card}");

    let parquet = dir.join("votes.parquet");
    let (code, _, err) = arena(
        &["export", "--format", "parquet", "--out", path(&parquet)],
        dir,
        database,
    );
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&parquet).unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
}

#[test]
fn import_then_export_round_trips_the_genai_arena_file_on_sqlite() {
    import_then_export_round_trips_the_genai_arena_file(&support::temp_dir("arena-data-e2e"), None);
}

#[tokio::test]
async fn import_then_export_round_trips_the_genai_arena_file_on_postgres() {
    let Some(db) = support::PgDb::create().await else {
        return;
    };
    let url = db.url.clone();
    let dir = support::temp_dir("arena-data-e2e");
    tokio::task::spawn_blocking(move || {
        import_then_export_round_trips_the_genai_arena_file(&dir, Some(&url))
    })
    .await
    .unwrap();
}

/// Asserts a failed command: exit 1 and one line, `error: …` containing `needle`.
fn assert_one_line_error((code, _, err): (i32, String, String), needle: &str) {
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
}

#[test]
fn bad_data_commands_are_one_line_errors_that_change_nothing() {
    let dir = support::temp_dir("arena-data-e2e");
    assert_eq!(run(&["migrate"], &dir).0, 0);
    assert_one_line_error(
        run(&["import", "votes", "/no/such/votes.json"], &dir),
        "cannot read /no/such/votes.json",
    );
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"model_a\":\"x\",\"model_b\":\"y\",\"winner\":\"model_a\"}\n{\"model_a\":\"x\",\"winner\":\"model_a\"}\n",
    )
    .unwrap();
    assert_one_line_error(run(&["import", "votes", path(&bad)], &dir), "line 2");
    let (_, models, _) = run(&["models", "list"], &dir);
    assert!(
        !models.lines().any(|l| l.starts_with("x ")),
        "no model was added: {models}"
    );

    let nowhere = dir.join("missing-dir/votes.jsonl");
    assert_one_line_error(
        run(
            &["export", "--format", "jsonl", "--out", path(&nowhere)],
            &dir,
        ),
        "cannot create",
    );
    assert!(!nowhere.exists());
    assert_one_line_error(
        run(&["gallery", "import", path(&dir.join("no-gallery"))], &dir),
        "prompts.jsonl",
    );
    let (code, _, err) = run(&["export", "--format", "xml", "--out", "x"], &dir);
    assert_eq!(code, 2, "clap refuses an unknown format: {err}");
    assert!(err.contains("unknown export format"), "{err}");
}

#[tokio::test]
async fn a_running_arena_streams_its_votes_over_http() {
    let dir = support::temp_dir("arena-data-e2e");
    let server =
        ArenaProcess::start(&format!("sqlite:{}", dir.join("arena.db").display()), &dir).await;
    let mut voter = Voter::new();
    for winner in ["a", "b", "tie"] {
        let (status, battle) = voter
            .post(
                &format!("{}/api/v1/battles", server.base),
                serde_json::json!({}),
            )
            .await
            .unwrap();
        assert_eq!(status, 201);
        let id = battle["id"].as_str().unwrap();
        let url = format!("{}/api/v1/battles/{id}/vote", server.base);
        let (status, _) = voter
            .post(&url, serde_json::json!({ "winner": winner }))
            .await
            .unwrap();
        assert_eq!(status, 200);
    }
    let response = reqwest::get(format!("{}/api/v1/export/votes?format=jsonl", server.base))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let text = response.text().await.unwrap();
    let winners: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["winner"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(winners, ["model_a", "model_b", "tie"]);
    let page = reqwest::get(format!("{}/data", server.base)).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<strong>3</strong> votes")
    );
}
