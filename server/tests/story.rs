//! The voting loop as one story, told on SQLite and on the real Postgres:
//! models, prompts, images, a served battle, the vote, the reveal, a second vote,
//! another voter, bad input, an expired battle, the pages.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use common::{Backend, TestArena};
use serde_json::json;

async fn voting_loop_story(backend: Backend) {
    let Some(arena) = TestArena::start(backend).await else {
        return;
    };
    let mut voter = arena.client();

    // The demo models are registered and listed.
    let models = voter.get("/api/v1/models").await;
    assert_eq!(models.status, StatusCode::OK);
    let slugs: Vec<String> = models.json()["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["slug"].as_str().unwrap().to_string())
        .collect();
    assert!(slugs.len() >= 4, "{slugs:?}");

    // A battle is served, with a cookie, and both images load as PNGs of one size.
    let battle = voter.new_battle().await;
    assert!(
        voter.cookie.is_some(),
        "the first response sets the voter cookie"
    );
    let id = battle["id"].as_str().unwrap().to_string();
    assert_eq!(battle["status"], "ready");
    assert!(common::PROMPTS.iter().any(|(t, _)| battle["prompt"] == *t));
    for side in ["a", "b"] {
        let url = battle["images"][side].as_str().unwrap();
        let image = voter.get(url).await;
        assert_eq!(image.status, StatusCode::OK);
        assert_eq!(image.headers[header::CONTENT_TYPE], "image/png");
        assert_eq!(common::support::png_size(&image.body), (64, 64));
    }
    let seen = voter.get(&format!("/api/v1/battles/{id}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.json()["reveal"], serde_json::Value::Null);

    // Another voter cannot see or vote on it.
    let mut other = arena.client();
    assert_eq!(
        other.get(&format!("/api/v1/battles/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let stolen = other.vote(&id, "a").await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);
    assert_eq!(stolen.error_code(), "not_found");

    // Bad input is refused and changes nothing.
    let cases: [(&str, serde_json::Value, StatusCode, &str); 5] = [
        (
            id.as_str(),
            json!({ "winner": "left" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_winner",
        ),
        (
            id.as_str(),
            json!({ "winner": 1 }),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            id.as_str(),
            json!({}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "not-a-battle",
            json!({ "winner": "a" }),
            StatusCode::BAD_REQUEST,
            "invalid_battle_id",
        ),
        (
            "0123456789abcdef0123456789abcdef",
            json!({ "winner": "a" }),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (battle_id, body, status, code) in cases {
        let r = voter
            .post_json(&format!("/api/v1/battles/{battle_id}/vote"), body.clone())
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "case {battle_id} {body}"
        );
    }
    let garbage = voter
        .send(
            Method::POST,
            &format!("/api/v1/battles/{id}/vote"),
            "application/json",
            "{not json",
        )
        .await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    assert_eq!(arena.app.store.vote_count().await.unwrap(), 0);

    // The vote is stored, then the models are revealed.
    let reveal = voter.vote(&id, "a").await;
    assert_eq!(reveal.status, StatusCode::OK, "{}", reveal.text());
    let reveal = reveal.json();
    let (a, b) = (
        reveal["model_a"].as_str().unwrap(),
        reveal["model_b"].as_str().unwrap(),
    );
    assert_ne!(a, b);
    assert!(slugs.contains(&a.to_string()) && slugs.contains(&b.to_string()));
    assert_eq!(reveal["winner"], "a");
    assert_eq!(arena.app.store.vote_count().await.unwrap(), 1);

    // One vote per battle.
    let again = voter.vote(&id, "b").await;
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (StatusCode::CONFLICT, "already_voted")
    );
    let after = voter.get(&format!("/api/v1/battles/{id}")).await.json();
    assert_eq!(after["status"], "voted");
    assert_eq!(after["reveal"]["model_a"], a);

    // The leaderboard input counts it once, by slug.
    let counts = arena.app.store.pair_counts().await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(
        (
            counts[0].model_a.as_str(),
            counts[0].winner.as_str(),
            counts[0].n
        ),
        (a, "a", 1)
    );

    // A battle served longer ago than the TTL is gone (same database, TTL 0).
    let (_, strict) = arena.sibling(Duration::ZERO).await;
    let old = voter.new_battle().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut late = common::Client::new(strict);
    late.cookie = voter.cookie.clone();
    let expired = late.vote(old["id"].as_str().unwrap(), "b").await;
    assert_eq!(
        (expired.status, expired.error_code().as_str()),
        (StatusCode::GONE, "battle_expired")
    );

    // The pages: a battle without JavaScript, voted with a plain form, then the reveal.
    let page = voter.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let page_id = html.split("data-battle=\"").nth(1).unwrap()[..32].to_string();
    let posted = voter
        .send(
            Method::POST,
            &format!("/battles/{page_id}/vote"),
            "application/x-www-form-urlencoded",
            "winner=tie",
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        posted.headers[header::LOCATION],
        format!("/battles/{page_id}")
    );
    let shown = voter.get(&format!("/battles/{page_id}")).await.text();
    assert!(shown.contains("A tie"), "{shown}");
    let twice = voter
        .send(
            Method::POST,
            &format!("/battles/{page_id}/vote"),
            "application/x-www-form-urlencoded",
            "winner=a",
        )
        .await;
    // Sent again (the back button): the reveal of the vote that counts, unchanged.
    assert_eq!(twice.status, StatusCode::SEE_OTHER);
    assert_eq!(
        twice.headers[header::LOCATION],
        format!("/battles/{page_id}")
    );
    let shown = voter.get(&format!("/battles/{page_id}")).await.text();
    assert!(shown.contains("A tie"), "{shown}");
    assert_eq!(arena.app.store.vote_count().await.unwrap(), 2);
}

#[tokio::test]
async fn voting_loop_story_on_sqlite() {
    voting_loop_story(Backend::Sqlite).await;
}

#[tokio::test]
async fn voting_loop_story_on_postgres() {
    voting_loop_story(Backend::Postgres).await;
}
