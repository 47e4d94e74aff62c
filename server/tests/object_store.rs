//! Images in S3-compatible object storage (`image_store = "s3://bucket/prefix"`),
//! against a real S3 server (moto's server mode) that each test starts: the blob
//! store's own operations, and an arena whose pool, battles and readiness run on it.

mod common;

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use arena_server::config::{FileConfig, ImageStore, QueueConfig, S3Config};
use arena_server::generation::blob::{BlobError, BlobStore};
use axum::http::StatusCode;
use common::support::s3::{ACCESS_KEY_ID, S3Server, SECRET_ACCESS_KEY};
use common::{Backend, TestArena};

fn s3_config(server: &S3Server) -> S3Config {
    S3Config {
        endpoint: Some(server.endpoint.clone()),
        region: Some("us-east-1".into()),
        access_key_id: Some(ACCESS_KEY_ID.into()),
        secret_access_key: Some(SECRET_ACCESS_KEY.into()),
        ..S3Config::default()
    }
}

#[tokio::test]
async fn blobs_are_stored_read_and_collected_in_a_bucket() {
    let Some(mut server) = S3Server::start().await else {
        return;
    };
    server.create_bucket("arena").await;
    let spec = ImageStore::parse("s3://arena/prod/images/", &s3_config(&server)).unwrap();
    let blobs = BlobStore::open(&spec).unwrap();
    assert!(blobs.is_reachable().await);

    let (kept, sha) = blobs.put_png(b"first image").await.unwrap();
    assert_eq!(kept, format!("{}/{sha}.png", &sha[..2]));
    // The same bytes again: the same key, one object.
    assert_eq!(blobs.put_png(b"first image").await.unwrap().0, kept);
    let (orphan, _) = blobs.put_png(b"second image").await.unwrap();
    assert_eq!(blobs.get(&kept).await.unwrap(), b"first image");
    assert!(matches!(
        blobs.get("../../etc/passwd").await,
        Err(BlobError::BadKey(_))
    ));
    let missing = format!("00/{}.png", "0".repeat(64));
    assert!(blobs.get(&missing).await.is_err());
    // Keys sit under the prefix, as on disk; the readiness probe left nothing.
    let mut expected = vec![
        format!("prod/images/{kept}"),
        format!("prod/images/{orphan}"),
    ];
    expected.sort();
    assert_eq!(server.keys("arena").await, expected);

    // A foreign object under the prefix is never taken for an image.
    reqwest::Client::new()
        .put(format!("{}/arena/prod/images/README", server.endpoint))
        .body("not an image")
        .send()
        .await
        .unwrap();
    let referenced = HashSet::from([kept.clone()]);
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    // Recent objects are spared even when nothing names them…
    assert_eq!(
        blobs
            .collect_unreferenced(referenced.clone(), hour_ago)
            .await
            .unwrap(),
        0
    );
    // …older ones that nothing names go.
    let later = SystemTime::now() + Duration::from_secs(5);
    assert_eq!(
        blobs.collect_unreferenced(referenced, later).await.unwrap(),
        1
    );
    assert_eq!(
        server.keys("arena").await,
        vec![
            "prod/images/README".to_string(),
            format!("prod/images/{kept}")
        ]
    );
    assert_eq!(blobs.get(&kept).await.unwrap(), b"first image");

    server.stop();
    assert!(!blobs.is_reachable().await);
    assert!(blobs.get(&kept).await.is_err());
}

#[test]
fn image_store_urls_are_checked() {
    let s3 = S3Config::default();
    assert_eq!(
        ImageStore::parse("file:///var/lib/arena/images", &s3).unwrap(),
        ImageStore::Dir("/var/lib/arena/images".into())
    );
    let ImageStore::S3 { bucket, prefix, .. } = ImageStore::parse("s3://b", &s3).unwrap() else {
        panic!("not S3");
    };
    assert_eq!((bucket.as_str(), prefix.as_str()), ("b", ""));
    for bad in [
        "file://",
        "s3://",
        "s3:///prefix",
        "/var/images",
        "gs://b/p",
    ] {
        let err = ImageStore::parse(bad, &s3).unwrap_err().to_string();
        assert!(err.contains("image_store"), "{bad}: {err}");
    }
    // Unknown keys in `[s3]` are an error, as everywhere in the file.
    assert!(toml::from_str::<FileConfig>("[s3]\nendpont = \"http://x\"").is_err());
}

async fn an_arena_keeps_its_images_in_the_bucket(backend: Backend) {
    let Some(mut server) = S3Server::start().await else {
        return;
    };
    server.create_bucket("images").await;
    let file = FileConfig {
        image_store: Some("s3://images/arena".into()),
        s3: s3_config(&server),
        queue: QueueConfig {
            pool_images: 1,
            ..QueueConfig::default()
        },
        ..FileConfig::default()
    };
    let Some(arena) = TestArena::with_pool(backend, file).await else {
        return;
    };
    // Every drawn image went to the bucket, none to the data dir.
    let stored = server.keys("images").await;
    let generations = arena.app.store.blob_keys().await.unwrap();
    assert_eq!(stored.len(), generations.len(), "{stored:?}");
    assert!(
        generations
            .iter()
            .all(|k| stored.contains(&format!("arena/{k}")))
    );
    assert!(!arena.dir.join("images").exists());

    // Voters see per-battle tokens and get the bytes through the server.
    let mut voter = arena.client();
    let battle = voter.new_battle().await;
    let text = battle.to_string();
    assert!(!text.contains(&server.endpoint) && !text.contains("images/arena"));
    for side in ["a", "b"] {
        let image = voter.get(battle["images"][side].as_str().unwrap()).await;
        assert_eq!(image.status, StatusCode::OK);
        assert_eq!(common::support::png_size(&image.body), (64, 64));
    }
    let id = battle["id"].as_str().unwrap();
    assert_eq!(voter.vote(id, "a").await.status, StatusCode::OK);

    // Readiness follows the store.
    assert_eq!(voter.get("/readyz").await.status, StatusCode::OK);
    server.stop();
    let down = voter.get("/readyz").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.text(), "image store unreachable");
}

#[tokio::test]
async fn an_arena_keeps_its_images_in_the_bucket_on_sqlite() {
    an_arena_keeps_its_images_in_the_bucket(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_arena_keeps_its_images_in_the_bucket_on_postgres() {
    an_arena_keeps_its_images_in_the_bucket(Backend::Postgres).await;
}
