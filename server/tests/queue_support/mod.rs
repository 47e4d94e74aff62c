//! Helpers for the queue and live-battle tests: an arena with a chosen `[queue]` and
//! admin token, and a worker that speaks the worker protocol to the router.
#![allow(dead_code)] // each test binary uses a different part of this module

use arena_server::config::FileConfig;
use arena_server::config::QueueConfig;
use arena_server::store::NewPrompt;
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

pub use crate::common::send;
use crate::common::{Backend, Response, TestArena};

pub const ADMIN_TOKEN: &str = "test-admin-token-of-at-least-32-characters";

/// An arena with the demo models, `prompts` and no images yet; `None` to skip. Its
/// pool keeps one image per (prompt, model), whatever `queue` says: these tests count
/// the jobs a refill queues.
pub async fn arena(backend: Backend, queue: QueueConfig, prompts: &[&str]) -> Option<TestArena> {
    let file = FileConfig {
        admin_token: Some(ADMIN_TOKEN.into()),
        queue: QueueConfig {
            pool_images: 1,
            ..queue
        },
        ..FileConfig::default()
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
    Some(arena)
}

/// A worker speaking the protocol with a bearer token.
pub struct TestWorker {
    pub router: Router,
    pub token: String,
}

impl TestWorker {
    /// Registers a worker called `name` and keeps its token.
    pub async fn add(arena: &TestArena, name: &str) -> TestWorker {
        let token = arena_server::generation::workers::new_token();
        arena
            .app
            .store
            .add_worker(name, &arena_server::generation::workers::hash_token(&token))
            .await
            .unwrap();
        TestWorker {
            router: arena.router.clone(),
            token,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        body: Body,
        extra: &[(&str, &str)],
    ) -> Response {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token));
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        send(&self.router, request.body(body).unwrap()).await
    }

    pub async fn post(&self, uri: &str, json: serde_json::Value) -> Response {
        self.call(
            Method::POST,
            uri,
            Body::from(json.to_string()),
            &[("content-type", "application/json")],
        )
        .await
    }

    /// Leases a job of `models` without waiting; the job's JSON or `Null`.
    pub async fn lease(&self, models: &[&str]) -> serde_json::Value {
        let r = self
            .post(
                "/api/v1/worker/lease",
                serde_json::json!({ "models": models, "wait_secs": 0 }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()["job"].clone()
    }

    pub async fn heartbeat(&self, job: i64, step: u32, steps: u32) -> Response {
        self.post(
            &format!("/api/v1/worker/jobs/{job}/heartbeat"),
            serde_json::json!({ "step": step, "steps": steps }),
        )
        .await
    }

    pub async fn result(&self, job: i64, png: Vec<u8>) -> Response {
        self.call(
            Method::PUT,
            &format!("/api/v1/worker/jobs/{job}/result"),
            Body::from(png),
            &[
                ("content-type", "image/png"),
                (
                    "arena-params",
                    r#"{"steps":4,"latency_ms":12,"note":"caf\u00e9"}"#,
                ),
            ],
        )
        .await
    }

    pub async fn fail(&self, job: i64, reason: &str, retryable: bool) -> Response {
        self.post(
            &format!("/api/v1/worker/jobs/{job}/fail"),
            serde_json::json!({ "reason": reason, "retryable": retryable }),
        )
        .await
    }
}
