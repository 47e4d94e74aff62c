//! Voter identity: a random id in a private (encrypted, authenticated) cookie. (The
//! client's address is kept only as keyed hashes, for limits: `http/client.rs`.)
//!
//! The cookie is issued only by a page view (`GET /`) or by asking for a battle
//! (`POST /api/v1/battles`), and only when that request succeeds. Every other request
//! without a valid cookie — a vote, a battle page, the live prompt form — is an
//! unknown voter who owns nothing: it gets no cookie, so that no request another site
//! can make (nor a vote) replaces a voter's identity.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::PrivateCookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::error::AppError;
use super::guard::refuse;
use super::state::AppState;
use crate::voting;
use crate::voting::view::random_id;

pub const VOTER_COOKIE: &str = "arena_voter";

/// The voter id a request's cookie carries, if it carries a valid one.
pub fn voter_id(jar: &PrivateCookieJar) -> Option<String> {
    jar.get(VOTER_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The voter behind a request. As an extractor it refuses a request without a voter
/// cookie as it would a stranger's battle (404); `Option<Voter>` lets a handler say
/// something else.
#[derive(Clone, Debug)]
pub struct Voter(pub String);

/// Marks a request that went through [`ensure_voter`], with or without a voter.
#[derive(Clone, Copy, Debug)]
struct VoterChecked;

/// The routes whose success may issue a new voter cookie (HEAD is a GET without
/// its body).
fn may_issue_cookie(method: &Method, path: &str) -> bool {
    let page_view = (method == Method::GET || method == Method::HEAD) && path == "/";
    page_view || (method == Method::POST && path == "/api/v1/battles")
}

pub async fn ensure_voter(
    State(state): State<AppState>,
    jar: PrivateCookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    request.extensions_mut().insert(VoterChecked);
    if let Some(id) = voter_id(&jar) {
        request.extensions_mut().insert(Voter(id));
        return next.run(request).await;
    }
    if !may_issue_cookie(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let id = random_id();
    request.extensions_mut().insert(Voter(id.clone()));
    let response = next.run(request).await;
    // A refused request leaves nothing behind, not even an identity.
    if !(response.status().is_success() || response.status().is_redirection()) {
        return response;
    }
    let cookie = Cookie::build((VOTER_COOKIE, id))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.cookie_secure)
        .max_age(time::Duration::days(365))
        .build();
    (jar.add(cookie), response).into_response()
}

impl<S: Send + Sync> FromRequestParts<S> for Voter {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Voter, Response> {
        if let Some(voter) = parts.extensions.get::<Voter>() {
            return Ok(voter.clone());
        }
        if parts.extensions.get::<VoterChecked>().is_none() {
            return Err(
                AppError::internal("voter middleware missing on this route").into_response()
            );
        }
        // An unknown voter owns no battle: the same answer as for a stranger's.
        Err(refuse(
            parts.uri.path(),
            AppError::from(voting::Error::BattleNotFound),
        ))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Voter {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Voter>, Infallible> {
        Ok(parts.extensions.get::<Voter>().cloned())
    }
}

/// What a request without a voter cookie is told where it needs one to act.
pub fn no_voter_cookie() -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        "no_voter_cookie",
        "Open the arena first (your browser needs its voter cookie), then type your prompt there.",
    )
}
