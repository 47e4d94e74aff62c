//! The HTTP error type: a status, a stable machine code and a message for people.
//! The API renders it as JSON `{"error": {"code", "message"}}`, the pages as HTML
//! ([`PageError`]). This is the one place where the services' errors become status
//! codes. Internal errors are logged here, once, and never shown to the client.

use askama::Template;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::generation::blob::BlobError;
use crate::integrity::limits;
use crate::store::StoreError;
use crate::{generation, rankings, voting};

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds after which a refused request may succeed (`Retry-After`).
    pub retry_after: Option<u64>,
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The body of every JSON error: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine code, e.g. `already_voted`.
    pub code: &'static str,
    /// What happened, for people.
    pub message: String,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn with_retry_after(mut self, secs: u64) -> AppError {
        self.retry_after = Some(secs);
        self
    }

    /// The `Retry-After` header, when the error has one.
    pub fn headers(&self) -> Vec<(axum::http::HeaderName, axum::http::HeaderValue)> {
        self.retry_after
            .map(|s| (axum::http::header::RETRY_AFTER, s.into()))
            .into_iter()
            .collect()
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// What the client is told, as the API's JSON shows it.
    pub fn body(self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        }
    }

    /// Logs the detail and returns an error that tells the client nothing internal.
    pub fn internal(detail: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %detail, "request failed");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side. Please try again.",
        )
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> AppError {
        match err {
            StoreError::Conflict => {
                AppError::new(StatusCode::CONFLICT, "conflict", "That already exists.")
            }
            other => AppError::internal(other),
        }
    }
}

impl From<BlobError> for AppError {
    fn from(err: BlobError) -> AppError {
        AppError::internal(err)
    }
}

impl From<voting::Error> for AppError {
    fn from(err: voting::Error) -> AppError {
        use voting::Error as E;
        let (status, code) = match &err {
            E::InvalidBattleId => (StatusCode::BAD_REQUEST, "invalid_battle_id"),
            E::BattleNotFound => (StatusCode::NOT_FOUND, "not_found"),
            E::BattleNotReady => (StatusCode::CONFLICT, "battle_not_ready"),
            E::AlreadyVoted => (StatusCode::CONFLICT, "already_voted"),
            E::BattleExpired => (StatusCode::GONE, "battle_expired"),
            E::InvalidWinner(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_winner"),
            E::InvalidAxis(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_axis"),
            E::InvalidChoice(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_choice"),
            E::UnknownCategory(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_category"),
            E::NoBattleReady => (StatusCode::SERVICE_UNAVAILABLE, "no_battle_ready"),
            E::InvalidPromptLength { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_prompt_length")
            }
            E::InvalidPromptCharacters(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_prompt_characters",
            ),
            E::PromptRejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "prompt_rejected"),
            E::TooManyDrawing(_) | E::TooManyLiveThisHour { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_live_battles")
            }
            E::NoLiveModels => (StatusCode::SERVICE_UNAVAILABLE, "no_live_models"),
            E::Limit(limits::Error::Limited(_)) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            E::Limit(limits::Error::ArenaBusy) => (StatusCode::SERVICE_UNAVAILABLE, "arena_busy"),
            E::Limit(limits::Error::Store(_)) => return AppError::internal(err),
            E::ProofOfWorkRequired => (StatusCode::UNPROCESSABLE_ENTITY, "proof_of_work_required"),
            E::Store(_) => return AppError::internal(err),
        };
        let retry_after = err.retry_after();
        AppError {
            retry_after,
            ..AppError::new(status, code, err.to_string())
        }
    }
}

impl From<limits::Error> for AppError {
    fn from(err: limits::Error) -> AppError {
        voting::Error::from(err).into()
    }
}

impl From<generation::Error> for AppError {
    fn from(err: generation::Error) -> AppError {
        match err {
            generation::Error::InvalidImage(_) => {
                AppError::unprocessable("invalid_image", err.to_string())
            }
            generation::Error::ImageTooLarge(_) => AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "image_too_large",
                err.to_string(),
            ),
            generation::Error::ModelNotAllowed { .. } => AppError::new(
                StatusCode::FORBIDDEN,
                arena_protocol::MODEL_NOT_ALLOWED,
                err.to_string(),
            ),
            other => AppError::internal(other),
        }
    }
}

impl From<rankings::Error> for AppError {
    fn from(err: rankings::Error) -> AppError {
        match err {
            rankings::Error::InvalidParameter(_) => {
                AppError::unprocessable("invalid_parameter", err.to_string())
            }
            rankings::Error::UnknownCategory(_) => {
                AppError::unprocessable("unknown_category", err.to_string())
            }
            other => AppError::internal(other),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let headers = self.headers();
        let status = self.status;
        let mut response = (status, Json(self.body())).into_response();
        response.headers_mut().extend(headers);
        response
    }
}

/// An error shown as a page rather than as JSON.
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(err: E) -> PageError {
        PageError(err.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    message: String,
    /// Where to go from here: (address, words).
    next: (&'static str, &'static str),
}

/// A plain heading for an error page: what happened, in a person's words.
fn heading(error: &AppError) -> &'static str {
    match error.code {
        "invalid_prompt_length" | "invalid_prompt_characters" | "prompt_rejected" => {
            "This prompt can't be drawn"
        }
        "no_live_models" => "No models can draw right now",
        "no_battle_ready" => "No battle is ready yet",
        "too_many_live_battles" | "rate_limited" => "Slow down a little",
        "arena_busy" => "The arena is busy",
        "already_voted" => "You have already voted on this battle",
        "battle_expired" => "This battle has expired",
        "battle_not_ready" => "This battle's images are not ready yet",
        "invalid_battle_id" => "That is not a battle's address",
        "invalid_winner" => "That is not a vote",
        "unknown_category" => "There is no such category",
        "proof_of_work_required" => "This vote needs JavaScript",
        "admin_disabled" => "Admin is off on this arena",
        "invalid_parameter" => "That view does not exist",
        "internal" => "Something went wrong on our side",
        _ => match error.status {
            StatusCode::NOT_FOUND => "There is nothing here",
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "This page is for the operator",
            StatusCode::TOO_MANY_REQUESTS => "Slow down a little",
            StatusCode::PAYLOAD_TOO_LARGE => "That is too large",
            s if s.is_server_error() => "Something went wrong on our side",
            _ => "That did not work",
        },
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = heading(&self.0);
        let headers = self.0.headers();
        let next = match self.0.code {
            "invalid_admin_token" => ("/admin/login", "Sign in as the operator"),
            "invalid_parameter" | "unknown_category" => ("/leaderboard", "Go to the leaderboard"),
            _ => ("/", "Go to a new battle"),
        };
        let page = ErrorPage {
            title,
            message: self.0.message,
            next,
        };
        let mut response = (self.0.status, no_store(page.render())).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, html());
        response.headers_mut().extend(headers);
        response
    }
}

/// `text/html; charset=utf-8`.
pub fn html() -> HeaderValue {
    HeaderValue::from_static("text/html; charset=utf-8")
}

/// A rendered page that differs per voter and per visit: never cached.
pub fn no_store(rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, html()),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        Err(e) => AppError::internal(e).into_response(),
    }
}

/// The fallback: JSON under `/api/`, a page elsewhere.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        AppError::not_found("No such API endpoint.").into_response()
    } else {
        PageError(AppError::not_found("There is no page at this address.")).into_response()
    }
}
