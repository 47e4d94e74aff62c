//! The arena in a real headless Chromium, driven through chromedriver: open `/`, both
//! images load, press ←, the reveal names two models, "next" loads a new battle.
//! Screenshots land in the test output folder.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::arena::{ArenaProcess, screenshot_dir};
use crate::support;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, killed when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless browser session, or `None` (after a loud message) where there is none.
pub async fn browser() -> Option<(Driver, Client)> {
    browser_with(true).await
}

/// [`browser`] with JavaScript switched off: what a voter without scripts gets.
pub async fn browser_without_javascript() -> Option<(Driver, Client)> {
    browser_with(false).await
}

async fn browser_with(javascript: bool) -> Option<(Driver, Client)> {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        support::skip_or_fail(
            "Chromium and chromedriver (apt-get install chromium chromium-driver)",
        );
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromedriver");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000"],
            "prefs": {
                "profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 },
            },
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // chromedriver listens on loopback: plain HTTP, no TLS stack needed.
        let connected = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&driver.url)
            .await;
        match connected {
            Ok(client) => return Some((driver, client)),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot start a browser session: {e}"),
        }
    }
}

/// Polls a JavaScript predicate until it is true.
pub async fn wait_for(client: &Client, what: &str, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = client.execute(script, vec![]).await.unwrap();
        if value.as_bool() == Some(true) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

/// The text of the element with id `id`.
pub async fn text_of(client: &Client, id: &str) -> String {
    let element = client.find(Locator::Id(id)).await.unwrap();
    element.text().await.unwrap()
}

/// Clicks the first element `locator` finds.
pub async fn click(client: &Client, locator: Locator<'_>) {
    client.find(locator).await.unwrap().click().await.unwrap();
}

/// Looks at the images as a person would (the arena counts a vote only after
/// `min_view_ms`, 1.5 s by default), presses ← (A is better), waits for the reveal and
/// returns the names it shows for A and B.
pub async fn vote_a_with_the_keyboard(client: &Client) -> (String, String) {
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("\u{E012}")
        .await
        .unwrap();
    wait_for(
        client,
        "the reveal",
        "return !document.getElementById('reveal').hidden && document.getElementById('reveal-a').textContent.length > 0;",
    )
    .await;
    (
        text_of(client, "reveal-a").await,
        text_of(client, "reveal-b").await,
    )
}

pub const BOTH_IMAGES_SHOWN: &str = "const imgs = Array.from(document.querySelectorAll('#pair img')); \
     return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 0) \
     && !document.getElementById('pair').classList.contains('loading');";

#[tokio::test(flavor = "multi_thread")]
async fn a_voter_votes_with_the_keyboard_and_sees_the_models() {
    let dir = support::temp_dir("arena-browser");
    let Some((url, _db)) = support::database(support::Backend::Sqlite, &dir).await else {
        return;
    };
    let Some((_driver, client)) = browser().await else {
        return;
    };
    // Each image leaves the pool after one battle, so that the model page can show
    // the voted battle's images (it shows none that a battle can still serve).
    std::fs::write(
        dir.join("arena.toml"),
        "image_size = 128\n[queue]\npool_image_battles = 1\n",
    )
    .unwrap();
    let arena = ArenaProcess::start(&url, &dir).await;

    client.goto(&format!("{}/", arena.base)).await.unwrap();
    wait_for(&client, "both images", BOTH_IMAGES_SHOWN).await;
    let first_id = client
        .find(Locator::Id("arena"))
        .await
        .unwrap()
        .attr("data-battle")
        .await
        .unwrap()
        .unwrap();
    let names_before = text_of(&client, "name-a").await;
    assert_eq!(names_before, "", "a model name is visible before the vote");
    screenshot(&client, "battle.png").await;

    // ← votes for A.
    let (a, b) = vote_a_with_the_keyboard(&client).await;
    assert!(
        !a.is_empty() && !b.is_empty() && a != b,
        "reveal shows {a:?} and {b:?}"
    );
    let form_shown = client
        .execute(
            "return getComputedStyle(document.getElementById('vote-form')).display !== 'none';",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        form_shown,
        serde_json::Value::Bool(false),
        "the vote buttons stay after the vote"
    );
    let verdict = text_of(&client, "reveal-winner").await;
    assert_eq!(verdict, "A is better");
    screenshot(&client, "reveal.png").await;

    // "Next" loads a new battle.
    click(&client, Locator::Id("next")).await;
    wait_for(
        &client,
        "a new battle",
        &format!("const a = document.getElementById('arena'); return !!a && a.dataset.battle !== '{first_id}';"),
    )
    .await;
    wait_for(&client, "both images of the next battle", BOTH_IMAGES_SHOWN).await;
    screenshot(&client, "next-battle.png").await;

    // The leaderboard counts the vote, and each model has a page.
    client
        .goto(&format!("{}/leaderboard", arena.base))
        .await
        .unwrap();
    let rows = client
        .find_all(Locator::Css("#ranking tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "the two voted models are ranked");
    assert!(
        client
            .find(Locator::Css("#ratings-chart circle.point"))
            .await
            .is_ok()
    );
    screenshot(&client, "leaderboard.png").await;
    click(&client, Locator::Css("#ranking tbody tr td.model a")).await;
    let name = text_of(&client, "model-name").await;
    assert!(name == a || name == b, "model page of {name:?}");
    assert!(
        client
            .find(Locator::Css("#recent-battles .battle-card img"))
            .await
            .is_ok()
    );
    screenshot(&client, "model.png").await;
    client.close().await.unwrap();
}

/// With `[integrity] pow = "always"`, the page's script solves each battle's proof of
/// work (its own SHA-256, as on a plain-HTTP page) and the server accepts the vote; the
/// vote counts.
#[tokio::test(flavor = "multi_thread")]
async fn the_page_solves_the_proof_of_work_the_arena_asks_for() {
    let dir = support::temp_dir("arena-browser-pow");
    let Some((url, _db)) = support::database(support::Backend::Sqlite, &dir).await else {
        return;
    };
    let Some((_driver, client)) = browser().await else {
        return;
    };
    std::fs::write(
        dir.join("arena.toml"),
        "image_size = 128\n[integrity]\npow = \"always\"\npow_bits = 14\n",
    )
    .unwrap();
    let arena = ArenaProcess::start(&url, &dir).await;
    client.goto(&format!("{}/", arena.base)).await.unwrap();
    wait_for(&client, "both images", BOTH_IMAGES_SHOWN).await;
    let challenge = client
        .find(Locator::Id("arena"))
        .await
        .unwrap()
        .attr("data-pow-challenge")
        .await
        .unwrap();
    assert!(
        challenge.is_some_and(|c| c.len() == 32),
        "the page carries the challenge"
    );
    let (a, b) = vote_a_with_the_keyboard(&client).await;
    assert!(
        !a.is_empty() && !b.is_empty(),
        "the vote was accepted and revealed"
    );
    let board: serde_json::Value = reqwest::get(format!("{}/api/v1/leaderboard", arena.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(board["n_votes"], 1, "the vote counts: {board}");
}

/// With `axes = ["overall", "prompt", "quality"]` the page asks the further questions
/// one key at a time before the reveal (blind: no name shows until the last answer),
/// and each answer moves its own board.
#[tokio::test(flavor = "multi_thread")]
async fn a_voter_answers_two_axes_with_the_keyboard_and_both_boards_move() {
    let dir = support::temp_dir("arena-browser-axes");
    let Some((url, _db)) = support::database(support::Backend::Sqlite, &dir).await else {
        return;
    };
    let Some((_driver, client)) = browser().await else {
        return;
    };
    std::fs::write(
        dir.join("arena.toml"),
        "image_size = 128\naxes = [\"overall\", \"prompt\", \"quality\"]\n",
    )
    .unwrap();
    let arena = ArenaProcess::start(&url, &dir).await;
    client.goto(&format!("{}/", arena.base)).await.unwrap();
    wait_for(&client, "both images", BOTH_IMAGES_SHOWN).await;
    assert_eq!(text_of(&client, "question").await, "Which image is better?");
    let hidden = "return document.getElementById('extra-questions').hidden;";
    assert_eq!(
        client.execute(hidden, vec![]).await.unwrap(),
        serde_json::Value::Bool(true),
        "the script asks the further questions one at a time"
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let body = client.find(Locator::Css("body")).await.unwrap();

    // ← : A is better overall; the prompt question follows, still blind.
    body.send_keys("\u{E012}").await.unwrap();
    wait_for(
        &client,
        "the prompt question",
        "return document.getElementById('question').textContent === 'Which image follows the prompt better?';",
    )
    .await;
    assert_eq!(
        text_of(&client, "name-a").await,
        "",
        "a name before the last answer"
    );
    assert!(
        client
            .execute("return document.getElementById('reveal').hidden;", vec![])
            .await
            .unwrap()
            .as_bool()
            .unwrap()
    );
    screenshot(&client, "axes-second-question.png").await;
    client.set_window_size(390, 900).await.unwrap();
    screenshot(&client, "axes-second-question-390.png").await;
    client.set_window_size(1280, 1000).await.unwrap();

    // → : B follows the prompt better; then S skips the quality question.
    body.send_keys("\u{E014}").await.unwrap();
    wait_for(
        &client,
        "the quality question",
        "return document.getElementById('question').textContent === 'Which image looks better?';",
    )
    .await;
    body.send_keys("s").await.unwrap();
    wait_for(
        &client,
        "the reveal",
        "return !document.getElementById('reveal').hidden && document.getElementById('reveal-a').textContent.length > 0;",
    )
    .await;
    let answers = client
        .execute(
            "return Array.from(document.querySelectorAll('#reveal-axes li')).map(li => li.textContent);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        answers,
        serde_json::json!(["Prompt: B is better", "Image quality: skipped"])
    );
    let (a, b) = (
        text_of(&client, "reveal-a").await,
        text_of(&client, "reveal-b").await,
    );
    screenshot(&client, "axes-reveal.png").await;

    // Both boards moved, in opposite directions: A leads overall, B on the prompt.
    let get = |path: String| async move {
        reqwest::get(path)
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    let models = get(format!("{}/api/v1/models", arena.base)).await;
    let slug_of = |name: &str| -> String {
        models["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["display_name"] == name)
            .unwrap_or_else(|| panic!("no model named {name}"))["slug"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (slug_a, slug_b) = (slug_of(&a), slug_of(&b));
    let overall = get(format!("{}/api/v1/leaderboard", arena.base)).await;
    let prompt = get(format!("{}/api/v1/leaderboard?axis=prompt", arena.base)).await;
    let quality = get(format!("{}/api/v1/leaderboard?axis=quality", arena.base)).await;
    assert_eq!(overall["n_votes"], 1);
    assert_eq!(prompt["n_votes"], 1);
    assert_eq!(quality["n_votes"], 0, "the skipped question stores nothing");
    assert_eq!(overall["models"][0]["model"], slug_a.as_str());
    assert_eq!(prompt["models"][0]["model"], slug_b.as_str());

    // The page's question switch shows the prompt board.
    client
        .goto(&format!("{}/leaderboard?axis=prompt", arena.base))
        .await
        .unwrap();
    assert!(
        text_of(&client, "axis-question")
            .await
            .contains("Which image follows the prompt better?")
    );
    let first = client
        .find(Locator::Css("#ranking tbody tr td.model a"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(first, b);
    screenshot(&client, "axes-leaderboard.png").await;
    client.close().await.unwrap();
}
