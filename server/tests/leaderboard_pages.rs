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

/// Votes of models that never met the demo models (nor each other's group), as an
/// import brings them: `p` beats `q`, `r` and `s` are even.
async fn import_disconnected_groups(arena: &TestArena) {
    use arena_evaluator::Format;
    use arena_server::data::import::{ImportSelection, import_votes};
    let mut lines = String::new();
    for (a, b, winner, n) in [
        ("Pro Model", "Q-Model", "model_a", 30),
        ("Pro Model", "Q-Model", "model_b", 10),
        ("r_model", "s_model", "model_a", 10),
        ("r_model", "s_model", "model_b", 10),
    ] {
        for _ in 0..n {
            lines.push_str(&format!(
                "{{\"model_a\": \"{a}\", \"model_b\": \"{b}\", \"winner\": \"{winner}\"}}\n"
            ));
        }
    }
    let path = arena.dir.join("groups.jsonl");
    std::fs::write(&path, lines).unwrap();
    let report = import_votes(
        &arena.app.store,
        &path,
        Format::Auto,
        &arena.app.config.judge_key,
        &ImportSelection::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.added, 60);
    arena.app.rankings.clear().await;
}

/// Models that never met are ranked within their own group, each group its own
/// section (the largest first), with one line saying why; imported and deprecated
/// models are marked; the view can be downloaded as shown and previewed as an image.
#[tokio::test]
async fn disconnected_groups_get_their_own_sections_and_ranks() {
    let Some(arena) = voted_arena().await else {
        return;
    };
    let mut client = arena.client();
    let before = client.get("/api/v1/leaderboard").await.json();
    import_disconnected_groups(&arena).await;
    arena
        .app
        .store
        .set_model_status("demo-lowfi", arena_server::store::ModelStatus::Deprecated)
        .await
        .unwrap();

    let api = client.get("/api/v1/leaderboard").await.json();
    let entry = |board: &serde_json::Value, slug: &str| {
        board["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["model"] == slug)
            .cloned()
            .unwrap_or_else(|| panic!("{slug} not on the board"))
    };
    // The demo models keep the ranks they had alone: unrelated models change nothing.
    for m in before["models"].as_array().unwrap() {
        let slug = m["model"].as_str().unwrap();
        let now = entry(&api, slug);
        assert_eq!(now["rank_ub"], m["rank_ub"], "{slug}");
        assert_eq!(now["group"], 1, "{slug}");
    }
    // Slugs made from the file's names; ranks within each pair.
    assert_eq!(entry(&api, "pro-model")["group"], 2);
    assert_eq!(entry(&api, "pro-model")["rank_ub"], 1);
    assert_eq!(entry(&api, "r_model")["group"], 3);
    assert_eq!(entry(&api, "r_model")["rank_ub"], 1);
    assert_eq!(entry(&api, "s_model")["rank_ub"], 1);

    let page = client.get("/leaderboard").await;
    let doc = Html::parse_document(&page.text());
    let sections = select(&doc, "section.group");
    assert_eq!(sections.len(), 3);
    assert_eq!(
        select(&doc, "section.group h2")
            .iter()
            .map(text)
            .collect::<Vec<_>>(),
        [
            format!(
                "Group 1 · {} models",
                before["models"].as_array().unwrap().len()
            ),
            "Group 2 · 2 models".into(),
            "Group 3 · 2 models".into()
        ]
    );
    assert!(text(&select(&doc, "#groups-note")[0]).contains("3 groups that never met"));
    // No warning lists the names of the groups.
    assert!(
        select(&doc, "p.warning")
            .iter()
            .all(|w| !text(w).contains("Pro Model")),
        "the groups are sections, not a warning"
    );
    let group2 = select(&doc, "#group-2 tbody tr td.model");
    assert!(
        text(&group2[0]).starts_with("Pro Model"),
        "{}",
        text(&group2[0])
    );
    assert!(text(&group2[0]).contains("imported"));
    let lowfi = select(&doc, "#group-1 tbody tr td.model")
        .into_iter()
        .find(|td| text(td).contains("Low-Fi"))
        .map(|td| text(&td));
    assert!(
        lowfi.as_deref().is_some_and(|t| t.contains("deprecated")),
        "{lowfi:?}"
    );

    // The CSV holds the rows as shown, with their groups and ranks.
    let csv = client.get("/leaderboard.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("group,rank_ub,model,name,status,rating"));
    assert_eq!(lines.len() - 1, api["models"].as_array().unwrap().len());
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("2,1,pro-model,Pro Model,imported,"))
    );
    // Each view has its own address, download and preview image.
    let og = select(&doc, "meta[property=\"og:image\"]");
    let og_image = og[0].value().attr("content").unwrap();
    assert!(og_image.ends_with("/leaderboard.png"), "{og_image}");
    let png = client.get("/leaderboard.png").await;
    assert_eq!(png.status, StatusCode::OK);
    assert_eq!(&png.body[..8], b"\x89PNG\r\n\x1a\n");
    let elo = Html::parse_document(&client.get("/leaderboard?method=elo").await.text());
    let links: Vec<String> = select(&elo, "#downloads a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(
        links,
        [
            "/leaderboard.csv?method=elo",
            "/api/v1/leaderboard?method=elo",
            "/leaderboard?method=elo"
        ]
    );
    // Online Elo has no intervals: the switch is off and no chart claims any.
    assert!(
        select(&elo, "#ci-switch")[0]
            .value()
            .attr("disabled")
            .is_some()
    );
    assert!(
        select(&elo, "h3")
            .iter()
            .all(|h| !text(h).contains("interval"))
    );
    assert!(select(&elo, "td.ci").is_empty());
}

/// One vote is no evidence of an interval: it is shown as unknown, not as ±0.
#[tokio::test]
async fn a_model_with_one_vote_has_an_unknown_interval_and_an_empty_category_says_which() {
    let Some(arena) = TestArena::start(Backend::Sqlite).await else {
        return;
    };
    let mut voter = arena.client();
    let battle = voter.new_battle().await;
    assert_eq!(
        voter.vote(battle["id"].as_str().unwrap(), "a").await.status,
        StatusCode::OK
    );
    for ci in ["sandwich", "bootstrap"] {
        let doc = Html::parse_document(&voter.get(&format!("/leaderboard?ci={ci}")).await.text());
        let cells: Vec<String> = select(&doc, "td.ci").iter().map(text).collect();
        assert_eq!(cells, ["unknown", "unknown"], "{ci}");
    }
    let empty = voter.get("/leaderboard?category=landscapes").await.text();
    let doc = Html::parse_document(&empty);
    let categories: Vec<String> = select(&doc, "#empty-board").iter().map(text).collect();
    // The one vote was in some category; at least one other has none.
    let category = battle["category"].as_str().unwrap();
    if category != "landscapes" {
        assert!(categories[0].contains("“landscapes”"), "{categories:?}");
    }
}
