//! Arena: a self-hostable, blind, pairwise human-preference arena for text-to-image
//! models. This crate is the `arena` binary's library: HTTP app, storage,
//! matchmaking and the command line.

pub mod battles;
pub mod blob;
pub mod charts;
pub mod cli;
pub mod config;
pub mod data_cmd;
pub mod embedded_worker;
pub mod error;
pub mod export;
pub mod gallery;
pub mod http;
pub mod import;
pub mod leaderboard;
pub mod leaderboard_cmd;
pub mod live;
pub mod matchmaking;
pub mod moderation;
pub mod prompts;
pub mod queue;
pub mod store;
pub mod workers;

use std::sync::Arc;

use anyhow::Context;
use axum_extra::extract::cookie::Key;

use crate::blob::BlobStore;
use crate::config::{ServeConfig, Storage};
use crate::store::{NewModel, Store};

/// Everything a request handler may need. Every fact lives in the database or the
/// blob store, so any number of servers can share them.
pub struct App {
    /// The votes, battles, models and prompts.
    pub store: Store,
    /// The re-encoded images.
    pub blobs: BlobStore,
    /// Resolved configuration.
    pub config: ServeConfig,
    /// Encrypts the voter cookie.
    pub cookie_key: Key,
    /// Wake-ups between queue requests and background tasks of this process.
    pub queue: queue::Signals,
    /// Checks the prompts voters type.
    pub moderator: moderation::Moderator,
    /// Cached leaderboards of this process.
    pub rankings: leaderboard::Rankings,
}

impl App {
    /// Opens storage, applies migrations and registers what a fresh arena ships with.
    pub async fn open(config: ServeConfig) -> anyhow::Result<App> {
        let store = open_store(&config.storage, config.register_demo_models).await?;
        if config.default_prompts {
            let added = store.import_prompts(&prompts::default_prompts()).await?;
            if added > 0 {
                tracing::info!(prompts = added, "imported the default prompt set");
            }
        }
        let blobs = BlobStore::open(config.storage.images_dir())
            .with_context(|| format!("cannot use {}", config.storage.images_dir().display()))?;
        let moderator = moderation::Moderator::new(&config.moderation)?;
        let cookie_key = Key::try_from(config.cookie_key.as_slice())
            .map_err(|_| anyhow::anyhow!("the cookie key must be at least 64 bytes"))?;
        Ok(App {
            store,
            blobs,
            config,
            cookie_key,
            queue: queue::Signals::default(),
            moderator,
            rankings: Default::default(),
        })
    }
}

/// Checks the data dir, connects, migrates and (unless the setting turns it off)
/// registers the demo models: what every database command does first, so that any
/// fresh database is a working arena.
pub async fn open_store(storage: &Storage, with_demo_models: bool) -> anyhow::Result<Store> {
    storage.prepare_data_dir()?;
    let store = Store::connect(&storage.database_url).await?;
    store.migrate().await?;
    if with_demo_models {
        register_demo_models(&store).await?;
    }
    Ok(store)
}

/// Registers the built-in demo generators as models (idempotent).
pub async fn register_demo_models(store: &Store) -> anyhow::Result<()> {
    for m in arena_worker::demo::demo_models() {
        let model = NewModel {
            slug: m.slug.to_string(),
            display_name: m.display_name.to_string(),
            backend: embedded_worker::DEMO_BACKEND.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: m.description.to_string(),
            weight: 1.0,
        };
        if store.ensure_model(&model).await? {
            tracing::info!(model.slug = m.slug, "registered demo model");
        }
    }
    Ok(())
}

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
    tokio::spawn(leaderboard::refresh_loop(
        app.clone(),
        std::time::Duration::from_secs(2),
    ));
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
