//! Per-model settings for the candle backend, as written in `worker.toml`, and where
//! the weights for a model are found.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

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
/// | `hub_repo` | a hub repository id, e.g. `stabilityai/sd-turbo`, looked up in the local Hugging Face cache (`$HF_HOME/hub`, else `~/.cache/huggingface/hub`); nothing is downloaded: run `huggingface-cli download REPO` where there is internet |
/// | `revision` | with `hub_repo`: a branch or snapshot hash in the cache (default `main`) |
/// | `steps` | denoising steps |
/// | `guidance` | classifier-free guidance scale; 1 or less turns guidance off |
/// | `scheduler` | `ddim`, `euler` or `euler-ancestral` |
/// | `size` / `width`, `height` | image size, `"768x768"` or two numbers; overrides the job's size |
/// | `dtype` | `f16`, `bf16` or `f32` (on CPU always f32) |
/// | `seed_policy` | `per-job` (default: the job's seed) or `fixed` (always `seed`) |
/// | `seed` | the seed for `seed_policy = "fixed"` |
/// | `negative_prompt` | text guided away from (with guidance on) |
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct CandleModelConfig {
    #[serde(default)]
    pub model_dir: Option<PathBuf>,
    #[serde(default)]
    pub hub_repo: Option<String>,
    #[serde(default)]
    pub revision: Option<String>,
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

/// Which noise scheduler drives denoising.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SchedulerKind {
    Ddim,
    Euler,
    EulerAncestral,
}

impl SchedulerKind {
    pub fn name(self) -> &'static str {
        match self {
            SchedulerKind::Ddim => "ddim",
            SchedulerKind::Euler => "euler",
            SchedulerKind::EulerAncestral => "euler-ancestral",
        }
    }
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
    /// snapshot in the local Hugging Face cache. Also returns the revision when known.
    pub(crate) fn resolve_folder(&self) -> anyhow::Result<(PathBuf, Option<String>)> {
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
        let cache = hub_cache_dir();
        let revision = self.revision.as_deref().unwrap_or("main");
        find_in_hub_cache(&cache, repo, revision).with_context(|| {
            format!(
                "model `{repo}` (revision {revision}) is not in the local Hugging Face cache at {}; \
                 this worker does not download weights: run `huggingface-cli download {repo}` on a \
                 machine with internet and copy the cache, or set `model_dir`",
                cache.display()
            )
        })
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

fn hub_cache_dir() -> PathBuf {
    if let Some(cache) = std::env::var_os("HF_HUB_CACHE") {
        return PathBuf::from(cache);
    }
    if let Some(home) = std::env::var_os("HF_HOME") {
        return PathBuf::from(home).join("hub");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/huggingface/hub")
}

/// The cache keeps `models--ORG--NAME/refs/BRANCH` (a snapshot hash) and
/// `models--ORG--NAME/snapshots/HASH/…`.
fn find_in_hub_cache(
    cache: &Path,
    repo: &str,
    revision: &str,
) -> anyhow::Result<(PathBuf, Option<String>)> {
    let repo_dir = cache.join(format!("models--{}", repo.replace('/', "--")));
    if !repo_dir.is_dir() {
        bail!("{} does not exist", repo_dir.display());
    }
    let hash = match std::fs::read_to_string(repo_dir.join("refs").join(revision)) {
        Ok(hash) => hash.trim().to_string(),
        Err(_) => revision.to_string(),
    };
    let snapshot = repo_dir.join("snapshots").join(&hash);
    if !snapshot.is_dir() {
        bail!("{} does not exist", snapshot.display());
    }
    Ok((snapshot, Some(hash)))
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
    fn hub_repo_missing_from_the_cache_is_a_clear_error() {
        let cfg = CandleModelConfig {
            hub_repo: Some("nobody/not-a-model".into()),
            ..Default::default()
        };
        let err = format!("{:#}", cfg.resolve_folder().unwrap_err());
        assert!(err.contains("nobody/not-a-model"), "{err}");
        assert!(err.contains("does not download"), "{err}");
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
