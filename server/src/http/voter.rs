//! Voter identity: a random id in a private (encrypted, authenticated) cookie, issued
//! on the first request that needs one. No IP address or other trait is kept.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::PrivateCookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::error::AppError;
use super::state::AppState;
use crate::voting::view::random_id;

pub const VOTER_COOKIE: &str = "arena_voter";

/// The voter id a request's cookie carries, if it carries a valid one.
pub fn voter_id(jar: &PrivateCookieJar) -> Option<String> {
    jar.get(VOTER_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The voter behind a request.
#[derive(Clone, Debug)]
pub struct Voter(pub String);

pub async fn ensure_voter(
    State(state): State<AppState>,
    jar: PrivateCookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    let known = voter_id(&jar);
    let (id, is_new) = match known {
        Some(id) => (id, false),
        None => (random_id(), true),
    };
    request.extensions_mut().insert(Voter(id.clone()));
    let response = next.run(request).await;
    if !is_new {
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
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Voter, AppError> {
        parts
            .extensions
            .get::<Voter>()
            .cloned()
            .ok_or_else(|| AppError::internal("voter middleware missing on this route"))
    }
}
