//! The `openai` backend: any OpenAI-compatible `POST {base_url}/images/generations`
//! endpoint. Handles `b64_json` and URL responses, time limits, and 429/5xx with
//! exponential backoff (honouring `Retry-After`).

use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use reqwest::StatusCode;
use serde::Deserialize;

use crate::backend::{Backend, GeneratedImage, GenerationRequest, Progress};

/// A model entry's keys for `backend = "openai"` in worker.toml.
#[derive(Clone, Debug, Deserialize)]
pub struct OpenAiConfig {
    /// The API root, e.g. `https://api.openai.com/v1`; `/images/generations` is appended.
    pub base_url: String,
    /// The provider's model name, sent as `model`.
    pub model: String,
    /// Name of the environment variable that holds the API key (none: no key sent).
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// `size` to ask for (e.g. `1024x1024`); default: the job's width × height.
    #[serde(default)]
    pub size: Option<String>,
    /// `response_format` to ask for (`b64_json` or `url`); default: not sent.
    #[serde(default)]
    pub response_format: Option<String>,
    /// Extra fields merged into the request body (e.g. `quality = "hd"`).
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Time limit of one HTTP request.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Retries after a 429, a 5xx, a timeout or a connection error.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// First backoff; doubled at each retry.
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
}

fn default_timeout_secs() -> u64 {
    120
}

fn default_max_retries() -> u32 {
    3
}

fn default_backoff_ms() -> u64 {
    1000
}

/// Why a request to the provider failed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub message: String,
    /// Another attempt later may succeed (timeouts, 429, 5xx, connection errors).
    pub transient: bool,
}

impl ApiError {
    fn transient(message: String) -> ApiError {
        ApiError {
            message,
            transient: true,
        }
    }

    fn permanent(message: String) -> ApiError {
        ApiError {
            message,
            transient: false,
        }
    }
}

/// A loaded `openai` model. `generate` runs on a worker thread and blocks on the
/// async client through the runtime it was loaded in.
pub struct OpenAiBackend {
    config: OpenAiConfig,
    api_key: Option<String>,
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

impl OpenAiBackend {
    /// Reads the API key from the environment; must be called inside a tokio runtime.
    pub fn load(config: &OpenAiConfig) -> anyhow::Result<OpenAiBackend> {
        let api_key = match &config.api_key_env {
            Some(var) => Some(std::env::var(var).with_context(|| {
                format!("the environment variable {var} (api_key_env) is not set")
            })?),
            None => None,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs))
            .connect_timeout(Duration::from_secs(config.timeout_secs.min(10)))
            .build()?;
        let runtime = tokio::runtime::Handle::try_current()
            .context("the openai backend must be loaded inside a tokio runtime")?;
        Ok(OpenAiBackend {
            config: config.clone(),
            api_key,
            http,
            runtime,
        })
    }

    /// The `size` asked for, and recorded with the image: the configured one, else
    /// the job's.
    fn size(&self, request: &GenerationRequest) -> String {
        self.config
            .size
            .clone()
            .unwrap_or_else(|| format!("{}x{}", request.width, request.height))
    }

    async fn generate_async(&self, request: &GenerationRequest) -> Result<Vec<u8>, ApiError> {
        let url = format!(
            "{}/images/generations",
            self.config.base_url.trim_end_matches('/')
        );
        let mut body = serde_json::json!({
            "model": self.config.model,
            "prompt": request.prompt,
            "n": 1,
            "size": self.size(request),
        });
        if let Some(format) = &self.config.response_format {
            body["response_format"] = format.clone().into();
        }
        for (k, v) in &self.config.extra {
            body[k] = v.clone();
        }
        let response = self
            .with_retries(|| {
                let mut call = self.http.post(&url).json(&body);
                if let Some(key) = &self.api_key {
                    call = call.bearer_auth(key);
                }
                call
            })
            .await?;
        let text = response
            .text()
            .await
            .map_err(|e| ApiError::transient(format!("reading the response failed: {e}")))?;
        let item = parse_response(&text)?;
        match item {
            ImageRef::Base64(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| {
                    ApiError::permanent(format!("malformed response: b64_json is not base64 ({e})"))
                }),
            ImageRef::Url(image_url) => {
                let image = self.with_retries(|| self.http.get(&image_url)).await?;
                let bytes = image.bytes().await.map_err(|e| {
                    ApiError::transient(format!("downloading the image failed: {e}"))
                })?;
                Ok(bytes.to_vec())
            }
        }
    }

    /// Sends the request, retrying 429, 5xx, timeouts and connection errors.
    async fn with_retries(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ApiError> {
        let mut attempt = 0;
        loop {
            let (error, retry_after) = match build().send().await {
                Ok(r) if r.status().is_success() => return Ok(r),
                Ok(r) => {
                    let status = r.status();
                    let retry_after = r
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = r.text().await.unwrap_or_default();
                    let message =
                        format!("HTTP {status} from the image API: {}", error_message(&body));
                    if !(status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()) {
                        return Err(ApiError::permanent(message));
                    }
                    (ApiError::transient(message), retry_after)
                }
                Err(e) if e.is_timeout() => (
                    ApiError::transient(format!(
                        "the image API timed out after {} s",
                        self.config.timeout_secs
                    )),
                    None,
                ),
                Err(e) => (
                    ApiError::transient(format!("cannot reach the image API: {e}")),
                    None,
                ),
            };
            if attempt >= self.config.max_retries {
                return Err(error);
            }
            let backoff =
                Duration::from_millis(self.config.backoff_ms.saturating_mul(1 << attempt.min(10)));
            let wait = retry_after.unwrap_or(backoff).min(Duration::from_secs(60));
            tracing::warn!(error = %error, retry_in_ms = wait.as_millis() as u64, "image API call failed; retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

enum ImageRef {
    Base64(String),
    Url(String),
}

#[derive(Deserialize)]
struct ImagesResponse {
    data: Vec<ImageData>,
}

#[derive(Deserialize)]
struct ImageData {
    b64_json: Option<String>,
    url: Option<String>,
}

fn parse_response(text: &str) -> Result<ImageRef, ApiError> {
    let parsed: ImagesResponse = serde_json::from_str(text)
        .map_err(|e| ApiError::permanent(format!("malformed response from the image API: {e}")))?;
    let first = parsed.data.into_iter().next().ok_or_else(|| {
        ApiError::permanent("malformed response from the image API: `data` is empty".into())
    })?;
    match (first.b64_json, first.url) {
        (Some(b64), _) => Ok(ImageRef::Base64(b64)),
        (None, Some(url)) => Ok(ImageRef::Url(url)),
        (None, None) => Err(ApiError::permanent(
            "malformed response from the image API: neither `b64_json` nor `url`".into(),
        )),
    }
}

/// The provider's own message when the body has one (`{"error": {"message"}}`),
/// else the start of the body.
fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    match parsed.as_ref().and_then(|v| v["error"]["message"].as_str()) {
        Some(m) => m.to_string(),
        None => body.chars().take(200).collect(),
    }
}

impl Backend for OpenAiBackend {
    fn generate(
        &self,
        request: &GenerationRequest,
        progress: Progress<'_>,
    ) -> anyhow::Result<GeneratedImage> {
        progress(0, 1);
        let bytes = self.runtime.block_on(self.generate_async(request))?;
        let png = to_png(&bytes).map_err(ApiError::permanent)?;
        progress(1, 1);
        Ok(GeneratedImage {
            png,
            params: serde_json::json!({
                "backend": "openai",
                "model": self.config.model,
                "size": self.size(request),
            }),
        })
    }
}

/// PNG bytes of any image the API returns (PNG, JPEG or WebP).
fn to_png(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(bytes.to_vec());
    }
    let image = image::load_from_memory(bytes)
        .map_err(|e| format!("malformed response: the image cannot be decoded ({e})"))?;
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| format!("re-encoding the image failed: {e}"))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_with_b64_or_url_parse_and_others_are_malformed() {
        assert!(matches!(
            parse_response(r#"{"data":[{"b64_json":"aGk="}]}"#),
            Ok(ImageRef::Base64(_))
        ));
        assert!(matches!(
            parse_response(r#"{"data":[{"url":"http://x/y.png"}]}"#),
            Ok(ImageRef::Url(_))
        ));
        for bad in [
            "<html>",
            r#"{"data":[]}"#,
            r#"{"data":[{}]}"#,
            r#"{"images":[]}"#,
        ] {
            let err = parse_response(bad).err().expect(bad);
            assert!(
                !err.transient && err.message.contains("malformed"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn provider_error_messages_are_kept() {
        assert_eq!(
            error_message(r#"{"error":{"message":"rate limited"}}"#),
            "rate limited"
        );
        assert_eq!(error_message("oops"), "oops");
    }
}
