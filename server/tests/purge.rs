//! Bounded storage: battles served and never voted on, and voters left with nothing,
//! are purged once older than the vote window and the detector's period, and image
//! files no generation names once past their grace period; votes, their battles and
//! everything they name stay.

mod common;

use arena_server::store::Exec;
use arena_server::store::sql::sql;
use arena_server::voting::purge;
use axum::http::StatusCode;
use chrono::Utc;
use common::{Backend, TestArena};

async fn purges_on(backend: Backend) {
    let Some(arena) = TestArena::start(backend).await else {
        return;
    };
    let store = &arena.app.store;
    // A voter who votes once and leaves two battles, and two page views without a
    // cookie, each a voter with one battle.
    let mut voter = arena.client();
    let voted = voter.new_battle().await["id"].as_str().unwrap().to_string();
    assert_eq!(voter.vote(&voted, "a").await.status, StatusCode::OK);
    let mut left = Vec::new();
    for _ in 0..2 {
        left.push(voter.new_battle().await["id"].as_str().unwrap().to_string());
    }
    for _ in 0..2 {
        let mut passer_by = arena.client();
        left.push(
            passer_by.new_battle().await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // All of it 40 days ago; then one battle served now, unvoted.
    let long_ago = Utc::now() - chrono::Duration::days(40);
    let mut pool = store.pool();
    pool.execute(sql("update battle set served_at = $1").bind(long_ago))
        .await
        .unwrap();
    pool.execute(sql("update voter set created_at = $1").bind(long_ago))
        .await
        .unwrap();
    let fresh_battle = voter.new_battle().await;
    let fresh = fresh_battle["id"].as_str().unwrap().to_string();
    // Image files no generation names: one written two hours ago (an upload whose
    // row never committed), one just now (its row may be about to).
    let images = arena.images_dir();
    let orphan = images.join("00").join(format!("{}.png", "0".repeat(64)));
    let recent = images.join("00").join(format!("{}.png", "1".repeat(64)));
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    for path in [&orphan, &recent] {
        std::fs::write(path, b"not referenced").unwrap();
    }
    std::fs::File::options()
        .append(true)
        .open(&orphan)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
        .unwrap();
    let before = walk(&images);
    let board_before = voter.get("/api/v1/leaderboard").await.json();
    let export_before = voter.get("/api/v1/export/votes?format=jsonl").await.text();

    let purged = purge::run(&arena.app).await.unwrap();
    assert_eq!(purged.battles, 4, "{purged:?}");
    assert_eq!(purged.image_tokens, 8);
    assert_eq!(purged.voters, 2, "the two passers-by");
    assert_eq!(purged.blobs, 1, "the old orphan only");
    assert!(!orphan.exists() && recent.exists());
    assert_eq!(walk(&images), before - 1);
    // Every image a battle still shows is there.
    voter.look_at(&fresh_battle).await;

    // The purged battles are gone for their voter too; the voted and the fresh ones stay.
    for id in &left[..2] {
        let r = voter.get(&format!("/api/v1/battles/{id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}");
        let r = voter.vote(id, "b").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let seen = voter.get(&format!("/api/v1/battles/{voted}")).await.json();
    assert_eq!(seen["reveal"]["winner"], "a");
    assert_eq!(voter.vote(&fresh, "b").await.status, StatusCode::OK);
    arena.app.rankings.clear().await;
    let board_after = voter.get("/api/v1/leaderboard").await.json();
    assert_eq!(board_after["n_votes"], 2);
    assert_eq!(board_before["n_votes"], 1);
    let export_after = voter.get("/api/v1/export/votes?format=jsonl").await.text();
    assert!(
        export_after.starts_with(&export_before),
        "the first vote's row is unchanged"
    );

    // Nothing more to purge; the detector still runs on what is left.
    assert_eq!(
        purge::run(&arena.app).await.unwrap(),
        arena_server::store::Purged::default()
    );
    arena_server::integrity::scan::scan(store, "test")
        .await
        .unwrap();
}

/// Files under `dir`, at any depth.
fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk(&e.path())
            } else {
                1
            }
        })
        .sum()
}

#[tokio::test]
async fn unvoted_battles_and_idle_voters_are_purged_on_sqlite() {
    purges_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn unvoted_battles_and_idle_voters_are_purged_on_postgres() {
    purges_on(Backend::Postgres).await;
}
