//! A fake OpenAI-compatible image API for tests of the `openai` backend. What it
//! answers depends on the `model` asked for; it keeps every request body so that a
//! test can check what a worker sent, and counts the downloads of its image.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;

use super::png_with_metadata;

/// How large the `huge` answers are: more than the 1 MiB `max_response_bytes` the
/// tests set, far less than the default.
pub const HUGE_BYTES: usize = 3 * 1024 * 1024;

/// A fake provider running on a free port; its API root is `{base}/v1`.
pub struct FakeOpenAi {
    pub base: String,
    requests: Arc<Mutex<Vec<serde_json::Value>>>,
    image_fetches: Arc<AtomicUsize>,
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
    /// | `huge` | [`HUGE_BYTES`] of `b64_json`, streamed without a length |
    /// | `huge-image` | the URL of an image of [`HUGE_BYTES`] it serves |
    /// | `other-host` | the URL of its PNG under another host name (`localhost`) |
    /// | `redirect` | a URL of its own that redirects to `other-host`'s |
    /// | anything else | HTTP 200 with a body that is not JSON |
    pub async fn start() -> FakeOpenAi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let elsewhere = format!("http://localhost:{port}/files/image.png");
        let requests: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let image_fetches: Arc<AtomicUsize> = Arc::default();
        let seen = requests.clone();
        let (own, other) = (base.clone(), elsewhere.clone());
        let generations = move |Json(body): Json<serde_json::Value>| {
            let (own, other) = (own.clone(), other.clone());
            seen.lock().unwrap().push(body.clone());
            async move { answer(&body, &own, &other).await }
        };
        let fetches = image_fetches.clone();
        let app = axum::Router::new()
            .route("/v1/images/generations", post(generations))
            .route(
                "/files/image.png",
                get(move || async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    Response::new(Body::from(png_with_metadata(50, 50)))
                }),
            )
            .route(
                "/files/redirect.png",
                get(move || async move {
                    (StatusCode::FOUND, [(header::LOCATION, elsewhere)]).into_response()
                }),
            )
            .route(
                "/files/huge.png",
                get(|| async { Response::new(huge_body(b"")) }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeOpenAi {
            base,
            requests,
            image_fetches,
        }
    }

    /// The JSON body of every `POST /v1/images/generations` so far, in order.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        self.requests.lock().unwrap().clone()
    }

    /// How many times its PNG (`/files/image.png`, under any host name) was fetched.
    pub fn image_fetches(&self) -> usize {
        self.image_fetches.load(Ordering::SeqCst)
    }
}

/// [`HUGE_BYTES`] of base64 text after `prefix`, in 64 KiB chunks and without a
/// `Content-Length`, so that only a reader that counts as it goes can stop it.
fn huge_body(prefix: &'static [u8]) -> Body {
    let chunk = Bytes::from(vec![b'A'; 64 * 1024]);
    let chunks = std::iter::once(Bytes::from_static(prefix))
        .chain(std::iter::repeat_n(chunk, HUGE_BYTES / (64 * 1024)))
        .chain(std::iter::once(Bytes::from_static(b"\"}]}")))
        .map(Ok::<_, Infallible>);
    Body::from_stream(futures_util::stream::iter(chunks))
}

async fn answer(body: &serde_json::Value, own: &str, other_host_url: &str) -> Response {
    match body["model"].as_str().unwrap_or("") {
        "b64" => {
            let png = base64::engine::general_purpose::STANDARD.encode(png_with_metadata(40, 30));
            Json(serde_json::json!({ "created": 1, "data": [{ "b64_json": png }] })).into_response()
        }
        "url" => Json(serde_json::json!({ "data": [{ "url": format!("{own}/files/image.png") }] }))
            .into_response(),
        "server-error" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({ "error": { "message": "the GPU caught fire" } })),
        )
            .into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Json(serde_json::json!({ "data": [] })).into_response()
        }
        "huge" => Response::new(huge_body(b"{\"data\":[{\"b64_json\":\"")),
        "huge-image" => {
            Json(serde_json::json!({ "data": [{ "url": format!("{own}/files/huge.png") }] }))
                .into_response()
        }
        "other-host" => {
            Json(serde_json::json!({ "data": [{ "url": other_host_url }] })).into_response()
        }
        "redirect" => {
            Json(serde_json::json!({ "data": [{ "url": format!("{own}/files/redirect.png") }] }))
                .into_response()
        }
        _ => (StatusCode::OK, "<html>definitely not JSON</html>").into_response(),
    }
}
