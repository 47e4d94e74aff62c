//! Images, static files and health probes: routes that need no voter.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use axum_extra::extract::PrivateCookieJar;

use super::error::{AppError, Result};
use super::state::AppState;

const CSS: &str = include_str!("../../../static/arena.css");
const JS: &str = include_str!("../../../static/arena.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/images/{token}", get(image))
        .route(
            "/static/arena.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/static/arena.js",
            get(|| async { asset(JS, "text/javascript; charset=utf-8") }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// An image by its per-battle token. The response carries nothing but the bytes:
/// no ETag or Last-Modified that could link it to other battles or to a model. The
/// first fetch by the battle's own voter is recorded: a vote counts only when its
/// voter fetched both images.
async fn image(
    State(state): State<AppState>,
    jar: PrivateCookieJar,
    Path(token): Path<String>,
) -> Result<Response> {
    let valid = token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let voter = super::voter::voter_id(&jar);
    let key = match valid {
        true => state.store.fetch_image(&token, voter.as_deref()).await?,
        false => None,
    };
    let Some(key) = key else {
        return Err(AppError::not_found("No such image."));
    };
    let bytes = state.blobs.get(&key).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(response)
}

/// How long `/readyz` waits for the image store's probe.
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

async fn readyz(State(state): State<AppState>) -> Response {
    if !state.store.ping().await {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    } else if !tokio::time::timeout(READY_WAIT, state.blobs.is_reachable())
        .await
        .unwrap_or(false)
    {
        (StatusCode::SERVICE_UNAVAILABLE, "image store unreachable").into_response()
    } else {
        "ready".into_response()
    }
}
