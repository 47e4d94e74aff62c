//! The HTTP face of the arena: pages, the JSON API, images and static assets.

mod admin;
mod api;
mod assets;
mod data;
mod live;
mod pages;
mod rankings;
mod voter;
mod worker_api;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum_extra::extract::cookie::Key;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::App;

pub use voter::{VOTER_COOKIE, Voter};

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl FromRef<AppState> for Key {
    fn from_ref(state: &AppState) -> Key {
        state.cookie_key.clone()
    }
}

/// Fails with 422 `unknown_category` unless `category` is one of the prompt
/// categories `known`; shared by the battle API and the leaderboard.
fn check_category(known: &[String], category: &str) -> crate::error::Result<()> {
    if known.iter().any(|c| c == category) {
        return Ok(());
    }
    Err(crate::error::AppError::unprocessable(
        "unknown_category",
        format!("There is no prompt category {category:?}."),
    ))
}

/// The whole application; tests drive it with `oneshot` or serve it on a socket.
pub fn app(state: AppState) -> Router {
    let voter_routes = Router::new()
        .merge(pages::router())
        .merge(api::router())
        .merge(live::router())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            voter::ensure_voter,
        ));
    Router::new()
        .merge(voter_routes)
        .merge(assets::router())
        .merge(data::router())
        .merge(worker_api::router())
        .merge(admin::router())
        .merge(rankings::router())
        .fallback(pages::not_found)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
