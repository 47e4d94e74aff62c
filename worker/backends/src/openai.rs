//! The `openai` backend: any OpenAI-compatible `POST {base_url}/images/generations`
//! endpoint. Handles `b64_json` and URL responses, time limits, and 429/5xx with
//! exponential backoff (honouring `Retry-After`).
//!
//! What the provider answers is not trusted: every body is read in chunks up to
//! `max_response_bytes`, an image URL is fetched only from the provider's own origin
//! (that of `base_url`) or a host in `allowed_image_hosts`, redirects are followed only
//! to those, and images are decoded within dimension and memory limits.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use reqwest::{StatusCode, Url};
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
    /// Hosts besides `base_url`'s that image URLs in answers may point to, e.g. the
    /// provider's CDN; `*.example.com` matches the subdomains of `example.com`. URLs
    /// elsewhere are not fetched and the job fails.
    #[serde(default)]
    pub allowed_image_hosts: Vec<String>,
    /// The largest answer read from the provider (its JSON, or the image at a URL), in
    /// bytes; a larger one fails the job unread.
    #[serde(default = "default_max_response_bytes")]
    pub max_response_bytes: u64,
}

/// The default `max_response_bytes`: 64 MiB, four times a 2048² PNG as base64.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// How much of an error answer is read for its message.
const MAX_ERROR_BODY_BYTES: u64 = 64 * 1024;

/// How many redirects one request follows (each to an allowed host).
const MAX_REDIRECTS: usize = 5;

/// The largest image decoded (width and height, in pixels), and the memory decoding
/// one may take: the arena refuses larger uploads anyway.
const MAX_IMAGE_SIDE: u32 = 4096;
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

fn default_max_response_bytes() -> u64 {
    DEFAULT_MAX_RESPONSE_BYTES
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

/// Where the backend may fetch from: the provider's own origin (scheme, host and port
/// of `base_url`) and the hosts of `allowed_image_hosts`.
#[derive(Clone, Debug)]
struct Hosts {
    provider: (String, String, Option<u16>),
    /// Lower-case host names; `*.suffix` matches subdomains of `suffix`.
    allowed: Vec<String>,
}

impl Hosts {
    fn new(config: &OpenAiConfig) -> anyhow::Result<Hosts> {
        let base = Url::parse(&config.base_url)
            .with_context(|| format!("base_url {:?} is not a URL", config.base_url))?;
        let host = match (base.scheme(), base.host_str()) {
            ("http" | "https", Some(host)) => host.to_ascii_lowercase(),
            _ => anyhow::bail!(
                "base_url {:?} must be an http:// or https:// URL",
                config.base_url
            ),
        };
        let allowed = config
            .allowed_image_hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        Ok(Hosts {
            provider: (
                base.scheme().to_string(),
                host,
                base.port_or_known_default(),
            ),
            allowed,
        })
    }

    fn allows(&self, url: &Url) -> bool {
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let (scheme, provider_host, port) = &self.provider;
        if url.scheme() == scheme && &host == provider_host && url.port_or_known_default() == *port
        {
            return true;
        }
        self.allowed
            .iter()
            .any(|allowed| match allowed.strip_prefix("*.") {
                Some(parent) => host
                    .strip_suffix(parent)
                    .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1),
                None => &host == allowed,
            })
    }

    /// For messages: the provider's host and the allowed ones.
    fn describe(&self) -> String {
        let mut hosts = vec![self.provider.1.clone()];
        hosts.extend(self.allowed.iter().cloned());
        hosts.join(", ")
    }
}

/// A redirect the backend refused to follow (the source of a reqwest redirect error).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct RedirectRefused(String);

/// A loaded `openai` model. `generate` runs on a worker thread and blocks on the
/// async client through the runtime it was loaded in.
pub struct OpenAiBackend {
    config: OpenAiConfig,
    api_key: Option<String>,
    http: reqwest::Client,
    hosts: Arc<Hosts>,
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
        let hosts = Arc::new(Hosts::new(config)?);
        let follow = hosts.clone();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                let message = format!("more than {MAX_REDIRECTS} redirects");
                return attempt.error(RedirectRefused(message));
            }
            if follow.allows(attempt.url()) {
                return attempt.follow();
            }
            let message = format!(
                "a redirect to {}, which is not the provider's host nor in allowed_image_hosts \
                 ({})",
                attempt.url().host_str().unwrap_or("a URL without a host"),
                follow.describe()
            );
            attempt.error(RedirectRefused(message))
        });
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs))
            .connect_timeout(Duration::from_secs(config.timeout_secs.min(10)))
            .redirect(redirects)
            .build()?;
        let runtime = tokio::runtime::Handle::try_current()
            .context("the openai backend must be loaded inside a tokio runtime")?;
        Ok(OpenAiBackend {
            config: config.clone(),
            api_key,
            http,
            hosts,
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
        let cap = self.config.max_response_bytes;
        let body = read_capped(response, cap, "the image API's answer").await?;
        let text = std::str::from_utf8(&body).map_err(|_| {
            ApiError::permanent("malformed response from the image API: not UTF-8".into())
        })?;
        let item = parse_response(text)?;
        match item {
            ImageRef::Base64(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| {
                    ApiError::permanent(format!("malformed response: b64_json is not base64 ({e})"))
                }),
            ImageRef::Url(image_url) => {
                let url = Url::parse(&image_url).map_err(|_| {
                    ApiError::permanent(
                        "malformed response from the image API: `url` is not a URL".into(),
                    )
                })?;
                if !self.hosts.allows(&url) {
                    return Err(ApiError::permanent(format!(
                        "the image API answered with an image URL on {}, which is not its own \
                         host nor in allowed_image_hosts ({}); it was not fetched",
                        url.host_str().unwrap_or("no host"),
                        self.hosts.describe()
                    )));
                }
                let image = self.with_retries(|| self.http.get(url.clone())).await?;
                read_capped(image, cap, "the image at the answer's URL").await
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
                    let body = read_prefix(r, MAX_ERROR_BODY_BYTES).await;
                    let message = format!(
                        "HTTP {status} from the image API: {}",
                        error_message(&String::from_utf8_lossy(&body))
                    );
                    if !(status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()) {
                        return Err(ApiError::permanent(message));
                    }
                    (ApiError::transient(message), retry_after)
                }
                Err(e) if e.is_redirect() => {
                    let why = refused_redirect(&e).unwrap_or_else(|| e.to_string());
                    return Err(ApiError::permanent(format!(
                        "the image API's answer was not followed: {why}"
                    )));
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

/// The body of `response`, read in chunks; a permanent error, with the rest unread,
/// as soon as it passes `cap` bytes.
async fn read_capped(
    mut response: reqwest::Response,
    cap: u64,
    what: &str,
) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::permanent(format!(
            "{what} is larger than {cap} bytes (max_response_bytes); it was not read"
        ))
    };
    if response.content_length().is_some_and(|n| n > cap) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ApiError::transient(format!("reading {what} failed: {e}")))?
    {
        if (body.len() + chunk.len()) as u64 > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// At most the first `cap` bytes of the body (for an error message); what cannot be
/// read is left out.
async fn read_prefix(mut response: reqwest::Response, cap: u64) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = (cap as usize).saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() as u64 >= cap {
            break;
        }
    }
    body
}

/// Why the redirect policy refused a redirect, from the error's sources.
fn refused_redirect(e: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<RedirectRefused>() {
            return Some(refused.0.clone());
        }
        source = s.source();
    }
    None
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

/// PNG bytes of any image the API returns (PNG, JPEG or WebP); other formats are
/// decoded within [`MAX_IMAGE_SIDE`] and [`MAX_DECODE_ALLOC`]. PNGs pass as they are:
/// the arena decodes every upload within the same limits.
fn to_png(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(bytes.to_vec());
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("reading the image failed: {e}"))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(limit) => format!("the image is too large to decode ({limit})"),
        other => format!("malformed response: the image cannot be decoded ({other})"),
    })?;
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

    fn config(base_url: &str, allowed: &[&str]) -> OpenAiConfig {
        OpenAiConfig {
            base_url: base_url.into(),
            model: "m".into(),
            api_key_env: None,
            size: None,
            response_format: None,
            extra: Default::default(),
            timeout_secs: 1,
            max_retries: 0,
            backoff_ms: 1,
            allowed_image_hosts: allowed.iter().map(|h| h.to_string()).collect(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    #[test]
    fn image_urls_are_allowed_only_on_the_providers_origin_or_listed_hosts() {
        let hosts = Hosts::new(&config(
            "https://API.example.com/v1",
            &["cdn.example.net", "*.blob.example.org"],
        ))
        .unwrap();
        let allowed = |u: &str| hosts.allows(&Url::parse(u).unwrap());
        assert!(allowed("https://api.example.com/files/a.png"));
        assert!(allowed("https://api.example.com:443/files/a.png"));
        assert!(
            !allowed("http://api.example.com/files/a.png"),
            "another scheme"
        );
        assert!(
            !allowed("https://api.example.com:8443/a.png"),
            "another port"
        );
        assert!(!allowed("https://api.example.com.evil.test/a.png"));
        assert!(!allowed("https://169.254.169.254/latest/meta-data"));
        assert!(allowed("https://cdn.example.net/a.png"));
        assert!(allowed("http://cdn.example.net:9000/a.png"));
        assert!(!allowed("https://x.cdn.example.net/a.png"));
        assert!(allowed("https://store1.blob.example.org/a.png"));
        assert!(!allowed("https://blob.example.org/a.png"));
        assert!(!allowed("https://evilblob.example.org/a.png"));
        assert!(!allowed("file:///etc/passwd"));
        assert!(Hosts::new(&config("file:///tmp", &[])).is_err());
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
