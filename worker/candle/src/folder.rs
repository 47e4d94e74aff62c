//! Reading a diffusers-layout model folder: which files exist ([`Files`], on disk or in
//! a hub repository's file list), which pipeline it is and the `config.json` of each
//! part, turned into candle's public config types. A missing or unreadable file is an
//! error that names it.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use candle_transformers::models::stable_diffusion::{unet_2d, vae};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The file naming the pipeline and its parts, read first.
pub(crate) const MODEL_INDEX: &str = "model_index.json";

/// What the loaders ask of a model's files: which exist, and what a small one says.
/// A [`Folder`] answers from the disk; a hub repository (`super::hub`) from its file
/// list, fetching each small file it is asked to read. The loaders decide which files
/// they read through this trait, so the fetcher downloads exactly what they will read.
pub(crate) trait Files {
    /// Where the files are, for messages: "model folder /m/sd" or a hub repository.
    fn describe(&self) -> String;

    fn has(&self, rel: &str) -> bool;

    /// The names of the files at the top level, sorted.
    fn top_level(&self) -> Vec<String>;

    /// The local path of a file to read (a hub repository fetches it first).
    fn local(&self, rel: &str) -> anyhow::Result<PathBuf>;

    /// The error for a file that must exist and does not.
    fn missing(&self, rel: &str) -> anyhow::Error {
        anyhow::anyhow!("{} is missing {rel}", self.describe())
    }

    /// Fails naming `rel` unless it exists.
    fn require_listed(&self, rel: &str) -> anyhow::Result<String> {
        if !self.has(rel) {
            return Err(self.missing(rel));
        }
        Ok(rel.to_string())
    }

    /// Reads and parses a JSON file.
    fn json<T: DeserializeOwned>(&self, rel: &str) -> anyhow::Result<T>
    where
        Self: Sized,
    {
        let path = self.local(rel)?;
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid config", path.display()))
    }

    /// The weight files of a part: the first of `DIR/NAME.safetensors` that exists, or
    /// the shards an `…safetensors.index.json` lists.
    fn weights(&self, dir: &str, names: &[&str]) -> anyhow::Result<Weights>
    where
        Self: Sized,
    {
        for name in names {
            let rel = format!("{dir}/{name}.safetensors");
            if self.has(&rel) {
                return Ok(Weights {
                    index: None,
                    files: vec![rel],
                });
            }
            let index = format!("{dir}/{name}.safetensors.index.json");
            if self.has(&index) {
                #[derive(Deserialize)]
                struct Index {
                    weight_map: std::collections::BTreeMap<String, String>,
                }
                let map: Index = self.json(&index)?;
                let mut shards: Vec<String> = map.weight_map.into_values().collect();
                shards.sort();
                shards.dedup();
                let files = shards
                    .iter()
                    .map(|f| self.require_listed(&format!("{dir}/{f}")))
                    .collect::<anyhow::Result<_>>()?;
                return Ok(Weights {
                    index: Some(index),
                    files,
                });
            }
        }
        Err(self.missing(&format!("{dir}/{}.safetensors", names[0])))
    }
}

/// The weights of one part, relative to the model's folder.
#[derive(Clone, Debug)]
pub(crate) struct Weights {
    /// The shard index, when the weights are sharded.
    pub index: Option<String>,
    /// What is memory-mapped: one file, or every shard.
    pub files: Vec<String>,
}

impl Weights {
    /// Every file read, the index included.
    pub fn all(&self) -> impl Iterator<Item = String> + '_ {
        self.index.iter().chain(&self.files).cloned()
    }
}

/// A model folder on disk.
#[derive(Clone, Debug)]
pub(crate) struct Folder {
    pub root: PathBuf,
}

impl Folder {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// The path of a file that must exist.
    pub fn require(&self, rel: &str) -> anyhow::Result<PathBuf> {
        let path = self.path(rel);
        if !path.is_file() {
            return Err(self.missing(rel));
        }
        Ok(path)
    }

    /// The paths to memory-map for `weights`.
    pub fn paths(&self, weights: &Weights) -> anyhow::Result<Vec<PathBuf>> {
        weights.files.iter().map(|f| self.require(f)).collect()
    }
}

impl Files for Folder {
    fn describe(&self) -> String {
        format!("model folder {}", self.root.display())
    }

    fn has(&self, rel: &str) -> bool {
        self.path(rel).is_file()
    }

    fn top_level(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        names.sort();
        names
    }

    fn local(&self, rel: &str) -> anyhow::Result<PathBuf> {
        self.require(rel)
    }
}

/// `model_index.json`: which pipeline and which parts.
#[derive(Deserialize, Debug)]
pub(crate) struct ModelIndex {
    #[serde(rename = "_class_name")]
    pub class_name: String,
    /// SDXL: an empty negative prompt means zero embeddings rather than encoded "".
    #[serde(default)]
    pub force_zeros_for_empty_prompt: Option<bool>,
    #[serde(default)]
    pub text_encoder_2: Option<serde_json::Value>,
}

/// The pipelines this backend runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// SD 1.x / 2.x and their turbo variants: one CLIP text encoder.
    StableDiffusion,
    /// SDXL and SDXL-Turbo: two CLIP text encoders, added time conditioning.
    StableDiffusionXl,
    /// FLUX.1 (schnell): T5 + CLIP, rectified-flow transformer.
    Flux,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::StableDiffusion => "stable-diffusion",
            Family::StableDiffusionXl => "stable-diffusion-xl",
            Family::Flux => "flux",
        }
    }

    pub fn of(index: &ModelIndex) -> anyhow::Result<Family> {
        let class = index.class_name.as_str();
        if class.starts_with("Flux") {
            Ok(Family::Flux)
        } else if class.starts_with("StableDiffusionXL")
            || (class.starts_with("StableDiffusion") && index.text_encoder_2.is_some())
        {
            Ok(Family::StableDiffusionXl)
        } else if class.starts_with("StableDiffusion") {
            Ok(Family::StableDiffusion)
        } else {
            bail!(
                "pipeline `{class}` is not supported by the candle backend (Stable Diffusion 1.x/2.x/XL and FLUX are)"
            )
        }
    }
}

/// An int or a list of ints, as diffusers writes per-block settings.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
pub(crate) enum PerBlock {
    One(usize),
    Many(Vec<usize>),
}

impl PerBlock {
    fn get(&self, block: usize) -> anyhow::Result<usize> {
        match self {
            PerBlock::One(v) => Ok(*v),
            PerBlock::Many(v) => v
                .get(block)
                .copied()
                .with_context(|| format!("per-block list {v:?} is too short")),
        }
    }
}

fn default_one_pb() -> PerBlock {
    PerBlock::One(1)
}
fn default_groups() -> usize {
    32
}
fn default_eps() -> f64 {
    1e-5
}
fn default_true() -> bool {
    true
}
fn default_four() -> usize {
    4
}

/// `unet/config.json` of a `UNet2DConditionModel`, the keys candle's UNet needs.
#[derive(Deserialize, Clone, Debug)]
pub(crate) struct UNetJson {
    pub block_out_channels: Vec<usize>,
    pub down_block_types: Vec<String>,
    #[serde(default = "default_layers")]
    pub layers_per_block: usize,
    pub attention_head_dim: PerBlock,
    /// Newer configs name the head count here; older ones (wrongly) in `attention_head_dim`.
    #[serde(default)]
    pub num_attention_heads: Option<PerBlock>,
    pub cross_attention_dim: usize,
    #[serde(default = "default_one_pb")]
    pub transformer_layers_per_block: PerBlock,
    #[serde(default)]
    pub use_linear_projection: bool,
    #[serde(default = "default_groups")]
    pub norm_num_groups: usize,
    #[serde(default = "default_eps")]
    pub norm_eps: f64,
    #[serde(default = "default_true")]
    pub flip_sin_to_cos: bool,
    #[serde(default)]
    pub freq_shift: f64,
    #[serde(default = "default_one")]
    pub downsample_padding: usize,
    #[serde(default = "default_one_f")]
    pub mid_block_scale_factor: f64,
    #[serde(default)]
    pub center_input_sample: bool,
    #[serde(default = "default_four")]
    pub in_channels: usize,
    #[serde(default = "default_four")]
    pub out_channels: usize,
    /// Latent size the model was trained at.
    #[serde(default)]
    pub sample_size: Option<usize>,
    /// SDXL: `"text_time"`.
    #[serde(default)]
    pub addition_embed_type: Option<String>,
    #[serde(default)]
    pub addition_time_embed_dim: Option<usize>,
    #[serde(default)]
    pub projection_class_embeddings_input_dim: Option<usize>,
}

fn default_layers() -> usize {
    2
}
fn default_one() -> usize {
    1
}
fn default_one_f() -> f64 {
    1.0
}

impl UNetJson {
    pub fn to_candle(&self) -> anyhow::Result<unet_2d::UNet2DConditionModelConfig> {
        if self.down_block_types.len() != self.block_out_channels.len() {
            bail!("unet/config.json: down_block_types and block_out_channels differ in length");
        }
        let blocks = self
            .down_block_types
            .iter()
            .enumerate()
            .map(|(i, kind)| {
                let heads = self
                    .num_attention_heads
                    .as_ref()
                    .unwrap_or(&self.attention_head_dim)
                    .get(i)?;
                let use_cross_attn = match kind.as_str() {
                    "CrossAttnDownBlock2D" => Some(self.transformer_layers_per_block.get(i)?),
                    "DownBlock2D" => None,
                    other => bail!("unet/config.json: down block type `{other}` is not supported"),
                };
                Ok(unet_2d::BlockConfig {
                    out_channels: self.block_out_channels[i],
                    use_cross_attn,
                    attention_head_dim: heads,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(unet_2d::UNet2DConditionModelConfig {
            center_input_sample: self.center_input_sample,
            flip_sin_to_cos: self.flip_sin_to_cos,
            freq_shift: self.freq_shift,
            blocks,
            layers_per_block: self.layers_per_block,
            downsample_padding: self.downsample_padding,
            mid_block_scale_factor: self.mid_block_scale_factor,
            norm_num_groups: self.norm_num_groups,
            norm_eps: self.norm_eps,
            cross_attention_dim: self.cross_attention_dim,
            sliced_attention_size: None,
            use_linear_projection: self.use_linear_projection,
        })
    }
}

/// `vae/config.json` of an `AutoencoderKL`.
#[derive(Deserialize, Clone, Debug)]
pub(crate) struct VaeJson {
    pub block_out_channels: Vec<usize>,
    #[serde(default = "default_layers")]
    pub layers_per_block: usize,
    #[serde(default = "default_four")]
    pub latent_channels: usize,
    #[serde(default = "default_groups")]
    pub norm_num_groups: usize,
    #[serde(default = "default_scaling")]
    pub scaling_factor: f64,
    #[serde(default)]
    pub shift_factor: Option<f64>,
    #[serde(default = "default_true")]
    pub use_quant_conv: bool,
    #[serde(default = "default_true")]
    pub use_post_quant_conv: bool,
    /// SDXL's VAE overflows in f16; diffusers runs it in f32 then.
    #[serde(default)]
    pub force_upcast: bool,
}

fn default_scaling() -> f64 {
    0.18215
}

impl VaeJson {
    pub fn to_candle(&self) -> vae::AutoEncoderKLConfig {
        vae::AutoEncoderKLConfig {
            block_out_channels: self.block_out_channels.clone(),
            layers_per_block: self.layers_per_block,
            latent_channels: self.latent_channels,
            norm_num_groups: self.norm_num_groups,
            use_quant_conv: self.use_quant_conv,
            use_post_quant_conv: self.use_post_quant_conv,
        }
    }

    /// Image pixels per latent pixel.
    pub fn scale_factor(&self) -> usize {
        1 << (self.block_out_channels.len().saturating_sub(1))
    }
}

/// `scheduler/scheduler_config.json`, the keys shared by DDIM and the Euler schedulers.
#[derive(Deserialize, Clone, Debug)]
pub(crate) struct SchedulerJson {
    #[serde(rename = "_class_name", default)]
    pub class_name: String,
    #[serde(default = "default_beta_start")]
    pub beta_start: f64,
    #[serde(default = "default_beta_end")]
    pub beta_end: f64,
    #[serde(default = "default_beta_schedule")]
    pub beta_schedule: String,
    #[serde(default = "default_train_steps")]
    pub num_train_timesteps: usize,
    #[serde(default = "default_prediction")]
    pub prediction_type: String,
    #[serde(default)]
    pub steps_offset: usize,
    #[serde(default = "default_spacing")]
    pub timestep_spacing: String,
    #[serde(default = "default_true")]
    pub set_alpha_to_one: bool,
}

fn default_beta_start() -> f64 {
    0.00085
}
fn default_beta_end() -> f64 {
    0.012
}
fn default_beta_schedule() -> String {
    "scaled_linear".into()
}
fn default_train_steps() -> usize {
    1000
}
fn default_prediction() -> String {
    "epsilon".into()
}
fn default_spacing() -> String {
    "leading".into()
}

/// `text_encoder/config.json` of a transformers `CLIPTextModel` (or `…WithProjection`).
#[derive(Deserialize, Clone, Debug)]
pub(crate) struct ClipJson {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    #[serde(default = "default_positions")]
    pub max_position_embeddings: usize,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub projection_dim: Option<usize>,
    #[serde(default)]
    pub architectures: Vec<String>,
}

fn default_positions() -> usize {
    77
}
fn default_act() -> String {
    "quick_gelu".into()
}

/// Reads `model_index.json` and tells the family.
pub(crate) fn family(files: &impl Files) -> anyhow::Result<(Family, ModelIndex)> {
    let index: ModelIndex = files.json(MODEL_INDEX)?;
    Ok((Family::of(&index)?, index))
}

/// Hashes the configs and the weight files' names and sizes, so that an image records
/// which weights made it even when the folder has no hub revision. FNV-1a: stable
/// across Rust versions, unlike `DefaultHasher`.
pub(crate) fn fingerprint(root: &Path) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x100_0000_01b3);
        }
    };
    let mut files = Vec::new();
    collect_files(root, root, &mut files);
    files.sort();
    for rel in files {
        let path = root.join(&rel);
        feed(rel.as_bytes());
        if rel.ends_with(".json") || rel.ends_with(".txt") {
            feed(&std::fs::read(&path).unwrap_or_default());
        } else {
            let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            feed(&len.to_le_bytes());
        }
    }
    format!("{hash:016x}")
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}
