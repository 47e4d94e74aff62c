//! Several servers, one database: two `arena serve` processes share one Postgres and
//! one S3-compatible image store (moto's server), three `arena-worker --demo`
//! processes draw the pool. A leaderboard read on one server shows votes cast on the
//! other within the cache interval; voters vote through both while one server is
//! killed with SIGKILL, then every acknowledged vote is stored exactly once, every
//! image served by either server is readable through the survivor, and the pool
//! refill queued each image once.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::arena::{ArenaProcess, Voter};
use crate::support::{self, s3::S3Server};
use crate::workers::{WorkerProcess, add_worker, demo_config, prepare, queue_totals, worker_bin};

const BUCKET: &str = "arena-scale-out";

/// One acknowledged vote, and the image URLs of its battle.
#[derive(Clone, Debug)]
struct Acknowledged {
    battle: String,
    winner: String,
    images: [String; 2],
}

/// Votes counted by a server's default board (each vote counts for two models).
async fn counted_votes(base: &str) -> i64 {
    let board: serde_json::Value = reqwest::get(format!("{base}/api/v1/leaderboard"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let battles: i64 = board["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["battles"].as_i64().unwrap())
        .sum();
    battles / 2
}

/// Serves a battle on `base`, fetches both images there and votes on it; the vote if
/// acknowledged, `None` when the server did not answer.
async fn battle_and_vote(voter: &mut Voter, base: &str, winner: &str) -> Option<Acknowledged> {
    let (status, battle) = voter
        .post(&format!("{base}/api/v1/battles"), serde_json::json!({}))
        .await
        .ok()?;
    if status != 201 {
        return None;
    }
    let id = battle["id"].as_str().unwrap().to_string();
    let images = ["a", "b"].map(|side| battle["images"][side].as_str().unwrap().to_string());
    for url in &images {
        let response = reqwest::get(format!("{base}{url}")).await.ok()?;
        assert_eq!(response.status(), 200, "image {url} of battle {id}");
    }
    let (status, _) = voter
        .post(
            &format!("{base}/api/v1/battles/{id}/vote"),
            serde_json::json!({ "winner": winner }),
        )
        .await
        .ok()?;
    (status == 200).then(|| Acknowledged {
        battle: id,
        winner: winner.to_string(),
        images,
    })
}

fn shared_config(dir: &Path, from: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(from.join("arena.toml"), dir.join("arena.toml")).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_share_one_postgres_and_one_bucket_and_survive_a_sigkill() {
    let Some(bin) = worker_bin() else { return };
    let Some(s3) = S3Server::start().await else {
        return;
    };
    s3.create_bucket(BUCKET).await;
    let root = support::temp_dir("arena-scale-out");
    let (dir_a, dir_b) = (root.join("a"), root.join("b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    let Some((url, _db)) = support::database(support::Backend::Postgres, &root).await else {
        return;
    };
    // What servers behind one load balancer share: the database, the image store, the
    // voter-cookie and judge keys; each has its own data dir.
    let shared = format!(
        "{}cookie_key = \"{}\"\njudge_key = \"{}\"\n[queue]\npool_images = 1\n[limits]\nenabled = false\n",
        s3.config_lines(BUCKET, "images"),
        "c0".repeat(64),
        "d1".repeat(32),
    );
    let prompts: Vec<String> = (0..8)
        .map(|i| format!("a paper boat number {i} on a pond"))
        .collect();
    prepare(&dir_a, &url, &shared, &prompts);
    shared_config(&dir_b, &dir_a);
    let server_a = ArenaProcess::spawn(&url, &dir_a, &["--no-embedded-worker"]).await;
    let server_b = ArenaProcess::spawn(&url, &dir_b, &["--no-embedded-worker"]).await;
    let (base_a, base_b) = (server_a.base.clone(), server_b.base.clone());

    // Three workers, one on A and two on B, draw the pool: 8 prompts × 5 models.
    let config = demo_config(&root, "worker.toml", &support::demo_slugs(), 1, 5);
    let _workers: Vec<WorkerProcess> = [&base_a, &base_b, &base_b]
        .iter()
        .enumerate()
        .map(|(i, base)| {
            let name = format!("worker-{i}");
            let token = add_worker(&name, &url, &dir_a);
            WorkerProcess::start(&bin, &name, base, &token, &config)
        })
        .collect();
    let pool = (prompts.len() * support::demo_slugs().len()) as i64;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (queued, leased, done, failed) = queue_totals(&base_b).await;
        assert_eq!(failed, 0);
        if done >= pool && queued == 0 && leased == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pool not drawn: {queued} queued, {leased} leased, {done} done"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every image went to the bucket, none to either data dir.
    let stored = s3.keys(BUCKET).await;
    assert_eq!(stored.len() as i64, pool, "{stored:?}");
    assert!(!dir_a.join("images").exists() && !dir_b.join("images").exists());

    // Votes cast on A show on B's board within its cache interval (2 s).
    let mut voter = Voter::new();
    let before = counted_votes(&base_b).await;
    for i in 0..6 {
        let winner = ["a", "b"][i % 2];
        assert!(battle_and_vote(&mut voter, &base_a, winner).await.is_some());
    }
    let cast = Instant::now();
    while counted_votes(&base_b).await != before + 6 {
        assert!(
            cast.elapsed() < Duration::from_secs(10),
            "B's board never showed the votes cast on A"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("B's board showed A's votes after {:?}", cast.elapsed());

    // Four voters vote through both servers, each alternating; A is killed mid-run.
    let acknowledged: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    let a_alive = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let voters: Vec<_> = (0..4)
        .map(|v| {
            let (ack, a_alive, stop) = (acknowledged.clone(), a_alive.clone(), stop.clone());
            let (base_a, base_b) = (base_a.clone(), base_b.clone());
            tokio::spawn(async move {
                let mut voter = Voter::new();
                let winners = ["a", "b", "tie", "both_bad"];
                let mut i = v;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    i += 1;
                    let on_a = i % 2 == 0 && a_alive.load(std::sync::atomic::Ordering::SeqCst);
                    let base = if on_a { &base_a } else { &base_b };
                    match battle_and_vote(&mut voter, base, winners[i % 4]).await {
                        Some(vote) => ack.lock().unwrap().push(vote),
                        // A refused or dead server: the next battle goes elsewhere.
                        None => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            })
        })
        .collect();
    let wait_for = |n: usize| {
        let acknowledged = acknowledged.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while acknowledged.lock().unwrap().len() < n {
                assert!(Instant::now() < deadline, "voting stalled before {n} votes");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    wait_for(40).await;
    server_a.kill();
    a_alive.store(false, std::sync::atomic::Ordering::SeqCst);
    let at_kill = acknowledged.lock().unwrap().len();
    wait_for(at_kill + 40).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for v in voters {
        v.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    // Every acknowledged vote is stored exactly once, with its answer.
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "select battle_id, min(winner), count(*) from vote where axis = 'overall' group by battle_id",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let stored: HashMap<String, (String, i64)> =
        rows.into_iter().map(|(b, w, n)| (b, (w, n))).collect();
    for vote in &acknowledged {
        assert_eq!(
            stored.get(&vote.battle),
            Some(&(vote.winner.clone(), 1)),
            "acknowledged vote on {} not stored exactly once",
            vote.battle
        );
    }
    // Every image served by either server is readable through the survivor.
    let survivor = reqwest::Client::new();
    for url in acknowledged.iter().flat_map(|v| &v.images) {
        let response = survivor.get(format!("{base_b}{url}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url} through the surviving server");
        let bytes = response.bytes().await.unwrap();
        assert_eq!(support::png_size(&bytes), (64, 64));
    }
    // The refills of both servers queued each pool image once: no (prompt, model,
    // seed) twice among the jobs, one generation per finished job.
    let (jobs, distinct, done): (i64, i64, i64) = sqlx::query_as(
        "select count(*), count(distinct (model_id, prompt_id, seed)), \
         count(*) filter (where state = 'done') from job where kind = 'pool'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(jobs, distinct, "a pool image was queued twice");
    let generations: i64 = sqlx::query_scalar("select count(*) from generation")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(
        generations, done,
        "a finished job without its own generation"
    );
    let battles: HashSet<&str> = acknowledged.iter().map(|v| v.battle.as_str()).collect();
    eprintln!(
        "{} acknowledged votes ({at_kill} before the SIGKILL of A) in {} battles, all stored once; \
         {jobs} pool jobs, {generations} generations",
        acknowledged.len(),
        battles.len()
    );
    drop(server_b);
}
