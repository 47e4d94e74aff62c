//! Every public page as people see it, in a real headless Chromium at a desktop's
//! width (1280 px) and a phone's (390 px): no page is wider than the screen, and a
//! screenshot of each lands in `target/tmp/screenshots/pages/` for people to look at.
//! The arena holds GenAI-Arena's votes (long model names, two groups that never met)
//! beside a few of its own.

use fantoccini::{Client, Locator};

use crate::arena::{ArenaProcess, Voter, run, screenshot_dir};
use crate::browser::{BOTH_IMAGES_SHOWN, browser, screenshot, vote_a_with_the_keyboard, wait_for};
use crate::data::genai_arena_file;
use crate::support;

const ADMIN_TOKEN: &str = "an-admin-token-of-at-least-32-characters";

/// The widest element's right edge and the viewport's width, after layout.
const WIDTHS: &str = "return [document.documentElement.scrollWidth, window.innerWidth, \
     Array.from(document.querySelectorAll('body *')).filter(e => \
       e.getBoundingClientRect().right > window.innerWidth + 1 && \
       !e.closest('.chart-scroll, .table-scroll')).slice(0, 3).map(e => \
       e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))];";

async fn look(client: &Client, base: &str, name: &str, path: &str, width: u32) {
    client.goto(&format!("{base}{path}")).await.unwrap();
    wait_for(
        client,
        &format!("{path} to load"),
        "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete);",
    )
    .await;
    let measured = client.execute(WIDTHS, vec![]).await.unwrap();
    // The whole page in one picture: the window as tall as the page, then back.
    let tall = client
        .execute(
            "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(900)
        .min(8000) as u32;
    client.set_window_size(width, tall).await.unwrap();
    screenshot(client, &format!("pages/{name}-{width}.png")).await;
    client.set_window_size(width, 900).await.unwrap();
    let (scroll, inner) = (measured[0].as_u64().unwrap(), measured[1].as_u64().unwrap());
    assert!(
        scroll <= inner,
        "{path} at {width} px is {scroll} px wide (viewport {inner}); too wide: {}",
        measured[2]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_public_page_fits_a_phone_and_a_desktop() {
    let dir = support::temp_dir("arena-pages");
    let Some((url, _db)) = support::database(support::Backend::Sqlite, &dir).await else {
        return;
    };
    let Some((_driver, client)) = browser().await else {
        return;
    };
    std::fs::write(
        dir.join("arena.toml"),
        format!(
            "image_size = 128\nmin_view_ms = 0\nadmin_token = \"{ADMIN_TOKEN}\"\n[queue]\npool_image_battles = 1\n"
        ),
    )
    .unwrap();
    let genai = genai_arena_file();
    let (code, _, err) = run(
        &[
            "--database-url",
            &url,
            "import",
            "votes",
            genai.to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(code, 0, "{err}");
    let arena = ArenaProcess::start(&url, &dir).await;

    // A few votes of the arena's own, one of them in the browser (its reveal page).
    let mut voter = Voter::new();
    for _ in 0..6 {
        // Each image leaves the pool after one battle: wait for the next ones.
        let mut battle = serde_json::Value::Null;
        for _ in 0..300 {
            let (status, body) = voter
                .post(
                    &format!("{}/api/v1/battles", arena.base),
                    serde_json::json!({}),
                )
                .await
                .unwrap();
            if status == 201 {
                battle = body;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let id = battle["id"].as_str().unwrap();
        voter
            .post(
                &format!("{}/api/v1/battles/{id}/vote", arena.base),
                serde_json::json!({ "winner": "a" }),
            )
            .await
            .unwrap();
    }
    client.goto(&format!("{}/", arena.base)).await.unwrap();
    wait_for(&client, "both images", BOTH_IMAGES_SHOWN).await;
    let battle = client
        .find(Locator::Id("arena"))
        .await
        .unwrap()
        .attr("data-battle")
        .await
        .unwrap()
        .unwrap();
    vote_a_with_the_keyboard(&client).await;

    std::fs::create_dir_all(screenshot_dir().join("pages")).unwrap();
    let pages = [
        ("battle", "/".to_string()),
        ("reveal", format!("/battles/{battle}")),
        ("leaderboard", "/leaderboard".into()),
        ("leaderboard-elo", "/leaderboard?method=elo".into()),
        ("leaderboard-style", "/leaderboard?control=style".into()),
        (
            "leaderboard-category",
            "/leaderboard?category=animals".into(),
        ),
        ("methodology", "/leaderboard/methodology".into()),
        ("me", "/me".into()),
        ("history", "/leaderboard/history".into()),
        ("model", "/models/demo-faithful".into()),
        (
            "model-imported",
            "/models/imagenhub_playgroundv2_generation".into(),
        ),
        ("data", "/data".into()),
        ("not-found", "/no-such-page".into()),
        ("bad-view", "/leaderboard?method=glicko".into()),
        ("admin-login", "/admin/login".into()),
    ];
    for width in [1280, 390] {
        client.set_window_size(width, 900).await.unwrap();
        for (name, path) in &pages {
            look(&client, &arena.base, name, path, width).await;
        }
    }
    client.close().await.unwrap();
}
