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
        voter.battle_and_vote(&server.base, winner).await;
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

/// Every stored image gets its style statistics when it is stored; the export carries
/// them for both images of each vote, `arena leaderboard --control` fits on them, and
/// `arena features backfill` recomputes exactly the same numbers for images stored
/// without them.
#[tokio::test]
async fn style_statistics_are_stored_exported_controlled_for_and_backfilled() {
    let dir = support::temp_dir("arena-style-e2e");
    let url = format!("sqlite:{}", dir.join("arena.db").display());
    let server = ArenaProcess::start(&url, &dir).await;
    let mut voter = Voter::new();
    let votes = 30;
    for i in 0..votes {
        voter
            .battle_and_vote(&server.base, ["a", "b", "tie"][i % 3])
            .await;
    }
    let export = reqwest::get(format!("{}/api/v1/export/votes?format=jsonl", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The style-controlled board on the web, beside the board as voted.
    let styled: serde_json::Value =
        reqwest::get(format!("{}/api/v1/leaderboard?control=style", server.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let names: Vec<&str> = styled["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "brightness",
            "contrast",
            "saturation",
            "colourfulness",
            "sharpness",
            "complexity",
            "near_blank"
        ]
    );
    assert_eq!(styled["n_votes"], votes);
    assert_eq!(styled["reweighted"], true);
    let page = reqwest::get(format!("{}/leaderboard?control=style", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("What voters reward") && page.contains("<th>As voted</th>"),
        "{page}"
    );
    assert!(page.contains("controlled for image style"), "{page}");
    for bad in ["control=style&method=elo", "control=size"] {
        let response = reqwest::get(format!("{}/api/v1/leaderboard?{bad}", server.base))
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{bad}");
    }
    server.kill();
    assert_eq!(export.lines().count(), votes);
    for line in export.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        for side in ["a", "b"] {
            let brightness = row[format!("style_{side}_brightness")].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&brightness), "{row}");
            assert!(row[format!("style_{side}_complexity")].as_f64().unwrap() > 0.0);
            assert!(row[format!("style_{side}_near_blank")].is_number());
        }
    }
    let file = dir.join("votes.jsonl");
    std::fs::write(&file, &export).unwrap();
    let (code, out, err) = run(
        &[
            "leaderboard",
            "--input",
            path(&file),
            "--control",
            "brightness,colourfulness",
            "--output",
            "json",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{err}");
    let board: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = board["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["brightness", "colourfulness"]);
    assert_eq!(board["n_votes"], votes);

    // Images stored before the statistics existed: the backfill computes the same
    // numbers again, once.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let before: Vec<(i64, Option<String>)> =
        sqlx::query_as("select id, style from generation order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(before.iter().all(|(_, s)| s.is_some()), "{before:?}");
    sqlx::query("update generation set style = null")
        .execute(&pool)
        .await
        .unwrap();
    let (code, out, err) = run(&["features", "backfill"], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "computed the style of {} image(s); 0 could not be read",
            before.len()
        )),
        "{out}"
    );
    let after: Vec<(i64, Option<String>)> =
        sqlx::query_as("select id, style from generation order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(after, before);
    let (code, out, _) = run(&["features", "backfill"], &dir);
    assert_eq!(code, 0);
    assert!(out.contains("computed the style of 0 image(s)"), "{out}");
}

/// `arena snapshot` keeps every board with the digest of the counted votes;
/// `?as_of=` serves it; `arena leaderboard --verify` recomputes digest and numbers from
/// an export taken later, and refuses an export in which one vote was changed.
#[tokio::test]
async fn a_snapshot_verifies_against_a_later_export_and_not_against_a_changed_one() {
    let dir = support::temp_dir("arena-snapshot-e2e");
    let url = format!("sqlite:{}", dir.join("arena.db").display());
    let server = ArenaProcess::start(&url, &dir).await;
    let mut voter = Voter::new();
    for i in 0..12 {
        voter
            .battle_and_vote(&server.base, ["a", "b", "tie", "a"][i % 4])
            .await;
    }
    let (code, out, err) = run(&["snapshot"], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("of 12 counted votes, digest "), "{out}");
    // Votes after the snapshot do not disturb its verification.
    for _ in 0..3 {
        voter.battle_and_vote(&server.base, "b").await;
    }
    let get = |path: String| async move { reqwest::get(path).await.unwrap() };
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let mut files = Vec::new();
    for view in ["", "&method=elo", "&reweight=true"] {
        let response = get(format!(
            "{}/api/v1/leaderboard?as_of={today}{view}",
            server.base
        ))
        .await;
        assert_eq!(response.status(), 200, "{view}");
        let snapshot: serde_json::Value = response.json().await.unwrap();
        assert_eq!(snapshot["votes"], 12, "{snapshot}");
        assert_eq!(snapshot["board"]["n_votes"], 12);
        let file = dir.join(format!("snapshot{}.json", files.len()));
        std::fs::write(&file, snapshot.to_string()).unwrap();
        files.push(file);
    }
    let listed: serde_json::Value = get(format!("{}/api/v1/leaderboard/snapshots", server.base))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(
        get(format!(
            "{}/api/v1/leaderboard?as_of=2000-01-01",
            server.base
        ))
        .await
        .status(),
        404
    );
    assert_eq!(
        get(format!(
            "{}/api/v1/leaderboard?as_of=yesterday",
            server.base
        ))
        .await
        .status(),
        422
    );
    // The history page lists the snapshot and each model's ranks; a model page says
    // which ranks it held.
    let page = |path: String| async move { get(path).await.text().await.unwrap() };
    let history = page(format!("{}/leaderboard/history", server.base)).await;
    assert!(
        history.contains("id=\"snapshots\"") && history.contains("Ranks held: "),
        "{history}"
    );
    assert!(
        history.contains("/api/v1/leaderboard/snapshots/"),
        "{history}"
    );
    let slug = listed_slug(&history);
    let model_page = page(format!("{}/models/{slug}", server.base)).await;
    assert!(
        model_page.contains("id=\"model-ranks-held\""),
        "{model_page}"
    );
    let export = get(format!("{}/api/v1/export/votes?format=jsonl", server.base))
        .await
        .text()
        .await
        .unwrap();
    server.kill();
    assert_eq!(export.lines().count(), 15);
    let export_file = dir.join("votes.jsonl");
    std::fs::write(&export_file, &export).unwrap();
    for file in &files {
        let (code, out, err) = run(
            &[
                "leaderboard",
                "--verify",
                path(file),
                "--input",
                path(&export_file),
            ],
            &dir,
        );
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("digest matches · numbers match (12 votes"),
            "{out}"
        );
    }
    // One vote's winner changed: both the digest and the numbers differ.
    let mut lines: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let flipped = if lines[4]["winner"] == "model_a" {
        "model_b"
    } else {
        "model_a"
    };
    lines[4]["winner"] = flipped.into();
    let changed: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let changed_file = dir.join("changed.jsonl");
    std::fs::write(&changed_file, changed).unwrap();
    let (code, out, err) = run(
        &[
            "leaderboard",
            "--verify",
            path(&files[0]),
            "--input",
            path(&changed_file),
        ],
        &dir,
    );
    assert_ne!(code, 0);
    assert!(out.contains("digest DIFFERS · numbers DIFFER"), "{out}");
    assert!(err.contains("does not match"), "{err}");
}

/// The first model the history page has a section for.
fn listed_slug(history: &str) -> String {
    let at = history.find("id=\"history-").expect("a model section") + "id=\"history-".len();
    history[at..].split('"').next().unwrap().to_string()
}
