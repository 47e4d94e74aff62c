//! The JSON API's OpenAPI 3.1 document, served at `GET /api/v1/openapi.json`.
//!
//! Each JSON handler carries a `#[utoipa::path]` annotation, and its module registers it
//! with `utoipa_axum::routes!`, which takes the route's path and method from that same
//! annotation: a JSON route cannot exist without its description, nor at another
//! address. This module holds what the operations share: the title, the error shape
//! and one response per error status, the security schemes, and the answers that the
//! guard (`guard.rs`) may give on any route.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::response::{Response as ApiResponse, ResponseBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, HeaderBuilder, OpenApi, Ref, RefOr};
use utoipa::{IntoParams, IntoResponses, Modify, PartialSchema, ToSchema};

use super::error::{AppError, ErrorBody, Result};
use super::voter::VOTER_COOKIE;

/// Declares, per error status, a type whose [`IntoResponses`] is a reference to the
/// shared response of that status, so that an annotation lists its errors by name:
/// `responses((status = 200, body = Reveal), NotFound, Conflict)`.
macro_rules! error_responses {
    ($($name:ident $status:literal $retry_after:literal $description:literal;)*) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<ApiResponse>> {
                    let reference = Ref::from_response_name(stringify!($name));
                    BTreeMap::from([($status.to_string(), reference.into())])
                }
            }
        )*

        /// The shared error responses, by name.
        fn error_responses() -> Vec<(&'static str, ApiResponse)> {
            vec![$((stringify!($name), error_response($description, $retry_after))),*]
        }
    };
}

error_responses! {
    BadRequest "400" false "The request is malformed: a body that is not the JSON this \
        operation takes (`invalid_json`), or a bad id, header or query parameter \
        (`invalid_battle_id`, `missing_lease`, `invalid_query`, …).";
    Unauthorized "401" false "The bearer token is missing or wrong (`invalid_admin_token`, \
        `invalid_worker_token`, `unauthorized`).";
    Forbidden "403" false "Refused: a write from another site (`cross_site_request`), or a \
        worker token that may not serve a model it asked for (`model_not_allowed`).";
    NotFound "404" false "Nothing here for this client (`not_found`): no such battle, or one \
        served to another voter; no such model or flag; or the admin routes are off (no \
        `admin_token` configured).";
    Conflict "409" false "The state forbids it: `already_voted`, `battle_not_ready`, or \
        `lease_lost` (the worker no longer holds the job under this lease).";
    Gone "410" false "The battle is too old to vote on (`battle_expired`).";
    PayloadTooLarge "413" false "The body is larger than this operation takes \
        (`payload_too_large`, `image_too_large`).";
    UnsupportedMediaType "415" false "The body is not `application/json` \
        (`unsupported_media_type`).";
    Unprocessable "422" false "Well-formed but not acceptable: `invalid_winner`, `invalid_choice`, \
        `invalid_prompt_length`, `invalid_prompt_characters`, `prompt_rejected`, \
        `unknown_category`, `invalid_parameter`, `proof_of_work_required`, `invalid_image`, \
        `no_models`, `unknown_model`.";
    TooManyRequests "429" true "Over a limit of this client address or voter \
        (`rate_limited`, `too_many_live_battles`); `Retry-After` says when to try again.";
    InternalError "500" false "Something failed on the server (`internal`); the detail is in \
        its log, never in the answer.";
    Unavailable "503" true "Not now: the arena is busy (`overloaded`, `timeout`, `arena_busy`, \
        `exports_busy`) or has nothing to serve yet (`no_battle_ready`, `no_live_models`); \
        `Retry-After` says when to try again.";
}

/// The battle id in an API path.
#[derive(IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub(super) struct BattlePath(
    /// The battle's id as served: 32 lowercase hex digits.
    #[allow(dead_code)] // only described, the handlers take the text as it came
    String,
);

fn error_response(description: &str, retry_after: bool) -> ApiResponse {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name(ErrorBody::name()))),
    );
    if retry_after {
        let seconds = HeaderBuilder::new()
            .schema(u64::schema())
            .description(Some("Seconds to wait before trying again."))
            .build();
        response = response.header(header::RETRY_AFTER.as_str(), seconds);
    }
    response.build()
}

/// The document's parts that no handler owns. `OpenApiRouter::with_openapi` starts
/// from it; the handlers' paths and schemas are merged in as they are registered.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Arena",
        description = "Blind pairwise voting on text-to-image models: battles and votes, \
            leaderboards, research exports, the generation workers' protocol and the \
            operator's review. Errors are `{\"error\": {\"code\", \"message\"}}` with the \
            status that fits."
    ),
    components(schemas(ErrorBody)),
    modifiers(&Shared),
    tags(
        (name = "voting", description = "Battles, votes and the models taking part"),
        (name = "rankings", description = "Leaderboards and model details"),
        (name = "data", description = "Research exports of the votes"),
        (name = "worker", description = "The generation workers' protocol"),
        (name = "admin", description = "The operator's queue and review of excluded votes"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// Adds the shared error responses and the security schemes.
struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, response) in error_responses() {
            components.responses.insert(name.into(), response.into());
        }
        components.add_security_scheme(
            "voter_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                VOTER_COOKIE,
                "The voter's identity, a private (encrypted) cookie. `GET /` and \
                 `POST /api/v1/battles` issue it; every other request only uses it.",
            ))),
        );
        components.add_security_scheme(
            "worker_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A worker token from `arena workers add NAME [--models a,b]`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The `admin_token` of the arena's config file."))
                    .build(),
            ),
        );
    }
}

/// Adds to every operation the answers of the guard that wraps every route
/// (`guard.rs`): shed load and timeouts (503), internal errors (500), refused
/// cross-site writes (403, all but the worker protocol) and bodies over the limit
/// (413). Run once the handlers' paths are in.
pub fn add_guard_responses(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let operations = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Delete, &mut item.delete),
            (HttpMethod::Patch, &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let mut statuses = vec![("500", "InternalError"), ("503", "Unavailable")];
            if method != HttpMethod::Get && !path.starts_with("/api/v1/worker/") {
                statuses.push(("403", "Forbidden"));
            }
            if operation.request_body.is_some() {
                statuses.push(("413", "PayloadTooLarge"));
            }
            for (status, name) in statuses {
                let reference = RefOr::Ref(Ref::from_response_name(name));
                operation
                    .responses
                    .responses
                    .entry(status.into())
                    .or_insert(reference);
            }
        }
    }
}

/// The document, built once with the router and handed to [`document`].
#[derive(Clone)]
pub struct Document(pub Arc<OpenApi>);

/// This document: every JSON route of the arena, generated from the handlers.
#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = Object))
)]
pub async fn document(Extension(document): Extension<Document>) -> Result<Response> {
    let body = serde_json::to_vec(document.0.as_ref()).map_err(AppError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
