//! Research data over HTTP: the `/data` page (what can be downloaded, in which
//! formats, how big, with the dataset card) and the streamed vote export
//! `GET /api/v1/export/votes?format=…`, public or admin-only by configuration.
//!
//! An export holds a database connection for as long as its client reads, so at most
//! `[http] max_concurrent_exports` run at once ([`ExportSlots`]); slow readers cannot
//! take the connections that votes need.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::{Semaphore, mpsc};
use utoipa::IntoParams;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::error::{AppError, PageError, Result};
use super::openapi::{BadRequest, Unauthorized};
use super::state::AppState;
use crate::data::export::{self, CardStats, ExportFormat, ExportOptions, ImageHashes, card};
use crate::store::ExportFilter;

/// `max_exports`: how many vote exports may stream at once from this router.
pub fn router(max_exports: usize) -> OpenApiRouter<AppState> {
    let slots = ExportSlots(Arc::new(Semaphore::new(max_exports)));
    OpenApiRouter::new()
        .route("/data", get(data_page))
        .routes(routes!(export_votes).layer(Extension(slots)))
        .routes(routes!(export_card))
}

/// The exports that may run at once. A slot is held until both the database reader
/// and the response body are done (or the client went away).
#[derive(Clone)]
struct ExportSlots(Arc<Semaphore>);

/// How long an export request waits for a free slot before it is refused.
const SLOT_WAIT: Duration = Duration::from_secs(1);

/// What a refused export is told to wait before asking again.
const RETRY_AFTER_SECS: u64 = 10;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    /// The file format (default `jsonl`).
    #[param(value_type = Option<ExportFormat>, inline)]
    format: Option<String>,
    /// RFC 3339 time; only votes cast at or after it.
    #[param(format = DateTime)]
    since: Option<String>,
    /// The votes that do not count too, with their `exclusion_reason` (needs the admin
    /// token: which votes the arena set aside, and why, is the operator's to share).
    #[serde(default)]
    include_excluded: bool,
}

impl ExportQuery {
    fn parse(
        query: std::result::Result<Query<ExportQuery>, QueryRejection>,
    ) -> Result<(ExportFormat, ExportFilter)> {
        let Query(q) = query.map_err(|e| AppError::bad_request("invalid_query", e.body_text()))?;
        let format = match q.format.as_deref() {
            None => ExportFormat::Jsonl,
            Some(f) => f
                .parse()
                .map_err(|e: String| AppError::bad_request("invalid_format", e))?,
        };
        let since = q
            .since
            .map(|s| {
                DateTime::parse_from_rfc3339(&s).map(|t| t.to_utc()).map_err(|_| {
                    AppError::bad_request("invalid_since", format!("since must be an RFC 3339 time such as 2024-02-20T00:00:00Z (got {s:?})"))
                })
            })
            .transpose()?;
        Ok((
            format,
            ExportFilter {
                since,
                include_excluded: q.include_excluded,
                pairs_only: false,
            },
        ))
    }
}

/// Lets a request through when exports are public or it carries the admin token.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<()> {
    if state.config.export_public {
        return Ok(());
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (&state.config.admin_token, given) {
        (Some(token), Some(given))
            if constant_time_eq(token.as_bytes(), given.trim().as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(AppError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Vote exports on this arena are for its operator: send the admin token as `Authorization: Bearer <token>`.",
        )),
    }
}

/// Compares secrets without revealing through timing how much of them matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Feeds the bytes a writer produces to an HTTP body in chunks of about 64 KiB.
/// A closed channel (the client went away) turns into a write error, which stops
/// the export.
struct ChunkWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<io::Result<Bytes>>,
}

const CHUNK: usize = 64 * 1024;

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

/// The votes, streamed in a research format.
///
/// Public or for the operator only, as the arena's `export_public` says. The content
/// type follows the format (`application/x-ndjson`, `text/csv`, Parquet, JSON).
#[utoipa::path(get, path = "/api/v1/export/votes", tag = "data", params(ExportQuery),
    responses((status = 200, description = "The file, as an attachment",
        content(("application/x-ndjson"), ("text/csv"), ("application/vnd.apache.parquet"),
            ("application/json"))),
        BadRequest, Unauthorized),
    security((), ("admin_token" = [])))]
async fn export_votes(
    State(state): State<AppState>,
    Extension(slots): Extension<ExportSlots>,
    headers: HeaderMap,
    query: std::result::Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response> {
    authorize(&state, &headers)?;
    let (format, filter) = ExportQuery::parse(query)?;
    if filter.include_excluded {
        // A flagged voter would learn from a public export that it was caught.
        super::admin::authorize(&headers, &state)?;
    }
    let slot = match tokio::time::timeout(SLOT_WAIT, slots.0.acquire_owned()).await {
        Ok(Ok(permit)) => Arc::new(permit),
        _ => {
            return Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "exports_busy",
                "Other exports are being downloaded right now. Please try again in a few seconds.",
            )
            .with_retry_after(RETRY_AFTER_SECS));
        }
    };
    let options = ExportOptions {
        format,
        filter,
        judge_key: state.config.judge_key.clone(),
        image_hashes: state.config.export_image_hashes,
    };
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
    let store = state.store.clone();
    let handle = tokio::runtime::Handle::current();
    let reader_slot = slot.clone();
    tokio::task::spawn_blocking(move || {
        let _slot = reader_slot;
        let out = Box::new(ChunkWriter {
            buf: Vec::with_capacity(CHUNK),
            tx: tx.clone(),
        });
        if let Err(e) = export::run_blocking(&handle, &store, &options, out, None) {
            // The status line is long gone: failing the body is how the client learns
            // that the download is incomplete.
            tracing::error!(error = %format!("{e:#}"), export.format = %options.format, "export failed");
            let _ = tx.blocking_send(Err(io::Error::other("the export failed")));
        }
    });
    let body = Body::from_stream(futures_util::stream::unfold(
        (rx, slot),
        |(mut rx, slot)| async move { rx.recv().await.map(|item| (item, (rx, slot))) },
    ));
    let disposition = format!("attachment; filename=\"{}\"", format.file_name());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(AppError::internal)?,
            ),
        ],
        body,
    )
        .into_response())
}

/// The dataset card of what `GET /api/v1/export/votes` with the same query returns.
#[utoipa::path(get, path = "/api/v1/export/card", tag = "data", params(ExportQuery),
    responses((status = 200, description = "The card, in Markdown", body = String,
        content_type = "text/markdown"),
        BadRequest, Unauthorized),
    security((), ("admin_token" = [])))]
async fn export_card(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: std::result::Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response> {
    authorize(&state, &headers)?;
    let (format, filter) = ExportQuery::parse(query)?;
    let text = card_text(&state, format, &filter).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        text,
    )
        .into_response())
}

async fn card_text(
    state: &AppState,
    format: ExportFormat,
    filter: &ExportFilter,
) -> Result<String> {
    let filter = &ExportFilter {
        pairs_only: !format.holds_kwise(),
        ..filter.clone()
    };
    let summary = state.store.export_summary(filter).await?;
    Ok(card::render(&card::CardInput {
        file_name: format.file_name(),
        format,
        filter,
        image_hashes: state.config.export_image_hashes,
        stats: &CardStats::from_summary(&summary, format),
        generated_at: Utc::now(),
    }))
}

/// One downloadable format on the page.
struct FormatRow {
    name: &'static str,
    href: String,
    file_name: &'static str,
    purpose: &'static str,
    approx_size: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "data.html")]
struct DataPage {
    votes: u64,
    counted: u64,
    models: usize,
    first: String,
    last: String,
    public: bool,
    /// Whether the exports name images by keyed hashes (else plain SHA-256).
    keyed_images: bool,
    formats: Vec<FormatRow>,
    card: String,
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1_000_000 => format!("{:.0} kB", (b as f64 / 1000.0).max(1.0)),
        b if b < 1_000_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b => format!("{:.1} GB", b as f64 / 1e9),
    }
}

fn purpose(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Jsonl => {
            "every field, one vote per line; what arena leaderboard --input reads"
        }
        ExportFormat::Csv => "every field, for spreadsheets and pandas",
        ExportFormat::Parquet => "every field in typed columns, for pandas, Polars, DuckDB, Spark",
        ExportFormat::Fastchat => {
            "FastChat's clean-battle JSON, for FastChat's elo_analysis and arena-rank"
        }
        ExportFormat::GenaiBench => "GenAI-Bench's columns (left/right model, image, vote_type)",
    }
}

async fn data_page(State(state): State<AppState>) -> std::result::Result<DataPage, PageError> {
    // The summary counts every vote, excluded ones too; the downloads (and the card)
    // hold the ones that count unless asked otherwise.
    let everything = ExportFilter {
        since: None,
        include_excluded: true,
        pairs_only: false,
    };
    let summary = state.store.export_summary(&everything).await?;
    let stats = CardStats::from_summary(&summary, ExportFormat::Jsonl);
    // What a download holds by default: the votes that count.
    let download = ExportOptions {
        format: ExportFormat::Jsonl,
        filter: ExportFilter::default(),
        judge_key: state.config.judge_key.clone(),
        image_hashes: state.config.export_image_hashes,
    };
    let sizes = export::estimate_sizes(&state.store, &download, stats.counted)
        .await
        .map_err(AppError::internal)?;
    let formats = sizes
        .into_iter()
        .map(|(f, bytes)| FormatRow {
            name: f.as_str(),
            href: format!("/api/v1/export/votes?format={f}"),
            file_name: f.file_name(),
            purpose: purpose(f),
            approx_size: human_size(bytes),
        })
        .collect();
    let date = |t: Option<DateTime<Utc>>| {
        t.map_or_else(
            || "–".into(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
    };
    Ok(DataPage {
        votes: stats.votes,
        counted: stats.counted,
        models: stats.models.len(),
        first: date(summary.first),
        last: date(summary.last),
        public: state.config.export_public,
        keyed_images: state.config.export_image_hashes == ImageHashes::Keyed,
        formats,
        card: card_text(&state, ExportFormat::Jsonl, &ExportFilter::default()).await?,
    })
}
