//! Battles of four images in a real headless Chromium against the real binary: keys
//! 1–4 pick the best, then the worst (S skips it), the reveal names all four models
//! and the leaderboard moves; without JavaScript the same battle is a plain form. On
//! SQLite and Postgres; screenshots at 1280 and 390 px.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};

use crate::arena::ArenaProcess;
use crate::browser::{browser, browser_without_javascript, screenshot, wait_for};
use crate::support;

const CONFIG: &str = "image_size = 128\nbattle_size = 4\nkwise_share = 1.0\n";

const FOUR_IMAGES_SHOWN: &str = "const imgs = Array.from(document.querySelectorAll('#pair img')); \
     return imgs.length === 4 && imgs.every(i => i.complete && i.naturalWidth > 0) \
     && !document.getElementById('pair').classList.contains('loading');";

/// Waits until the pool has images of four models for a prompt: until then a battle
/// falls back to a pair.
pub async fn wait_for_four(base: &str) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let battle: serde_json::Value = http
            .post(format!("{base}/api/v1/battles"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if battle["images"]["d"].is_string() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no battle of four images: {battle}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn js_text(client: &Client, id: &str) -> String {
    let script = format!("return document.getElementById('{id}').textContent;");
    let value = client.execute(&script, vec![]).await.unwrap();
    value.as_str().unwrap_or_default().to_string()
}

async fn board(base: &str) -> serde_json::Value {
    reqwest::get(format!("{base}/api/v1/leaderboard"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The slug of the model displayed as `name`.
async fn slug_of(base: &str, name: &str) -> String {
    let models: serde_json::Value = reqwest::get(format!("{base}/api/v1/models"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    models["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["display_name"] == name)
        .unwrap_or_else(|| panic!("no model named {name}"))["slug"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn keyboard_on(backend: support::Backend) {
    let dir = support::temp_dir("arena-browser-kwise");
    let Some((url, _db)) = support::database(backend, &dir).await else {
        return;
    };
    let Some((_driver, client)) = browser().await else {
        return;
    };
    std::fs::write(dir.join("arena.toml"), CONFIG).unwrap();
    let arena = ArenaProcess::start(&url, &dir).await;
    wait_for_four(&arena.base).await;
    client.goto(&format!("{}/", arena.base)).await.unwrap();
    wait_for(&client, "four images", FOUR_IMAGES_SHOWN).await;
    let name = format!("{backend:?}").to_lowercase();
    assert_eq!(js_text(&client, "question").await, "Which image is best?");
    let hidden = "return document.getElementById('worst-question').hidden;";
    assert_eq!(
        client.execute(hidden, vec![]).await.unwrap(),
        serde_json::Value::Bool(true),
        "the script asks for the worst after the best"
    );
    screenshot(&client, &format!("kwise-{name}-battle.png")).await;
    client.set_window_size(390, 900).await.unwrap();
    screenshot(&client, &format!("kwise-{name}-battle-390.png")).await;
    client.set_window_size(1280, 1000).await.unwrap();
    // Look as a person would: a vote sooner than `min_view_ms` would not count.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let body = client.find(Locator::Css("body")).await.unwrap();

    // 3: C is best. The worst question follows, still blind.
    body.send_keys("3").await.unwrap();
    wait_for(
        &client,
        "the worst question",
        "return document.getElementById('question').textContent === 'And which image is worst? (optional)';",
    )
    .await;
    for l in ["a", "b", "c", "d"] {
        assert_eq!(
            js_text(&client, &format!("name-{l}")).await,
            "",
            "a name before the vote"
        );
    }
    // 3 again is not the worst (it is the best); 1: A is worst.
    body.send_keys("3").await.unwrap();
    body.send_keys("1").await.unwrap();
    wait_for(
        &client,
        "the reveal",
        "return !document.getElementById('reveal').hidden && document.getElementById('reveal-d').textContent.length > 0;",
    )
    .await;
    assert_eq!(
        js_text(&client, "reveal-winner").await,
        "C is best, A is worst"
    );
    let mut names = Vec::new();
    for l in ["a", "b", "c", "d"] {
        names.push(js_text(&client, &format!("reveal-{l}")).await);
    }
    let distinct: std::collections::HashSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), 4, "{names:?}");
    let classes = client
        .execute(
            "return ['a','c'].map(l => document.getElementById('side-' + l).className);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(classes, serde_json::json!(["side worst", "side best"]));
    screenshot(&client, &format!("kwise-{name}-reveal.png")).await;
    client.set_window_size(390, 900).await.unwrap();
    screenshot(&client, &format!("kwise-{name}-reveal-390.png")).await;
    client.set_window_size(1280, 1000).await.unwrap();

    // The board counts the vote: C's model first, A's last of the four.
    let first = board(&arena.base).await;
    assert_eq!(first["n_votes"], 1, "{first}");
    let order: Vec<&str> = first["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        order.first().copied(),
        Some(slug_of(&arena.base, &names[2]).await.as_str())
    );
    assert_eq!(
        order.last().copied(),
        Some(slug_of(&arena.base, &names[0]).await.as_str())
    );

    // Enter: the next battle. 2 then S: B is best, no worst.
    let battle_id = "return document.getElementById('arena').dataset.battle;";
    let before = client.execute(battle_id, vec![]).await.unwrap();
    body.send_keys("\u{E007}").await.unwrap();
    wait_for(
        &client,
        "the next battle",
        "return document.getElementById('arena').dataset.status === 'ready';",
    )
    .await;
    assert_ne!(client.execute(battle_id, vec![]).await.unwrap(), before);
    wait_for(&client, "four images", FOUR_IMAGES_SHOWN).await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let body = client.find(Locator::Css("body")).await.unwrap();
    body.send_keys("2").await.unwrap();
    wait_for(
        &client,
        "the skip button",
        "return !document.getElementById('vote-skip').hidden;",
    )
    .await;
    body.send_keys("s").await.unwrap();
    wait_for(
        &client,
        "the reveal",
        "return !document.getElementById('reveal').hidden && document.getElementById('reveal-d').textContent.length > 0;",
    )
    .await;
    assert_eq!(js_text(&client, "reveal-winner").await, "B is best");
    // The cached board notices the new vote within its refresh interval.
    let deadline = Instant::now() + Duration::from_secs(30);
    while board(&arena.base).await["n_votes"] != 2 {
        assert!(Instant::now() < deadline, "the second vote never counted");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_voter_picks_best_and_worst_of_four_with_the_keyboard_on_sqlite() {
    keyboard_on(support::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_voter_picks_best_and_worst_of_four_with_the_keyboard_on_postgres() {
    keyboard_on(support::Backend::Postgres).await;
}

async fn without_javascript_on(backend: support::Backend) {
    let dir = support::temp_dir("arena-browser-kwise-nojs");
    let Some((url, _db)) = support::database(backend, &dir).await else {
        return;
    };
    let Some((_driver, client)) = browser_without_javascript().await else {
        return;
    };
    std::fs::write(dir.join("arena.toml"), format!("{CONFIG}min_view_ms = 0\n")).unwrap();
    let arena = ArenaProcess::start(&url, &dir).await;
    wait_for_four(&arena.base).await;
    client.goto(&format!("{}/", arena.base)).await.unwrap();
    let images = client.find_all(Locator::Css("#pair img")).await.unwrap();
    assert_eq!(images.len(), 4);
    // Without the script the worst is a row of choices above the best buttons.
    let worst = client.find(Locator::Css("#worst-question")).await.unwrap();
    assert!(worst.is_displayed().await.unwrap());
    let name = format!("{backend:?}").to_lowercase();
    screenshot(&client, &format!("kwise-{name}-nojs.png")).await;
    client
        .find(Locator::Css("#worst-question input[value=d]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("best-b"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !client
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/battles/")
    {
        assert!(
            Instant::now() < deadline,
            "the form did not lead to the reveal"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let said = client
        .find(Locator::Id("reveal-winner"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(said, "B is best, D is worst");
    for l in ["a", "b", "c", "d"] {
        let revealed = client
            .find(Locator::Id(&format!("reveal-{l}")))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!revealed.is_empty(), "no name for {l}");
    }
    screenshot(&client, &format!("kwise-{name}-nojs-reveal.png")).await;
    assert_eq!(board(&arena.base).await["n_votes"], 1);
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn four_images_are_voted_without_javascript_on_sqlite() {
    without_javascript_on(support::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn four_images_are_voted_without_javascript_on_postgres() {
    without_javascript_on(support::Backend::Postgres).await;
}
