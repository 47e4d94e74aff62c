//! `worker.toml`: which models an `arena-worker` serves and with which backend.
//!
//! ```toml
//! server = "http://127.0.0.1:8080"   # optional; --server wins
//!
//! [[models]]
//! slug = "demo-faithful"
//! backend = "demo"
//!
//! [[models]]
//! slug = "dall-e-3"
//! backend = "openai"
//! base_url = "https://api.openai.com/v1"
//! model = "dall-e-3"
//! api_key_env = "OPENAI_API_KEY"
//! size = "1024x1024"
//! response_format = "b64_json"
//! ```
//!
//! A `candle` entry takes the keys of `arena_candle::CandleModelConfig` (`model_dir`
//! or `hub_repo`, steps, …) in the same table. This crate keeps them as a table and
//! hands them to a [`CandleLoader`]: only `arena-worker` has one, so the server's
//! embedded worker refuses candle models with a clear message.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::backend::Backend;
use crate::demo_backend::{DemoBackend, DemoConfig};
use crate::openai::{OpenAiBackend, OpenAiConfig};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// The arena's base URL; `--server` overrides it.
    pub server: Option<String>,
    /// Seconds a lease request waits for a job (at most 30).
    pub wait_secs: Option<u64>,
    /// Seconds to finish the current job after SIGTERM/Ctrl-C before giving it back.
    pub shutdown_grace_secs: Option<u64>,
    #[serde(default)]
    pub models: Vec<ModelEntry>,
}

/// `[[models]]`: the arena's slug and the backend that draws it.
#[derive(Debug, Deserialize)]
pub struct ModelEntry {
    pub slug: String,
    #[serde(flatten)]
    pub backend: BackendConfig,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum BackendConfig {
    Demo(DemoConfig),
    Openai(OpenAiConfig),
    /// The entry's other keys, for the [`CandleLoader`] to read.
    Candle(toml::Table),
}

/// Loads a `backend = "candle"` entry: (the model's slug, the entry's keys).
pub type CandleLoader<'a> = &'a dyn Fn(&str, &toml::Table) -> anyhow::Result<Arc<dyn Backend>>;

impl WorkerConfig {
    pub fn load(path: &Path) -> anyhow::Result<WorkerConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the worker config {}", path.display()))?;
        let config: WorkerConfig = toml::from_str(&text)
            .with_context(|| format!("invalid worker config {}", path.display()))?;
        if config.models.is_empty() {
            bail!("{} names no [[models]]", path.display());
        }
        Ok(config)
    }

    /// Every built-in demo model with the demo backend (`--demo`).
    pub fn demo() -> WorkerConfig {
        WorkerConfig {
            models: crate::demo::demo_models()
                .iter()
                .map(|m| ModelEntry {
                    slug: m.slug.to_string(),
                    backend: BackendConfig::Demo(DemoConfig::default()),
                })
                .collect(),
            ..WorkerConfig::default()
        }
    }
}

/// The loaded backend of each model slug.
pub type Backends = BTreeMap<String, Arc<dyn Backend>>;

/// Loads every model's backend (weights, API keys); fails on the first that cannot load.
/// Candle models are refused: this is the loader of programs without candle (the
/// server's embedded worker). Must be called inside a tokio runtime (the HTTP
/// backends use it).
pub fn load_backends(config: &WorkerConfig) -> anyhow::Result<Backends> {
    load_backends_with(config, &|slug, _| {
        bail!(
            "model {slug}: candle models run in `arena-worker` (built with its `candle` \
             feature), not in this program; serve it with `arena-worker --config worker.toml`"
        )
    })
}

/// [`load_backends`], with `candle` entries loaded by `candle`.
pub fn load_backends_with(
    config: &WorkerConfig,
    candle: CandleLoader<'_>,
) -> anyhow::Result<Backends> {
    let mut backends = Backends::new();
    for entry in &config.models {
        let backend: Arc<dyn Backend> = match &entry.backend {
            BackendConfig::Demo(c) => Arc::new(DemoBackend::new(&entry.slug, c)?),
            BackendConfig::Openai(c) => Arc::new(OpenAiBackend::load(c)?),
            BackendConfig::Candle(keys) => candle(&entry.slug, keys)?,
        };
        if backends.insert(entry.slug.clone(), backend).is_some() {
            bail!("model {} is listed twice", entry.slug);
        }
    }
    Ok(backends)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_names_models_with_their_backends() {
        let config: WorkerConfig = toml::from_str(
            r#"
            server = "http://127.0.0.1:8080"
            [[models]]
            slug = "demo-faithful"
            backend = "demo"
            steps = 4
            [[models]]
            slug = "remote"
            backend = "openai"
            base_url = "http://127.0.0.1:9/v1"
            model = "m"
            timeout_secs = 5
            "#,
        )
        .unwrap();
        assert_eq!(config.models.len(), 2);
        assert!(matches!(&config.models[0].backend, BackendConfig::Demo(c) if c.steps == 4));
        assert!(
            matches!(&config.models[1].backend, BackendConfig::Openai(c) if c.timeout_secs == 5 && c.max_retries == 3)
        );
    }

    #[test]
    fn a_candle_entry_keeps_its_keys_and_is_refused_without_a_candle_loader() {
        let config: WorkerConfig = toml::from_str(
            "[[models]]\nslug = \"sd-turbo\"\nbackend = \"candle\"\nmodel_dir = \"/m/sd-turbo\"\nsteps = 2\n",
        )
        .unwrap();
        match &config.models[0].backend {
            BackendConfig::Candle(keys) => {
                assert_eq!(keys["model_dir"].as_str(), Some("/m/sd-turbo"));
                assert_eq!(keys["steps"].as_integer(), Some(2));
                assert!(!keys.contains_key("backend") && !keys.contains_key("slug"));
            }
            other => panic!("{other:?}"),
        }
        let err = load_backends(&config)
            .err()
            .expect("no candle here")
            .to_string();
        assert!(
            err.contains("sd-turbo") && err.contains("arena-worker"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_backend_is_an_error() {
        let err = toml::from_str::<WorkerConfig>("[[models]]\nslug = \"x\"\nbackend = \"magic\"\n");
        assert!(err.is_err());
    }
}
