//! Invariant 1, blindness: nothing a voter receives before voting names a model or
//! lets one be inferred — not the JSON, the HTML, the image URLs, the headers or the
//! image bytes — and the sides are randomised.

mod common;

use std::collections::{HashMap, HashSet};

use axum::http::StatusCode;
use common::support::{png_chunks, png_size};
use common::{Backend, TestArena, assert_blind, identifying_strings};

#[tokio::test]
async fn nothing_served_before_the_vote_identifies_a_model() {
    let Some(arena) = TestArena::start(Backend::Sqlite).await else {
        return;
    };
    let words = identifying_strings(&arena).await;
    let mut urls = HashSet::new();
    for round in 0..20 {
        let mut voter = arena.client();
        let created = voter
            .post_json("/api/v1/battles", serde_json::json!({}))
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
        assert_blind("the battle JSON", &created.body, &words);
        let body = created.json();
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert!(keys.iter().all(|k| !k.contains("model")), "{keys:?}");
        for (name, value) in created.headers.iter() {
            assert_blind(&format!("header {name}"), value.as_bytes(), &words);
        }
        let id = body["id"].as_str().unwrap();
        let fetched = voter.get(&format!("/api/v1/battles/{id}")).await;
        assert_blind("the battle as fetched", &fetched.body, &words);

        let mut sizes = Vec::new();
        for side in ["a", "b"] {
            let url = body["images"][side].as_str().unwrap().to_string();
            assert_blind("an image URL", url.as_bytes(), &words);
            assert!(
                urls.insert(url.clone()),
                "image URL reused across battles: {url}"
            );
            let image = voter.get(&url).await;
            for (name, value) in image.headers.iter() {
                assert_blind(&format!("image header {name}"), value.as_bytes(), &words);
                assert_ne!(name, "etag");
                assert_ne!(name, "last-modified");
            }
            assert_blind("the PNG bytes", &image.body, &words);
            let chunks = png_chunks(&image.body);
            let allowed = ["IHDR", "IDAT", "IEND"];
            assert!(
                chunks.iter().all(|c| allowed.contains(&c.as_str())),
                "round {round}: {chunks:?}"
            );
            sizes.push(png_size(&image.body));
        }
        assert_eq!(sizes[0], sizes[1], "both images of a battle have one size");

        let page = voter.get("/").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_blind("the battle page", &page.body, &words);
    }
}

#[tokio::test]
async fn every_model_is_shown_on_both_sides() {
    let Some(arena) = TestArena::start(Backend::Sqlite).await else {
        return;
    };
    let mut voter = arena.client();
    let mut sides: HashMap<String, [u32; 2]> = HashMap::new();
    for _ in 0..60 {
        let battle = voter.new_battle().await;
        let reveal = voter
            .vote(battle["id"].as_str().unwrap(), "tie")
            .await
            .json();
        sides
            .entry(reveal["model_a"].as_str().unwrap().to_string())
            .or_default()[0] += 1;
        sides
            .entry(reveal["model_b"].as_str().unwrap().to_string())
            .or_default()[1] += 1;
    }
    assert!(sides.len() >= 4, "{sides:?}");
    for (model, [left, right]) in &sides {
        assert!(
            *left > 0 && *right > 0,
            "{model} was only ever on one side: {sides:?}"
        );
    }
}
