//! The leaderboard, methodology and model pages, read by CSS selector, and the JSON
//! twins, after a few real votes through the API.

mod common;

use axum::http::StatusCode;
use common::{Backend, TestArena};
use scraper::{Html, Selector};

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

fn text(e: &scraper::ElementRef<'_>) -> String {
    e.text().collect::<String>().trim().to_string()
}

/// An arena with 40 votes: A always wins, so ratings spread out.
async fn voted_arena() -> Option<TestArena> {
    let arena = TestArena::start(Backend::Sqlite).await?;
    let mut voter = arena.client();
    for _ in 0..40 {
        let battle = voter.new_battle().await;
        let r = voter.vote(battle["id"].as_str().unwrap(), "a").await;
        assert_eq!(r.status, StatusCode::OK);
    }
    Some(arena)
}

#[tokio::test]
async fn leaderboard_page_lists_every_voted_model_with_rank_rating_interval_and_charts() {
    let Some(arena) = voted_arena().await else {
        return;
    };
    let mut client = arena.client();
    let page = client.get("/leaderboard").await;
    assert_eq!(page.status, StatusCode::OK);
    let doc = Html::parse_document(&page.text());
    let rows = select(&doc, "#ranking tbody tr");
    let api = client.get("/api/v1/leaderboard").await.json();
    let models = api["models"].as_array().unwrap();
    assert!(models.len() >= 4, "{api}");
    assert_eq!(rows.len(), models.len());
    assert_eq!(text(&select(&doc, "#ranking tbody tr td.rank")[0]), "1");
    for (row, model) in rows.iter().zip(models) {
        let cell = |css: &str| text(&row.select(&Selector::parse(css).unwrap()).next().unwrap());
        let rating = cell("td.rating");
        assert_eq!(rating, format!("{:.1}", model["rating"].as_f64().unwrap()));
        let ci = cell("td.ci");
        assert!(ci.starts_with('+') && ci.contains('−'), "{ci}");
    }
    assert_eq!(text(&select(&doc, "#n-votes")[0]), "40");
    assert_eq!(
        select(&doc, "#ratings-chart circle.point").len(),
        models.len()
    );
    assert!(!select(&doc, "#win-rate-heatmap rect").is_empty());
    assert!(!select(&doc, "#battle-count-heatmap rect").is_empty());
    assert!(
        !select(&doc, ".badge.provisional").is_empty(),
        "40 votes are provisional"
    );
    assert!(
        select(&doc, "#board-meta")
            .iter()
            .any(|e| text(e).contains("computed"))
    );
}

#[tokio::test]
async fn leaderboard_switches_change_the_method_and_bad_values_are_refused() {
    let Some(arena) = voted_arena().await else {
        return;
    };
    let mut client = arena.client();
    let elo = client.get("/api/v1/leaderboard?method=elo").await.json();
    assert_eq!(elo["method"], "elo");
    assert!(elo["models"][0]["ci_low"].is_null());
    let boot = client
        .get("/api/v1/leaderboard?ci=bootstrap&both_bad=exclude")
        .await
        .json();
    assert_eq!(boot["ci"], "bootstrap");
    assert!(boot["models"][0]["ci_low"].is_number());
    let cat = client.get("/api/v1/leaderboard?category=animals").await;
    assert_eq!(cat.status, StatusCode::OK);
    let cases = [
        (
            "/api/v1/leaderboard?method=glicko",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameter",
        ),
        (
            "/api/v1/leaderboard?ci=jackknife",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameter",
        ),
        (
            "/api/v1/leaderboard?category=nope",
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_category",
        ),
        (
            "/api/v1/models/no-such-model",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (uri, status, code) in cases {
        let r = client.get(uri).await;
        assert_eq!((r.status, r.error_code().as_str()), (status, code), "{uri}");
    }
    let html = client.get("/leaderboard?method=glicko").await;
    assert_eq!(html.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.text().contains("method must be one of"),
        "a readable page"
    );
}

#[tokio::test]
async fn model_page_shows_metadata_opponents_and_recent_battles_with_images() {
    let Some(arena) = voted_arena().await else {
        return;
    };
    let mut client = arena.client();
    // Model pages show images only once no battle can serve them: retire every image
    // shown so far, as `[queue] pool_image_battles = 1` would have.
    arena.app.store.retire_spent_images(1).await.unwrap();
    let board = client.get("/api/v1/leaderboard").await.json();
    let slug = board["models"][0]["model"].as_str().unwrap().to_string();
    let page = client.get(&format!("/models/{slug}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let doc = Html::parse_document(&page.text());
    let model = arena.app.store.model_by_slug(&slug).await.unwrap().unwrap();
    assert_eq!(text(&select(&doc, "#model-name")[0]), model.display_name);
    let facts = text(&select(&doc, "#model-facts")[0]);
    assert!(facts.contains("demo") && facts.contains(&slug), "{facts}");
    assert!(text(&select(&doc, "#model-rating")[0]).starts_with("Rank"));
    assert!(!select(&doc, "#opponents tbody tr").is_empty());
    let cards = select(&doc, "#recent-battles .battle-card");
    assert!(!cards.is_empty());
    let img = select(&doc, "#recent-battles img")[0]
        .value()
        .attr("src")
        .unwrap()
        .to_string();
    assert_eq!(client.get(&img).await.status, StatusCode::OK);

    let json = client.get(&format!("/api/v1/models/{slug}")).await.json();
    assert_eq!(json["model"]["slug"], slug.as_str());
    assert!(json["rating"]["rating"].is_number());
    assert!(!json["opponents"].as_array().unwrap().is_empty());

    let missing = client.get("/models/no-such-model").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("no model called"));
}

#[tokio::test]
async fn methodology_page_explains_ratings_intervals_ranks_and_which_votes_count() {
    let Some(arena) = TestArena::start(Backend::Sqlite).await else {
        return;
    };
    let page = arena.client().get("/leaderboard/methodology").await;
    assert_eq!(page.status, StatusCode::OK);
    let doc = Html::parse_document(&page.text());
    let headings: Vec<String> = select(&doc, "#methodology h2").iter().map(text).collect();
    for h in [
        "Which votes count",
        "Ratings: Bradley–Terry",
        "Confidence intervals",
        "Rank",
    ] {
        assert!(headings.iter().any(|x| x == h), "{headings:?}");
    }
    assert!(page.text().contains("anonymous battles"));
}

#[tokio::test]
async fn cached_leaderboards_are_recomputed_after_new_votes() {
    let Some(arena) = voted_arena().await else {
        return;
    };
    let mut client = arena.client();
    let before = client.get("/api/v1/leaderboard").await.json();
    assert_eq!(before["n_votes"], 40);
    let battle = client.new_battle().await;
    client.vote(battle["id"].as_str().unwrap(), "b").await;
    let cached = client.get("/api/v1/leaderboard").await.json();
    assert_eq!(
        cached["computed_at"], before["computed_at"],
        "served from the cache"
    );
    assert!(
        arena
            .app
            .rankings
            .refresh_if_stale(&arena.app.store)
            .await
            .unwrap()
    );
    let after = client.get("/api/v1/leaderboard").await.json();
    assert_eq!(after["n_votes"], 41);
    assert!(
        !arena
            .app
            .rankings
            .refresh_if_stale(&arena.app.store)
            .await
            .unwrap(),
        "nothing new"
    );
}
