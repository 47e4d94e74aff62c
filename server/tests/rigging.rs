//! The rigging simulation, on SQLite and on the real Postgres: honest voters — each on
//! its own address behind a trusted proxy, looking at both images for a moment, voting
//! by known model strengths — and attackers who learn which image is which model from
//! their own reveals, from every public page and from the public export, then vote for
//! one target model whenever they recognise it: (a) from one address, rotating cookies;
//! (b) from many addresses with a few votes each. Both wait out `min_view_ms`.
//!
//! Asserted: after the detector has run, the target's rating on the default leaderboard
//! is within half its 95% interval of the honest-only board; at least 95% of honest
//! votes count; and most attack votes do not. The figures are printed as JSON (the
//! "Integrity" table of BENCHMARKS.md comes from them).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arena_evaluator::{Counts, LeaderboardOptions, Outcome, leaderboard_from_counts};
use arena_server::config::FileConfig;
use arena_server::generation::blob::sha256_hex;
use arena_server::rankings::board::{BoardQuery, compute};
use arena_server::store::ExportFilter;
use axum::http::StatusCode;
use common::{Backend, Client, TestArena};
use futures_util::TryStreamExt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The target: the weakest model, where stolen votes move the rating most.
const TARGET: &str = "demo-lowfi";
/// How each model's images strike honest voters (Elo scale).
const STRENGTHS: [(&str, f64); 5] = [
    ("demo-faithful", 1150.0),
    ("demo-painterly", 1080.0),
    ("demo-geometric", 1000.0),
    ("demo-confused", 930.0),
    ("demo-lowfi", 880.0),
];
const MIN_VIEW_MS: u64 = 300;
const HONEST_VOTERS: usize = 50;
const HONEST_VOTES_EACH: usize = 24;
/// Attack (a): cookies rotated from one address, each voting this many times.
const ROTATING_COOKIES: usize = 60;
const VOTES_PER_COOKIE: usize = 5;
/// Attack (b): addresses, each with one cookie and this many votes at most.
const SYBIL_ADDRESSES: usize = 120;
const SYBIL_VOTES: usize = 4;

fn strength(model: &str) -> f64 {
    STRENGTHS
        .iter()
        .find(|(m, _)| *m == model)
        .map_or(1000.0, |(_, s)| *s)
}

/// What the attackers know: image SHA-256 → model.
type Map = Arc<Mutex<HashMap<String, String>>>;

/// A served battle's two images, fetched as a browser does: (hash of A, hash of B).
async fn look(voter: &mut Client, battle: &serde_json::Value) -> Option<(String, String)> {
    let mut hashes = Vec::new();
    for side in ["a", "b"] {
        let r = voter.get(battle["images"][side].as_str()?).await;
        if r.status != StatusCode::OK {
            return None;
        }
        hashes.push(sha256_hex(&r.body));
    }
    Some((hashes[0].clone(), hashes[1].clone()))
}

/// Serves a battle; `None` once the arena refuses (a limit).
async fn serve(voter: &mut Client) -> Option<serde_json::Value> {
    let r = voter
        .post_json("/api/v1/battles", serde_json::json!({}))
        .await;
    (r.status == StatusCode::CREATED).then(|| r.json())
}

/// Honest votes as cast: (battle id, model a, model b, outcome).
type Ledger = Arc<Mutex<Vec<(String, String, String, Outcome)>>>;

/// An honest voter: every battle served is looked at for a moment and voted on by how
/// the two images strike people (the models' strengths). `truth` maps image bytes to
/// models — the test's knowledge of what it generated, standing in for the voter's
/// eyes; the voter never learns the names before voting.
async fn honest(
    router: axum::Router,
    index: usize,
    truth: Arc<HashMap<String, String>>,
    votes: Ledger,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(1000 + index as u64);
    let address = format!("198.18.{}.{}", index / 200, 10 + index % 200);
    let mut voter = Client::behind_proxy(router, &address);
    for _ in 0..HONEST_VOTES_EACH {
        let Some(battle) = serve(&mut voter).await else {
            return;
        };
        let Some((a, b)) = look(&mut voter, &battle).await else {
            continue;
        };
        let (a, b) = (truth[&a].clone(), truth[&b].clone());
        let pause = rng.random_range(MIN_VIEW_MS + 60..MIN_VIEW_MS + 400);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let p = 1.0 / (1.0 + 10f64.powf((strength(&b) - strength(&a)) / 400.0));
        let outcome = if rng.random::<f64>() < 0.04 {
            Outcome::Tie
        } else if rng.random::<f64>() < p {
            Outcome::A
        } else {
            Outcome::B
        };
        let id = battle["id"].as_str().unwrap().to_string();
        if voter.vote(&id, outcome.as_str()).await.status == StatusCode::OK {
            votes.lock().unwrap().push((id, a, b, outcome));
        }
    }
}

/// Learns from everything public: the vote export and the model pages.
async fn learn_from_public_pages(voter: &mut Client, map: &Map) {
    let export = voter.get("/api/v1/export/votes?format=jsonl").await;
    if export.status == StatusCode::OK {
        for line in export.text().lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            for side in ["a", "b"] {
                if let (Some(hash), Some(model)) = (
                    row[format!("image_{side}_sha256")].as_str(),
                    row[format!("model_{side}")].as_str(),
                ) {
                    map.lock()
                        .unwrap()
                        .insert(hash.to_string(), model.to_string());
                }
            }
        }
    }
    for (model, _) in STRENGTHS {
        let page = voter.get(&format!("/api/v1/models/{model}")).await;
        if page.status != StatusCode::OK {
            continue;
        }
        let body = page.text();
        for url in body.split('"').filter(|s| s.starts_with("/images/")) {
            let image = voter.get(url).await;
            if image.status == StatusCode::OK {
                map.lock()
                    .unwrap()
                    .insert(sha256_hex(&image.body), model.to_string());
            }
        }
    }
}

/// A scout votes at random and learns from every reveal.
async fn scout(router: axum::Router, address: String, battles: usize, map: Map, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut voter = Client::behind_proxy(router, &address);
    for _ in 0..battles {
        let Some(battle) = serve(&mut voter).await else {
            return;
        };
        let Some((a, b)) = look(&mut voter, &battle).await else {
            continue;
        };
        tokio::time::sleep(Duration::from_millis(MIN_VIEW_MS + 20)).await;
        let winner = ["a", "b"][rng.random_range(0..2)];
        let reveal = voter.vote(battle["id"].as_str().unwrap(), winner).await;
        if reveal.status == StatusCode::OK {
            let reveal = reveal.json();
            let mut map = map.lock().unwrap();
            map.insert(a, reveal["model_a"].as_str().unwrap().to_string());
            map.insert(b, reveal["model_b"].as_str().unwrap().to_string());
        }
    }
}

/// An attacking cookie: serves battles, votes for the target when it recognises it,
/// skips the others; returns the battle ids it voted on.
async fn attack(voter: &mut Client, votes: usize, tries: usize, map: &Map) -> Vec<String> {
    let mut cast = Vec::new();
    for _ in 0..tries {
        if cast.len() >= votes {
            break;
        }
        let Some(battle) = serve(voter).await else {
            break;
        };
        let Some((a, b)) = look(voter, &battle).await else {
            continue;
        };
        let (ma, mb) = {
            let map = map.lock().unwrap();
            (map.get(&a).cloned(), map.get(&b).cloned())
        };
        let winner = match (ma.as_deref(), mb.as_deref()) {
            (Some(TARGET), _) => "a",
            (_, Some(TARGET)) => "b",
            _ => continue,
        };
        tokio::time::sleep(Duration::from_millis(MIN_VIEW_MS + 20)).await;
        let id = battle["id"].as_str().unwrap().to_string();
        if voter.vote(&id, winner).await.status == StatusCode::OK {
            cast.push(id);
        }
    }
    cast
}

fn board_of(votes: &[(String, String, Outcome)]) -> arena_evaluator::Leaderboard {
    let mut counts = Counts::new();
    for (a, b, o) in votes {
        counts.add_n(a, b, *o, 1);
    }
    leaderboard_from_counts(&counts, &LeaderboardOptions::default()).unwrap()
}

fn entry<'a>(
    board: &'a arena_evaluator::Leaderboard,
    model: &str,
) -> &'a arena_evaluator::LeaderboardEntry {
    board
        .models
        .iter()
        .find(|e| e.model == model)
        .expect("model on the board")
}

async fn simulate(backend: Backend) {
    let file = FileConfig {
        trusted_proxies: vec!["127.0.0.1".into()],
        min_view_ms: Some(MIN_VIEW_MS),
        ..FileConfig::default()
    };
    let Some(arena) = TestArena::with_pool(backend, file).await else {
        return;
    };
    // The test's own knowledge of which image is which model (for the honest voters'
    // taste), from the generations it made.
    let mut truth: HashMap<String, String> = HashMap::new();
    for job in arena.app.store.all_jobs().await.unwrap() {
        let Some(g) = job.generation_id else { continue };
        let generation = arena.app.store.generation(g).await.unwrap().unwrap();
        let model = arena
            .app
            .store
            .list_models()
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.id == generation.model_id)
            .unwrap();
        let bytes = arena.app.blobs.get(&generation.blob_key).await.unwrap();
        truth.insert(sha256_hex(&bytes), model.slug);
    }
    let truth = Arc::new(truth);

    let router = arena.router.clone();
    let honest_votes: Ledger = Arc::default();
    let map: Map = Arc::default();

    // Honest voting begins; scouts learn meanwhile from reveals and public pages.
    let mut honest_tasks = Vec::new();
    for i in 0..HONEST_VOTERS {
        honest_tasks.push(tokio::spawn(honest(
            router.clone(),
            i,
            truth.clone(),
            honest_votes.clone(),
        )));
    }
    let mut public = Client::behind_proxy(router.clone(), "192.0.2.200");
    learn_from_public_pages(&mut public, &map).await;
    let scouts: Vec<_> = (0..2)
        .map(|s| {
            tokio::spawn(scout(
                router.clone(),
                format!("192.0.2.{}", 201 + s),
                40,
                map.clone(),
                77 + s as u64,
            ))
        })
        .collect();
    for s in scouts {
        s.await.unwrap();
    }
    learn_from_public_pages(&mut public, &map).await;
    // Images the attackers can recognise: learned hashes of bytes a battle serves
    // (keyed export hashes name no bytes).
    let known = map
        .lock()
        .unwrap()
        .keys()
        .filter(|h| truth.contains_key(*h))
        .count();
    let images_in_pool = truth.len();

    // (a) One address, rotating cookies; (b) many addresses, a few votes each.
    // Ten cookies at a time from the one address, each replaced after a few votes.
    let rotating: Vec<_> = (0..10)
        .map(|_| {
            let (router, map) = (router.clone(), map.clone());
            tokio::spawn(async move {
                let mut cast = Vec::new();
                for _ in 0..ROTATING_COOKIES / 10 {
                    let mut voter = Client::behind_proxy(router.clone(), "203.0.113.66");
                    cast.extend(attack(&mut voter, VOTES_PER_COOKIE, 20, &map).await);
                }
                cast
            })
        })
        .collect();
    let sybils: Vec<_> = (0..SYBIL_ADDRESSES)
        .map(|i| {
            let (router, map) = (router.clone(), map.clone());
            tokio::spawn(async move {
                let address = format!("100.{}.{}.9", 64 + i / 200, i % 200);
                let mut voter = Client::behind_proxy(router, &address);
                attack(&mut voter, SYBIL_VOTES, 16, &map).await
            })
        })
        .collect();
    let mut attack_a = Vec::new();
    for t in rotating {
        attack_a.extend(t.await.unwrap());
    }
    let mut attack_b = Vec::new();
    for t in sybils {
        attack_b.extend(t.await.unwrap());
    }
    for t in honest_tasks {
        t.await.unwrap();
    }

    // The board as the attack left it, before the detector's next run.
    let before = compute(&arena.app.store, &BoardQuery::default())
        .await
        .unwrap();
    let report = arena_server::integrity::scan::scan(&arena.app.store, "detector")
        .await
        .unwrap();
    let after = compute(&arena.app.store, &BoardQuery::default())
        .await
        .unwrap();

    let rows: Vec<_> = arena
        .app
        .store
        .export_rows(&ExportFilter {
            since: None,
            include_excluded: true,
            pairs_only: false,
        })
        .try_collect()
        .await
        .unwrap();
    let counts: HashMap<&str, bool> = rows
        .iter()
        .map(|r| (r.battle_id.as_str(), r.counts_for_leaderboard))
        .collect();
    let honest = honest_votes.lock().unwrap().clone();
    let honest_counted = honest.iter().filter(|(id, ..)| counts[id.as_str()]).count();
    let mut honest_reasons: HashMap<String, usize> = HashMap::new();
    for (id, ..) in &honest {
        let row = rows.iter().find(|r| &r.battle_id == id).unwrap();
        if let Some(reason) = &row.exclusion_reason {
            *honest_reasons.entry(reason.clone()).or_default() += 1;
        }
    }
    // The flags that hit honest voters, with their evidence: the false positives.
    let honest_ids: std::collections::HashSet<&str> =
        honest.iter().map(|(id, ..)| id.as_str()).collect();
    let mut false_positives = Vec::new();
    let mut flag_ids = std::collections::BTreeSet::new();
    for v in arena.app.store.excluded_votes(100_000).await.unwrap() {
        if let Some(flag) = v
            .flag_id
            .filter(|_| honest_ids.contains(v.battle_id.as_str()))
        {
            flag_ids.insert(flag);
        }
    }
    for id in flag_ids {
        let flag = arena.app.store.flag(id).await.unwrap().unwrap();
        false_positives.push(serde_json::json!({ "test": flag.test, "evidence": flag.evidence }));
    }
    let mut flag_tests: HashMap<&str, usize> = HashMap::new();
    for f in &report.flags {
        *flag_tests.entry(f.test).or_default() += 1;
    }
    let share = |ids: &[String]| {
        ids.iter().filter(|id| counts[id.as_str()]).count() as f64 / ids.len().max(1) as f64
    };

    let honest_only = board_of(
        &honest
            .iter()
            .map(|(_, a, b, o)| (a.clone(), b.clone(), *o))
            .collect::<Vec<_>>(),
    );
    let truth = entry(&honest_only, TARGET);
    let half_width = (truth.ci_high.unwrap() - truth.ci_low.unwrap()) / 2.0;
    let rating =
        |board: &arena_server::rankings::board::Board| entry(&board.leaderboard, TARGET).rating;
    let summary = serde_json::json!({
        "backend": format!("{backend:?}"),
        "honest_votes": honest.len(),
        "honest_counted_share": honest_counted as f64 / honest.len() as f64,
        "images_recognised_by_attackers": known,
        "images_in_pool": images_in_pool,
        "attack_a_votes": attack_a.len(),
        "attack_a_counted_share": share(&attack_a),
        "attack_b_votes": attack_b.len(),
        "attack_b_counted_share": share(&attack_b),
        "flags": report.flags.len(),
        "flags_by_test": flag_tests,
        "honest_exclusions": honest_reasons,
        "false_positives": false_positives,
        "target_honest_rating": truth.rating,
        "target_ci_half_width": half_width,
        "target_before_detector": rating(&before),
        "target_default_board": rating(&after),
        "moved_before_detector_half_widths": (rating(&before) - truth.rating) / half_width,
        "moved_default_board_half_widths": (rating(&after) - truth.rating) / half_width,
    });
    println!("RIGGING {summary}");

    assert!(
        attack_a.len() >= 60 && attack_b.len() >= 100,
        "the attack is real: {summary}"
    );
    assert!(
        (rating(&before) - truth.rating) / half_width > 2.0,
        "the attack moves the target before the detector runs: {summary}"
    );
    assert!(
        (rating(&after) - truth.rating).abs() < half_width,
        "the target moved too far: {summary}"
    );
    assert!(
        honest_counted as f64 >= 0.95 * honest.len() as f64,
        "{summary}"
    );
    assert!(
        share(&attack_a) <= 0.1 && share(&attack_b) <= 0.25,
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rigging_campaign_does_not_move_the_default_leaderboard_on_sqlite() {
    simulate(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rigging_campaign_does_not_move_the_default_leaderboard_on_postgres() {
    simulate(Backend::Postgres).await;
}
