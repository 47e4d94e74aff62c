//! Pool images are not stable names for their models, on SQLite and on the real
//! Postgres: the pool keeps several images of each (prompt, model), each from its own
//! seed, and battles serve all of them; an image shown in `pool_image_battles`
//! battles is retired, never served again, and replaced; exports name images by keyed
//! hashes unless the operator asks for plain SHA-256; model pages show only images no
//! battle can serve any more.

mod common;

use arena_server::integrity::config::LimitsConfig;
use arena_server::integrity::{ClientAddress, Requester};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use arena_server::App;
use arena_server::config::{FileConfig, QueueConfig};
use arena_server::data::export::{
    ExportFormat, ExportOptions, ImageHashes, export_to_file, keyed_image_hash,
};
use arena_server::generation::blob::sha256_hex;
use arena_server::generation::embedded_worker::fill_pool;
use arena_server::generation::queue::{pool_seed, refill_pool};
use arena_server::store::{ExportFilter, Generation, NewPrompt};
use arena_server::voting::battles;
use axum::http::StatusCode;
use common::support::demo_slugs;
use common::{Backend, Client, TestArena};
use scraper::{Html, Selector};

/// An arena with the demo models, `prompts` and `file`'s settings, its pool drawn.
async fn pooled_arena(backend: Backend, file: FileConfig, prompts: &[&str]) -> Option<TestArena> {
    // These tests serve hundreds of battles from one client; the limits that would
    // stop that are tested in `integrity.rs`.
    let file = FileConfig {
        limits: LimitsConfig {
            enabled: false,
            ..LimitsConfig::default()
        },
        ..file
    };
    let arena = TestArena::open(backend, file).await?;
    let prompts: Vec<NewPrompt> = prompts
        .iter()
        .map(|t| NewPrompt {
            text: t.to_string(),
            category: "test".into(),
            source: "test".into(),
        })
        .collect();
    arena.app.store.import_prompts(&prompts).await.unwrap();
    let per_pair = u64::from(arena.app.config.queue.pool_images);
    let made = fill_pool(&arena.app).await.unwrap();
    assert_eq!(
        made,
        prompts.len() as u64 * demo_slugs().len() as u64 * per_pair
    );
    Some(arena)
}

fn queue(pool_images: u32, pool_image_battles: u32) -> QueueConfig {
    QueueConfig {
        pool_images,
        pool_image_battles,
        ..QueueConfig::default()
    }
}

/// Every image of every pool prompt, retired ones too.
async fn all_images(app: &App) -> Vec<Generation> {
    app.store.pool_generations().await.unwrap()
}

/// The slug of each model id.
async fn slugs(app: &App) -> HashMap<i64, String> {
    let models = app.store.list_models().await.unwrap();
    models.into_iter().map(|m| (m.id, m.slug)).collect()
}

/// Serves one pool battle to `voter` through the voting service (no HTTP limits in
/// the way of hundreds of them) and returns its images' generation ids; `None` when
/// no battle can be served.
async fn serve_ids(app: &App, voter: &str) -> Option<Vec<i64>> {
    let who = Requester {
        voter: Some(voter.to_string()),
        address: ClientAddress::of([127, 0, 0, 1].into(), &app.config.judge_key),
    };
    let served = battles::serve(app, &who, None).await.unwrap()?;
    let battle = app.store.battle(&served.id).await.unwrap().unwrap();
    Some(
        battle
            .images
            .iter()
            .map(|i| i.generation_id.unwrap())
            .collect(),
    )
}

/// A battle served and voted on over HTTP: its id and the SHA-256 of the bytes of
/// images A and B as the voter fetched them.
async fn vote_over_http(voter: &mut Client) -> Option<(String, String, String)> {
    let r = voter
        .post_json("/api/v1/battles", serde_json::json!({}))
        .await;
    if r.status != StatusCode::CREATED {
        return None;
    }
    let battle = r.json();
    let id = battle["id"].as_str().unwrap().to_string();
    let mut shas = Vec::new();
    for side in ["a", "b"] {
        let url = battle["images"][side].as_str().unwrap();
        let image = voter.get(url).await;
        assert_eq!(image.status, StatusCode::OK, "{url}");
        shas.push(sha256_hex(&image.body));
    }
    let vote = voter.vote(&id, "a").await;
    assert_eq!(vote.status, StatusCode::OK, "{}", vote.text());
    let b = shas.pop().unwrap();
    let a = shas.pop().unwrap();
    Some((id, a, b))
}

async fn a_refill_keeps_pool_images_per_pair_with_distinct_seeds_and_battles_serve_them_all(
    backend: Backend,
) {
    // The product's default: three images of each (prompt, model).
    let Some(arena) = pooled_arena(
        backend,
        FileConfig::default(),
        &["a paper boat on a puddle", "a snowman at dawn"],
    )
    .await
    else {
        return;
    };
    let app = &arena.app;
    assert_eq!(app.config.queue.pool_images, 3);
    let slug_of = slugs(app).await;
    let images = all_images(app).await;
    assert_eq!(images.len(), 2 * demo_slugs().len() * 3);
    let mut by_pair: BTreeMap<(i64, i64), Vec<&Generation>> = BTreeMap::new();
    for g in &images {
        assert!(g.retired_at.is_none());
        by_pair
            .entry((g.prompt_id, g.model_id))
            .or_default()
            .push(g);
    }
    assert_eq!(by_pair.len(), 2 * demo_slugs().len());
    for ((prompt_id, model_id), pair) in &by_pair {
        let seeds: BTreeSet<i64> = pair.iter().map(|g| g.seed).collect();
        let expected: BTreeSet<i64> = (0..3)
            .map(|i| pool_seed(*prompt_id, &slug_of[model_id], i))
            .collect();
        assert_eq!(seeds, expected, "reproducible, distinct seeds");
        let bytes: HashSet<&str> = pair.iter().map(|g| g.sha256.as_str()).collect();
        assert_eq!(bytes.len(), 3, "three different images of one pair");
    }
    assert_eq!(
        refill_pool(app).await.unwrap(),
        0,
        "a full pool queues nothing"
    );

    // Battles show every image of the pool, not one per pair.
    let all: HashSet<i64> = images.iter().map(|g| g.id).collect();
    let mut seen = HashSet::new();
    for _ in 0..3000 {
        seen.extend(serve_ids(app, "collector").await.unwrap());
        if seen == all {
            break;
        }
    }
    assert_eq!(seen, all, "some pool images were never served");
}

#[tokio::test]
async fn a_refill_keeps_pool_images_per_pair_with_distinct_seeds_and_battles_serve_them_all_on_sqlite()
 {
    a_refill_keeps_pool_images_per_pair_with_distinct_seeds_and_battles_serve_them_all(
        Backend::Sqlite,
    )
    .await;
}

#[tokio::test]
async fn a_refill_keeps_pool_images_per_pair_with_distinct_seeds_and_battles_serve_them_all_on_postgres()
 {
    a_refill_keeps_pool_images_per_pair_with_distinct_seeds_and_battles_serve_them_all(
        Backend::Postgres,
    )
    .await;
}

async fn an_image_shown_in_enough_battles_is_retired_never_served_again_and_replaced(
    backend: Backend,
) {
    let file = FileConfig {
        queue: queue(1, 2),
        ..FileConfig::default()
    };
    let Some(arena) = pooled_arena(backend, file, &["a teapot in the snow"]).await else {
        return;
    };
    let app = &arena.app;
    let first: HashMap<i64, Generation> = all_images(app)
        .await
        .into_iter()
        .map(|g| (g.id, g))
        .collect();

    // Battles until no two models have an image left to show.
    let mut shown: HashMap<i64, u32> = HashMap::new();
    let mut battles_served = 0;
    while let Some(ids) = serve_ids(app, "voter").await {
        battles_served += 1;
        assert!(battles_served <= 10, "five images, two battles each");
        for id in ids {
            let n = shown.entry(id).or_default();
            *n += 1;
            assert!(*n <= 2, "image {id} served after it was retired");
            let g = app.store.generation(id).await.unwrap().unwrap();
            assert_eq!(g.battles as u32, *n);
            assert_eq!(
                g.retired_at.is_some(),
                *n == 2,
                "image {id} after {n} battles"
            );
        }
    }
    let retired: HashSet<i64> = shown
        .iter()
        .filter(|(_, n)| **n == 2)
        .map(|(id, _)| *id)
        .collect();
    assert!(retired.len() >= 4, "{shown:?}");
    let prompt_id = first.values().next().unwrap().prompt_id;
    let candidates = app.store.candidates(prompt_id).await.unwrap();
    assert!(
        candidates
            .iter()
            .all(|c| !retired.contains(&c.generation_id))
    );
    let mut voter = arena.client();
    let none = voter
        .post_json("/api/v1/battles", serde_json::json!({}))
        .await;
    assert_eq!(
        none.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        none.text()
    );

    // The refill replaces each retired image with one from a new seed.
    assert_eq!(fill_pool(app).await.unwrap(), retired.len() as u64);
    let slug_of = slugs(app).await;
    let now = all_images(app).await;
    for model_id in slug_of.keys() {
        let mine: Vec<&Generation> = now.iter().filter(|g| g.model_id == *model_id).collect();
        let servable: Vec<&&Generation> = mine.iter().filter(|g| g.retired_at.is_none()).collect();
        assert_eq!(servable.len(), 1, "one servable image of model {model_id}");
        let seeds: HashSet<i64> = mine.iter().map(|g| g.seed).collect();
        assert_eq!(
            seeds.len(),
            mine.len(),
            "a replacement has a seed of its own"
        );
        let old = mine.iter().find(|g| first.contains_key(&g.id)).unwrap();
        if retired.contains(&old.id) {
            assert_eq!(
                servable[0].seed,
                pool_seed(prompt_id, &slug_of[model_id], 1),
                "the second seed of the pair"
            );
            assert_ne!(servable[0].sha256, old.sha256);
        }
    }
    // Battles go on, with the new images only.
    for _ in 0..3 {
        let ids = serve_ids(app, "voter")
            .await
            .expect("a battle after the refill");
        assert!(ids.iter().all(|id| !retired.contains(id)), "{ids:?}");
    }
}

#[tokio::test]
async fn an_image_shown_in_enough_battles_is_retired_never_served_again_and_replaced_on_sqlite() {
    an_image_shown_in_enough_battles_is_retired_never_served_again_and_replaced(Backend::Sqlite)
        .await;
}

#[tokio::test]
async fn an_image_shown_in_enough_battles_is_retired_never_served_again_and_replaced_on_postgres() {
    an_image_shown_in_enough_battles_is_retired_never_served_again_and_replaced(Backend::Postgres)
        .await;
}

async fn battles_served_at_once_that_share_images_all_succeed_and_are_all_counted(
    backend: Backend,
) {
    // One prompt: every battle shares its images with the others.
    let file = FileConfig {
        queue: queue(1, 0),
        ..FileConfig::default()
    };
    let Some(arena) = pooled_arena(backend, file, &["a windmill in a storm"]).await else {
        return;
    };
    let voters = (0..6).map(|_| {
        let mut client = arena.client();
        async move {
            for _ in 0..10 {
                client.new_battle().await;
            }
        }
    });
    futures_util::future::join_all(voters).await;
    let shown: i64 = all_images(&arena.app)
        .await
        .iter()
        .map(|g| i64::from(g.battles))
        .sum();
    assert_eq!(shown, 6 * 10 * 2, "each battle counts both its images once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn battles_served_at_once_that_share_images_all_succeed_and_are_all_counted_on_sqlite() {
    battles_served_at_once_that_share_images_all_succeed_and_are_all_counted(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn battles_served_at_once_that_share_images_all_succeed_and_are_all_counted_on_postgres() {
    battles_served_at_once_that_share_images_all_succeed_and_are_all_counted(Backend::Postgres)
        .await;
}

async fn export_file(app: &App, format: ExportFormat, name: &str, images: bool) -> String {
    let dir = app.config.storage.data_dir.clone();
    let out = dir.join(name);
    let options = ExportOptions {
        format,
        // Every vote, so that no rule about which votes count changes the rows.
        filter: ExportFilter {
            since: None,
            include_excluded: true,
            pairs_only: false,
        },
        judge_key: app.config.judge_key.clone(),
        image_hashes: app.config.export_image_hashes,
    };
    let images = images.then(|| dir.join(format!("{name}-images")));
    let (card, _) = export_to_file(&app.store, &app.blobs, options, &out, images.as_deref())
        .await
        .unwrap();
    let card = std::fs::read_to_string(card).unwrap();
    assert!(card.contains("## Image names"), "{card}");
    std::fs::read_to_string(out).unwrap()
}

/// (image_a_sha256, image_b_sha256) of each battle in a JSONL export.
fn exported_hashes(jsonl: &str) -> HashMap<String, (String, String)> {
    jsonl
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            let side = |k: &str| row[k].as_str().unwrap().to_string();
            (
                side("battle_id"),
                (side("image_a_sha256"), side("image_b_sha256")),
            )
        })
        .collect()
}

/// The votes' export over HTTP, as a researcher downloads it.
async fn http_export(arena: &TestArena) -> (String, String) {
    let mut client = arena.client();
    let votes = client.get("/api/v1/export/votes?format=jsonl").await;
    assert_eq!(votes.status, StatusCode::OK);
    let card = client.get("/api/v1/export/card").await;
    assert_eq!(card.status, StatusCode::OK);
    (votes.text(), card.text())
}

async fn exported_image_hashes_are_keyed_by_default_and_stable_across_exports(backend: Backend) {
    let file = FileConfig {
        queue: queue(1, 0),
        ..FileConfig::default()
    };
    let prompts = ["a lantern on a jetty", "a bicycle in the rain"];
    let Some(arena) = pooled_arena(backend, file, &prompts).await else {
        return;
    };
    let app = &arena.app;
    assert_eq!(app.config.export_image_hashes, ImageHashes::Keyed);
    let mut voter = arena.client();
    let mut served: HashMap<String, (String, String)> = HashMap::new();
    for _ in 0..12 {
        let (id, a, b) = vote_over_http(&mut voter).await.unwrap();
        served.insert(id, (a, b));
    }
    let served_bytes: HashSet<&String> = served.values().flat_map(|(a, b)| [a, b]).collect();
    // Twelve battles over ten images: some image is in two of them.
    assert!(served_bytes.len() < 24);

    let first = exported_hashes(&export_file(app, ExportFormat::Jsonl, "one.jsonl", true).await);
    let second = exported_hashes(&export_file(app, ExportFormat::Jsonl, "two.jsonl", false).await);
    let (over_http, card) = http_export(&arena).await;
    assert_eq!(first.len(), 12);
    assert_eq!(first, second, "the same names in every export");
    assert_eq!(first, exported_hashes(&over_http));
    assert!(card.contains("keyed hashes"), "{card}");
    let key = &app.config.judge_key;
    let images_dir = app.config.storage.data_dir.join("one.jsonl-images");
    for (battle, (a, b)) in &first {
        for name in [a, b] {
            assert!(
                !served_bytes.contains(name),
                "{name} is a served image's SHA-256"
            );
            // `--images` writes the image itself under the row's name.
            let bytes = std::fs::read(images_dir.join(format!("{name}.png"))).unwrap();
            assert!(served_bytes.contains(&sha256_hex(&bytes)));
        }
        let (sha_a, sha_b) = &served[battle];
        assert_eq!(a, &keyed_image_hash(key, sha_a));
        assert_eq!(b, &keyed_image_hash(key, sha_b));
    }
    // One image, one name: as many names as distinct images.
    let names: HashSet<&String> = first.values().flat_map(|(a, b)| [a, b]).collect();
    assert_eq!(names.len(), served_bytes.len());

    // GenAI-Bench names the same files.
    let genai = export_file(app, ExportFormat::GenaiBench, "votes.genai.jsonl", false).await;
    for line in genai.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let (a, b) = &first[row["battle_id"].as_str().unwrap()];
        assert_eq!(row["left_image"], format!("{a}.png"));
        assert_eq!(row["right_image"], format!("{b}.png"));
    }
}

#[tokio::test]
async fn exported_image_hashes_are_keyed_by_default_and_stable_across_exports_on_sqlite() {
    exported_image_hashes_are_keyed_by_default_and_stable_across_exports(Backend::Sqlite).await;
}

#[tokio::test]
async fn exported_image_hashes_are_keyed_by_default_and_stable_across_exports_on_postgres() {
    exported_image_hashes_are_keyed_by_default_and_stable_across_exports(Backend::Postgres).await;
}

async fn exported_image_hashes_are_the_plain_sha256_when_the_operator_asks(backend: Backend) {
    let file: FileConfig =
        toml::from_str("export_image_hashes = \"plain\"\n[queue]\npool_images = 1\n").unwrap();
    let Some(arena) = pooled_arena(backend, file, &["a kettle on a stove"]).await else {
        return;
    };
    let app = &arena.app;
    assert_eq!(app.config.export_image_hashes, ImageHashes::Plain);
    let mut voter = arena.client();
    let mut served = HashMap::new();
    for _ in 0..4 {
        let (id, a, b) = vote_over_http(&mut voter).await.unwrap();
        served.insert(id, (a, b));
    }
    let (over_http, card) = http_export(&arena).await;
    assert_eq!(exported_hashes(&over_http), served);
    assert!(card.contains("plain SHA-256"), "{card}");
    let from_file = export_file(app, ExportFormat::Jsonl, "plain.jsonl", false).await;
    assert_eq!(exported_hashes(&from_file), served);
}

#[tokio::test]
async fn exported_image_hashes_are_the_plain_sha256_when_the_operator_asks_on_sqlite() {
    exported_image_hashes_are_the_plain_sha256_when_the_operator_asks(Backend::Sqlite).await;
}

#[tokio::test]
async fn exported_image_hashes_are_the_plain_sha256_when_the_operator_asks_on_postgres() {
    exported_image_hashes_are_the_plain_sha256_when_the_operator_asks(Backend::Postgres).await;
}

/// The image URLs a model's page and its JSON show, and how many battles the JSON
/// lists without images.
async fn model_page_images(client: &mut Client, slug: &str) -> (Vec<String>, usize) {
    let page = client.get(&format!("/models/{slug}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let doc = Html::parse_document(&page.text());
    let selector = Selector::parse("#recent-battles img").unwrap();
    let mut urls: Vec<String> = doc
        .select(&selector)
        .map(|img| img.value().attr("src").unwrap().to_string())
        .collect();
    let json = client.get(&format!("/api/v1/models/{slug}")).await.json();
    let mut without = 0;
    for battle in json["battles"].as_array().unwrap() {
        match (battle["image_a"].as_str(), battle["image_b"].as_str()) {
            (Some(a), Some(b)) => urls.extend([a.to_string(), b.to_string()]),
            (None, None) => without += 1,
            other => panic!("a battle with one image: {other:?}"),
        }
    }
    (urls, without)
}

async fn model_pages_show_only_images_that_no_battle_can_serve(backend: Backend) {
    let file = FileConfig {
        queue: queue(1, 2),
        ..FileConfig::default()
    };
    let prompts = ["a crow on a wire", "a tram at night"];
    let Some(arena) = pooled_arena(backend, file, &prompts).await else {
        return;
    };
    let app = &arena.app;
    let mut voter = arena.client();
    // Vote until the pool is spent (each prompt has at most one servable image left),
    // draw replacements, and vote once more: that battle shows at least one new image,
    // which can still be served. The earlier battles' images are mostly retired.
    let mut voted = 0;
    while vote_over_http(&mut voter).await.is_some() {
        voted += 1;
        assert!(voted <= 20, "ten images, two battles each");
    }
    assert!(fill_pool(app).await.unwrap() > 0);
    vote_over_http(&mut voter).await.unwrap();

    let servable: HashSet<String> = all_images(app)
        .await
        .into_iter()
        .filter(|g| g.retired_at.is_none())
        .map(|g| g.sha256)
        .collect();
    let mut shown = 0;
    let mut hidden = 0;
    let mut client = arena.client();
    for slug in demo_slugs() {
        let (urls, without) = model_page_images(&mut client, slug).await;
        hidden += without;
        for url in urls {
            let image = client.get(&url).await;
            assert_eq!(image.status, StatusCode::OK, "{url}");
            let sha = sha256_hex(&image.body);
            assert!(
                !servable.contains(&sha),
                "the page of {slug} shows {url}, which a battle can still serve"
            );
            shown += 1;
        }
    }
    assert!(shown > 0, "retired images are shown");
    assert!(
        hidden > 0,
        "battles with servable images are listed without them"
    );
}

#[tokio::test]
async fn model_pages_show_only_images_that_no_battle_can_serve_on_sqlite() {
    model_pages_show_only_images_that_no_battle_can_serve(Backend::Sqlite).await;
}

#[tokio::test]
async fn model_pages_show_only_images_that_no_battle_can_serve_on_postgres() {
    model_pages_show_only_images_that_no_battle_can_serve(Backend::Postgres).await;
}
