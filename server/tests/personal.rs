//! `/me`: a voter's own leaderboard appears after `personal_min_votes` votes, is drawn
//! from their votes alone (toward the public board), and only they can see it.

mod common;

use std::time::Duration;

use arena_server::config::{FileConfig, QueueConfig};
use axum::http::StatusCode;
use common::{Backend, TestArena};
use scraper::{Html, Selector};

fn select(doc: &Html, css: &str) -> Vec<String> {
    doc.select(&Selector::parse(css).unwrap())
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

async fn me_page_for(backend: Backend) {
    let file = FileConfig {
        personal_min_votes: Some(6),
        battle_ttl_secs: Some(Duration::from_secs(3600).as_secs()),
        queue: QueueConfig {
            pool_images: 1,
            ..QueueConfig::default()
        },
        ..FileConfig::default()
    };
    let Some(arena) = TestArena::with_pool(backend, file).await else {
        return;
    };
    // The crowd: many votes for whichever model is shown as A.
    let mut crowd = arena.client();
    for _ in 0..30 {
        let battle = crowd.new_battle().await;
        assert_eq!(
            crowd.vote(battle["id"].as_str().unwrap(), "a").await.status,
            StatusCode::OK
        );
    }

    // A new voter: no board yet, and it says how many votes are left.
    let mut me = arena.client();
    let page = me.get("/me").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
    let mut models_i_voted = std::collections::BTreeSet::new();
    for n in 1..=6 {
        let battle = me.new_battle().await;
        let id = battle["id"].as_str().unwrap();
        let reveal = me.vote(id, "b").await.json();
        models_i_voted.insert(reveal["model_a"].as_str().unwrap().to_string());
        models_i_voted.insert(reveal["model_b"].as_str().unwrap().to_string());
        let doc = Html::parse_document(&me.get("/me").await.text());
        if n < 6 {
            let wait = select(&doc, "#me-wait").join(" ");
            assert!(wait.contains(&format!("{} more to go", 6 - n)), "{wait}");
            assert!(select(&doc, "#me-ranking tbody tr").is_empty());
        } else {
            assert_eq!(select(&doc, "#me-votes"), ["6"]);
            let rows = select(&doc, "#me-ranking tbody tr td.model");
            assert_eq!(
                rows.len(),
                models_i_voted.len(),
                "{rows:?} vs {models_i_voted:?}"
            );
            assert!(select(&doc, "#me-agreement")[0].contains("Kendall τ"));
        }
    }
    // The reveal links to it.
    let battle = me.new_battle().await;
    let page = me
        .get(&format!("/battles/{}", battle["id"].as_str().unwrap()))
        .await;
    assert!(page.text().contains("href=\"/me\""));

    // Another voter sees their own page, not mine; a visitor without a cookie, none.
    let mut other = arena.client();
    let battle = other.new_battle().await;
    assert_eq!(
        other.vote(battle["id"].as_str().unwrap(), "a").await.status,
        StatusCode::OK
    );
    let doc = Html::parse_document(&other.get("/me").await.text());
    assert!(select(&doc, "#me-ranking").is_empty());
    assert!(
        select(&doc, "#me-wait")[0].contains("voted 1 time;"),
        "{:?}",
        select(&doc, "#me-wait")
    );
    let doc = Html::parse_document(&arena.client().get("/me").await.text());
    assert!(select(&doc, "#me-ranking").is_empty());
    assert!(select(&doc, "#me-wait")[0].contains("appears after 6 votes"));
}

#[tokio::test]
async fn me_shows_a_voters_own_board_after_the_threshold_on_sqlite() {
    me_page_for(Backend::Sqlite).await;
}

#[tokio::test]
async fn me_shows_a_voters_own_board_after_the_threshold_on_postgres() {
    me_page_for(Backend::Postgres).await;
}
