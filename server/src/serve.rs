//! `arena serve`: the HTTP server with the background tasks of one process (the
//! queue's reaper and pool refill, the embedded worker, the leaderboard refresh).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::app::App;
use crate::config::ServeConfig;
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
    tracing::info!(
        database = app.store.backend_name(),
        "Arena is running at http://{addr}"
    );
    let router = http::app(http::AppState(app.clone()));
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    app.store.close().await;
    Ok(())
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
