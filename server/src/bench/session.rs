//! One simulated client: its own HTTP connection pool (kept alive between requests),
//! its own cookies — so its own voter — and, with `--forwarded-for`, its own address.
//!
//! Cookies are kept by hand: the arena sets one (the voter cookie), and reqwest's
//! cookie store would be a new dependency for that.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

// The `bytes` crate's type, as axum re-exports it (reqwest's bodies are the same type).
use axum::body::Bytes;
use reqwest::header::{self, HeaderMap};
use reqwest::{RequestBuilder, Response, StatusCode};

use super::stats::{Endpoint, Recorder};

/// How long one ordinary request may take before it counts as a `timeout` error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest a refused client waits before trying again, whatever `Retry-After`
/// says: an hour-long rate-limit window would otherwise stop the voter for the run.
const MAX_BACK_OFF: Duration = Duration::from_secs(1);

/// The wait after a refusal that names none (a lost connection, a 500).
const DEFAULT_BACK_OFF: Duration = Duration::from_millis(100);

pub struct Session {
    http: reqwest::Client,
    /// The target without a trailing slash; paths are appended to it.
    base: String,
    cookies: CookieJar,
    /// `X-Forwarded-For` of every request, when the run simulates distinct addresses.
    forwarded_for: Option<String>,
}

/// A request that did not succeed; it has been recorded as an error.
#[derive(Debug, Default)]
pub struct Refused {
    /// What the target's `Retry-After` asked for.
    pub retry_after: Option<Duration>,
}

impl Refused {
    /// Waits politely before the next attempt: what `Retry-After` asked, at most
    /// [`MAX_BACK_OFF`], and never past `deadline`.
    pub async fn back_off(&self, deadline: Instant) {
        let wait = self
            .retry_after
            .unwrap_or(DEFAULT_BACK_OFF)
            .min(MAX_BACK_OFF)
            .min(deadline.saturating_duration_since(Instant::now()));
        tokio::time::sleep(wait).await;
    }
}

impl Session {
    pub fn new(base: &str, forwarded_for: Option<Ipv4Addr>) -> anyhow::Result<Session> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("arena-bench/", env!("CARGO_PKG_VERSION")))
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            // The arena answers with its own statuses; a redirect is one of them.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Session {
            http,
            base: base.trim_end_matches('/').to_string(),
            cookies: CookieJar::default(),
            forwarded_for: forwarded_for.map(|ip| ip.to_string()),
        })
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.with_identity(self.http.get(format!("{}{path}", self.base)))
    }

    /// A POST of `body` as JSON (`Content-Type: application/json`, as the API needs).
    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> RequestBuilder {
        self.with_identity(self.http.post(format!("{}{path}", self.base)).json(body))
    }

    fn with_identity(&self, mut request: RequestBuilder) -> RequestBuilder {
        if let Some(cookie) = self.cookies.header() {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(address) = &self.forwarded_for {
            request = request.header("x-forwarded-for", address);
        }
        request
    }

    /// Sends `request` and reads the whole body: the body of a 2xx answer, or the
    /// refusal, recorded as an error of `endpoint` by its kind.
    pub async fn call(
        &mut self,
        recorder: &mut Recorder,
        endpoint: Endpoint,
        request: RequestBuilder,
    ) -> Result<Bytes, Refused> {
        let (response, started) = self.open(recorder, endpoint, request).await?;
        match response.bytes().await {
            Ok(body) => {
                recorder.latency(endpoint, started.elapsed());
                Ok(body)
            }
            Err(e) => Err(transport_error(recorder, endpoint, &e)),
        }
    }

    /// Sends `request` and returns a 2xx answer before its body is read, with the
    /// time it was sent (the caller records its latency); any other answer is read,
    /// recorded and refused.
    pub async fn open(
        &mut self,
        recorder: &mut Recorder,
        endpoint: Endpoint,
        request: RequestBuilder,
    ) -> Result<(Response, Instant), Refused> {
        let started = Instant::now();
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Err(transport_error(recorder, endpoint, &e)),
        };
        self.cookies.store(response.headers());
        let status = response.status();
        if status.is_success() {
            return Ok((response, started));
        }
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await.unwrap_or_default();
        recorder.latency(endpoint, started.elapsed());
        recorder.error(endpoint, &error_kind(status, &body));
        Err(Refused { retry_after })
    }
}

/// Records a request that got no (complete) answer.
fn transport_error(recorder: &mut Recorder, endpoint: Endpoint, e: &reqwest::Error) -> Refused {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "transport"
    };
    recorder.error(endpoint, kind);
    Refused::default()
}

/// The API's error code (`{"error": {"code": …}}`), else `http_<status>`.
fn error_kind(status: StatusCode, body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("http_{}", status.as_u16()))
}

/// The cookies one client holds: name → value, sent back on every request (the bench
/// talks to one site, on one path).
#[derive(Debug, Default)]
struct CookieJar(BTreeMap<String, String>);

impl CookieJar {
    /// Keeps what each `Set-Cookie` sets; one that expires (empty, or `Max-Age=0`)
    /// is dropped.
    fn store(&mut self, headers: &HeaderMap) {
        for set in headers.get_all(header::SET_COOKIE) {
            let Ok(set) = set.to_str() else { continue };
            let mut parts = set.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let expired = parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            let (name, value) = (name.trim(), value.trim());
            if expired || value.is_empty() {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_string(), value.to_string());
            }
        }
    }

    /// The `Cookie` header, when there is anything to send.
    fn header(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            self.0
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jar_keeps_set_cookies_and_drops_expired_ones() {
        let mut jar = CookieJar::default();
        assert_eq!(jar.header(), None);
        let mut headers = HeaderMap::new();
        headers.append(
            header::SET_COOKIE,
            "arena_voter=abc; Path=/; HttpOnly; SameSite=Lax"
                .parse()
                .unwrap(),
        );
        headers.append(header::SET_COOKIE, "other=1".parse().unwrap());
        jar.store(&headers);
        assert_eq!(jar.header().as_deref(), Some("arena_voter=abc; other=1"));
        let mut expire = HeaderMap::new();
        expire.append(header::SET_COOKIE, "other=x; Max-Age=0".parse().unwrap());
        jar.store(&expire);
        assert_eq!(jar.header().as_deref(), Some("arena_voter=abc"));
    }

    #[test]
    fn an_error_is_known_by_its_code_or_its_status() {
        let body = br#"{"error": {"code": "rate_limited", "message": "..."}}"#;
        assert_eq!(
            error_kind(StatusCode::TOO_MANY_REQUESTS, body),
            "rate_limited"
        );
        assert_eq!(error_kind(StatusCode::BAD_GATEWAY, b"<html>"), "http_502");
    }
}
