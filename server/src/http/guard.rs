//! What every request passes through, whatever its route: security headers on every
//! response (a strict Content-Security-Policy, no framing, HSTS over HTTPS), a cap on
//! requests in flight, a request timeout, refusal of cross-site writes, and a body
//! limit. [`layers`] wraps the whole router, so routes added later get all of it.
//!
//! Errors raised here, and the plain-text rejections of axum's extractors further in,
//! leave as the API's JSON error under `/api/` and as an error page elsewhere.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::error::{AppError, PageError};
use crate::config::HttpConfig;

/// No inline script or style anywhere, no framing, nothing loaded from elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'; object-src 'none'";

/// One year, as the HSTS preload list asks; sent only when the cookie is `Secure`,
/// i.e. when the operator says the arena is served over HTTPS.
const HSTS: &str = "max-age=31536000";

/// What the middleware needs, shared by all requests of one router.
#[derive(Clone)]
struct Guard {
    http: Arc<HttpConfig>,
    https: bool,
    in_flight: Arc<Semaphore>,
}

/// Wraps `router` in every guard, outermost first: headers, the concurrency cap, the
/// timeout, the cross-site check, the body limit.
pub fn layers<S>(router: Router<S>, http: &HttpConfig, https: bool) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let guard = Guard {
        http: Arc::new(http.clone()),
        https,
        in_flight: Arc::new(Semaphore::new(http.max_concurrent_requests)),
    };
    router
        .layer(middleware::from_fn_with_state(guard.clone(), limit_body))
        .layer(middleware::from_fn_with_state(
            guard.clone(),
            refuse_cross_site,
        ))
        .layer(middleware::from_fn_with_state(guard.clone(), time_out))
        .layer(middleware::from_fn_with_state(guard.clone(), cap_in_flight))
        .layer(middleware::from_fn_with_state(guard, security_headers))
}

/// How long a route may take before its response starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RouteClass {
    /// Pages and the JSON API.
    Ordinary,
    /// The worker protocol: long polls and large uploads, bearer-token authenticated.
    Worker,
    /// Long by design: the live battle's event stream and the vote exports.
    Stream,
}

fn route_class(path: &str) -> RouteClass {
    if path.starts_with("/api/v1/worker/") {
        RouteClass::Worker
    } else if path.starts_with("/api/v1/export/votes")
        || (path.starts_with("/api/v1/battles/") && path.ends_with("/events"))
    {
        RouteClass::Stream
    } else {
        RouteClass::Ordinary
    }
}

/// The worker's image upload keeps its own, larger limit (`worker_api.rs`).
fn is_image_upload(method: &Method, path: &str) -> bool {
    method == Method::PUT && path.starts_with("/api/v1/worker/jobs/") && path.ends_with("/result")
}

/// The error as the API's JSON under `/api/`, as a page elsewhere.
pub fn refuse(path: &str, error: AppError) -> Response {
    if path.starts_with("/api/") {
        error.into_response()
    } else {
        PageError(error).into_response()
    }
}

async fn security_headers(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if guard.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// Sheds load rather than queueing it: over the cap a request is answered at once.
/// The permit is held until the response starts (a streamed body does not hold it;
/// the exports have their own cap).
async fn cap_in_flight(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let Ok(_permit) = guard.in_flight.clone().try_acquire_owned() else {
        tracing::warn!(
            http.max_concurrent_requests = guard.http.max_concurrent_requests,
            "over the concurrency cap: request refused"
        );
        let busy = AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "The arena is busy right now. Please try again in a moment.",
        )
        .with_retry_after(1);
        return refuse(request.uri().path(), busy);
    };
    next.run(request).await
}

async fn time_out(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let limit = match route_class(&path) {
        RouteClass::Ordinary => guard.http.request_timeout(),
        RouteClass::Worker => guard.http.worker_request_timeout(),
        RouteClass::Stream => return next.run(request).await,
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(http.path = %path, timeout_s = limit.as_secs(), "request timed out");
            let late = AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "The arena took too long to answer. Please try again.",
            )
            .with_retry_after(1);
            refuse(&path, late)
        }
    }
}

/// A write from another site is refused: a browser says where a request comes from in
/// `Sec-Fetch-Site` (modern browsers) and `Origin` (all browsers, on every POST).
/// Requests with neither come from programs, which carry no victim's cookies. The
/// worker protocol is exempt: it is authenticated by a bearer token, not a cookie.
async fn refuse_cross_site(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let method = request.method();
    let path = request.uri().path();
    if method == Method::GET || method == Method::HEAD || path.starts_with("/api/v1/worker/") {
        return next.run(request).await;
    }
    if let Some(why) = cross_site(request.headers(), &guard) {
        tracing::info!(http.path = %path, reason = why, "cross-site request refused");
        let refused = AppError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "This request came from another site, so it was refused. Open the arena itself to vote.",
        );
        return refuse(path, refused);
    }
    next.run(request).await
}

/// Why the request is cross-site, if it is.
fn cross_site(headers: &HeaderMap, guard: &Guard) -> Option<&'static str> {
    let site = headers
        .get("sec-fetch-site")
        .map(|v| v.as_bytes().to_ascii_lowercase());
    if matches!(site.as_deref(), Some(b"cross-site" | b"same-site")) {
        return Some("Sec-Fetch-Site");
    }
    let origin = headers.get(header::ORIGIN)?;
    // A browser sends `Origin: null` on its own page's form posts too when a referrer
    // policy hides it; `Sec-Fetch-Site`, which no page can set, then says where the
    // request comes from.
    if origin.as_bytes() == b"null" && site.as_deref() == Some(b"same-origin") {
        return None;
    }
    let own = origin.to_str().ok().is_some_and(|origin| {
        guard.http.allowed_origins.iter().any(|o| o == origin)
            || headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|host| same_origin(origin, host, guard.https))
    });
    (!own).then_some("Origin")
}

/// Whether `origin` (`scheme://host[:port]`) is the origin of a request to `host`
/// (the `Host` header). Over HTTPS an `http:` origin is someone else's.
fn same_origin(origin: &str, host: &str, https: bool) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme {
        "https" => ":443",
        "http" if !https => ":80",
        _ => return false,
    };
    let strip = |a: &str| {
        let a = a.to_ascii_lowercase();
        a.strip_suffix(default_port)
            .map(str::to_string)
            .unwrap_or(a)
    };
    !authority.is_empty() && !authority.contains('/') && strip(authority) == strip(host)
}

/// Every body but the worker's image upload is small; a larger one is refused before
/// it is read (by `Content-Length`) or while it is read (a chunked body), and never
/// reaches a handler.
async fn limit_body(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let limit = guard.http.max_body_bytes;
    let request = if is_image_upload(request.method(), &path) {
        request
    } else {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return refuse(&path, payload_too_large());
        }
        request.map(|body| Body::new(http_body_util::Limited::new(body, limit)))
    };
    let response = next.run(request).await;
    as_app_error(&path, response)
}

/// A body over its route's limit (413).
pub fn payload_too_large() -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "The request body is larger than this endpoint accepts.",
    )
}

/// axum's extractors reject bad requests with plain text (or nothing, for a 405):
/// those become the API's JSON error (or a page) with a message of our own.
fn as_app_error(path: &str, response: Response) -> Response {
    let status = response.status();
    if !status.is_client_error() {
        return response;
    }
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json") || t.starts_with("text/html"));
    if ours {
        return response;
    }
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => payload_too_large(),
        StatusCode::METHOD_NOT_ALLOWED => AppError::new(
            status,
            "method_not_allowed",
            "This address does not take that method.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::new(
            status,
            "unsupported_media_type",
            "The request body has a content type this endpoint does not take.",
        ),
        StatusCode::NOT_FOUND => AppError::not_found("There is nothing at this address."),
        _ => AppError::new(status, "invalid_request", "The request is not valid."),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut replaced = refuse(path, error);
    if let Some(allow) = allow {
        replaced.headers_mut().insert(header::ALLOW, allow);
    }
    replaced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_the_requests_own_only_with_the_same_host_and_port() {
        let cases = [
            ("http://127.0.0.1:8080", "127.0.0.1:8080", false, true),
            ("http://arena.example", "arena.example", false, true),
            ("http://arena.example:80", "arena.example", false, true),
            ("https://Arena.Example", "arena.example:443", true, true),
            ("https://arena.example", "arena.example", false, true),
            ("http://arena.example", "arena.example", true, false),
            ("https://evil.example", "arena.example", true, false),
            ("https://arena.example.evil", "arena.example", true, false),
            ("http://127.0.0.1:8081", "127.0.0.1:8080", false, false),
            ("null", "arena.example", false, false),
            ("https://", "", true, false),
            ("https://arena.example/path", "arena.example", true, false),
        ];
        for (origin, host, https, want) in cases {
            assert_eq!(same_origin(origin, host, https), want, "{origin} vs {host}");
        }
    }

    #[test]
    fn a_write_is_cross_site_by_sec_fetch_site_or_a_foreign_origin() {
        let guard = Guard {
            http: Arc::new(HttpConfig {
                allowed_origins: vec!["https://arena.example".into()],
                ..HttpConfig::default()
            }),
            https: false,
            in_flight: Arc::new(Semaphore::new(1)),
        };
        let check = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, HeaderValue::from_static(value));
            }
            cross_site(&headers, &guard)
        };
        let host = ("host", "127.0.0.1:8080");
        assert_eq!(check(&[]), None, "a program without browser headers");
        assert_eq!(check(&[host, ("origin", "http://127.0.0.1:8080")]), None);
        assert_eq!(check(&[host, ("origin", "https://arena.example")]), None);
        assert_eq!(check(&[host, ("sec-fetch-site", "same-origin")]), None);
        assert_eq!(check(&[host, ("sec-fetch-site", "none")]), None);
        // The arena's own form post under a referrer policy that hides the origin.
        assert_eq!(
            check(&[host, ("origin", "null"), ("sec-fetch-site", "same-origin")]),
            None
        );
        for refused in [
            &[host, ("sec-fetch-site", "cross-site")][..],
            &[host, ("sec-fetch-site", "Same-Site")],
            &[host, ("origin", "http://evil.example")],
            &[host, ("origin", "null")],
            &[host, ("origin", "null"), ("sec-fetch-site", "cross-site")],
            &[
                host,
                ("origin", "http://evil.example"),
                ("sec-fetch-site", "same-origin"),
            ],
            &[("origin", "http://127.0.0.1:8080")],
        ] {
            assert!(check(refused).is_some(), "{refused:?}");
        }
    }

    #[test]
    fn streams_and_the_worker_protocol_are_told_apart_from_ordinary_routes() {
        assert_eq!(
            route_class("/api/v1/battles/abc/events"),
            RouteClass::Stream
        );
        assert_eq!(route_class("/api/v1/export/votes"), RouteClass::Stream);
        assert_eq!(route_class("/api/v1/export/card"), RouteClass::Ordinary);
        assert_eq!(route_class("/api/v1/worker/lease"), RouteClass::Worker);
        assert_eq!(
            route_class("/api/v1/battles/abc/vote"),
            RouteClass::Ordinary
        );
        assert_eq!(route_class("/"), RouteClass::Ordinary);
        assert!(is_image_upload(
            &Method::PUT,
            "/api/v1/worker/jobs/7/result"
        ));
        assert!(!is_image_upload(
            &Method::POST,
            "/api/v1/worker/jobs/7/result"
        ));
    }
}
