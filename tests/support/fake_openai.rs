//! A fake OpenAI-compatible image API for tests of the `openai` backend. What it
//! answers depends on the `model` asked for; it keeps every request body so that a
//! test can check what a worker sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;

use super::png_with_metadata;

/// A fake provider running on a free port; its API root is `{base}/v1`.
pub struct FakeOpenAi {
    pub base: String,
    requests: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl FakeOpenAi {
    /// Starts the provider on the current tokio runtime. By `model`:
    ///
    /// | model | answer |
    /// |---|---|
    /// | `b64` | a 40×30 PNG as `b64_json` |
    /// | `url` | the URL of a 50×50 PNG it also serves |
    /// | `server-error` | HTTP 500 with an OpenAI-style error |
    /// | `slow` | nothing for 5 s, then no image |
    /// | anything else | HTTP 200 with a body that is not JSON |
    pub async fn start() -> FakeOpenAi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let image_url = format!("{base}/files/image.png");
        let seen = requests.clone();
        let generations = move |Json(body): Json<serde_json::Value>| {
            let image_url = image_url.clone();
            seen.lock().unwrap().push(body.clone());
            async move { answer(&body, &image_url).await }
        };
        let app = axum::Router::new()
            .route("/v1/images/generations", post(generations))
            .route(
                "/files/image.png",
                get(|| async { Response::new(axum::body::Body::from(png_with_metadata(50, 50))) }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeOpenAi { base, requests }
    }

    /// The JSON body of every `POST /v1/images/generations` so far, in order.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        self.requests.lock().unwrap().clone()
    }
}

async fn answer(body: &serde_json::Value, image_url: &str) -> Response {
    match body["model"].as_str().unwrap_or("") {
        "b64" => {
            let png = base64::engine::general_purpose::STANDARD.encode(png_with_metadata(40, 30));
            Json(serde_json::json!({ "created": 1, "data": [{ "b64_json": png }] })).into_response()
        }
        "url" => Json(serde_json::json!({ "data": [{ "url": image_url }] })).into_response(),
        "server-error" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({ "error": { "message": "the GPU caught fire" } })),
        )
            .into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Json(serde_json::json!({ "data": [] })).into_response()
        }
        _ => (StatusCode::OK, "<html>definitely not JSON</html>").into_response(),
    }
}
