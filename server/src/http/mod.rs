//! The HTTP face of the arena: pages, the JSON API, images and static assets. One
//! module per domain, each with a `router()`; [`error`] is where the services' errors
//! become status codes and error pages.
//!
//! - [`voting`]: `/`, `/battles/{id}` and `/api/v1/battles…` (serve, show, vote)
//! - [`live`]: live battles (the prompt form, the waiting page, server-sent events)
//! - [`rankings`]: `/leaderboard…`, `/models/{slug}` and their JSON twins
//! - [`data`]: `/data` and the exports; [`admin`]: `/admin/…`
//! - [`worker_api`]: the worker protocol; [`assets`]: images, CSS, JS, health probes
//! - [`openapi`]: the JSON API's OpenAPI document, built from the handlers' annotations
//!   as [`routes`] registers them
//! - [`guard`]: what every request passes through (security headers, the concurrency
//!   cap, timeouts, the cross-site check, body limits); [`voter`]: the voter cookie

pub mod admin;
pub mod assets;
pub mod client;
pub mod data;
pub mod error;
pub mod guard;
pub mod live;
pub mod openapi;
pub mod rankings;
pub mod review;
pub mod state;
pub mod voter;
pub mod voting;
pub mod worker_api;

use std::sync::Arc;

use axum::http::{HeaderValue, header};
use axum::{Extension, Router, middleware};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use state::AppState;
pub use voter::{VOTER_COOKIE, Voter};

/// The whole application; tests drive it with `oneshot` or serve it on a socket.
pub fn app(state: AppState) -> Router {
    let (router, document) = routes(&state).split_for_parts();
    let router = router
        .route("/metrics", axum::routing::get(crate::metrics::scrape))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .layer(Extension(openapi::Document(Arc::new(document))))
        .fallback(error::not_found);
    guard::layers(router, &state.config.http, state.config.cookie_secure)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // No referrer leaves for other sites; the arena's own requests keep theirs, so
        // that browsers send a real `Origin` on its form posts (guard.rs checks it).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Every route, pages and JSON API, with the OpenAPI document of the JSON routes
/// (each module registers those with `routes!`, which documents them).
pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    let voter_routes = OpenApiRouter::new()
        .merge(voting::router())
        .merge(live::router())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            voter::ensure_voter,
        ));
    let mut router = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(voter_routes)
        .merge(assets::router().into())
        .merge(data::router(state.config.http.max_concurrent_exports))
        .merge(worker_api::router())
        .merge(admin::router())
        .merge(review::router())
        .merge(rankings::router())
        .routes(routes!(openapi::document));
    openapi::add_guard_responses(router.get_openapi_mut());
    router
}
