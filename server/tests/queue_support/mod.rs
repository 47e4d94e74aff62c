//! Helpers for the queue and live-battle tests: an arena with a chosen `[queue]` and
//! admin token, and a worker that speaks the worker protocol to the router (it keeps
//! the lease nonce of each job it leased and sends it back, as a real worker does).
#![allow(dead_code)] // each test binary uses a different part of this module

use std::collections::HashMap;
use std::sync::Mutex;

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

/// A lease nonce no lease was given (the server's are random): a worker's guess.
pub const GUESSED_LEASE: &str = "00000000000000000000000000000000";

/// A worker speaking the protocol with a bearer token.
pub struct TestWorker {
    pub router: Router,
    pub token: String,
    /// The nonce of this worker's latest lease of each job.
    leases: Mutex<HashMap<i64, String>>,
}

impl TestWorker {
    /// Registers a worker called `name`, allowed every model, and keeps its token.
    pub async fn add(arena: &TestArena, name: &str) -> TestWorker {
        TestWorker::add_serving(arena, name, None).await
    }

    /// Registers a worker called `name` whose token may serve `models` (`None`: all).
    pub async fn add_serving(arena: &TestArena, name: &str, models: Option<&[&str]>) -> TestWorker {
        let token = arena_server::generation::workers::new_token();
        let models: Option<Vec<String>> = models.map(|m| m.iter().map(|s| s.to_string()).collect());
        arena
            .app
            .store
            .add_worker(
                name,
                &arena_server::generation::workers::hash_token(&token),
                models.as_deref(),
            )
            .await
            .unwrap();
        TestWorker {
            router: arena.router.clone(),
            token,
            leases: Mutex::default(),
        }
    }

    /// The nonce this worker sends for `job`: that of its latest lease of it, else
    /// [`GUESSED_LEASE`].
    pub fn nonce(&self, job: i64) -> String {
        self.leases
            .lock()
            .unwrap()
            .get(&job)
            .cloned()
            .unwrap_or_else(|| GUESSED_LEASE.to_string())
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
        let job = r.json()["job"].clone();
        if let (Some(id), Some(lease)) = (job["id"].as_i64(), job["lease"].as_str()) {
            self.leases.lock().unwrap().insert(id, lease.to_string());
        }
        job
    }

    /// A POST about `job` with `nonce` in the lease header (none: no header).
    pub async fn post_as(
        &self,
        job: i64,
        action: &str,
        nonce: Option<&str>,
        json: serde_json::Value,
    ) -> Response {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(nonce) = nonce {
            headers.push(("arena-lease", nonce));
        }
        self.call(
            Method::POST,
            &format!("/api/v1/worker/jobs/{job}/{action}"),
            Body::from(json.to_string()),
            &headers,
        )
        .await
    }

    pub async fn heartbeat(&self, job: i64, step: u32, steps: u32) -> Response {
        self.heartbeat_as(job, Some(&self.nonce(job)), step, steps)
            .await
    }

    pub async fn heartbeat_as(
        &self,
        job: i64,
        nonce: Option<&str>,
        step: u32,
        steps: u32,
    ) -> Response {
        let beat = serde_json::json!({ "step": step, "steps": steps });
        self.post_as(job, "heartbeat", nonce, beat).await
    }

    pub async fn result(&self, job: i64, png: Vec<u8>) -> Response {
        self.result_as(job, Some(&self.nonce(job)), png).await
    }

    pub async fn result_as(&self, job: i64, nonce: Option<&str>, png: Vec<u8>) -> Response {
        let mut headers = vec![
            ("content-type", "image/png"),
            (
                "arena-params",
                r#"{"steps":4,"latency_ms":12,"note":"caf\u00e9"}"#,
            ),
        ];
        if let Some(nonce) = nonce {
            headers.push(("arena-lease", nonce));
        }
        self.call(
            Method::PUT,
            &format!("/api/v1/worker/jobs/{job}/result"),
            Body::from(png),
            &headers,
        )
        .await
    }

    pub async fn fail(&self, job: i64, reason: &str, retryable: bool) -> Response {
        let body = serde_json::json!({ "reason": reason, "retryable": retryable });
        self.post_as(job, "fail", Some(&self.nonce(job)), body)
            .await
    }

    /// Gives `job` back unfinished, as a worker that shuts down does.
    pub async fn release(&self, job: i64) -> Response {
        self.release_as(job, Some(&self.nonce(job))).await
    }

    pub async fn release_as(&self, job: i64, nonce: Option<&str>) -> Response {
        let body = serde_json::json!({ "reason": "shutting down", "release": true });
        self.post_as(job, "fail", nonce, body).await
    }
}
