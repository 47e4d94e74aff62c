//! `worker.toml` (see [`arena_backends::config`]), loaded with every backend this
//! build of the worker has: candle models too when it has the `candle` feature.

pub use arena_backends::config::*;

/// Loads every model's backend, candle ones included (with the `candle` feature).
/// Must be called inside a tokio runtime (the HTTP backends use it).
pub fn load_backends(config: &WorkerConfig) -> anyhow::Result<Backends> {
    #[cfg(feature = "candle")]
    {
        load_backends_with(config, &candle::load)
    }
    #[cfg(not(feature = "candle"))]
    {
        load_backends_with(config, &|slug, _| {
            anyhow::bail!("model {slug}: this arena-worker was built without the `candle` feature")
        })
    }
}

#[cfg(feature = "candle")]
mod candle {
    use std::sync::Arc;

    use anyhow::Context;
    use arena_backends::backend::Backend;
    use arena_candle::{CandleBackend, CandleModelConfig};

    /// Reads a `backend = "candle"` entry's keys as a [`CandleModelConfig`] and loads it.
    pub fn load(slug: &str, keys: &toml::Table) -> anyhow::Result<Arc<dyn Backend>> {
        Ok(Arc::new(CandleBackend::load(&parse(slug, keys)?)?))
    }

    pub fn parse(slug: &str, keys: &toml::Table) -> anyhow::Result<CandleModelConfig> {
        keys.clone()
            .try_into()
            .with_context(|| format!("model {slug}: invalid candle settings"))
    }

    #[cfg(test)]
    mod tests {
        use std::path::Path;

        use arena_backends::config::{BackendConfig, WorkerConfig};

        #[test]
        fn a_candle_entry_takes_the_candle_keys_in_the_same_table() {
            let config: WorkerConfig = toml::from_str(
                "[[models]]\nslug = \"sd-turbo\"\nbackend = \"candle\"\nmodel_dir = \"/m/sd-turbo\"\nsteps = 2\nsize = \"512x512\"\n",
            )
            .unwrap();
            match &config.models[0].backend {
                BackendConfig::Candle(keys) => {
                    let c = super::parse("sd-turbo", keys).unwrap();
                    assert_eq!(c.model_dir.as_deref(), Some(Path::new("/m/sd-turbo")));
                    assert_eq!((c.steps, c.size.as_deref()), (Some(2), Some("512x512")));
                }
                other => panic!("{other:?}"),
            }
        }

        #[test]
        fn an_unknown_candle_key_is_an_error_that_names_the_model() {
            let config: WorkerConfig = toml::from_str(
                "[[models]]\nslug = \"sd-turbo\"\nbackend = \"candle\"\nmodel_dri = \"/m\"\n",
            )
            .unwrap();
            let BackendConfig::Candle(keys) = &config.models[0].backend else {
                panic!("a candle entry")
            };
            let err = format!("{:#}", super::parse("sd-turbo", keys).unwrap_err());
            assert!(
                err.contains("sd-turbo") && err.contains("model_dri"),
                "{err}"
            );
        }
    }
}
