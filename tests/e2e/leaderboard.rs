//! The web leaderboard on real votes: GenAI-Arena's anonymous text-to-image battles
//! imported with `arena import votes`, served by the real binary on both databases,
//! must match `arena leaderboard` on the same file and arena-rank's published numbers.

use std::path::PathBuf;

use arena_server::data::import::model_slug;

use crate::arena::{ArenaProcess, BIN};
use crate::support::{self, Backend};

fn shared_data() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data"));
    if dir.exists() {
        Some(dir)
    } else {
        support::skip_or_fail(&format!("the shared vote data at {}", dir.display()));
        None
    }
}

/// Runs `arena ARGS --database-url URL`, expecting success; returns stdout.
fn arena(args: &[&str], url: &str, dir: &std::path::Path) -> String {
    let out = std::process::Command::new(&*BIN)
        .args(args)
        .args(["--database-url", url])
        .arg("--data-dir")
        .arg(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "arena {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The reference's entry for `slug`: the arena names imported models by slug, the
/// file's names made lowercase (`model_slug`).
fn by_slug<'a>(reference: &'a serde_json::Value, slug: &str) -> &'a serde_json::Value {
    reference["ratings"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(name, _)| model_slug(name) == slug)
        .map(|(_, r)| r)
        .unwrap_or_else(|| panic!("{slug} is not in the reference"))
}

fn ratings(json: &serde_json::Value) -> Vec<(String, f64, f64, f64)> {
    json["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["model"].as_str().unwrap().to_string(),
                m["rating"].as_f64().unwrap(),
                m["ci_low"].as_f64().unwrap(),
                m["ci_high"].as_f64().unwrap(),
            )
        })
        .collect()
}

async fn web_leaderboard_matches_the_cli_and_arena_rank(backend: Backend) {
    let Some(data) = shared_data() else { return };
    let dir = support::temp_dir("arena-board");
    let Some((url, _db)) = support::database(backend, &dir).await else {
        return;
    };
    let votes = data.join("genai-arena/genai_arena_20240220_t2i_anony.jsonl");
    arena(&["import", "votes", votes.to_str().unwrap()], &url, &dir);

    let server = ArenaProcess::start(&url, &dir).await;
    let web: serde_json::Value = reqwest::get(format!("{}/api/v1/leaderboard", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let from_file: serde_json::Value = serde_json::from_str(&arena(
        &[
            "leaderboard",
            "--input",
            votes.to_str().unwrap(),
            "--output",
            "json",
        ],
        &url,
        &dir,
    ))
    .unwrap();
    let from_db: serde_json::Value =
        serde_json::from_str(&arena(&["leaderboard", "--output", "json"], &url, &dir)).unwrap();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("reference/genai_t2i_anony.arena_rank_sandwich.json"))
            .unwrap(),
    )
    .unwrap();

    let web = ratings(&web);
    assert_eq!(
        web.len(),
        reference["ratings"].as_object().unwrap().len(),
        "{web:?}"
    );
    assert_eq!(web.len(), ratings(&from_file).len());
    for (model, rating, low, high) in &web {
        let r = by_slug(&reference, model);
        assert!(
            (rating - r["rating"].as_f64().unwrap()).abs() < 0.01,
            "{model}: {rating} vs {r}"
        );
        assert!(
            (low - r["ci_low"].as_f64().unwrap()).abs() < 0.05,
            "{model} low"
        );
        assert!(
            (high - r["ci_high"].as_f64().unwrap()).abs() < 0.05,
            "{model} high"
        );
        for other in [&from_file, &from_db] {
            let (_, o_rating, o_low, o_high) = ratings(other)
                .into_iter()
                .find(|(m, ..)| model_slug(m) == *model)
                .unwrap();
            assert!(
                (rating - o_rating).abs() < 1e-6
                    && (low - o_low).abs() < 1e-6
                    && (high - o_high).abs() < 1e-6,
                "{model}: {rating} vs {o_rating}"
            );
        }
    }

    // LMArena's reweighted board: the web view, the file and the database give
    // arena-rank's `reweighted=True` numbers.
    let plain = ratings(&from_db);
    let web: serde_json::Value =
        reqwest::get(format!("{}/api/v1/leaderboard?reweight=true", server.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(web["reweighted"], true);
    let file_reweighted: serde_json::Value = serde_json::from_str(&arena(
        &[
            "leaderboard",
            "--input",
            votes.to_str().unwrap(),
            "--reweight",
            "--output",
            "json",
        ],
        &url,
        &dir,
    ))
    .unwrap();
    let db_reweighted: serde_json::Value = serde_json::from_str(&arena(
        &["leaderboard", "--reweight", "--output", "json"],
        &url,
        &dir,
    ))
    .unwrap();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../evaluator/tests/reference/genai_t2i_anony.arena_rank_reweighted_sandwich.json"
        )))
        .unwrap(),
    )
    .unwrap();
    let web = ratings(&web);
    assert_eq!(web.len(), reference["ratings"].as_object().unwrap().len());
    for (model, rating, low, high) in &web {
        let r = by_slug(&reference, model);
        assert!(
            (rating - r["rating"].as_f64().unwrap()).abs() < 0.01,
            "{model}: {rating} vs {r}"
        );
        assert!(
            (low - r["ci_low"].as_f64().unwrap()).abs() < 0.05,
            "{model} low"
        );
        assert!(
            (high - r["ci_high"].as_f64().unwrap()).abs() < 0.05,
            "{model} high"
        );
        for other in [&file_reweighted, &db_reweighted] {
            let (_, o_rating, ..) = ratings(other)
                .into_iter()
                .find(|(m, ..)| model_slug(m) == *model)
                .unwrap();
            assert!(
                (rating - o_rating).abs() < 1e-6,
                "{model}: {rating} vs {o_rating}"
            );
        }
        let unweighted = plain.iter().find(|(m, ..)| m == model).unwrap().1;
        assert!(
            (rating - unweighted).abs() > 1e-3,
            "{model}: reweighting changed nothing"
        );
    }
    let page = reqwest::get(format!("{}/leaderboard?reweight=true", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("votes reweighted by pair frequency"),
        "{page}"
    );
    assert!(page.contains("<option value=\"true\" selected>by pair frequency</option>"));
    let refused = reqwest::get(format!(
        "{}/api/v1/leaderboard?reweight=true&method=elo",
        server.base
    ))
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reweight"),
        "{body}"
    );

    // Online Elo replays the stored votes in the order they were cast, as FastChat
    // replays the file by timestamp.
    let elo: serde_json::Value =
        reqwest::get(format!("{}/api/v1/leaderboard?method=elo", server.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            data.join("reference/genai_t2i_anony.fastchat0236_online_elo_k4.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let models = elo["models"].as_array().unwrap();
    assert_eq!(
        models.len(),
        reference["ratings"].as_object().unwrap().len()
    );
    for m in models {
        let model = m["model"].as_str().unwrap();
        let expected = by_slug(&reference, model)["rating"].as_f64().unwrap();
        let rating = m["rating"].as_f64().unwrap();
        assert!(
            (rating - expected).abs() < 1e-6,
            "{model}: {rating} vs {expected}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn web_leaderboard_matches_the_cli_and_arena_rank_on_sqlite() {
    web_leaderboard_matches_the_cli_and_arena_rank(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web_leaderboard_matches_the_cli_and_arena_rank_on_postgres() {
    web_leaderboard_matches_the_cli_and_arena_rank(Backend::Postgres).await;
}

/// `matchmaking = "active"`: pairs drawn from the cached leaderboard still make
/// ordinary battles, every demo model keeps being shown, and every vote counts.
#[tokio::test(flavor = "multi_thread")]
async fn active_matchmaking_serves_every_model_and_counts_every_vote() {
    use crate::arena::Voter;
    let dir = support::temp_dir("arena-active");
    std::fs::write(
        dir.join("arena.toml"),
        "image_size = 128\nmin_view_ms = 0\nmatchmaking = \"active\"\nexploration = 0.2\n\
         [limits]\nenabled = false\n",
    )
    .unwrap();
    let url = format!("sqlite:{}/arena.db", dir.display());
    let server = ArenaProcess::start(&url, &dir).await;
    let mut voter = Voter::new();
    let mut shown = std::collections::HashMap::<String, usize>::new();
    let demo = support::demo_slugs();
    // At least 80 battles, and on until every model was shown: a model joins the
    // battles once its first images are pooled, which on a loaded machine can take
    // longer than the first 80 (a model starved by the matchmaker would still never
    // show up, and fail below).
    let mut battles = 0;
    while battles < 400 && (battles < 80 || demo.iter().any(|s| !shown.contains_key(*s))) {
        let i = battles;
        battles += 1;
        let (status, battle) = voter
            .post(
                &format!("{}/api/v1/battles", server.base),
                serde_json::json!({}),
            )
            .await
            .unwrap();
        assert_eq!(status, 201, "{battle}");
        let id = battle["id"].as_str().unwrap();
        let winner = if i % 3 == 0 { "b" } else { "a" };
        let (status, reveal) = voter
            .post(
                &format!("{}/api/v1/battles/{id}/vote", server.base),
                serde_json::json!({ "winner": winner }),
            )
            .await
            .unwrap();
        assert_eq!(status, 200, "{reveal}");
        let (a, b) = (
            reveal["model_a"].as_str().unwrap(),
            reveal["model_b"].as_str().unwrap(),
        );
        assert_ne!(a, b);
        for m in [a, b] {
            *shown.entry(m.to_string()).or_default() += 1;
        }
    }
    for slug in &demo {
        let seen = shown.get(*slug).copied().unwrap_or(0);
        assert!(
            seen > 0,
            "{slug} never shown in {battles} battles: {shown:?}"
        );
    }
    // The board is recomputed in the background; wait for it to count every vote.
    let mut n_votes = 0;
    for _ in 0..100 {
        let (status, board) = voter
            .get(&format!("{}/api/v1/leaderboard", server.base))
            .await
            .unwrap();
        assert_eq!(status, 200, "{board}");
        n_votes = board["n_votes"].as_u64().unwrap();
        if n_votes == battles {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(n_votes, battles);
    // The methodology page says how this arena draws.
    let page = reqwest::get(format!("{}/leaderboard/methodology", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("This arena draws actively</strong>, 20% of"),
        "{page}"
    );
}
