//! Per-model settings for the candle backend, as written in `worker.toml`, and where
//! the weights for a model are found.

use std::path::PathBuf;

use anyhow::bail;
use serde::Deserialize;

use super::hub::{self, Hub};
use super::scheduler::SchedulerKind;

/// Settings of one candle model. Every key but the folder is optional; unset ones come
/// from the model folder's own configs (size from `unet/config.json`, scheduler from
/// `scheduler/scheduler_config.json`, turbo models get 1 step and no guidance).
///
/// Keys (this struct is meant to be `#[serde(flatten)]`ed into a model entry, so unknown
/// keys cannot be refused here):
///
/// | key | meaning |
/// |---|---|
/// | `model_dir` | local diffusers-layout folder (`model_index.json`, `unet/`, `vae/`, …) |
/// | `hub_repo` | a hub repository id, e.g. `stabilityai/sd-turbo`: its snapshot in the Hugging Face cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`), else fetched from the hub (`$HF_ENDPOINT`, token `$HF_TOKEN`) into that cache — only the files the model reads. A cached snapshot is used without asking the hub: a branch stays at the commit first fetched |
/// | `revision` | with `hub_repo`: a branch, tag or commit hash (default `main`) |
/// | `offline` | with `hub_repo`: `true` never downloads, the cache only (as `HF_HUB_OFFLINE=1` does for every model) |
/// | `steps` | denoising steps |
/// | `guidance` | classifier-free guidance scale; 1 or less turns guidance off |
/// | `scheduler` | `ddim`, `euler` or `euler-ancestral` |
/// | `size` / `width`, `height` | image size, `"768x768"` or two numbers; overrides the job's size |
/// | `dtype` | `f16`, `bf16` or `f32` (on CPU always f32) |
/// | `seed_policy` | `per-job` (default: the job's seed) or `fixed` (always `seed`) |
/// | `seed` | the seed for `seed_policy = "fixed"` |
/// | `negative_prompt` | text guided away from (with guidance on) |
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct CandleModelConfig {
    #[serde(default)]
    pub model_dir: Option<PathBuf>,
    #[serde(default)]
    pub hub_repo: Option<String>,
    #[serde(default)]
    pub revision: Option<String>,
    #[serde(default)]
    pub offline: bool,
    #[serde(default)]
    pub steps: Option<u32>,
    #[serde(default)]
    pub guidance: Option<f64>,
    #[serde(default)]
    pub scheduler: Option<SchedulerKind>,
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(default)]
    pub dtype: Option<DTypeChoice>,
    #[serde(default)]
    pub seed_policy: SeedPolicy,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub negative_prompt: Option<String>,
}

/// The floating-point type weights and activations use.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DTypeChoice {
    F16,
    Bf16,
    F32,
}

impl DTypeChoice {
    pub fn name(self) -> &'static str {
        match self {
            DTypeChoice::F16 => "f16",
            DTypeChoice::Bf16 => "bf16",
            DTypeChoice::F32 => "f32",
        }
    }

    pub fn to_candle(self) -> candle_core::DType {
        match self {
            DTypeChoice::F16 => candle_core::DType::F16,
            DTypeChoice::Bf16 => candle_core::DType::BF16,
            DTypeChoice::F32 => candle_core::DType::F32,
        }
    }
}

/// Where the seed of an image comes from.
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SeedPolicy {
    /// The job's seed: every job its own image, reproducible from the recorded seed.
    #[default]
    PerJob,
    /// Always the configured `seed`: one image per prompt, whatever the job says.
    Fixed,
}

impl CandleModelConfig {
    /// Settings for a local folder, everything else from the folder's configs.
    pub fn for_dir(model_dir: impl Into<PathBuf>) -> Self {
        Self {
            model_dir: Some(model_dir.into()),
            ..Self::default()
        }
    }

    /// The configured size, if any, as (width, height).
    pub(crate) fn size(&self) -> anyhow::Result<Option<(u32, u32)>> {
        match (&self.size, self.width, self.height) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                bail!("set either `size` or `width`/`height`, not both")
            }
            (Some(size), None, None) => Ok(Some(parse_size(size)?)),
            (None, Some(w), Some(h)) => Ok(Some((w, h))),
            (None, None, None) => Ok(None),
            (None, _, _) => bail!("`width` and `height` go together"),
        }
    }

    /// Checks what can be checked without reading weights.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        self.size()?;
        if self.seed_policy == SeedPolicy::Fixed && self.seed.is_none() {
            bail!("`seed_policy = \"fixed\"` needs a `seed`");
        }
        if self.steps == Some(0) {
            bail!("`steps` must be at least 1");
        }
        Ok(())
    }

    /// The local folder holding the model: `model_dir`, else the hub repository's
    /// snapshot in the Hugging Face cache, fetched there first if need be. Also returns
    /// the revision (the commit, for a hub repository) when known.
    pub(crate) fn resolve_folder(&self, hub: &Hub) -> anyhow::Result<(PathBuf, Option<String>)> {
        if let Some(dir) = &self.model_dir {
            if !dir.is_dir() {
                bail!(
                    "model folder {} does not exist (or is not a folder)",
                    dir.display()
                );
            }
            return Ok((dir.clone(), self.revision.clone()));
        }
        let Some(repo) = &self.hub_repo else {
            bail!("a candle model needs `model_dir` (a local folder) or `hub_repo`");
        };
        let revision = self.revision.as_deref().unwrap_or("main");
        let (dir, commit) = hub::snapshot(hub, repo, revision, self.offline)?;
        Ok((dir, Some(commit)))
    }
}

/// Parses `"WxH"` (also `"W×H"`) into (width, height).
pub fn parse_size(text: &str) -> anyhow::Result<(u32, u32)> {
    let parse = || -> Option<(u32, u32)> {
        let (w, h) = text.trim().split_once(['x', 'X', '×'])?;
        Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
    };
    match parse() {
        Some((w, h)) if w > 0 && h > 0 => Ok((w, h)),
        _ => bail!("size `{text}` is not of the form WIDTHxHEIGHT, e.g. 512x512"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_both_spellings_and_bad_ones_say_why() {
        assert_eq!(parse_size("512x768").unwrap(), (512, 768));
        assert_eq!(parse_size(" 64 × 32 ").unwrap(), (64, 32));
        for bad in ["512", "x", "0x5", "ax5", ""] {
            let err = parse_size(bad).unwrap_err().to_string();
            assert!(err.contains("WIDTHxHEIGHT"), "{bad}: {err}");
        }
    }

    #[test]
    fn an_offline_hub_repo_missing_from_the_cache_is_a_clear_error() {
        let cfg = CandleModelConfig {
            hub_repo: Some("nobody/not-a-model".into()),
            offline: true,
            ..Default::default()
        };
        let hub = Hub::new("http://127.0.0.1:9", "/nonexistent/hf-cache");
        let err = format!("{:#}", cfg.resolve_folder(&hub).unwrap_err());
        assert!(err.contains("nobody/not-a-model"), "{err}");
        assert!(err.contains("downloads are off"), "{err}");
    }

    #[test]
    fn offline_is_a_key_of_a_model_entry() {
        let cfg: CandleModelConfig =
            toml::from_str("hub_repo = \"stabilityai/sd-turbo\"\noffline = true\n").unwrap();
        assert!(cfg.offline);
    }

    #[test]
    fn fixed_seed_policy_without_a_seed_is_refused() {
        let cfg = CandleModelConfig {
            seed_policy: SeedPolicy::Fixed,
            ..CandleModelConfig::for_dir("x")
        };
        assert!(cfg.validate().unwrap_err().to_string().contains("seed"));
    }
}
