//! Battles of three or four images (`battle_size`, `kwise_share`): served blind,
//! voted best (and worst) through the API and the form without JavaScript, revealed,
//! rated in the joint fit, tallied, excluded and restored by flags and operators,
//! kept by the purge, exported and snapshotted — on both databases.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use arena_server::config::{FileConfig, QueueConfig};
use arena_server::store::{FlagSubject, IdChoiceCount, NewFlag};
use axum::http::{Method, StatusCode};
use common::support::{png_chunks, png_size};
use common::{Backend, Client, TestArena, assert_blind, identifying_strings, ratings};
use scraper::{Html, Selector};
use serde_json::json;

fn config(size: usize, share: f64) -> FileConfig {
    FileConfig {
        battle_size: Some(size),
        kwise_share: Some(share),
        battle_ttl_secs: Some(Duration::from_secs(3600).as_secs()),
        queue: QueueConfig {
            pool_images: 1,
            ..QueueConfig::default()
        },
        ..FileConfig::default()
    }
}

const LETTERS: [&str; 4] = ["a", "b", "c", "d"];

/// The image URLs of a served battle, in display order.
fn urls(battle: &serde_json::Value) -> Vec<String> {
    LETTERS
        .iter()
        .filter_map(|l| battle["images"][l].as_str().map(String::from))
        .collect()
}

/// Votes of the crowd in the K-wise test. The two middle models of five are told
/// apart only by the battles that leave one end of the order out, so the crowd votes
/// enough that chance cannot swap them.
const CROWD: i64 = 100;

/// How the crowd ranks the demo models, best first: each voter picks the image of the
/// model earliest in this list as best and the latest as worst.
const PREFERENCE: [&str; 5] = [
    "demo-lowfi",
    "demo-geometric",
    "demo-faithful",
    "demo-painterly",
    "demo-confused",
];

/// The crowd's answer on battle `id` (the test reads the models from the database;
/// a voter could not).
async fn crowd_answer(arena: &TestArena, id: &str, worst: bool) -> serde_json::Value {
    let battle = arena.app.store.battle(id).await.unwrap().unwrap();
    let rank = |slug: &str| PREFERENCE.iter().position(|p| *p == slug).unwrap_or(99);
    let mut order: Vec<usize> = (0..battle.images.len()).collect();
    order.sort_by_key(|&i| rank(&battle.images[i].model_slug));
    let best = LETTERS[order[0]];
    match worst {
        true => json!({"best": best, "worst": LETTERS[*order.last().unwrap()]}),
        false => json!({"best": best}),
    }
}

async fn vote_as_crowd(arena: &TestArena, voter: &mut Client, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let battle = voter.new_battle().await;
        let id = battle["id"].as_str().unwrap().to_string();
        let answer = crowd_answer(arena, &id, i % 3 != 0).await;
        let r = voter
            .post_json(&format!("/api/v1/battles/{id}/vote"), answer)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        ids.push(id);
    }
    ids
}

fn sorted(mut rows: Vec<IdChoiceCount>) -> Vec<(Vec<i64>, usize, Option<usize>, i64)> {
    rows.sort_by(|x, y| (&x.models, x.best, x.worst).cmp(&(&y.models, y.best, y.worst)));
    rows.into_iter()
        .map(|r| (r.models, r.best, r.worst, r.n))
        .collect()
}

async fn kwise_on(backend: Backend) {
    let Some(arena) = TestArena::with_pool(backend, config(4, 1.0)).await else {
        return;
    };
    let store = &arena.app.store;
    let words = identifying_strings(&arena).await;
    let mut voter = arena.client();

    // Served blind: four images of four models, nothing that names one, one size,
    // re-encoded, URLs never reused; only the overall question.
    let mut seen_urls = HashSet::new();
    for _ in 0..5 {
        let created = voter
            .post_json("/api/v1/battles", serde_json::json!({}))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        assert_blind("the battle JSON", &created.body, &words);
        for (name, value) in created.headers.iter() {
            assert_blind(&format!("header {name}"), value.as_bytes(), &words);
        }
        let battle = created.json();
        assert_eq!(battle["questions"].as_array().unwrap().len(), 1);
        let id = battle["id"].as_str().unwrap();
        let urls = urls(&battle);
        assert_eq!(urls.len(), 4, "{battle}");
        let mut sizes = Vec::new();
        for url in &urls {
            assert!(seen_urls.insert(url.clone()), "image URL reused: {url}");
            let image = voter.get(url).await;
            assert_eq!(image.status, StatusCode::OK);
            for (name, value) in image.headers.iter() {
                assert_blind(&format!("image header {name}"), value.as_bytes(), &words);
                assert_ne!(name, "etag");
            }
            assert_blind("the PNG bytes", &image.body, &words);
            let chunks = png_chunks(&image.body);
            assert!(
                chunks
                    .iter()
                    .all(|c| ["IHDR", "IDAT", "IEND"].contains(&c.as_str())),
                "{chunks:?}"
            );
            sizes.push(png_size(&image.body));
        }
        assert!(sizes.windows(2).all(|w| w[0] == w[1]), "{sizes:?}");
        let fetched = voter.get(&format!("/api/v1/battles/{id}")).await;
        assert_blind("the battle as fetched", &fetched.body, &words);
        let page = voter.get(&format!("/battles/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_blind("the battle page", &page.body, &words);
        let doc = Html::parse_document(&page.text());
        let count = |css: &str| doc.select(&Selector::parse(css).unwrap()).count();
        assert_eq!(count("#pair.grid-4 figure.side"), 4);
        assert_eq!(count("#vote-form button[name=best]"), 4);
        assert_eq!(count("#worst-question input[name=worst]"), 5);
        assert_eq!(count("button[name=winner]"), 0);
        let models: HashSet<i64> = store
            .battle(id)
            .await
            .unwrap()
            .unwrap()
            .images
            .iter()
            .map(|i| i.model_id)
            .collect();
        assert_eq!(models.len(), 4, "four different models");
    }
    let root = voter.get("/").await;
    assert_eq!(root.status, StatusCode::OK);
    assert_blind("the arena page", &root.body, &words);

    // Wrong answers are refused and store nothing.
    let battle = voter.new_battle().await;
    let id = battle["id"].as_str().unwrap().to_string();
    let uri = format!("/api/v1/battles/{id}/vote");
    for (body, status, code) in [
        (json!({"winner": "a"}), 422, "invalid_choice"),
        (json!({"best": "e"}), 422, "invalid_choice"),
        (json!({"best": "a", "worst": "a"}), 422, "invalid_choice"),
        (json!({"worst": "a"}), 422, "invalid_choice"),
        (json!({"best": "a", "winner": "a"}), 422, "invalid_choice"),
        (json!({"best": 1}), 400, "invalid_json"),
        (json!({}), 400, "invalid_json"),
        (
            json!({"best": "a", "axes": {"prompt": "a"}}),
            422,
            "invalid_axis",
        ),
    ] {
        let r = voter.post_json(&uri, body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text());
        assert_eq!(r.error_code(), code, "{body}");
    }
    assert!(!store.battle(&id).await.unwrap().unwrap().is_voted());

    // The vote: C best, A worst; the reveal names all four models.
    let r = voter
        .post_json(&uri, json!({"best": "c", "worst": "a"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let reveal = r.json();
    assert_eq!(
        (reveal["best"].as_str(), reveal["worst"].as_str()),
        (Some("c"), Some("a"))
    );
    assert!(reveal.get("winner").is_none(), "{reveal}");
    let revealed: HashSet<&str> = LETTERS
        .iter()
        .map(|l| reveal[format!("model_{l}")].as_str().unwrap())
        .collect();
    assert_eq!(revealed.len(), 4);
    let again = voter.post_json(&uri, json!({"best": "b"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let seen = voter.get(&format!("/api/v1/battles/{id}")).await.json();
    assert_eq!(seen["status"], "voted");
    assert_eq!(seen["reveal"], reveal);
    let doc = Html::parse_document(&voter.get(&format!("/battles/{id}")).await.text());
    let text = |css: &str| {
        doc.select(&Selector::parse(css).unwrap())
            .map(|e| e.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    assert_eq!(text("#reveal-winner"), ["C is best, A is worst"]);
    assert_eq!(text("#mark-c"), ["best"]);
    assert_eq!(text("#mark-a"), ["worst"]);
    assert_eq!(
        text("#reveal-d"),
        [reveal["model_d_name"].as_str().unwrap()]
    );
    // Someone else's battle does not exist for them.
    let mut stranger = arena.client();
    stranger.get("/").await;
    let r = stranger
        .post_json(&format!("/api/v1/battles/{id}/vote"), json!({"best": "a"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The form without JavaScript: `best`, and `worst` empty when not chosen.
    let battle = voter.new_battle().await;
    let form_id = battle["id"].as_str().unwrap().to_string();
    let r = voter
        .send(
            Method::POST,
            &format!("/battles/{form_id}/vote"),
            "application/x-www-form-urlencoded",
            "worst=&best=b",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let doc = Html::parse_document(&voter.get(&format!("/battles/{form_id}")).await.text());
    let said: Vec<String> = doc
        .select(&Selector::parse("#reveal-winner").unwrap())
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(said, ["B is best"]);
    let battle = voter.new_battle().await;
    let r = voter
        .send(
            Method::POST,
            &format!("/battles/{}/vote", battle["id"].as_str().unwrap()),
            "application/x-www-form-urlencoded",
            "winner=a",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("send the best"), "{}", r.text());

    // A crowd with a clear order: the joint fit puts the models in that order.
    let mut crowd = arena.client();
    let crowd_ids = vote_as_crowd(&arena, &mut crowd, CROWD as usize).await;
    arena.app.rankings.clear().await;
    let board = crowd.get("/api/v1/leaderboard").await.json();
    assert_eq!(board["n_votes"], CROWD + 2, "{board}");
    let r = ratings(&board);
    for pair in PREFERENCE.windows(2) {
        assert!(r[pair[0]] > r[pair[1]], "{pair:?} in {r:?}");
    }
    // The crowd's own board (`/me`) is fitted on its votes of four images, and puts
    // the models in the crowd's order.
    let doc = Html::parse_document(&crowd.get("/me").await.text());
    let mine: Vec<String> = doc
        .select(&Selector::parse("#me-votes").unwrap())
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(mine, [CROWD.to_string()]);
    let order: Vec<String> = doc
        .select(&Selector::parse("#me-ranking tbody tr td.model a").unwrap())
        .map(|e| {
            e.value()
                .attr("href")
                .unwrap()
                .trim_start_matches("/models/")
                .to_string()
        })
        .collect();
    assert_eq!(order, PREFERENCE, "{order:?}");
    // The pages read the same board.
    for page in [
        "/leaderboard",
        "/models/demo-lowfi",
        "/leaderboard/methodology",
        "/data",
        "/me",
    ] {
        let r = crowd.get(page).await;
        assert_eq!(r.status, StatusCode::OK, "{page}: {}", r.text());
    }
    let methodology = crowd.get("/leaderboard/methodology").await.text();
    assert!(
        methodology.contains("This arena shows 4 images in 100% of"),
        "{methodology}"
    );
    // Online Elo rates pairs only, and says what it left out.
    let elo = crowd.get("/api/v1/leaderboard?method=elo").await.json();
    let warnings = elo["warnings"].to_string();
    assert!(
        warnings.contains(&format!(
            "{} votes on battles of three or four images",
            CROWD + 2
        )),
        "{warnings}"
    );

    // The tallies equal the votes.
    let tallied = sorted(store.choice_counts(None, false).await.unwrap());
    let stored = sorted(store.choice_counts(None, true).await.unwrap());
    assert_eq!(tallied, stored);
    assert_eq!(tallied.iter().map(|r| r.3).sum::<i64>(), CROWD + 2);

    // An operator excludes one vote and restores it.
    let first = &crowd_ids[0];
    assert!(
        store
            .set_vote_counting(first, Some("excluded_by_operator"), "test")
            .await
            .unwrap()
    );
    let sum = |rows: Vec<IdChoiceCount>| rows.iter().map(|r| r.n).sum::<i64>();
    assert_eq!(
        sum(store.choice_counts(None, false).await.unwrap()),
        CROWD + 1
    );
    // The operator's list of votes that do not count shows it with its four models.
    let listed = store.excluded_votes(10).await.unwrap();
    let row = listed.iter().find(|v| &v.battle_id == first).unwrap();
    assert!(row.model_d.is_some(), "{row:?}");
    assert!(row.answer().starts_with("best "), "{row:?}");
    assert_eq!(row.models().matches(" vs ").count(), 3);
    arena.app.rankings.clear().await;
    assert_eq!(
        crowd.get("/api/v1/leaderboard").await.json()["n_votes"],
        CROWD + 1
    );
    assert!(store.set_vote_counting(first, None, "test").await.unwrap());
    assert_eq!(
        sum(store.choice_counts(None, false).await.unwrap()),
        CROWD + 2
    );

    // A flag on the crowd's voter takes its votes out; clearing it brings them back.
    let crowd_voter = store.battle(first).await.unwrap().unwrap().voter_id;
    let (flag, excluded) = store
        .raise_flag(
            &NewFlag {
                subject_kind: FlagSubject::Voter,
                subject: crowd_voter.clone(),
                model_id: None,
                test: "likelihood".into(),
                reason: "test".into(),
                evidence: json!({}),
            },
            "test",
        )
        .await
        .unwrap();
    assert_eq!(excluded as i64, CROWD);
    assert_eq!(sum(store.choice_counts(None, false).await.unwrap()), 2);
    assert_eq!(
        store
            .clear_flag(flag, "test")
            .await
            .unwrap()
            .map(|n| n as i64),
        Some(CROWD)
    );
    assert_eq!(
        sum(store.choice_counts(None, false).await.unwrap()),
        CROWD + 2
    );
    assert_eq!(
        sorted(store.choice_counts(None, false).await.unwrap()),
        stored
    );

    // The purge takes battles served and never voted on, not voted ones or voters.
    let unvoted = crowd.new_battle().await["id"].as_str().unwrap().to_string();
    let purged = store
        .purge(chrono::Utc::now() + chrono::Duration::days(1))
        .await
        .unwrap();
    assert!(purged.battles >= 1, "{purged:?}");
    assert!(store.battle(&unvoted).await.unwrap().is_none());
    for kept in crowd_ids.iter().chain([&id, &form_id]) {
        let battle = store
            .battle(kept)
            .await
            .unwrap()
            .expect("a voted battle stays");
        assert!(battle.choice.is_some());
        assert_eq!(battle.images.len(), 4);
    }
    assert_eq!(store.votes_of(&crowd_voter).await.unwrap() as i64, CROWD);
    arena.app.rankings.clear().await;
    let board = crowd.get("/api/v1/leaderboard").await.json();
    assert_eq!(board["n_votes"], CROWD + 2);

    // Exports: one row per vote with its four models, best and worst, in JSONL, CSV
    // and Parquet; each gives the arena's board back. FastChat's and GenAI-Bench's
    // formats hold pairs only, and their cards say so.
    let jsonl = crowd.get("/api/v1/export/votes?format=jsonl").await.text();
    let rows: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len() as i64, CROWD + 2);
    let voted = rows.iter().find(|r| r["battle_id"] == id.as_str()).unwrap();
    assert_eq!(voted["winner"], "model_c");
    assert_eq!(voted["worst"], "model_a");
    assert_eq!(voted["model_d"], reveal["model_d"]);
    assert!(voted["image_d_sha256"].is_string());
    let options = arena_evaluator::LeaderboardOptions {
        filter: arena_evaluator::VoteFilter {
            anonymous_only: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let from_jsonl = arena_evaluator::leaderboard_from_reader(
        jsonl.as_bytes(),
        arena_evaluator::Format::Jsonl,
        &options,
    )
    .unwrap();
    for (model, rating) in ratings(&board) {
        let got = from_jsonl.entry(&model).unwrap().rating;
        assert!((got - rating).abs() < 1e-6, "{model}: {got} vs {rating}");
    }
    let csv = crowd.get("/api/v1/export/votes?format=csv").await.text();
    let headers: Vec<String> = csv::Reader::from_reader(csv.as_bytes())
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(
        headers[headers.len() - 5..],
        [
            "model_c",
            "model_d",
            "worst",
            "image_c_sha256",
            "image_d_sha256"
        ]
    );
    let from_csv = arena_evaluator::leaderboard_from_reader(
        csv.as_bytes(),
        arena_evaluator::Format::Csv,
        &options,
    )
    .unwrap();
    assert_eq!(from_csv.models, from_jsonl.models);
    let parquet = crowd.get("/api/v1/export/votes?format=parquet").await.body;
    let parquet_path = arena.dir.join("kwise.parquet");
    std::fs::write(&parquet_path, parquet).unwrap();
    let from_parquet =
        arena_server::data::read_parquet::leaderboard(&parquet_path, &options).unwrap();
    assert_eq!(from_parquet.models, from_jsonl.models);
    let fastchat = crowd
        .get("/api/v1/export/votes?format=fastchat")
        .await
        .text();
    let fastchat: serde_json::Value = serde_json::from_str(&fastchat).unwrap();
    assert_eq!(fastchat.as_array().unwrap().len(), 0);
    let card = crowd
        .get("/api/v1/export/card?format=genai-bench")
        .await
        .text();
    assert!(
        card.contains(&format!(
            "{} votes on battles of three or four images are not in this file",
            CROWD + 2
        )),
        "{card}"
    );

    // A snapshot covers the K-wise votes and verifies against the JSONL export.
    use arena_server::rankings::{board::StyleControl, snapshot};
    snapshot::take(
        store,
        &arena.app.config.judge_key,
        StyleControl::default(),
        &arena.app.config.axes,
    )
    .await
    .unwrap();
    let views = store.snapshots_of("").await.unwrap();
    let row = store.snapshot(views[0].id).await.unwrap().unwrap();
    let file = snapshot::SnapshotFile::from_row(&row).unwrap();
    assert_eq!(file.board.n_votes as i64, CROWD + 2);
    let snap_path = arena.dir.join("snapshot.json");
    std::fs::write(&snap_path, serde_json::to_string(&file).unwrap()).unwrap();
    let export_path = arena.dir.join("votes.jsonl");
    std::fs::write(&export_path, &jsonl).unwrap();
    let report = snapshot::verify(&snap_path, &export_path).unwrap();
    assert!(
        report.digest_matches && report.numbers_match,
        "{:?}",
        report.differences
    );
    let tampered = jsonl.replacen(r#""worst":"model_a""#, r#""worst":"model_b""#, 1);
    assert_ne!(tampered, jsonl);
    std::fs::write(&export_path, &tampered).unwrap();
    assert!(
        !snapshot::verify(&snap_path, &export_path)
            .unwrap()
            .digest_matches
    );
}

#[tokio::test]
async fn kwise_battles_are_blind_voted_rated_and_exported_on_sqlite() {
    kwise_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn kwise_battles_are_blind_voted_rated_and_exported_on_postgres() {
    kwise_on(Backend::Postgres).await;
}

/// A share of battles: some pairs, some of three images; each answered its own way.
#[tokio::test]
async fn a_share_of_battles_shows_three_images_and_the_rest_are_pairs() {
    let Some(arena) = TestArena::with_pool(Backend::Sqlite, config(3, 0.5)).await else {
        return;
    };
    let mut voter = arena.client();
    let (mut pairs, mut threes) = (0, 0);
    for _ in 0..40 {
        let battle = voter.new_battle().await;
        let id = battle["id"].as_str().unwrap();
        let body = match urls(&battle).len() {
            2 => {
                pairs += 1;
                json!({"winner": "tie"})
            }
            3 => {
                threes += 1;
                let wrong = voter
                    .post_json(&format!("/api/v1/battles/{id}/vote"), json!({"best": "d"}))
                    .await;
                assert_eq!(wrong.error_code(), "invalid_choice");
                json!({"best": "c", "worst": "b"})
            }
            n => panic!("a battle of {n} images"),
        };
        let r = voter
            .post_json(&format!("/api/v1/battles/{id}/vote"), body)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    assert!(
        pairs >= 8 && threes >= 8,
        "{pairs} pairs, {threes} of three"
    );
    let board = voter.get("/api/v1/leaderboard").await.json();
    assert_eq!(board["n_votes"], 40);
    // A pair's vote still fails on a battle of three, and the other way round.
    let store = &arena.app.store;
    assert_eq!(store.vote_count().await.unwrap(), pairs);
}

/// How each model's images strike honest voters (Elo scale).
fn strength(model: &str) -> f64 {
    match model {
        "demo-faithful" => 1150.0,
        "demo-painterly" => 1080.0,
        "demo-geometric" => 1000.0,
        "demo-confused" => 930.0,
        _ => 880.0,
    }
}

/// An honest answer on battle `id`: the best drawn by Plackett–Luce from the models'
/// strengths, then (two times in three) the worst from the rest, the weakest likeliest.
async fn honest_answer(arena: &TestArena, id: &str, rng: &mut impl rand::Rng) -> serde_json::Value {
    let battle = arena.app.store.battle(id).await.unwrap().unwrap();
    let s: Vec<f64> = battle
        .images
        .iter()
        .map(|i| strength(&i.model_slug))
        .collect();
    let mut draw = |weights: &[f64]| {
        let mut x = rng.random::<f64>() * weights.iter().sum::<f64>();
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    };
    let best = draw(&s.iter().map(|r| 10f64.powf(r / 400.0)).collect::<Vec<_>>());
    let rest: Vec<f64> = s
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if i == best {
                0.0
            } else {
                10f64.powf(-r / 400.0)
            }
        })
        .collect();
    let worst = draw(&rest);
    match draw(&[2.0, 1.0]) {
        0 => json!({"best": LETTERS[best], "worst": LETTERS[worst]}),
        _ => json!({"best": LETTERS[best]}),
    }
}

/// The detector reads votes on three or four images too: a voter who always picks one
/// weak model as best (and the strongest as worst) is flagged, and its votes stop
/// counting; honest voters, each on its own address, are not.
async fn detector_on(backend: Backend) {
    use rand::SeedableRng;
    let file = FileConfig {
        trusted_proxies: vec!["127.0.0.1".into()],
        ..config(4, 1.0)
    };
    let Some(arena) = TestArena::with_pool(backend, file).await else {
        return;
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for v in 0..24 {
        let mut voter = Client::behind_proxy(arena.router.clone(), &format!("198.18.0.{}", 10 + v));
        for _ in 0..15 {
            let battle = voter.new_battle().await;
            let id = battle["id"].as_str().unwrap();
            let answer = honest_answer(&arena, id, &mut rng).await;
            let r = voter
                .post_json(&format!("/api/v1/battles/{id}/vote"), answer)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
    }
    let mut rigger = Client::behind_proxy(arena.router.clone(), "203.0.113.7");
    let mut rigged = 0;
    // Only some battles show both models: draw until twenty have, so that how many
    // did is not left to chance.
    for _ in 0..150 {
        if rigged == 20 {
            break;
        }
        let battle = rigger.new_battle().await;
        let id = battle["id"].as_str().unwrap();
        let shown = arena.app.store.battle(id).await.unwrap().unwrap();
        let slot = |slug: &str| shown.images.iter().position(|i| i.model_slug == slug);
        let (Some(target), Some(strongest)) = (slot("demo-confused"), slot("demo-faithful")) else {
            continue;
        };
        let r = rigger
            .post_json(
                &format!("/api/v1/battles/{id}/vote"),
                json!({"best": LETTERS[target], "worst": LETTERS[strongest]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        rigged += 1;
    }
    assert_eq!(rigged, 20);
    let store = &arena.app.store;
    let report = arena_server::integrity::scan::scan(store, "detector")
        .await
        .unwrap();
    let excluded: u64 = report.flags.iter().map(|f| f.votes_excluded).sum();
    assert!(
        report
            .flags
            .iter()
            .any(|f| f.model.as_deref() == Some("demo-confused")),
        "{report:?}"
    );
    // The rigger's votes are out, and not many honest ones with them.
    let all = store.choice_counts(None, true).await.unwrap();
    let counted = store.choice_counts(None, false).await.unwrap();
    let n = |rows: &[IdChoiceCount]| rows.iter().map(|r| r.n).sum::<i64>();
    assert_eq!(n(&all), 24 * 15 + rigged);
    assert!(excluded >= rigged as u64, "{report:?}");
    assert!(
        n(&counted) >= (24 * 15) * 95 / 100,
        "{} of {} honest votes count: {report:?}",
        n(&counted),
        24 * 15
    );
}

#[tokio::test]
async fn the_detector_flags_a_voter_who_rigs_kwise_battles_on_sqlite() {
    detector_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_detector_flags_a_voter_who_rigs_kwise_battles_on_postgres() {
    detector_on(Backend::Postgres).await;
}
