//! A live battle in a real headless Chromium: type a prompt on `/`, watch the joint
//! progress, see both images appear together, vote with the keyboard and see the
//! models. Images come from a real `arena-worker` whose demo models take a while.

use std::time::{Duration, Instant};

use fantoccini::Locator;

use crate::arena::ArenaProcess;
use crate::browser::{
    BOTH_IMAGES_SHOWN, browser, click, screenshot, text_of, vote_a_with_the_keyboard, wait_for,
};
use crate::support;
use crate::workers::{WorkerProcess, add_worker, demo_config, prepare, worker_bin};

#[tokio::test(flavor = "multi_thread")]
async fn a_voter_types_a_prompt_watches_progress_and_votes_on_both_images() {
    let Some(bin) = worker_bin() else { return };
    let dir = support::temp_dir("arena-live");
    let Some((url, _db)) = support::database(support::Backend::Sqlite, &dir).await else {
        return;
    };
    let Some((_driver, client)) = browser().await else {
        return;
    };
    prepare(&dir, &url, "", &["a quiet harbour at noon".to_string()]);
    let arena = ArenaProcess::spawn(&url, &dir, &["--no-embedded-worker"]).await;
    // Each image takes about 1.2 s, in 12 reported steps.
    let config = demo_config(&dir, "worker.toml", &support::demo_slugs(), 12, 100);
    let _worker = WorkerProcess::start(
        &bin,
        "slow-gpu",
        &arena.base,
        &add_worker("slow-gpu", &url, &dir),
        &config,
    );
    arena.wait_for_battles().await;

    client.goto(&format!("{}/", arena.base)).await.unwrap();
    wait_for(&client, "the pool battle", BOTH_IMAGES_SHOWN).await;
    let input = client.find(Locator::Id("live-prompt")).await.unwrap();
    input
        .send_keys("a red lighthouse on a cliff")
        .await
        .unwrap();
    click(&client, Locator::Id("live-submit")).await;

    // The waiting page: a progress bar, no image, nothing that names a model.
    wait_for(
        &client,
        "the progress page",
        "return !!document.getElementById('live-bar');",
    )
    .await;
    screenshot(&client, "live-progress.png").await;
    let mut messages = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = client
            .execute(
                "const bar = document.getElementById('live-bar'); \
                 const imgs = document.querySelectorAll('#pair img').length; \
                 return { bar: !!bar, message: bar ? document.getElementById('live-message').textContent : '', \
                          images: imgs, text: document.body.innerText };",
                vec![],
            )
            .await;
        // A page being replaced can refuse a script: look again.
        if let Ok(state) = state {
            let images = state["images"].as_u64().unwrap_or(0);
            assert_ne!(images, 1, "one image was shown before the other");
            let text = state["text"].as_str().unwrap_or("").to_lowercase();
            if state["bar"] == true {
                assert!(
                    !["faithful", "painterly", "geometric", "confused", "low-fi"]
                        .iter()
                        .any(|w| text.contains(w)),
                    "the waiting page names a model: {text}"
                );
                messages.push(state["message"].as_str().unwrap_or("").to_string());
            }
            if images == 2 {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the live battle never became ready; saw {messages:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("Drawing both images")),
        "no progress was shown: {messages:?}"
    );
    wait_for(&client, "both live images", BOTH_IMAGES_SHOWN).await;
    assert_eq!(
        text_of(&client, "prompt").await,
        "a red lighthouse on a cliff"
    );
    assert_eq!(text_of(&client, "name-a").await, "");
    screenshot(&client, "live-battle.png").await;

    // ← votes for A; the reveal names two different models.
    let (a, b) = vote_a_with_the_keyboard(&client).await;
    assert!(
        a.starts_with("Demo ") && b.starts_with("Demo ") && a != b,
        "{a} / {b}"
    );
    screenshot(&client, "live-reveal.png").await;
    client.close().await.unwrap();
}
