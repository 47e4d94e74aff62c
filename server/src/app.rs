//! The arena as one value: storage, images, configuration and the per-process state
//! every request handler and background task shares; opening it and serving it.

use anyhow::Context;
use axum_extra::extract::cookie::Key;

use crate::config::{ServeConfig, Storage};
use crate::generation::blob::BlobStore;
use crate::generation::signals::Signals;
use crate::rankings::board::Rankings;
use crate::store::{NewModel, Store};
use crate::voting::moderation::Moderator;
use crate::voting::prompts;

/// Backend name under which the built-in demo models are registered.
pub const DEMO_BACKEND: &str = "demo";

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
    pub queue: Signals,
    /// Checks the prompts voters type.
    pub moderator: Moderator,
    /// Cached leaderboards of this process.
    pub rankings: Rankings,
    /// What this process counts for `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// The prompts pool battles are drawn from, as this process last read them.
    pub prompt_pool: crate::voting::matchmaking::PromptPool,
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
        let blobs = BlobStore::open(&config.storage.image_store).with_context(|| {
            format!("cannot use the image store {}", config.storage.image_store)
        })?;
        let moderator = Moderator::new(&config.moderation)?;
        let cookie_key = Key::try_from(config.cookie_key.as_slice())
            .map_err(|_| anyhow::anyhow!("the cookie key must be at least 64 bytes"))?;
        let rankings = Rankings::new(crate::rankings::board::StyleControl {
            reg: config.style_control_reg,
        });
        Ok(App {
            store,
            blobs,
            config,
            cookie_key,
            queue: Signals::default(),
            moderator,
            rankings,
            metrics: crate::metrics::Metrics::new(),
            prompt_pool: Default::default(),
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
    for m in arena_backends::demo::demo_models() {
        let model = NewModel {
            slug: m.slug.to_string(),
            display_name: m.display_name.to_string(),
            backend: DEMO_BACKEND.to_string(),
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
