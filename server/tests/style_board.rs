//! The style-controlled board: fitted on the stored images' statistics, shown with
//! what voters reward on the leaderboard and the methodology page, its coefficient
//! penalty set by `style_control_reg`.

mod common;

use arena_server::config::{FileConfig, QueueConfig};
use axum::http::StatusCode;
use common::{Backend, Client, TestArena};
use scraper::{Html, Selector};

fn coefficient_norm(board: &serde_json::Value) -> f64 {
    board["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["coefficient"].as_f64().unwrap().powi(2))
        .sum::<f64>()
        .sqrt()
}

async fn style_board_on(backend: Backend) {
    let file = FileConfig {
        queue: QueueConfig {
            pool_images: 1,
            ..QueueConfig::default()
        },
        ..FileConfig::default()
    };
    let Some(arena) = TestArena::with_pool(backend, file).await else {
        return;
    };
    let mut voter = arena.client();
    for i in 0..60 {
        let battle = voter.new_battle().await;
        let winner = if i % 4 == 0 { "b" } else { "a" };
        let r = voter.vote(battle["id"].as_str().unwrap(), winner).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let default = voter.get("/api/v1/leaderboard?control=style").await.json();
    assert_eq!(
        default["coefficients"].as_array().unwrap().len(),
        7,
        "{default}"
    );
    assert_eq!(default["n_votes"], 60);
    assert!(
        default["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| !w.as_str().unwrap().contains("no image statistics")),
        "{default}"
    );

    // New votes: the cached style board is dropped and recomputed when next asked for.
    for _ in 0..5 {
        let battle = voter.new_battle().await;
        let r = voter.vote(battle["id"].as_str().unwrap(), "a").await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert!(
        arena
            .app
            .rankings
            .refresh_if_stale(&arena.app.store)
            .await
            .unwrap()
    );
    let after = voter.get("/api/v1/leaderboard?control=style").await.json();
    assert_eq!(after["n_votes"], 65);

    // The methodology page says what voters reward, from the same board.
    let page = voter.get("/leaderboard/methodology").await;
    let doc = Html::parse_document(&page.text());
    let rows: Vec<_> = doc
        .select(&Selector::parse("#effects tbody tr").unwrap())
        .collect();
    assert_eq!(rows.len(), 7);

    // Another server on the same votes with the penalty off: the coefficients are no
    // smaller (the penalised fit's are the free fit's held toward zero).
    let (_, router) = arena
        .sibling_with(FileConfig {
            style_control_reg: Some(0.0),
            ..FileConfig::default()
        })
        .await;
    let free = Client::new(router)
        .get("/api/v1/leaderboard?control=style")
        .await
        .json();
    assert_eq!(free["n_votes"], 65);
    assert!(
        coefficient_norm(&free) > coefficient_norm(&default),
        "{} vs {}",
        coefficient_norm(&free),
        coefficient_norm(&default)
    );
}

#[tokio::test]
async fn the_style_board_follows_the_images_statistics_on_sqlite() {
    style_board_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_style_board_follows_the_images_statistics_on_postgres() {
    style_board_on(Backend::Postgres).await;
}
