//! The HTTP error type: a status, a stable machine code and a message for people.
//! The API renders it as JSON `{"error": {"code", "message"}}`, the pages as HTML.
//! Internal errors are logged here, once, and never shown to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds after which a refused request may succeed (`Retry-After`).
    pub retry_after: Option<u64>,
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

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

impl From<crate::blob::BlobError> for AppError {
    fn from(err: crate::blob::BlobError) -> AppError {
        AppError::internal(err)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let headers = self.headers();
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().extend(headers);
        response
    }
}
