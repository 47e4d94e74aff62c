//! Test support shared by the server's integration tests and the end-to-end tests:
//! throw-away databases on both backends, PNG helpers, a fake OpenAI-compatible
//! image API ([`fake_openai`]), a real S3-compatible server ([`s3`]).
#![allow(dead_code)] // each test binary uses a different part of this module

pub mod fake_openai;
pub mod s3;

use std::path::PathBuf;

/// True under CI, where every test must run: a missing Postgres or browser fails.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Skips (loudly) on a developer's machine, fails under CI.
pub fn skip_or_fail(what: &str) {
    if in_ci() {
        panic!("{what} is required when CI=true");
    }
    eprintln!("\n!!! SKIPPED: {what} is not available on this machine; CI runs this test !!!\n");
}

/// A fresh, empty directory for one test.
pub fn temp_dir(label: &str) -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("{label}-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The server every test database is created on.
pub fn postgres_admin_url() -> String {
    std::env::var("ARENA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A uniquely named Postgres database, dropped when this value is dropped.
pub struct PgDb {
    pub url: String,
    name: String,
}

impl PgDb {
    /// `None` (after a loud message) when no Postgres is reachable outside CI.
    pub async fn create() -> Option<PgDb> {
        use sqlx::Connection;
        let admin = postgres_admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                skip_or_fail(&format!("PostgreSQL at {admin} ({e})"));
                return None;
            }
        };
        let name = format!("arena_test_{:016x}", rand::random::<u64>());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(&mut conn)
            .await
            .expect("creating a test database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Some(PgDb {
            url: format!("{base}/{name}"),
            name,
        })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee: use a private one on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                    let sql = format!("drop database if exists {name} with (force)");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL for `backend` (plus the guard that drops it), or `None` to skip.
pub async fn database(backend: Backend, dir: &std::path::Path) -> Option<(String, Option<PgDb>)> {
    match backend {
        Backend::Sqlite => Some((format!("sqlite:{}", dir.join("arena.db").display()), None)),
        Backend::Postgres => {
            let db = PgDb::create().await?;
            Some((db.url.clone(), Some(db)))
        }
    }
}

/// For benchmarks, which never skip: [`database`], or an error saying Postgres is
/// missing.
pub async fn require_database(
    backend: Backend,
    dir: &std::path::Path,
) -> anyhow::Result<(String, Option<PgDb>)> {
    database(backend, dir)
        .await
        .ok_or_else(|| anyhow::anyhow!("PostgreSQL is not reachable at {}", postgres_admin_url()))
}

/// The slugs of the built-in demo models.
pub fn demo_slugs() -> Vec<&'static str> {
    arena_worker::demo::demo_models()
        .iter()
        .map(|m| m.slug)
        .collect()
}

/// The chunk types of a PNG file, in order.
pub fn png_chunks(bytes: &[u8]) -> Vec<String> {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let mut chunks = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        chunks.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        at += 12 + len;
    }
    chunks
}

/// (width, height) of a PNG from its IHDR.
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

/// A PNG of another size than the arena's, with a text chunk that names its maker:
/// what the server must never pass on.
pub fn png_with_metadata(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .add_text_chunk("Software".into(), "demo-faithful generator".into())
            .unwrap();
        let mut writer = encoder.write_header().unwrap();
        let pixels: Vec<u8> = (0..width * height * 3).map(|i| (i % 251) as u8).collect();
        writer.write_image_data(&pixels).unwrap();
    }
    out
}
