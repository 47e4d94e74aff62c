//! Research data on SQLite and on the real Postgres: exports that reproduce the
//! server's leaderboard, the verbatim GenAI-Arena file imported and exported again,
//! Parquet read back, a gallery of images made votable, the streamed HTTP export and
//! its admin-only mode, and bad input that changes nothing.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arena_evaluator::{
    Counts, Format, LeaderboardOptions, Outcome, for_each_vote, leaderboard_from_counts,
    leaderboard_from_path,
};
use arena_server::App;
use arena_server::config::FileConfig;
use arena_server::data::export::{
    ExportFormat, ExportOptions, card, export_to_file, keyed_image_hash,
};
use arena_server::data::gallery::import_gallery;
use arena_server::data::import::{ImportSelection, import_votes, model_slug};
use arena_server::store::ExportFilter;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Backend, Client, TestArena, support};
use http_body_util::BodyExt;
use tower::ServiceExt;

const GENAI_ARENA: &str = "../../shared/data/genai-arena/clean_battle_20240220.json";

fn genai_arena_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(GENAI_ARENA)
}

/// Casts `n` votes from two voters, with every kind of winner.
/// Imports GenAI-Arena's file, every model and vote of it, into `app`.
async fn import_genai_arena(app: &App) {
    import_votes(
        &app.store,
        &genai_arena_file(),
        Format::Auto,
        &app.config.judge_key,
        &ImportSelection::default(),
    )
    .await
    .unwrap();
}

async fn cast_votes(arena: &TestArena, n: usize) {
    let mut voters = [arena.client(), arena.client()];
    for i in 0..n {
        let voter = &mut voters[i % 2];
        let battle = voter.new_battle().await;
        let winner = ["a", "b", "tie", "both_bad", "a"][i % 5];
        let r = voter.vote(battle["id"].as_str().unwrap(), winner).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
}

async fn export(
    app: &App,
    format: ExportFormat,
    out: &Path,
    filter: ExportFilter,
) -> card::CardStats {
    let options = ExportOptions {
        format,
        filter,
        judge_key: app.config.judge_key.clone(),
        image_hashes: app.config.export_image_hashes,
    };
    let (card_path, stats) = export_to_file(&app.store, &app.blobs, options, out, None)
        .await
        .unwrap();
    assert!(card_path.exists());
    stats
}

fn everything() -> ExportFilter {
    ExportFilter {
        since: None,
        include_excluded: true,
        pairs_only: false,
    }
}

async fn exporting_then_rating_the_file_gives_the_servers_leaderboard(backend: Backend) {
    let Some(arena) = TestArena::start(backend).await else {
        return;
    };
    cast_votes(&arena, 30).await;
    // Imported votes take part too, including one excluded and one named battle.
    let extra = arena.dir.join("extra.jsonl");
    std::fs::write(
        &extra,
        "{\"model_a\":\"demo-lowfi\",\"model_b\":\"outsider\",\"winner\":\"model_b\",\"tstamp\":1700000000}\n\
         {\"model_a\":\"outsider\",\"model_b\":\"demo-lowfi\",\"winner\":\"tie\",\"tstamp\":1700000001}\n\
         {\"model_a\":\"outsider\",\"model_b\":\"demo-lowfi\",\"winner\":\"model_a\",\"counts_for_leaderboard\":false}\n\
         {\"model_a\":\"outsider\",\"model_b\":\"demo-lowfi\",\"winner\":\"model_a\",\"anony\":false}\n",
    )
    .unwrap();
    let store = &arena.app.store;
    import_votes(
        store,
        &extra,
        Format::Auto,
        &arena.app.config.judge_key,
        &ImportSelection::default(),
    )
    .await
    .unwrap();

    let out = arena.dir.join("votes.jsonl");
    let images = arena.dir.join("images-out");
    let options = ExportOptions {
        format: ExportFormat::Jsonl,
        filter: everything(),
        judge_key: arena.app.config.judge_key.clone(),
        image_hashes: arena.app.config.export_image_hashes,
    };
    let (card_path, stats) = export_to_file(store, &arena.app.blobs, options, &out, Some(&images))
        .await
        .unwrap();
    assert_eq!(stats.votes, 34);
    // Left out of leaderboards: the vote the file excluded and the named battle.
    assert_eq!(stats.counted, 32);

    let options = LeaderboardOptions::default();
    let from_file = leaderboard_from_path(&out, Format::Auto, &options).unwrap();
    let mut counts = Counts::new();
    for c in store.pair_counts().await.unwrap() {
        let outcome: Outcome = c.winner;
        counts.add_n(&c.model_a, &c.model_b, outcome, c.n as u64);
    }
    let from_server = leaderboard_from_counts(&counts, &options).unwrap();
    assert_eq!(from_file.n_votes, from_server.n_votes);
    assert_eq!(from_file.models.len(), from_server.models.len());
    for (f, s) in from_file.models.iter().zip(&from_server.models) {
        assert_eq!(f.model, s.model);
        assert!((f.rating - s.rating).abs() < 1e-9, "{f:?} vs {s:?}");
        let close = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-9,
            (x, y) => x == y,
        };
        assert!(close(f.ci_low, s.ci_low), "{f:?} vs {s:?}");
        assert!(close(f.ci_high, s.ci_high), "{f:?} vs {s:?}");
    }

    // Every image a row names is in the image directory, under its own (keyed) hash.
    let text = std::fs::read_to_string(&out).unwrap();
    let mut named = 0;
    for line in text.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(!line.contains("voter"), "no raw voter ids: {line}");
        for side in ["image_a_sha256", "image_b_sha256"] {
            if let Some(sha) = row[side].as_str() {
                let bytes = std::fs::read(images.join(format!("{sha}.png"))).unwrap();
                let plain = arena_server::generation::blob::sha256_hex(&bytes);
                assert_eq!(keyed_image_hash(&arena.app.config.judge_key, &plain), sha);
                named += 1;
            }
        }
    }
    assert_eq!(named, 60);
    let card = std::fs::read_to_string(card_path).unwrap();
    assert!(card.contains("| votes | 34 |"), "{card}");
    assert!(card.contains("## Licence"), "{card}");
}

#[tokio::test]
async fn exporting_then_rating_the_file_gives_the_servers_leaderboard_on_sqlite() {
    exporting_then_rating_the_file_gives_the_servers_leaderboard(Backend::Sqlite).await;
}

#[tokio::test]
async fn exporting_then_rating_the_file_gives_the_servers_leaderboard_on_postgres() {
    exporting_then_rating_the_file_gives_the_servers_leaderboard(Backend::Postgres).await;
}

/// (model_a, model_b, winner, anony, tstamp in ms) of every battle in a FastChat file.
fn battles(path: &Path) -> HashMap<(String, String, String, bool, i64), usize> {
    let all: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut set = HashMap::new();
    for b in all {
        let key = (
            b["model_a"].as_str().unwrap().to_string(),
            b["model_b"].as_str().unwrap().to_string(),
            b["winner"].as_str().unwrap().to_string(),
            b["anony"].as_bool().unwrap(),
            (b["tstamp"].as_f64().unwrap() * 1000.0).round() as i64,
        );
        *set.entry(key).or_insert(0) += 1;
    }
    set
}

async fn importing_the_genai_arena_file_and_exporting_fastchat_keeps_every_battle(
    backend: Backend,
) {
    let Some(arena) = TestArena::start(backend).await else {
        return;
    };
    let (store, key) = (&arena.app.store, &arena.app.config.judge_key);
    let file = genai_arena_file();
    let first = import_votes(store, &file, Format::Auto, key, &ImportSelection::default())
        .await
        .unwrap();
    assert_eq!(
        (first.read, first.added, first.already_present),
        (2061, 2061, 0)
    );
    assert_eq!(first.models_added.len(), 13);
    // Importing the same file again is recognised and adds nothing.
    let again = import_votes(
        store,
        &file,
        Format::Fastchat,
        key,
        &ImportSelection::default(),
    )
    .await
    .unwrap();
    assert_eq!((again.added, again.already_present), (0, 2061));
    assert!(again.models_added.is_empty());

    let out = arena.dir.join("clean_battle.json");
    export(&arena.app, ExportFormat::Fastchat, &out, everything()).await;
    // Exports name models by slug: the file's names, made valid slugs.
    let as_slugs: HashMap<_, usize> = battles(&file)
        .into_iter()
        .map(|((a, b, w, anony, t), n)| ((model_slug(&a), model_slug(&b), w, anony, t), n))
        .collect();
    assert_eq!(battles(&out), as_slugs);
    // People still see the names of the file.
    let sdxl = store
        .model_by_slug("imagenhub_sdxl_generation")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sdxl.display_name, "imagenhub_SDXL_generation");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !text.contains("::1"),
        "judges are hashed, never the raw ids"
    );
    // Our own reader takes the export as it takes the original.
    let mut read = 0;
    for_each_vote(text.as_bytes(), Format::Auto, |_| {
        read += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(read, 2061);
    let options = LeaderboardOptions::default();
    let original = leaderboard_from_path(&file, Format::Auto, &options).unwrap();
    let exported = leaderboard_from_path(&out, Format::Auto, &options).unwrap();
    // The fit's models are in name order, which lowercasing changes: L-BFGS takes
    // another path to the same maximum, equal well within its tolerance.
    for (o, e) in original.models.iter().zip(&exported.models) {
        assert_eq!(model_slug(&o.model), e.model);
        assert!(
            (o.rating - e.rating).abs() < 1e-3,
            "{}: {} vs {}",
            e.model,
            o.rating,
            e.rating
        );
    }
}

#[tokio::test]
async fn importing_the_genai_arena_file_and_exporting_fastchat_keeps_every_battle_on_sqlite() {
    importing_the_genai_arena_file_and_exporting_fastchat_keeps_every_battle(Backend::Sqlite).await;
}

#[tokio::test]
async fn importing_the_genai_arena_file_and_exporting_fastchat_keeps_every_battle_on_postgres() {
    importing_the_genai_arena_file_and_exporting_fastchat_keeps_every_battle(Backend::Postgres)
        .await;
}

async fn the_parquet_export_reads_back_with_the_documented_schema_and_row_count(backend: Backend) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let Some(arena) = TestArena::start(backend).await else {
        return;
    };
    cast_votes(&arena, 12).await;
    let app = &arena.app;
    import_genai_arena(app).await;
    let parquet_path = arena.dir.join("votes.parquet");
    let jsonl_path = arena.dir.join("votes.jsonl");
    let stats = export(app, ExportFormat::Parquet, &parquet_path, everything()).await;
    export(app, ExportFormat::Jsonl, &jsonl_path, everything()).await;
    assert_eq!(stats.votes, 2061 + 12);

    let reader = SerializedFileReader::new(std::fs::File::open(&parquet_path).unwrap()).unwrap();
    let meta = reader.metadata().file_metadata();
    assert_eq!(meta.num_rows(), 2073);
    let names: Vec<&str> = meta
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name())
        .collect();
    let documented: Vec<&str> = card::FIELDS.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(names, documented);
    // The rows hold what the JSONL export holds, in the same order.
    let jsonl = std::fs::read_to_string(&jsonl_path).unwrap();
    let rows = reader.get_row_iter(None).unwrap();
    let mut n = 0;
    for (row, line) in rows.zip(jsonl.lines()) {
        let row = row_json(&row.unwrap());
        let expected: serde_json::Value = serde_json::from_str(line).unwrap();
        for field in [
            "battle_id",
            "model_a",
            "model_b",
            "winner",
            "judge",
            "anony",
            "prompt",
            "image_a_sha256",
            "gen_b_seed",
            "source",
        ] {
            assert_eq!(row[field], expected[field], "{field} of row {n}");
        }
        n += 1;
    }
    assert_eq!(n, 2073);
}

/// A Parquet row as JSON, for the column types the export uses.
fn row_json(row: &parquet::record::Row) -> serde_json::Value {
    use parquet::record::Field;
    let mut object = serde_json::Map::new();
    for (name, field) in row.get_column_iter() {
        let value = match field {
            Field::Null => serde_json::Value::Null,
            Field::Bool(b) => (*b).into(),
            Field::Int(i) => (*i).into(),
            Field::Long(i) => (*i).into(),
            Field::Double(x) => (*x).into(),
            Field::Str(s) => s.clone().into(),
            other => panic!("unexpected Parquet value {other:?} in {name}"),
        };
        object.insert(name.clone(), value);
    }
    serde_json::Value::Object(object)
}

#[tokio::test]
async fn the_parquet_export_reads_back_with_the_documented_schema_and_row_count_on_sqlite() {
    the_parquet_export_reads_back_with_the_documented_schema_and_row_count(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_parquet_export_reads_back_with_the_documented_schema_and_row_count_on_postgres() {
    the_parquet_export_reads_back_with_the_documented_schema_and_row_count(Backend::Postgres).await;
}

fn write_png(path: &Path, rgb: [u8; 3]) {
    let img = image::RgbImage::from_pixel(100, 80, image::Rgb(rgb));
    img.save(path).unwrap();
}

async fn a_gallery_import_makes_a_directory_of_images_votable(backend: Backend) {
    let file = FileConfig {
        register_demo_models: Some(false),
        ..FileConfig::default()
    };
    let Some(arena) = TestArena::open(backend, file).await else {
        return;
    };
    let (app, router, dir) = (&arena.app, &arena.router, &arena.dir);
    let gallery = dir.join("my-gallery");
    for model in ["studio-one", "Studio Two"] {
        std::fs::create_dir_all(gallery.join(model)).unwrap();
    }
    std::fs::write(
        gallery.join("prompts.jsonl"),
        "{\"id\": \"p1\", \"text\": \"a lighthouse at dusk\", \"category\": \"Landscapes\"}\n\
         {\"id\": 2, \"text\": \"a bowl of lemons\"}\n",
    )
    .unwrap();
    write_png(&gallery.join("studio-one/p1.png"), [200, 30, 30]);
    write_png(&gallery.join("studio-one/2.png"), [30, 200, 30]);
    write_png(&gallery.join("Studio Two/p1.png"), [30, 30, 200]);
    write_png(&gallery.join("Studio Two/2.png"), [200, 200, 30]);

    let counts = import_gallery(&app.store, &app.blobs, &gallery, 64)
        .await
        .unwrap();
    assert_eq!(
        (
            counts.models_added,
            counts.prompts_added,
            counts.images_added
        ),
        (2, 2, 4)
    );
    let again = import_gallery(&app.store, &app.blobs, &gallery, 64)
        .await
        .unwrap();
    assert_eq!((again.images_added, again.images_present), (0, 4));

    let mut voter = Client::new(router.clone());
    let battle = voter.new_battle().await;
    assert!(
        ["a lighthouse at dusk", "a bowl of lemons"].contains(&battle["prompt"].as_str().unwrap())
    );
    for side in ["a", "b"] {
        let image = voter.get(battle["images"][side].as_str().unwrap()).await;
        assert_eq!(image.status, StatusCode::OK);
        assert_eq!(support::png_size(&image.body), (64, 64));
    }
    let reveal = voter.vote(battle["id"].as_str().unwrap(), "a").await.json();
    let mut names = [
        reveal["model_a_name"].as_str().unwrap(),
        reveal["model_b_name"].as_str().unwrap(),
    ];
    names.sort();
    assert_eq!(names, ["Studio Two", "studio-one"]);

    // A gallery with an image for an unknown prompt is refused whole.
    write_png(&gallery.join("studio-one/p9.png"), [1, 2, 3]);
    std::fs::create_dir_all(gallery.join("studio-three")).unwrap();
    write_png(&gallery.join("studio-three/p1.png"), [1, 2, 3]);
    let err = import_gallery(&app.store, &app.blobs, &gallery, 64)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("no prompt with id \"p9\""),
        "{err:#}"
    );
    assert!(
        app.store
            .model_by_slug("studio-three")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_gallery_import_makes_a_directory_of_images_votable_on_sqlite() {
    a_gallery_import_makes_a_directory_of_images_votable(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_gallery_import_makes_a_directory_of_images_votable_on_postgres() {
    a_gallery_import_makes_a_directory_of_images_votable(Backend::Postgres).await;
}

/// Sends a GET and returns (status, content type, body frames, body).
async fn get_frames(
    router: &Router,
    uri: &str,
    token: Option<&str>,
) -> (StatusCode, String, usize, Vec<u8>) {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let mut body = response.into_body();
    let (mut frames, mut bytes) = (0, Vec::new());
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            frames += 1;
            bytes.extend_from_slice(&data);
        }
    }
    (status, content_type, frames, bytes)
}

fn error_code(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert!(v["error"]["message"].is_string(), "{v}");
    v["error"]["code"].as_str().unwrap().to_string()
}

async fn the_http_export_streams_and_honours_admin_only_config(backend: Backend) {
    let file = FileConfig {
        export_public: Some(false),
        admin_token: Some("let-me-in-let-me-in-let-me-in-let-me-in".into()),
        ..FileConfig::default()
    };
    let Some(arena) = TestArena::open(backend, file).await else {
        return;
    };
    let (app, router) = (&arena.app, &arena.router);
    import_genai_arena(app).await;
    let uri = "/api/v1/export/votes?format=jsonl";

    for token in [None, Some("wrong")] {
        let (status, content_type, _, body) = get_frames(router, uri, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(content_type.starts_with("application/json"));
        assert_eq!(error_code(&body), "unauthorized");
    }
    let (status, _, _, _) = get_frames(router, "/api/v1/export/card", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, content_type, frames, body) =
        get_frames(router, uri, Some("let-me-in-let-me-in-let-me-in-let-me-in")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/x-ndjson");
    assert!(
        frames > 1,
        "the body is streamed in chunks ({frames} frame)"
    );
    // The 546 named (not anonymous) battles, the one self-battle among them, are kept,
    // excluded from leaderboards, and left out of the export by default.
    assert_eq!(body.iter().filter(|b| **b == b'\n').count(), 2061 - 546);
    let everything = format!("{uri}&include_excluded=true");
    let (_, _, _, body) = get_frames(
        router,
        &everything,
        Some("let-me-in-let-me-in-let-me-in-let-me-in"),
    )
    .await;
    let lines: Vec<&[u8]> = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 2061);
    let excluded = lines
        .iter()
        .map(|l| serde_json::from_slice::<serde_json::Value>(l).unwrap())
        .filter(|v| v["counts_for_leaderboard"] == false)
        .collect::<Vec<_>>();
    assert_eq!(excluded.len(), 546);
    let reasons = |r: &str| {
        excluded
            .iter()
            .filter(|v| v["exclusion_reason"] == r)
            .count()
    };
    assert_eq!(reasons("the same model on both sides"), 1);
    assert_eq!(
        reasons("not anonymous: the model names were shown before the vote"),
        545
    );

    let (status, _, _, body) = get_frames(
        router,
        "/api/v1/export/votes?format=parquet",
        Some("let-me-in-let-me-in-let-me-in-let-me-in"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with(b"PAR1") && body.ends_with(b"PAR1"));

    for (query, code) in [
        ("format=xml", "invalid_format"),
        ("format=csv&since=yesterday", "invalid_since"),
        ("format=csv&colour=blue", "invalid_query"),
    ] {
        let (status, _, _, body) = get_frames(
            router,
            &format!("/api/v1/export/votes?{query}"),
            Some("let-me-in-let-me-in-let-me-in-let-me-in"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(error_code(&body), code, "{query}");
    }
    let (status, _, _, body) = get_frames(
        router,
        "/api/v1/export/votes?format=csv&since=2030-01-01T00:00:00Z",
        Some("let-me-in-let-me-in-let-me-in-let-me-in"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        String::from_utf8(body).unwrap().lines().count(),
        1,
        "only the header"
    );
}

#[tokio::test]
async fn the_http_export_streams_and_honours_admin_only_config_on_sqlite() {
    the_http_export_streams_and_honours_admin_only_config(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_http_export_streams_and_honours_admin_only_config_on_postgres() {
    the_http_export_streams_and_honours_admin_only_config(Backend::Postgres).await;
}

async fn the_data_page_lists_the_formats_and_the_dataset_card(backend: Backend) {
    let Some(arena) = TestArena::start(backend).await else {
        return;
    };
    cast_votes(&arena, 3).await;
    let page = arena.client().get("/data").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    for format in ExportFormat::ALL {
        assert!(
            html.contains(&format!("href=\"/api/v1/export/votes?format={format}\"")),
            "{format}"
        );
    }
    assert!(html.contains("<strong>3</strong> votes"), "{html}");
    assert!(html.contains("Arena votes — dataset card"));
    let (status, _, _, body) =
        get_frames(&arena.router, "/api/v1/export/votes?format=csv", None).await;
    assert_eq!(status, StatusCode::OK, "exports are public by default");
    assert_eq!(String::from_utf8(body).unwrap().lines().count(), 4);
}

#[tokio::test]
async fn the_data_page_lists_the_formats_and_the_dataset_card_on_sqlite() {
    the_data_page_lists_the_formats_and_the_dataset_card(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_data_page_lists_the_formats_and_the_dataset_card_on_postgres() {
    the_data_page_lists_the_formats_and_the_dataset_card(Backend::Postgres).await;
}

async fn a_vote_file_with_a_bad_line_changes_nothing(backend: Backend) {
    let Some(arena) = TestArena::start(backend).await else {
        return;
    };
    let store = &arena.app.store;
    let models_before = store.list_models().await.unwrap().len();
    let bad = arena.dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"model_a\":\"new-model\",\"model_b\":\"demo-lowfi\",\"winner\":\"model_a\"}\n\
         {\"model_a\":\"new-model\",\"model_b\":\"demo-lowfi\",\"winner\":\"draw\"}\n",
    )
    .unwrap();
    let err = import_votes(
        store,
        &bad,
        Format::Auto,
        &arena.app.config.judge_key,
        &ImportSelection::default(),
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("line 2"), "{err:#}");
    assert_eq!(store.vote_count().await.unwrap(), 0);
    assert_eq!(store.list_models().await.unwrap().len(), models_before);
}

#[tokio::test]
async fn a_vote_file_with_a_bad_line_changes_nothing_on_sqlite() {
    a_vote_file_with_a_bad_line_changes_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_vote_file_with_a_bad_line_changes_nothing_on_postgres() {
    a_vote_file_with_a_bad_line_changes_nothing(Backend::Postgres).await;
}

/// The sizes `/data` gives are the downloads' sizes: measured on the first votes and
/// extrapolated, within a tenth of the real file for GenAI-Arena's 1,515 counted votes.
#[tokio::test]
async fn the_data_pages_size_estimates_match_the_downloads() {
    let Some(arena) = TestArena::start(Backend::Sqlite).await else {
        return;
    };
    let app = &arena.app;
    import_genai_arena(app).await;
    let options = ExportOptions {
        format: ExportFormat::Jsonl,
        filter: ExportFilter::default(),
        judge_key: app.config.judge_key.clone(),
        image_hashes: app.config.export_image_hashes,
    };
    let counted = app
        .store
        .export_summary(&ExportFilter::default())
        .await
        .unwrap()
        .votes as u64;
    assert_eq!(counted, 1515);
    let estimates = arena_server::data::export::estimate_sizes(&app.store, &options, counted)
        .await
        .unwrap();
    for (format, estimate) in estimates {
        let (status, _, _, body) = get_frames(
            &arena.router,
            &format!("/api/v1/export/votes?format={format}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let real = body.len() as f64;
        assert!(
            (estimate as f64 - real).abs() / real < 0.1,
            "{format}: estimated {estimate} bytes, the download has {real}"
        );
    }
}
