//! `arena serve`: the HTTP server with the background tasks of one process (the
//! queue's reaper and pool refill, the embedded worker, the leaderboard refresh).
//!
//! Connections are served by hyper directly rather than `axum::serve`, because a
//! header-read timeout needs hyper's timer: without one a client that sends half a
//! request line and stalls holds its connection for ever. Handlers still receive
//! `ConnectInfo<SocketAddr>`, and SIGTERM stops accepting, lets in-flight requests
//! finish (for at most `[http] shutdown_grace_secs`) and closes idle connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

use crate::app::App;
use crate::config::{HttpConfig, ServeConfig};
use crate::generation::{embedded_worker, queue};
use crate::{http, integrity};

/// Runs the arena until Ctrl-C or SIGTERM.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let bind = config.bind;
    let embedded_worker = config.embedded_worker;
    let app = Arc::new(App::open(config).await?);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    queue::spawn_background(app.clone());
    if embedded_worker {
        embedded_worker::spawn(app.clone())?;
    }
    tokio::spawn(refresh_leaderboards(app.clone(), Duration::from_secs(2)));
    integrity::scan::spawn_background(app.clone());
    crate::rankings::snapshot::spawn_background(app.clone());
    crate::voting::purge::spawn_background(app.clone());
    tracing::info!(
        database = app.store.backend_name(),
        "Arena is running at http://{addr}"
    );
    let router = http::app(http::AppState(app.clone()));
    run_http(listener, router, &app.config.http, shutdown_signal()).await;
    app.store.close().await;
    Ok(())
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
async fn run_http(
    listener: tokio::net::TcpListener,
    router: Router,
    config: &HttpConfig,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was
                    // accepted: wait a moment rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request
            });
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, client.addr = %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing the requests in flight");
    let grace = config.shutdown_grace();
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_s = grace.as_secs(),
            "requests still in flight after the grace period were cut off"
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Keeps the cached leaderboards fresh: checks for new votes every `every`.
async fn refresh_leaderboards(app: Arc<App>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = app.rankings.refresh_if_stale(&app.store).await {
            tracing::warn!(error = %e, "leaderboard refresh failed");
        }
    }
}
