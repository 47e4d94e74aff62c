//! An in-process arena for integration tests: the real router driven with `oneshot`,
//! on either database, and a client that keeps its voter cookie like a browser.
#![allow(dead_code)] // each test binary uses a different part of this module

#[path = "../../../tests/support/mod.rs"]
pub mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arena_server::App;
use arena_server::config::{FileConfig, ImageStore, QueueConfig, ServeConfig, Storage};
use arena_server::generation::embedded_worker;
use arena_server::http::{AppState, app};
use arena_server::store::NewPrompt;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub use support::Backend;

pub struct TestArena {
    pub app: Arc<App>,
    pub router: Router,
    pub dir: PathBuf,
    _db: Option<support::PgDb>,
}

pub const PROMPTS: [(&str, &str); 3] = [
    ("a red circle above a blue square", "abstract"),
    ("three golden stars over a night ocean", "landscapes"),
    ("an orange cat sleeping under a green tree", "animals"),
];

impl TestArena {
    /// An arena with the demo models, three prompts and their images; `None` to skip.
    pub async fn start(backend: Backend) -> Option<TestArena> {
        Self::start_with(backend, Duration::from_secs(3600)).await
    }

    pub async fn start_with(backend: Backend, ttl: Duration) -> Option<TestArena> {
        // One image per (prompt, model) is all these tests need (the product keeps
        // more; pool_rotation.rs tests that).
        let file = FileConfig {
            battle_ttl_secs: Some(ttl.as_secs()),
            queue: QueueConfig {
                pool_images: 1,
                ..QueueConfig::default()
            },
            ..FileConfig::default()
        };
        let arena = Self::with_pool(backend, file).await?;
        let made = arena.app.store.all_jobs().await.unwrap().len() as u64;
        assert_eq!(made, 3 * arena_worker::demo::demo_models().len() as u64);
        Some(arena)
    }

    /// An arena with `file`'s settings, the three prompts and every image of its pool
    /// drawn (as many per prompt and model as `file` asks for).
    pub async fn with_pool(backend: Backend, file: FileConfig) -> Option<TestArena> {
        let arena = Self::open(backend, file).await?;
        arena
            .app
            .store
            .import_prompts(
                &PROMPTS
                    .iter()
                    .map(|(t, c)| NewPrompt {
                        text: t.to_string(),
                        category: c.to_string(),
                        source: "test".into(),
                    })
                    .collect::<Vec<_>>(),
            )
            .await
            .unwrap();
        embedded_worker::fill_pool(&arena.app).await.unwrap();
        Some(arena)
    }

    /// An arena with `file`'s settings over the tests' own (64-pixel images, no
    /// default prompts, no embedded worker), the demo models and nothing else.
    pub async fn open(backend: Backend, file: FileConfig) -> Option<TestArena> {
        let dir = support::temp_dir("arena-it");
        let (url, db) = support::database(backend, &dir).await?;
        let app = open(&url, &dir, file).await;
        Some(TestArena {
            router: app_router(&app),
            app,
            dir,
            _db: db,
        })
    }

    /// Another server on the same database and data dir with `file`'s settings.
    pub async fn sibling_with(&self, file: FileConfig) -> (Arc<App>, Router) {
        let app = open(&self.app.config.storage.database_url, &self.dir, file).await;
        let router = app_router(&app);
        (app, router)
    }

    /// Another server on the same database and data dir (as behind a load balancer).
    pub async fn sibling(&self, ttl: Duration) -> (Arc<App>, Router) {
        let file = FileConfig {
            battle_ttl_secs: Some(ttl.as_secs()),
            ..FileConfig::default()
        };
        let app = open(&self.app.config.storage.database_url, &self.dir, file).await;
        let router = app_router(&app);
        (app, router)
    }

    pub fn client(&self) -> Client {
        Client::new(self.router.clone())
    }

    /// The folder the arena keeps its images in (the default, local image store).
    pub fn images_dir(&self) -> PathBuf {
        let store = &self.app.config.storage.image_store;
        store.dir().expect("a local image store").to_path_buf()
    }
}

async fn open(url: &str, dir: &std::path::Path, file: FileConfig) -> Arc<App> {
    let mut storage = Storage::local(url.to_string(), dir.to_path_buf());
    if let Some(url) = &file.image_store {
        storage.image_store = ImageStore::parse(url, &file.s3).unwrap();
    }
    // Tests vote without fetching images unless they test that rule.
    let file = FileConfig {
        image_size: Some(64),
        default_prompts: Some(false),
        embedded_worker: Some(false),
        min_view_ms: file.min_view_ms.or(Some(0)),
        ..file
    };
    let config = ServeConfig::resolve(storage, None, true, file).unwrap();
    Arc::new(App::open(config).await.unwrap())
}

fn app_router(arena: &Arc<App>) -> Router {
    app(AppState(arena.clone()))
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts the API error shape and returns its code.
    pub fn error_code(&self) -> String {
        let body = self.json();
        assert!(
            body["error"]["message"].is_string(),
            "no error message in {body}"
        );
        body["error"]["code"]
            .as_str()
            .expect("error code")
            .to_string()
    }
}

/// Sends one request to the router.
pub async fn send(router: &Router, request: Request<Body>) -> Response {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Response {
        status,
        headers,
        body,
    }
}

/// A voter: keeps the cookie the server gives it.
#[derive(Clone)]
pub struct Client {
    router: Router,
    pub cookie: Option<String>,
    /// Sent as `X-Forwarded-For` (as if through a proxy) when set.
    pub forwarded_for: Option<String>,
}

impl Client {
    pub fn new(router: Router) -> Client {
        Client {
            router,
            cookie: None,
            forwarded_for: None,
        }
    }

    /// A client whose requests come through a proxy on behalf of `address`.
    pub fn behind_proxy(router: Router, address: &str) -> Client {
        Client {
            forwarded_for: Some(address.to_string()),
            ..Client::new(router)
        }
    }

    /// The router this client talks to.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Fetches both images of a served battle, as a browser showing it does.
    pub async fn look_at(&mut self, battle: &serde_json::Value) {
        for side in ["a", "b"] {
            let url = battle["images"][side].as_str().expect("image URL");
            let r = self.get(url).await;
            assert_eq!(r.status, StatusCode::OK, "{url}");
        }
    }

    pub async fn send(
        &mut self,
        method: Method,
        uri: &str,
        content_type: &str,
        body: &str,
    ) -> Response {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(address) = &self.forwarded_for {
            request = request.header("x-forwarded-for", address);
        }
        if !body.is_empty() {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let request = request.body(Body::from(body.to_string())).unwrap();
        let response = send(&self.router, request).await;
        if let Some(set) = response.headers.get(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            self.cookie = Some(pair);
        }
        response
    }

    pub async fn get(&mut self, uri: &str) -> Response {
        self.send(Method::GET, uri, "", "").await
    }

    pub async fn post_json(&mut self, uri: &str, body: serde_json::Value) -> Response {
        self.send(Method::POST, uri, "application/json", &body.to_string())
            .await
    }

    pub async fn new_battle(&mut self) -> serde_json::Value {
        let r = self
            .post_json("/api/v1/battles", serde_json::json!({}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()
    }

    pub async fn vote(&mut self, id: &str, winner: &str) -> Response {
        self.post_json(
            &format!("/api/v1/battles/{id}/vote"),
            serde_json::json!({ "winner": winner }),
        )
        .await
    }
}

/// Every string that would give a model away.
pub async fn identifying_strings(arena: &TestArena) -> Vec<String> {
    let mut words = Vec::new();
    for m in arena.app.store.list_models().await.unwrap() {
        words.push(m.slug.clone());
        words.push(m.display_name.clone());
        words.extend(
            m.slug
                .split('-')
                .filter(|w| w.len() > 4 && *w != "demo")
                .map(String::from),
        );
    }
    words
}

pub fn assert_blind(what: &str, haystack: &[u8], words: &[String]) {
    let text = String::from_utf8_lossy(haystack).to_lowercase();
    for w in words {
        assert!(
            !text.contains(&w.to_lowercase()),
            "{what} names a model ({w:?})"
        );
    }
}

/// Ratings by model of a `/api/v1/leaderboard` answer.
pub fn ratings(board: &serde_json::Value) -> std::collections::BTreeMap<String, f64> {
    board["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["model"].as_str().unwrap().to_string(),
                m["rating"].as_f64().unwrap(),
            )
        })
        .collect()
}
